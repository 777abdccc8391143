import { createFinanceStore, type FinanceStore } from '../adapters/dynamodb/finance-store.ts';
import { ConfigError } from '../core/errors.ts';
import { localDay } from '../core/time.ts';
import type { Snapshot } from '../core/types.ts';
import { createHistoryReader, type HistoryReader } from '../finance/history-reader.ts';
import {
  ARCHIVE_OPTION,
  type ArchiveFlags,
  openArchive,
  resolveTableWindowDays,
  TABLE_WINDOW_OPTION,
} from './archive-options.ts';
import { type OptionSpecs, TIMEZONE_OPTION } from './args.ts';
import { type CliIO, clockOf } from './io.ts';
import { STORE_OPTIONS, type StoreFlags, storeTarget, withStore } from './store-options.ts';

/**
 * What the finance and operations commands share: the finance store on the table the store
 * flags name (never creating one), and history read through the table's keys, never a scan,
 * for the days the table keeps, and from the archive for older days.
 */

/** Where history comes from: the partner's time zone, the store, the archive and the table's window. */
export const HISTORY_SOURCE_OPTIONS = {
  ...TIMEZONE_OPTION,
  ...STORE_OPTIONS,
  ...ARCHIVE_OPTION,
  ...TABLE_WINDOW_OPTION,
} as const satisfies OptionSpecs;

export interface FinanceContext {
  store: FinanceStore;
  tableName: string;
  timezone: string;
}

/** Opens the store the flags name (never creating a table) and runs `work` on it. */
export async function withFinanceStore<T>(
  flags: StoreFlags,
  io: CliIO,
  timezone: string,
  work: (context: FinanceContext) => Promise<T>,
): Promise<T> {
  return withStore(storeTarget(flags, io.env), { create: false }, ({ client, tableName }) =>
    work({
      store: createFinanceStore({ client, tableName, timezone, retentionDays: 400 }),
      tableName,
      timezone,
    }),
  );
}

export interface HistoryContext extends FinanceContext {
  history: HistoryReader;
}

/**
 * Like withFinanceStore, with the history across the table and the archive: days older than the
 * table's window come from the archive (--archive, --table-window-days). Notes about where history
 * was read go to stderr, prefixed with the command's name.
 */
export async function withHistoryStore<T>(
  command: string,
  flags: StoreFlags & ArchiveFlags,
  io: CliIO,
  timezone: string,
  work: (context: HistoryContext) => Promise<T>,
): Promise<T> {
  const target = storeTarget(flags, io.env);
  const tableWindowDays = resolveTableWindowDays(flags);
  const opened = await openArchive(flags, target, io.env, 'read');
  try {
    return await withFinanceStore(flags, io, timezone, (context) => {
      const { store } = context;
      const history = createHistoryReader({
        table: {
          forEachOfDay: (day, visit) => store.forEachOfDay(day, visit),
          history: (authId, range) => store.base.history(authId, range),
        },
        archive: opened.archive,
        timezone,
        tableWindowDays,
        now: clockOf(io)(),
        tableForgets: target.kind === 'aws',
        note: (line) => io.stderr(`vobiz-balance ${command}: ${line}`),
      });
      return work({ ...context, history });
    });
  } finally {
    opened.close();
  }
}

/** Day partitions read at once when order does not matter. */
export const PARTITION_CONCURRENCY = 3;

/**
 * Snapshots are filed under the sweep's partner-local day: read with another --timezone,
 * days would be cut in the wrong place and statements would be wrong without a sign.
 */
export function assertSameTimezone(snapshot: Snapshot, timezone: string): void {
  const day = localDay(snapshot.observedAt, timezone);
  if (day !== snapshot.localDay) {
    throw new ConfigError(
      `the history was recorded in another timezone than --timezone ${timezone} (${snapshot.authId} at ${snapshot.observedAt} is filed under ${snapshot.localDay}, not ${day}): pass the sweep's --timezone`,
    );
  }
}

export async function readDay(history: HistoryReader, day: string, timezone: string): Promise<Snapshot[]> {
  const snapshots: Snapshot[] = [];
  await history.forEachOfDay(day, (page) => {
    for (const s of page) {
      assertSameTimezone(s, timezone);
      snapshots.push(s);
    }
  });
  return snapshots;
}

/** Day by day in order, the next day read while the current one is processed. */
export async function forEachDayInOrder(
  history: HistoryReader,
  days: readonly string[],
  timezone: string,
  visit: (snapshots: Snapshot[]) => void,
): Promise<void> {
  const read = (i: number) => {
    const day = days[i];
    if (day === undefined) return null;
    const pending = readDay(history, day, timezone);
    // Awaited in the next round; until then a failure must not count as unhandled.
    pending.catch(() => {});
    return pending;
  };
  let next = read(0);
  for (let i = 0; next; i++) {
    const current = await next;
    next = read(i + 1);
    visit(current);
  }
}

export function unknownAccount(authId: string, tableName: string): ConfigError {
  return new ConfigError(`unknown account ${authId}: no sweep has recorded it in table ${tableName}`);
}
