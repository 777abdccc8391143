import { type ArchiveIndex, type ArchivePort, firstWholeTableDay, widenSpans } from './archive.ts';
import { addDays, localDay } from './time.ts';
import type { Snapshot } from './types.ts';

/**
 * The daily export: every partner-local day that is over (and settled, so no sweep still writes
 * into it) goes from the table's byDay partition to the archive, one file per day, in the table's
 * order. Primary course:
 * 1. read the archive's index: the days exported so far;
 * 2. export each later day that is over, oldest first (a new archive starts at the oldest sweep
 *    record, or `lookbackDays` back, whichever is earlier), plus the `again` days;
 * 3. widen the accounts' spans in the index and move `exportedThrough` on, saving the index after
 *    every day that had snapshots, so a run cut short keeps what it did.
 * Idempotent: a day exported twice yields the same file. A failure stops the run with nothing
 * half-written; the next run starts at the first day not exported. Nothing is lost while a day is
 * still whole in the table (tableWindowDays, 90 by default: some 88 daily runs to succeed once).
 */

export interface DaySource {
  /** A partner-local day's snapshots, page by page, sorted by account and then time. */
  forEachOfDay(day: string, visit: (page: Snapshot[]) => void | Promise<void>): Promise<void>;
  /** The partner-local day of the oldest sweep record, or null before the first sweep. */
  firstSweepDay(): Promise<string | null>;
}

export interface ExportOptions {
  now: number;
  timezone: string;
  /** How long the table keeps a snapshot (TTL): older days are no longer whole there. */
  tableWindowDays: number;
  /** A day is exported once it ended this long ago (default 120). */
  settleMinutes?: number;
  /** A new archive reaches this many days back, or to the oldest sweep if that is earlier (default 0). */
  lookbackDays?: number;
  /** Days to export again (a replayed sweep wrote into them): exported ones at once, others once over. */
  again?: readonly string[];
  /** Epoch ms: no day is started after it (the Lambda's time left). */
  deadline?: number;
  clock?: () => number;
}

export interface ExportedDay {
  day: string;
  snapshots: number;
  bytes: number;
  /** Older than the table's window: its TTL may already have deleted part of it. */
  partial: boolean;
}

export interface ExportResult {
  exported: ExportedDay[];
  /** Days not exported, each with the reason. */
  skipped: Array<{ day: string; reason: string }>;
  exportedThrough: string | null;
  /** True when the deadline stopped the run before its last day. */
  stoppedEarly: boolean;
}

const DEFAULT_SETTLE_MINUTES = 120;

export async function exportArchive(
  deps: { source: DaySource; archive: ArchivePort },
  o: ExportOptions,
): Promise<ExportResult> {
  const { source, archive } = deps;
  const clock = o.clock ?? Date.now;
  const settled = o.now - (o.settleMinutes ?? DEFAULT_SETTLE_MINUTES) * 60_000;
  const lastDay = addDays(localDay(settled, o.timezone), -1);
  const firstWhole = firstWholeTableDay(o.now, o.timezone, o.tableWindowDays);
  const index: ArchiveIndex = (await archive.readIndex()) ?? { exportedThrough: null, accounts: new Map() };
  const start = index.exportedThrough ? addDays(index.exportedThrough, 1) : await firstDay(source, o);
  // Only the unbroken run of days after exportedThrough moves it on.
  const next = new Set<string>();
  for (let day = start; day !== null && day <= lastDay; day = addDays(day, 1)) next.add(day);
  const days = new Set(next);
  // A day the archive already holds is rewritten whatever `now` says (a replay's --now may lie
  // before its end): the file follows the table. Any other day waits until it is over.
  const through = index.exportedThrough;
  for (const day of o.again ?? []) if (day <= lastDay || (through !== null && day <= through)) days.add(day);

  const result: ExportResult = {
    exported: [],
    skipped: [],
    exportedThrough: index.exportedThrough,
    stoppedEarly: false,
  };
  const archived = days.size > 0 ? new Set(await archive.days()) : new Set<string>();
  let unsaved = false;
  const save = async () => {
    if (!unsaved) return;
    await archive.writeIndex(index);
    unsaved = false;
  };
  try {
    for (const day of [...days].sort()) {
      if (o.deadline !== undefined && clock() >= o.deadline) {
        result.stoppedEarly = true;
        break;
      }
      const partial = day < firstWhole;
      if (partial && archived.has(day)) {
        // The file was written while the day was whole; the table may hold only part of it now.
        result.skipped.push({ day, reason: 'archived already, and no longer whole in the table' });
      } else {
        const accounts = new Set<string>();
        const written = await archive.writeDay(day, (write) =>
          source.forEachOfDay(day, async (page) => {
            for (const s of page) accounts.add(s.authId);
            await write(page);
          }),
        );
        widenSpans(index, day, accounts);
        if (written.snapshots > 0) {
          result.exported.push({ day, ...written, partial });
          unsaved = true;
        }
      }
      if (next.has(day)) {
        index.exportedThrough = day;
        result.exportedThrough = day;
        unsaved = true;
      }
      if (result.exported.at(-1)?.day === day) await save();
    }
  } catch (error) {
    // Keep what was done; the error is the news.
    await save().catch(() => {});
    throw error;
  }
  await save();
  return result;
}

/** Where a new archive starts: the oldest sweep record's day, or `lookbackDays` back if earlier. */
async function firstDay(source: DaySource, o: ExportOptions): Promise<string | null> {
  const oldestSweep = await source.firstSweepDay();
  const lookback = o.lookbackDays ? addDays(localDay(o.now, o.timezone), -o.lookbackDays) : null;
  if (oldestSweep === null) return lookback;
  return lookback !== null && lookback < oldestSweep ? lookback : oldestSweep;
}
