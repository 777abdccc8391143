import { stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import { createFolderArchive } from '../adapters/archive/folder-archive.ts';
import { createS3Archive } from '../adapters/archive/s3-archive.ts';
import type { ArchivePort } from '../core/archive.ts';
import { DEFAULT_TABLE_WINDOW_DAYS } from '../core/config.ts';
import { ConfigError } from '../core/errors.ts';
import { type OptionSpecs, wholeNumber } from './args.ts';
import type { StoreTarget } from './store-options.ts';

/**
 * Where the history archive is, for the commands that read or write it:
 *   --archive <dir>                 a folder in the archive layout
 *   --archive s3://bucket[/prefix]  the stack's bucket (AWS credential chain, region from AWS_REGION)
 *   VOBIZ_BALANCE_ARCHIVE           the same, when --archive is not given
 *   neither                         <data-dir>/archive for the embedded store; none otherwise
 */

export const ARCHIVE_ENV_VAR = 'VOBIZ_BALANCE_ARCHIVE';

export const ARCHIVE_OPTION = {
  archive: {
    type: 'string',
    value: '<dir|s3://bucket>',
    help: `the history archive (default <data-dir>/archive with the embedded store,\nelse $${ARCHIVE_ENV_VAR}); the stack's is s3://<ArchiveBucketName output>`,
  },
} as const satisfies OptionSpecs;

export const TABLE_WINDOW_OPTION = {
  'table-window-days': {
    type: 'string',
    value: '<n>',
    help: `days of history the table keeps (the stack's tableWindowDays, default ${DEFAULT_TABLE_WINDOW_DAYS});\nolder days are read from the archive`,
  },
} as const satisfies OptionSpecs;

export interface ArchiveFlags {
  archive?: string;
  'table-window-days'?: string;
}

export function resolveTableWindowDays(flags: ArchiveFlags): number {
  return wholeNumber('--table-window-days', flags['table-window-days'], {
    min: 14,
    max: 3650,
    fallback: DEFAULT_TABLE_WINDOW_DAYS,
  });
}

export interface OpenedArchive {
  /** Null: no archive. */
  archive: ArchivePort | null;
  close(): void;
}

/**
 * The archive the flags name, or null. `purpose` 'read': a folder named on purpose must exist
 * (a mistyped path would read as an empty archive); the embedded store's default need not yet.
 */
export async function openArchive(
  flags: ArchiveFlags,
  target: StoreTarget,
  env: Record<string, string | undefined>,
  purpose: 'read' | 'write',
): Promise<OpenedArchive> {
  const none = () => {};
  const fromFlag = flags.archive;
  const given = fromFlag ?? env[ARCHIVE_ENV_VAR]?.trim();
  const source = fromFlag !== undefined ? '--archive' : ARCHIVE_ENV_VAR;
  if (given === undefined || given === '') {
    const archive = target.kind === 'embedded' ? createFolderArchive(join(target.dataDir, 'archive')) : null;
    return { archive, close: none };
  }
  if (given.startsWith('s3://')) {
    const match = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:\/(.*))?$/.exec(given);
    if (!match) {
      throw new ConfigError(
        `${source} must be s3://<bucket>[/<prefix>] or a folder, got ${JSON.stringify(given)}`,
      );
    }
    const region = env.AWS_REGION?.trim();
    if (!region) throw new ConfigError(`${source} ${given} needs AWS_REGION (the bucket's region)`);
    const client = new S3Client({ region, maxAttempts: 5 });
    const archive = createS3Archive({ client, bucket: match[1] as string, prefix: match[2] ?? '' });
    return { archive, close: () => client.destroy() };
  }
  const folder = resolve(given);
  if (purpose === 'read' && !(await isDirectory(folder))) {
    throw new ConfigError(`${source} ${folder} is not a folder`);
  }
  return { archive: createFolderArchive(folder), close: none };
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}
