import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ScratchStore } from './scratch-store.ts';

/** The scratch store in a folder: `<root>/<sweep id>/<name>`, each document written whole (rename). */
export function createFolderScratch(root: string): ScratchStore {
  return {
    async put(sweepId, name, value) {
      const folder = join(root, sweepId);
      await mkdir(folder, { recursive: true });
      const temporary = join(folder, `.${name}.tmp`);
      await writeFile(temporary, JSON.stringify(value));
      await rename(temporary, join(folder, name));
    },

    async all(sweepId) {
      const documents = new Map<string, unknown>();
      let names: string[];
      try {
        names = await readdir(join(root, sweepId));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return documents;
        throw error;
      }
      for (const name of names.filter((n) => !n.startsWith('.'))) {
        documents.set(name, JSON.parse(await readFile(join(root, sweepId, name), 'utf8')));
      }
      return documents;
    },
  };
}
