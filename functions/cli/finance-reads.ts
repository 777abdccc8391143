import { createFinanceStore, type FinanceStore } from '../adapters/dynamodb/finance-store.ts';
import { ConfigError } from '../core/errors.ts';
import { localDay } from '../core/time.ts';
import type { Snapshot } from '../core/types.ts';
import type { CliIO } from './io.ts';
import { type StoreFlags, storeTarget, withStore } from './store-options.ts';

/**
 * What the finance and operations commands share: the finance store on the table the store
 * flags name (never creating one), and history read through the table's keys, never a scan.
 */

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

/** History queries at once when openings must be looked up account by account. */
export const OPENING_CONCURRENCY = 8;
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

export async function readDay(
  store: FinanceStore,
  day: string,
  timezone: string,
  authId?: string,
): Promise<Snapshot[]> {
  const snapshots: Snapshot[] = [];
  await store.forEachOfDay(
    day,
    (page) => {
      for (const s of page) {
        assertSameTimezone(s, timezone);
        snapshots.push(s);
      }
    },
    authId,
  );
  return snapshots;
}

/** Day by day in order, the next day read while the current one is processed. */
export async function forEachDayInOrder(
  store: FinanceStore,
  days: readonly string[],
  timezone: string,
  visit: (snapshots: Snapshot[]) => void,
): Promise<void> {
  const read = (i: number) => {
    const day = days[i];
    if (day === undefined) return null;
    const pending = readDay(store, day, timezone);
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
