import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createFinanceStore } from '../../adapters/dynamodb/finance-store.ts';
import type { ArchivePort } from '../../core/archive.ts';
import { type ExportResult, exportArchive } from '../../core/archive-export.ts';
import { type SweepConfig, tableWindowDays } from '../../core/config.ts';
import { ConfigError, oneLine } from '../../core/errors.ts';
import { localDay } from '../../core/time.ts';
import type { SweepSummary } from '../../core/types.ts';
import { daysBetween, isDay } from '../../finance/calendar.ts';
import { textTable } from '../../finance/text-table.ts';
import {
  ARCHIVE_OPTION,
  openArchive,
  resolveTableWindowDays,
  TABLE_WINDOW_OPTION,
} from '../archive-options.ts';
import { NOW_OPTION, resolveNow, resolveTimezone, TIMEZONE_OPTION, wholeNumber } from '../args.ts';
import { defineCommand } from '../command.ts';
import { withFinanceStore } from '../finance-reads.ts';
import { type CliIO, clockOf } from '../io.ts';
import { formatOptions, resolveFormat, writeOutput } from '../output.ts';
import { STORE_OPTIONS, type StoreTarget, storeTarget } from '../store-options.ts';

/**
 * `archive`: copies finished days from the table's byDay partitions to the archive. The deployed
 * stack runs the same export daily (functions/archive-days.ts); the embedded store's sweeps run it
 * after each sweep (archiveAfterSweep below), so this command is for other stores and repairs.
 */
export const archive = defineCommand({
  name: 'archive',
  summary: 'copy finished days of history from the table to the archive',
  usage: 'archive [--day YYYY-MM-DD ...] [options]',
  description: `Copies every partner-local day that is over (and settled) from the table to the archive, one
gzip'd JSON Lines file per day, oldest first, starting after the last day exported. Safe to repeat:
a day exported twice gives the same file. A day older than the table's window is never replaced.`,
  options: {
    day: {
      type: 'string',
      value: '<YYYY-MM-DD>',
      help: 'export this day again, even if it was (repeatable)',
      multiple: true,
    },
    'settle-minutes': {
      type: 'string',
      value: '<n>',
      help: 'a day is exported once it ended this long ago (default 120)',
    },
    'lookback-days': {
      type: 'string',
      value: '<n>',
      help: 'a new archive starts this many days back, or at the oldest sweep if earlier (default 0)',
    },
    ...TABLE_WINDOW_OPTION,
    ...NOW_OPTION,
    ...formatOptions(['table', 'json']),
    ...TIMEZONE_OPTION,
    ...STORE_OPTIONS,
    ...ARCHIVE_OPTION,
  },
  async run({ values, io }) {
    const format = resolveFormat(values, ['table', 'json']);
    const timezone = resolveTimezone(values.timezone);
    const now = Date.parse(resolveNow(values.now, clockOf(io)));
    const again = values.day ?? [];
    for (const day of again) {
      if (!isDay(day))
        throw new ConfigError(`--day must be a day written YYYY-MM-DD, got ${JSON.stringify(day)}`);
    }
    const settleMinutes = wholeNumber('--settle-minutes', values['settle-minutes'], {
      min: 0,
      max: 7 * 24 * 60,
      fallback: 120,
    });
    const lookbackDays = wholeNumber('--lookback-days', values['lookback-days'], {
      min: 0,
      max: 3650,
      fallback: 0,
    });
    const windowDays = resolveTableWindowDays(values);
    const target = storeTarget(values, io.env);
    const opened = await openArchive(values, target, io.env, 'write');
    try {
      const into = opened.archive;
      if (!into) throw new ConfigError('no archive to write to: pass --archive <dir|s3://bucket>');
      const result = await withFinanceStore(values, io, timezone, ({ store }) =>
        exportArchive(
          { source: store, archive: into },
          { now, timezone, tableWindowDays: windowDays, settleMinutes, lookbackDays, again },
        ),
      );
      for (const line of warnings(result)) io.stderr(`vobiz-balance archive: ${line}`);
      await writeOutput(io, format, {
        json: () => ({ archive: into.location, ...result }),
        table: () => describe(result, into.location),
      });
      return 0;
    } finally {
      opened.close();
    }
  },
});

function warnings(result: ExportResult): string[] {
  const lines = result.exported
    .filter((d) => d.partial)
    .map(
      (d) => `${d.day} was older than the table's window when exported: its TTL may have deleted part of it`,
    );
  for (const s of result.skipped) lines.push(`${s.day} not exported: ${s.reason}`);
  if (result.stoppedEarly) lines.push('stopped at the deadline; run again for the remaining days');
  return lines;
}

function describe(result: ExportResult, location: string): string {
  const parts: string[] = [];
  if (result.exported.length > 0) {
    parts.push(
      textTable(
        ['Day', 'Snapshots', 'Bytes (gzip)'],
        result.exported.map((d) => [d.day, String(d.snapshots), String(d.bytes)]),
        ['left', 'right', 'right'],
      ),
    );
  }
  const through = result.exportedThrough ? `; every day through ${result.exportedThrough} is archived` : '';
  parts.push(`Exported ${result.exported.length} day(s) to ${location}${through}.`);
  return parts.join('\n');
}

/**
 * After a sweep on a store with an archive of its own (the embedded store's folder, or
 * $VOBIZ_BALANCE_ARCHIVE): exports the days that are over, and again the days a replayed
 * sweep (--now in the past) wrote into. A failure is one stderr line, never the sweep's:
 * the table still holds the days and the next sweep tries again.
 */
export async function archiveAfterSweep(run: {
  client: DynamoDBClient;
  tableName: string;
  target: StoreTarget;
  config: SweepConfig;
  summary: SweepSummary;
  now: number;
  io: Pick<CliIO, 'stderr' | 'env'>;
  verbose: boolean;
}): Promise<void> {
  const { config, summary, io } = run;
  let opened: Awaited<ReturnType<typeof openArchive>> | undefined;
  try {
    opened = await openArchive({}, run.target, io.env, 'write');
    const into: ArchivePort | null = opened.archive;
    if (!into) return;
    const store = createFinanceStore({
      client: run.client,
      tableName: run.tableName,
      timezone: config.timezone,
      retentionDays: config.retentionDays,
    });
    const touched = daysBetween(
      localDay(summary.startedAt, config.timezone),
      localDay(summary.finishedAt, config.timezone),
    );
    const result = await exportArchive(
      { source: store, archive: into },
      { now: run.now, timezone: config.timezone, tableWindowDays: tableWindowDays(config), again: touched },
    );
    for (const line of warnings(result)) io.stderr(`vobiz-balance sweep: archive: ${line}`);
    if (run.verbose && result.exported.length > 0) {
      io.stderr(
        `vobiz-balance sweep: archived ${result.exported.map((d) => d.day).join(', ')} to ${into.location}`,
      );
    }
  } catch (error) {
    io.stderr(
      `vobiz-balance sweep: the archive was not updated (the table keeps the days; the next sweep tries again): ${oneLine(error)}`,
    );
  } finally {
    opened?.close();
  }
}
