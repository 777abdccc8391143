import { mkdir } from 'node:fs/promises';
import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { FatalError, oneLine } from '../../core/errors.ts';
import { type DataDirLock, type LockOptions, lockDataDir, openLevelDb } from './data-dir-lock.ts';

/**
 * The laptop's DynamoDB: dynalite (DynamoDB's API on LevelDB) on 127.0.0.1, persisted under
 * <dataDir>/dynamodb, or in memory for tests.
 */

interface DynaliteOptions {
  path?: string;
  createTableMs?: number;
  deleteTableMs?: number;
  updateTableMs?: number;
}

// dynalite ships CommonJS without types.
const require = createRequire(import.meta.url);
const dynalite = require('dynalite') as (options: DynaliteOptions) => Server;

export interface EmbeddedDynamo {
  endpoint: string;
  client: DynamoDBClient;
  close(): Promise<void>;
}

/** A client for any DynamoDB-compatible endpoint on this machine (dynalite, DynamoDB Local, LocalStack). */
export function localDynamoClient(endpoint: string): DynamoDBClient {
  return new DynamoDBClient({
    endpoint,
    region: 'local',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 3,
    // A local endpoint answers at once or not at all: do not hang a CLI run on it.
    requestHandler: { connectionTimeout: 2_000, requestTimeout: 30_000 },
  });
}

export interface EmbeddedOptions extends LockOptions {
  /** Where the database lives (and its lock), or null for one in memory. */
  dataDir: string | null;
}

/**
 * Starts dynalite on the data directory, which it holds (see data-dir-lock.ts) until closed;
 * another process on the same directory waits up to `waitMs`, then is refused in one line.
 */
export async function startEmbeddedDynamo(o: EmbeddedOptions): Promise<EmbeddedDynamo> {
  let path: string | undefined;
  let lock: DataDirLock | undefined;
  if (o.dataDir !== null) {
    path = join(o.dataDir, 'dynamodb');
    try {
      await mkdir(path, { recursive: true });
    } catch (error) {
      throw new FatalError(`cannot create the local database in ${path}: ${fileProblem(error)}`, {
        cause: error,
      });
    }
    lock = await lockDataDir(o.dataDir, o);
    try {
      await assertOpens(path);
    } catch (error) {
      await lock.release();
      throw error;
    }
  }
  const server = dynalite({
    ...(path ? { path } : {}),
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    await lock?.release();
    throw error;
  }
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}`;
  const client = localDynamoClient(endpoint);
  let closed: Promise<void> | undefined;
  return {
    endpoint,
    client,
    close() {
      closed ??= new Promise<void>((resolve, reject) => {
        client.destroy();
        // dynalite's close() stops the HTTP server, then closes LevelDB (releasing its lock).
        server.close((error) => (error ? reject(error) : resolve()));
        // Keep-alive sockets of other clients would otherwise hold close() open.
        server.closeAllConnections();
      }).finally(() => lock?.release());
      return closed;
    },
  };
}

/**
 * dynalite opens LevelDB lazily and reports a failure only by crashing on the first request.
 * Open it once here, under the data directory's lock, so a damaged or unreadable database is
 * one clear line instead.
 */
async function assertOpens(path: string): Promise<void> {
  let probe: Awaited<ReturnType<typeof openLevelDb>>;
  try {
    probe = await openLevelDb(path);
  } catch (error) {
    const cause = (error as { cause?: unknown }).cause;
    throw new FatalError(`cannot open the local database in ${path}: ${fileProblem(cause ?? error)}`, {
      cause: error,
    });
  }
  await probe.close();
}

/** What a person needs of a file-system error: its meaning, not errno and the syscall. */
function fileProblem(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'ENOTDIR' || code === 'EEXIST') return 'a file is in the way (not a directory)';
  if (code === 'EROFS') return 'read-only file system';
  return oneLine(error);
}
