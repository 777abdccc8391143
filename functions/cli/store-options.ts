import { stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ensureTable, requireTable } from '../adapters/dynamodb/table.ts';
import { localDynamoClient, startEmbeddedDynamo } from '../adapters/local/embedded-dynamo.ts';
import { ConfigError } from '../core/errors.ts';
import { decimalNumber, type OptionSpecs } from './args.ts';
import { currentCommand } from './command.ts';

/**
 * The one place that turns the store flags into a DynamoDB client and table, for every
 * command:
 *   --data-dir <dir>                      the embedded store (dynalite on disk), the default
 *   --dynamodb-endpoint <url> --table <t> any DynamoDB-compatible endpoint
 *   --table <t> alone                     the deployed table, through the AWS credential
 *                                         chain, in the region AWS_REGION names
 */

export const DEFAULT_DATA_DIR = '.vobiz-balance';
export const DEFAULT_TABLE = 'vobiz-balance';
/**
 * How long a command waits for a data directory another process is using before it refuses:
 * long enough for a read or a small sweep to finish, short enough to be told soon.
 */
export const LOCK_WAIT_ENV = 'VOBIZ_BALANCE_LOCK_WAIT_SECONDS';
const DEFAULT_LOCK_WAIT_SECONDS = 5;

export const STORE_OPTIONS = {
  'data-dir': { type: 'string', value: '<dir>', help: `embedded store (default ./${DEFAULT_DATA_DIR})` },
  'dynamodb-endpoint': {
    type: 'string',
    value: '<url>',
    help: 'a DynamoDB-compatible endpoint instead (needs --table)',
  },
  table: {
    type: 'string',
    value: '<name>',
    help: `with --dynamodb-endpoint or --data-dir: the table there (default ${DEFAULT_TABLE});\nalone: the deployed table (AWS credential chain, region from AWS_REGION)`,
  },
} as const satisfies OptionSpecs;

export interface StoreFlags {
  'data-dir'?: string;
  'dynamodb-endpoint'?: string;
  table?: string;
}

export type StoreTarget =
  | { kind: 'embedded'; dataDir: string; tableName: string; lockWaitMs: number }
  | { kind: 'endpoint'; endpoint: string; tableName: string }
  | { kind: 'aws'; region: string; tableName: string };

/** Which store the flags name; a contradiction or a missing piece is one ConfigError line. */
export function storeTarget(flags: StoreFlags, env: Record<string, string | undefined>): StoreTarget {
  const endpoint = flags['dynamodb-endpoint'];
  const dataDir = flags['data-dir'];
  const table = flags.table;
  if (table !== undefined && !/^[A-Za-z0-9_.-]{3,255}$/.test(table)) {
    throw new ConfigError(
      `--table must be a DynamoDB table name (3-255 of A-Z a-z 0-9 _ . -), got ${JSON.stringify(table)}`,
    );
  }
  if (endpoint !== undefined) {
    if (dataDir !== undefined)
      throw new ConfigError('use either --data-dir or --dynamodb-endpoint, not both');
    if (!table) throw new ConfigError('--dynamodb-endpoint needs --table <name>');
    if (!/^https?:\/\/[^\s/]+/.test(endpoint)) {
      throw new ConfigError(`--dynamodb-endpoint must be an http(s) URL, got ${JSON.stringify(endpoint)}`);
    }
    return { kind: 'endpoint', endpoint, tableName: table };
  }
  if (table !== undefined && dataDir === undefined) {
    const region = env.AWS_REGION?.trim();
    if (!region) {
      throw new ConfigError(
        `--table ${table} alone means the deployed table: set AWS_REGION (or add --data-dir or --dynamodb-endpoint for a local one)`,
      );
    }
    return { kind: 'aws', region, tableName: table };
  }
  return {
    kind: 'embedded',
    dataDir: resolve(dataDir ?? DEFAULT_DATA_DIR),
    tableName: table ?? DEFAULT_TABLE,
    lockWaitMs: lockWaitSeconds(env[LOCK_WAIT_ENV]) * 1000,
  };
}

function lockWaitSeconds(text: string | undefined): number {
  if (text === undefined || text.trim() === '') return DEFAULT_LOCK_WAIT_SECONDS;
  const seconds = decimalNumber(text) ?? Number.NaN;
  if (!(seconds >= 0 && seconds <= 3600)) {
    throw new ConfigError(
      `${LOCK_WAIT_ENV} must be a number of seconds from 0 to 3600, got ${JSON.stringify(text)}`,
    );
  }
  return seconds;
}

export interface OpenedStore {
  target: StoreTarget;
  client: DynamoDBClient;
  tableName: string;
  close(): Promise<void>;
}

export interface OpenOptions {
  /**
   * Create the table if missing (embedded and endpoint stores; the deployed table belongs to
   * the stack). Without it, an embedded store must already exist: a read in the wrong
   * directory should say so, not answer "no data" from a store it just made.
   */
  create: boolean;
}

export async function openStore(target: StoreTarget, options: OpenOptions): Promise<OpenedStore> {
  if (target.kind === 'aws') {
    const client = new DynamoDBClient({ region: target.region, maxAttempts: 5 });
    return { target, client, tableName: target.tableName, close: async () => client.destroy() };
  }
  if (target.kind === 'endpoint') {
    const client = localDynamoClient(target.endpoint);
    try {
      if (options.create) await ensureTable(client, target.tableName);
      else await requireTable(client, target.tableName);
    } catch (error) {
      client.destroy();
      throw error;
    }
    return { target, client, tableName: target.tableName, close: async () => client.destroy() };
  }
  await checkDataDir(target.dataDir, options.create);
  const embedded = await startEmbeddedDynamo({
    dataDir: target.dataDir,
    waitMs: target.lockWaitMs,
    holder: currentCommand(),
  });
  try {
    // A sweep creates its table; a read refuses a table that is not there (a mistyped --table).
    if (options.create) await ensureTable(embedded.client, target.tableName);
    else await requireTable(embedded.client, target.tableName);
  } catch (error) {
    await embedded.close();
    throw error;
  }
  return { target, client: embedded.client, tableName: target.tableName, close: () => embedded.close() };
}

/** Opens the store, runs `work` with it and always closes it (the embedded store holds a lock). */
export async function withStore<T>(
  target: StoreTarget,
  options: OpenOptions,
  work: (opened: OpenedStore) => Promise<T>,
): Promise<T> {
  const opened = await openStore(target, options);
  try {
    return await work(opened);
  } finally {
    await opened.close();
  }
}

/**
 * The data directory's problems, each in one line naming --data-dir: not a directory,
 * not readable, or (for a read) holding no store.
 */
async function checkDataDir(dataDir: string, create: boolean): Promise<void> {
  const kind = await entryKind(dataDir);
  if (kind === 'file') throw new ConfigError(`--data-dir ${dataDir} is not a directory`);
  const store = join(dataDir, 'dynamodb');
  const storeKind = kind === 'missing' ? 'missing' : await entryKind(store);
  if (storeKind === 'file') throw new ConfigError(`--data-dir ${dataDir}: ${store} is not a directory`);
  if (storeKind === 'missing' && !create) {
    throw new ConfigError(`no local store in ${dataDir}: run a sweep there first, or pass --data-dir <dir>`);
  }
}

async function entryKind(path: string): Promise<'missing' | 'file' | 'directory'> {
  try {
    return (await stat(path)).isDirectory() ? 'directory' : 'file';
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code === 'ENOENT') return 'missing';
    if (code === 'ENOTDIR') return 'file';
    throw dataDirError(path, error);
  }
}

/** A file-system error met on the data directory, as one line naming it. */
export function dataDirError(path: string, error: unknown): ConfigError {
  const code = (error as { code?: unknown }).code;
  if (code === 'EACCES' || code === 'EPERM')
    return new ConfigError(`--data-dir: permission denied on ${path}`);
  return new ConfigError(`--data-dir: cannot use ${path}: ${(error as Error).message}`);
}
