import { addDays, localDay } from './time.ts';
import type { Snapshot } from './types.ts';

/**
 * The history archive: every snapshot, one file per partner-local day, kept for the full
 * retention while the table keeps only a recent window. Adapters: a folder (local) and S3.
 */

/** An account's first and last archived day (YYYY-MM-DD). */
export interface ArchivedSpan {
  first: string;
  last: string;
}

/**
 * What the archive knows about itself beyond its day files. Every day up to `exportedThrough`
 * was exported (a day with no snapshot has no file); `accounts` covers every day exported, so a
 * reader looking for one account can skip the days outside its span.
 */
export interface ArchiveIndex {
  exportedThrough: string | null;
  accounts: Map<string, ArchivedSpan>;
}

export type PageWriter = (page: readonly Snapshot[]) => Promise<void>;

export interface ArchivePort {
  /** Where it is, for messages: a folder or s3://bucket/prefix. */
  readonly location: string;
  /** The days that have a file, ascending. */
  days(): Promise<string[]>;
  /**
   * Replaces the day's file with what `fill` writes, in that order. The file appears whole or not
   * at all: a failure in `fill` or in the write leaves the previous file (or none) in place. A day
   * with no snapshot gets no file.
   */
  writeDay(
    day: string,
    fill: (write: PageWriter) => Promise<void>,
  ): Promise<{ snapshots: number; bytes: number }>;
  /** The day's snapshots page by page, in file order; false when the day has no file. */
  readDay(day: string, visit: (page: Snapshot[]) => void): Promise<boolean>;
  /** Null for an archive that has never been written. */
  readIndex(): Promise<ArchiveIndex | null>;
  writeIndex(index: ArchiveIndex): Promise<void>;
}

/** Records the accounts of an exported day in the index: spans only ever widen, so a repeat is harmless. */
export function widenSpans(index: ArchiveIndex, day: string, authIds: Iterable<string>): void {
  for (const authId of authIds) {
    const span = index.accounts.get(authId);
    if (!span) index.accounts.set(authId, { first: day, last: day });
    else {
      if (day < span.first) span.first = day;
      if (day > span.last) span.last = day;
    }
  }
}

/**
 * The first partner-local day the table still holds whole at `now`: a snapshot expires (TTL)
 * `tableWindowDays` after it was observed, and this day began more than a day later than the
 * oldest instant still covered, which absorbs clock skew and 23- or 25-hour days. Older days
 * are read from, and re-exported only into, the archive.
 */
export function firstWholeTableDay(now: number, timezone: string, tableWindowDays: number): string {
  return addDays(localDay(now, timezone), -(tableWindowDays - 2));
}
