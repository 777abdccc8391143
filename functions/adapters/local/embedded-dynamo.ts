import { mkdir } from 'node:fs/promises';
import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { FatalError, oneLine } from '../../core/errors.ts';

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

interface LevelDb {
  open(): Promise<void>;
  close(): Promise<void>;
}

// dynalite ships CommonJS without types; LevelDB is reached through dynalite's own
// dependency tree so the lock probe opens the database exactly the way dynalite will.
const require = createRequire(import.meta.url);
const dynalite = require('dynalite') as (options: DynaliteOptions) => Server;
const { Level } = createRequire(require.resolve('dynalite'))('level') as {
  Level: new (path: string, options: { valueEncoding: string }) => LevelDb;
};

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

export async function startEmbeddedDynamo(o: { dataDir: string | null }): Promise<EmbeddedDynamo> {
  let path: string | undefined;
  if (o.dataDir !== null) {
    path = join(o.dataDir, 'dynamodb');
    try {
      await mkdir(path, { recursive: true });
    } catch (error) {
      throw new FatalError(`cannot create the local database in ${path}: ${fileProblem(error)}`, {
        cause: error,
      });
    }
    await assertNotLocked(path, o.dataDir);
  }
  const server = dynalite({
    ...(path ? { path } : {}),
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
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
      });
      return closed;
    },
  };
}

/**
 * dynalite opens LevelDB lazily and, when another process holds the lock, fails later with
 * an uncaught exception and requests that never answer. Open it once here to fail clearly.
 */
async function assertNotLocked(path: string, dataDir: string): Promise<void> {
  const probe = new Level(path, { valueEncoding: 'json' });
  try {
    await probe.open();
  } catch (error) {
    const cause = (error as { cause?: { code?: unknown } }).cause;
    if (cause?.code === 'LEVEL_LOCKED') {
      throw new FatalError(`data directory ${dataDir} is in use by another vobiz-balance process`, {
        cause: error,
      });
    }
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
