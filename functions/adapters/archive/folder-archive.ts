import { randomUUID } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { ARCHIVE_LAYOUT, dayFileKey } from '../../contract/archive-layout.ts';
import type { ArchivePort } from '../../core/archive.ts';
import { FatalError } from '../../core/errors.ts';
import { decodeDay, decodeIndex, encodeDay, encodeIndex } from './archive-files.ts';

/**
 * The archive as a folder (`<data-dir>/archive/` for the embedded store), in the bucket's
 * layout, so a local archive can be copied to S3 as it is (`aws s3 sync`). Files are written
 * beside their place and renamed into it: a reader sees a whole file or none.
 */
export function createFolderArchive(root: string): ArchivePort {
  const path = (key: string) => join(root, ...key.split('/'));
  const fail = (what: string, error: unknown): Error =>
    new FatalError(`archive folder ${root}: cannot ${what}: ${(error as Error).message}`);

  async function replace(key: string, body: Buffer): Promise<void> {
    const target = path(key);
    const temporary = `${target}.${randomUUID()}.tmp`;
    try {
      await mkdir(dirname(target), { recursive: true });
      await writeFile(temporary, body);
      await rename(temporary, target);
    } catch (error) {
      await rm(temporary, { force: true }).catch(() => {});
      throw fail(`write ${key}`, error);
    }
  }

  return {
    location: root,

    async days() {
      const folder = path(ARCHIVE_LAYOUT.snapshotsPrefix);
      let entries: string[];
      try {
        entries = await readdir(folder);
      } catch (error) {
        if (code(error) === 'ENOENT') return [];
        throw fail(`list ${folder}`, error);
      }
      const days: string[] = [];
      for (const entry of entries.sort()) {
        const match = /^day=(\d{4}-\d{2}-\d{2})$/.exec(entry);
        if (match && (await exists(path(dayFileKey(match[1] as string))))) days.push(match[1] as string);
      }
      return days;
    },

    async writeDay(day, fill) {
      const { body, snapshots } = await encodeDay(day, fill);
      if (snapshots === 0) return { snapshots, bytes: 0 };
      await replace(dayFileKey(day), body);
      return { snapshots, bytes: body.length };
    },

    async readDay(day, visit) {
      const file = path(dayFileKey(day));
      let handle: Awaited<ReturnType<typeof open>>;
      try {
        handle = await open(file);
      } catch (error) {
        if (code(error) === 'ENOENT') return false;
        throw fail(`read ${file}`, error);
      }
      // The stream closes the handle when it ends or fails.
      await decodeDay(handle.createReadStream(), file, day, visit);
      return true;
    },

    async readIndex() {
      const file = path(ARCHIVE_LAYOUT.index);
      let bytes: Buffer;
      try {
        bytes = await readFile(file);
      } catch (error) {
        if (code(error) === 'ENOENT') return null;
        throw fail(`read ${file}`, error);
      }
      return decodeIndex(bytes, file);
    },

    async writeIndex(index) {
      await replace(ARCHIVE_LAYOUT.index, encodeIndex(index));
    },
  };
}

function code(error: unknown): unknown {
  return (error as { code?: unknown }).code;
}

async function exists(file: string): Promise<boolean> {
  try {
    return (await stat(file)).isFile();
  } catch {
    return false;
  }
}
