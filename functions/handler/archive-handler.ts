import type { Logger } from '@aws-lambda-powertools/logger';
import type { Context } from 'aws-lambda';
import { z } from 'zod';
import { ARCHIVE_ENV } from '../contract/archive-layout.ts';
import { ENV } from '../contract/handler.ts';
import type { ArchivePort } from '../core/archive.ts';
import { type DaySource, type ExportResult, exportArchive } from '../core/archive-export.ts';
import { parseSweepConfig, type SweepConfig, tableWindowDays } from '../core/config.ts';
import { ConfigError } from '../core/errors.ts';

/**
 * The daily export as Lambda runs it: every finished day from the table to the archive bucket
 * (core/archive-export.ts). A failure throws, so Lambda retries the invocation and then hands it
 * to the dead-letter queue, whose alarm reaches the ops topic; the next day's run starts again at
 * the first day not exported, so a failed day is never skipped.
 */

export interface ArchiveEnv {
  tableName: string;
  bucket: string;
  sweep: SweepConfig;
}

const envSchema = z.object({
  [ENV.tableName]: z.string().min(1),
  [ARCHIVE_ENV.bucket]: z.string().min(3),
  [ENV.sweepConfig]: z.string().min(2),
});

export function parseArchiveEnv(env: Record<string, string | undefined>): ArchiveEnv {
  const result = envSchema.safeParse(env);
  if (!result.success) {
    const name = String(result.error.issues[0]?.path[0] ?? 'environment');
    throw new ConfigError(
      `environment variable ${name} ${env[name] === undefined ? 'is not set' : 'is invalid'}`,
    );
  }
  let sweep: unknown;
  try {
    sweep = JSON.parse(result.data[ENV.sweepConfig]);
  } catch {
    throw new ConfigError(`environment variable ${ENV.sweepConfig} is not JSON`);
  }
  return {
    tableName: result.data[ENV.tableName],
    bucket: result.data[ARCHIVE_ENV.bucket],
    sweep: parseSweepConfig(sweep, `environment variable ${ENV.sweepConfig}`),
  };
}

export interface ArchiveHandlerDeps {
  env: ArchiveEnv;
  source: DaySource;
  archive: ArchivePort;
  logger: Logger;
  now?: () => number;
}

/** Time kept back from the timeout: a day started before it has time to finish. */
const DEADLINE_MARGIN_MS = 60_000;

export function createArchiveHandler(deps: ArchiveHandlerDeps) {
  const now = deps.now ?? Date.now;
  const { env, logger } = deps;
  const windowDays = tableWindowDays(env.sweep);
  return async function handler(_event: unknown, context: Context): Promise<ExportResult> {
    const started = now();
    const result = await exportArchive(
      { source: deps.source, archive: deps.archive },
      {
        now: started,
        timezone: env.sweep.timezone,
        tableWindowDays: windowDays,
        // A new archive takes all the table may still hold: a table that predates the archive kept
        // snapshots for the whole retention.
        lookbackDays: env.sweep.retentionDays,
        deadline: started + context.getRemainingTimeInMillis() - DEADLINE_MARGIN_MS,
        clock: now,
      },
    );
    for (const day of result.exported.filter((d) => d.partial)) {
      logger.warn('exported a day older than the table window: its TTL may have deleted part of it', {
        day: day.day,
      });
    }
    for (const skipped of result.skipped) logger.warn('day not exported', skipped);
    if (result.stoppedEarly) logger.warn('stopped at the deadline; the next run exports the remaining days');
    logger.info('archive export finished', {
      days: result.exported.length,
      snapshots: result.exported.reduce((sum, d) => sum + d.snapshots, 0),
      bytes: result.exported.reduce((sum, d) => sum + d.bytes, 0),
      exportedThrough: result.exportedThrough,
      durationMs: now() - started,
    });
    return result;
  };
}
