import { type ArchiveIndex, type ArchivePort, firstWholeTableDay } from '../core/archive.ts';
import { forEachLimited } from '../core/concurrency.ts';
import type { Snapshot } from '../core/types.ts';
import { addDays, endOfDay, localDay, startOfDay } from './calendar.ts';

/**
 * The balance history as one thing, wherever it lives: the days the table still holds whole come
 * from the table, older days from the archive (one file per day), with the same results. An old
 * day missing from the archive is read from the table, and said so where its TTL really deletes.
 *
 * Account reads (history, openings) use the archive index to skip the days outside an account's
 * archived span; several accounts are read in one pass over the days.
 */

export interface TableHistory {
  forEachOfDay(day: string, visit: (page: Snapshot[]) => void): Promise<void>;
  /** Newest first; bounds inclusive ISO instants. */
  history(authId: string, range: HistoryRange): Promise<Snapshot[]>;
}

export interface HistoryRange {
  from?: string;
  to?: string;
  limit?: number;
}

export interface HistoryReaderOptions {
  table: TableHistory;
  /** Null: no archive, everything is read from the table. */
  archive: ArchivePort | null;
  timezone: string;
  tableWindowDays: number;
  /** Epoch ms by the real clock: the TTL runs on it, whatever --now a command was given. */
  now: number;
  /** True where the table's TTL really deletes (the deployed table; dynalite keeps everything). */
  tableForgets: boolean;
  /** A line for stderr, given at most once per kind. */
  note: (line: string) => void;
}

export interface HistoryReader {
  /** The first day read from the table; earlier days come from the archive. */
  readonly firstTableDay: string;
  forEachOfDay(day: string, visit: (page: Snapshot[]) => void): Promise<void>;
  /** An account's snapshots in the range, newest first, at most `limit`. */
  history(authId: string, range?: HistoryRange): Promise<Snapshot[]>;
  /** Several accounts' snapshots in the range, newest first each. */
  histories(authIds: readonly string[], range: HistoryRange): Promise<Map<string, Snapshot[]>>;
  /** Each account's last snapshot at or before `instant`, for those that have one. */
  latestAtOrBefore(authIds: readonly string[], instant: string): Promise<Map<string, Snapshot>>;
  lastAtOrBefore(authId: string, instant: string): Promise<Snapshot | undefined>;
}

type Segment =
  | { kind: 'archive'; day: string }
  /** Days the archive does not hold; firstDay null: everything before lastDay. */
  | { kind: 'table'; firstDay: string | null; lastDay: string };

interface ArchiveState {
  days: Set<string>;
  earliest: string | null;
  index: ArchiveIndex | null;
}

/** Table queries at once when accounts are read one by one. */
const ACCOUNT_CONCURRENCY = 8;
/** Archive days read ahead of the one being used, when every snapshot in the range is wanted. */
const READ_AHEAD = 2;

export function createHistoryReader(o: HistoryReaderOptions): HistoryReader {
  const { table, archive, timezone } = o;
  const firstTableDay = firstWholeTableDay(o.now, timezone, o.tableWindowDays);
  const tableFrom = startOfDay(firstTableDay, timezone);
  const beforeTable = new Date(Date.parse(tableFrom) - 1).toISOString();
  let state: Promise<ArchiveState> | undefined;
  const noted = new Set<string>();

  function archiveState(): Promise<ArchiveState> {
    state ??= (async () => {
      if (!archive) return { days: new Set<string>(), earliest: null, index: null };
      const [days, index] = await Promise.all([archive.days(), archive.readIndex()]);
      return { days: new Set(days), earliest: days[0] ?? null, index };
    })();
    return state;
  }

  /** False only when the index proves the account has nothing archived on that day. */
  function mayHold(s: ArchiveState, authId: string, day: string): boolean {
    const through = s.index?.exportedThrough;
    if (!s.index || !through || day > through) return true;
    const span = s.index.accounts.get(authId);
    return span !== undefined && span.first <= day && day <= span.last;
  }

  function readFromTable(firstDay: string | null, lastDay: string, rows: number): void {
    if (!o.tableForgets) return;
    if (!archive) {
      say(
        'no-archive',
        `history before ${firstTableDay} is older than the table's ${o.tableWindowDays}-day window and may be incomplete there: pass --archive s3://<ArchiveBucketName> to read it from the archive`,
      );
    } else if (rows > 0) {
      say(
        'not-archived',
        `${firstDay === null ? `up to ${lastDay}` : `${firstDay} to ${lastDay}`} is older than the table's ${o.tableWindowDays}-day window but not in the archive at ${archive.location}: read from the table, whose TTL may have deleted part of it (run vobiz-balance archive)`,
      );
    }
  }

  function say(kind: string, line: string): void {
    if (noted.has(kind)) return;
    noted.add(kind);
    o.note(line);
  }

  /** The old part of a range (before the table's first day) as days and runs of days, newest first. */
  function oldSegments(s: ArchiveState, from: string | undefined, to: string): Segment[] {
    const highest = localDay(to, timezone);
    const lowest = from !== undefined ? localDay(from, timezone) : s.earliest;
    // Nothing archived and no lower bound: all of it from the table.
    if (lowest === null) return [{ kind: 'table', firstDay: null, lastDay: highest }];
    const segments: Segment[] = [];
    const uncovered = (day: string) => {
      const last = segments.at(-1);
      if (last?.kind === 'table' && last.firstDay === addDays(day, 1)) last.firstDay = day;
      else segments.push({ kind: 'table', firstDay: day, lastDay: day });
    };
    for (let day = highest; day >= lowest; day = addDays(day, -1)) {
      // A day with no file had no snapshot when exported, or lost its file: the table is asked either way.
      if (s.days.has(day)) segments.push({ kind: 'archive', day });
      else uncovered(day);
    }
    // Without a lower bound, whatever precedes the archive's first day may still be in the table.
    if (from === undefined) {
      const last = segments.at(-1);
      if (last?.kind === 'table' && last.firstDay === lowest) last.firstDay = null;
      else segments.push({ kind: 'table', firstDay: null, lastDay: addDays(lowest, -1) });
    }
    return segments;
  }

  async function scan(
    authIds: readonly string[],
    range: HistoryRange,
    limit = Number.POSITIVE_INFINITY,
  ): Promise<Map<string, Snapshot[]>> {
    const { from, to } = range;
    const found = new Map<string, Snapshot[]>(authIds.map((id) => [id, []]));
    const room = (id: string) => limit - (found.get(id) as Snapshot[]).length;
    if (limit <= 0 || (from !== undefined && to !== undefined && from > to)) return found;

    if (to === undefined || to >= tableFrom) {
      const lower = from === undefined || from < tableFrom ? tableFrom : from;
      await forEachLimited(authIds, ACCOUNT_CONCURRENCY, async (id) => {
        const rows = await table.history(id, {
          from: lower,
          to,
          ...(Number.isFinite(limit) ? { limit } : {}),
        });
        (found.get(id) as Snapshot[]).push(...rows);
      });
    }
    const upper = to === undefined || to > beforeTable ? beforeTable : to;
    if (from !== undefined && from > upper) return found;
    let pending = authIds.filter((id) => room(id) > 0);
    if (pending.length === 0) return found;
    let open = new Set(pending);

    const s = await archiveState();
    const segments = oldSegments(s, from, upper);
    const reads = new Map<number, Promise<Map<string, Snapshot[]>>>();
    const startRead = (i: number) => {
      const segment = segments[i];
      if (!archive || segment?.kind !== 'archive' || reads.has(i)) return;
      const wanted = new Set(pending.filter((id) => mayHold(s, id, segment.day)));
      const read = readAccounts(archive, segment.day, wanted, from, upper);
      // Awaited in its turn; until then a failure must not count as unhandled.
      read.catch(() => {});
      reads.set(i, read);
    };
    for (let i = 0; i < segments.length && pending.length > 0; i++) {
      const segment = segments[i] as Segment;
      if (segment.kind === 'archive') {
        // With a limit the next day is likely not needed: read ahead only to collect everything.
        const ahead = Number.isFinite(limit) ? 0 : READ_AHEAD;
        for (let next = i; next <= i + ahead; next++) startRead(next);
        const byAccount = await (reads.get(i) as Promise<Map<string, Snapshot[]>>);
        reads.delete(i);
        for (const [id, rows] of byAccount) {
          if (!open.has(id)) continue;
          // The file holds an account's snapshots oldest first.
          (found.get(id) as Snapshot[]).push(...rows.reverse().slice(0, room(id)));
        }
      } else {
        const lower =
          segment.firstDay === null ? from : maxInstant(from, startOfDay(segment.firstDay, timezone));
        const higher = minInstant(upper, endOfDay(segment.lastDay, timezone));
        let rows = 0;
        await forEachLimited(pending, ACCOUNT_CONCURRENCY, async (id) => {
          const left = room(id);
          const got = await table.history(id, {
            ...(lower === undefined ? {} : { from: lower }),
            to: higher,
            ...(Number.isFinite(left) ? { limit: left } : {}),
          });
          rows += got.length;
          (found.get(id) as Snapshot[]).push(...got);
        });
        readFromTable(segment.firstDay, segment.lastDay, rows);
      }
      pending = pending.filter((id) => room(id) > 0);
      open = new Set(pending);
    }
    return found;
  }

  return {
    firstTableDay,

    async forEachOfDay(day, visit) {
      if (day >= firstTableDay) return table.forEachOfDay(day, visit);
      const s = await archiveState();
      if (archive && s.days.has(day) && (await archive.readDay(day, visit))) return;
      let rows = 0;
      await table.forEachOfDay(day, (page) => {
        rows += page.length;
        visit(page);
      });
      readFromTable(day, day, rows);
    },

    async history(authId, range = {}) {
      return (await scan([authId], range, range.limit)).get(authId) as Snapshot[];
    },

    histories: (authIds, range) => scan(authIds, range, range.limit),

    async latestAtOrBefore(authIds, instant) {
      const found = await scan(authIds, { to: instant }, 1);
      const latest = new Map<string, Snapshot>();
      for (const [id, rows] of found) if (rows[0]) latest.set(id, rows[0]);
      return latest;
    },

    async lastAtOrBefore(authId, instant) {
      return (await scan([authId], { to: instant }, 1)).get(authId)?.[0];
    },
  };
}

/** The day's snapshots of these accounts within [from, to], by account, in file order. */
async function readAccounts(
  archive: ArchivePort,
  day: string,
  wanted: ReadonlySet<string>,
  from: string | undefined,
  to: string,
): Promise<Map<string, Snapshot[]>> {
  const byAccount = new Map<string, Snapshot[]>();
  if (wanted.size === 0) return byAccount;
  await archive.readDay(day, (page) => {
    for (const s of page) {
      if (!wanted.has(s.authId) || s.observedAt > to || (from !== undefined && s.observedAt < from)) continue;
      const rows = byAccount.get(s.authId);
      if (rows) rows.push(s);
      else byAccount.set(s.authId, [s]);
    }
  });
  return byAccount;
}

function maxInstant(a: string | undefined, b: string): string {
  return a !== undefined && a > b ? a : b;
}

function minInstant(a: string, b: string): string {
  return a < b ? a : b;
}
