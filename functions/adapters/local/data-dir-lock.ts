import { readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { FatalError } from '../../core/errors.ts';

/**
 * One process at a time on a data directory. dynalite opens its LevelDB lazily and cannot be
 * handed an open one, so the lock dynalite's own LevelDB takes comes too late to refuse
 * cleanly: a second process finds out only when its first request fails ("Database is
 * closed", thrown from dynalite's request handler, a crash). Checking that LevelDB's lock is
 * free and then letting dynalite take it leaves a gap another process can fall into. So every
 * process first takes a lock of its own, held from before dynalite opens until after it has
 * closed: a second LevelDB, `<data-dir>/lock/`, used only for its LOCK file. LevelDB locks
 * with fcntl, which the system releases when the holder exits, however it exits: no stale
 * lock after a crash or a kill.
 */

interface LevelDb {
  open(): Promise<void>;
  close(): Promise<void>;
}

// dynalite ships CommonJS without types; LevelDB is reached through dynalite's own dependency
// tree so it is the same binding, opened the same way, as dynalite's.
const require = createRequire(import.meta.url);
const { Level } = createRequire(require.resolve('dynalite'))('level') as {
  Level: new (path: string, options: { valueEncoding: string }) => LevelDb;
};

/** Opens the LevelDB at `path`, or throws its error (a lock held elsewhere: see isLocked). */
export async function openLevelDb(path: string): Promise<LevelDb> {
  const db = new Level(path, { valueEncoding: 'json' });
  await db.open();
  return db;
}

/** The error of an open refused because another process (or this one) holds the database. */
export function isLocked(error: unknown): boolean {
  return (error as { cause?: { code?: unknown } }).cause?.code === 'LEVEL_LOCKED';
}

/** Who holds a data directory: written beside the lock by its holder, read by whoever is refused. */
interface Holder {
  pid: number;
  command: string;
  since: string;
}

export interface DataDirLock {
  release(): Promise<void>;
}

export interface LockOptions {
  /** How long to wait for another process to let go before refusing (default 0: refuse at once). */
  waitMs?: number;
  /** What this process is, for the message another one gets: `vobiz-balance sweep`. */
  holder?: string;
}

const RETRY_MS = 50;

/**
 * Takes the data directory's lock, waiting up to `waitMs` for it; refuses with one line naming
 * the directory and, when it can tell, the process that holds it.
 */
export async function lockDataDir(dataDir: string, options: LockOptions = {}): Promise<DataDirLock> {
  const lockPath = join(dataDir, 'lock');
  const holderFile = join(lockPath, 'holder.json');
  const giveUpAt = Date.now() + (options.waitMs ?? 0);
  for (;;) {
    let db: LevelDb;
    try {
      db = await openLevelDb(lockPath);
    } catch (error) {
      if (!isLocked(error)) {
        throw new FatalError(`cannot lock the data directory ${dataDir}: ${causeOf(error)}`, {
          cause: error,
        });
      }
      if (Date.now() >= giveUpAt) throw await inUse(dataDir, holderFile, options.waitMs ?? 0);
      await sleep(RETRY_MS);
      continue;
    }
    const holder: Holder = {
      pid: process.pid,
      command: options.holder ?? 'vobiz-balance',
      since: new Date().toISOString(),
    };
    // Only a courtesy for the message of whoever is refused: the lock holds without it.
    await writeFile(holderFile, `${JSON.stringify(holder)}\n`).catch(() => {});
    return {
      async release() {
        await rm(holderFile, { force: true }).catch(() => {});
        await db.close();
      },
    };
  }
}

async function inUse(dataDir: string, holderFile: string, waitedMs: number): Promise<FatalError> {
  const holder = await readHolder(holderFile);
  const who = holder
    ? `${holder.command} (pid ${holder.pid}, since ${holder.since.slice(0, 19)}Z)`
    : 'another vobiz-balance process';
  const waited = waitedMs > 0 ? `waited ${waitedMs / 1000} s; ` : '';
  return new FatalError(
    `data directory ${dataDir} is in use by ${who}: ${waited}try again when it has finished, or use another --data-dir`,
  );
}

/** The holder as it wrote itself down, if that process still runs (a crash leaves the file behind). */
async function readHolder(holderFile: string): Promise<Holder | null> {
  try {
    const holder = JSON.parse(await readFile(holderFile, 'utf8')) as Holder;
    if (!Number.isSafeInteger(holder.pid) || typeof holder.command !== 'string') return null;
    return isRunning(holder.pid) ? holder : null;
  } catch {
    return null;
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it runs, as another user.
    return (error as { code?: unknown }).code === 'EPERM';
  }
}

function causeOf(error: unknown): string {
  const cause = (error as { cause?: unknown }).cause ?? error;
  return cause instanceof Error ? cause.message : String(cause);
}
