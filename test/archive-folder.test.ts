import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createFolderArchive } from '../functions/adapters/archive/folder-archive.ts';
import { ARCHIVE_COLUMNS, dayFileKey } from '../functions/contract/archive-layout.ts';
import type { ArchivePort } from '../functions/core/archive.ts';
import { FatalError } from '../functions/core/errors.ts';
import type { Snapshot } from '../functions/core/types.ts';

/** The folder archive on a real file system: the layout, exact round trips, whole files or none. */

let root: string;
let archive: ArchivePort;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'vobiz-archive-folder-'));
  archive = createFolderArchive(root);
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

function snapshot(authId: string, observedAt: string, balance: string, name = 'Asha Traders'): Snapshot {
  return {
    authId,
    name,
    currency: 'INR',
    balance,
    observedAt,
    localDay: '2026-11-27',
    level: 'OK',
    sweepId: 'sweep-1',
  };
}

const DAY = '2026-11-27';
const DAY_SNAPSHOTS: Snapshot[] = [
  snapshot('MA_A', '2026-11-27T01:00:00.000Z', '1234.50000'),
  snapshot('MA_A', '2026-11-27T09:15:00.123Z', '-0.00001'),
  // Names in any script, quotes and line breaks stay one line each and come back as they were.
  snapshot(
    'MA_B',
    '2026-11-27T01:00:00.000Z',
    '987654321098765432109876.54321',
    'Ünïcødé "Co"\nline 2 \u2028 عربى',
  ),
];

async function readAll(day: string): Promise<{ found: boolean; snapshots: Snapshot[] }> {
  const snapshots: Snapshot[] = [];
  const found = await archive.readDay(day, (page) => snapshots.push(...page));
  return { found, snapshots };
}

describe('the folder archive', () => {
  it('writes a day as gzip JSON Lines at snapshots/day=YYYY-MM-DD/ and reads it back exactly, in order', async () => {
    // Act
    const written = await archive.writeDay(DAY, async (write) => {
      await write(DAY_SNAPSHOTS.slice(0, 2));
      await write(DAY_SNAPSHOTS.slice(2));
    });
    const back = await readAll(DAY);

    // Assert
    const file = join(root, 'snapshots', `day=${DAY}`, 'snapshots.jsonl.gz');
    const bytes = await readFile(file);
    expect(written).toEqual({ snapshots: 3, bytes: bytes.length });
    const lines = gunzipSync(bytes).toString('utf8').split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[3]).toBe('');
    expect(JSON.parse(lines[0] as string)).toEqual({
      auth_id: 'MA_A',
      name: 'Asha Traders',
      currency: 'INR',
      balance: '1234.50000',
      observed_at: '2026-11-27T01:00:00.000Z',
      local_day: DAY,
      level: 'OK',
      sweep_id: 'sweep-1',
    });
    expect(back).toEqual({ found: true, snapshots: DAY_SNAPSHOTS });
  });

  it('writes exactly the archive columns, every value a string', async () => {
    // Act
    await archive.writeDay(DAY, (write) => write(DAY_SNAPSHOTS));

    // Assert
    const text = gunzipSync(await readFile(join(root, ...dayFileKey(DAY).split('/')))).toString('utf8');
    for (const line of text.trim().split('\n')) {
      const record = JSON.parse(line) as Record<string, unknown>;
      expect(Object.keys(record)).toEqual(ARCHIVE_COLUMNS.map((c) => c.name));
      for (const value of Object.values(record)) expect(typeof value).toBe('string');
    }
  });

  it('lists the days that have a file, ascending, and nothing for a new archive', async () => {
    // Arrange
    expect(await archive.days()).toEqual([]);
    for (const day of ['2026-11-28', '2026-11-26', '2026-11-27']) {
      await archive.writeDay(day, (write) => write([{ ...DAY_SNAPSHOTS[0], localDay: day } as Snapshot]));
    }
    // A stray folder without a file, as a crash before the rename would leave it.
    await mkdir(join(root, 'snapshots', 'day=2026-11-25'), { recursive: true });

    // Act
    const days = await archive.days();

    // Assert
    expect(days).toEqual(['2026-11-26', '2026-11-27', '2026-11-28']);
  });

  it('gives a day with no snapshot no file', async () => {
    // Act
    const written = await archive.writeDay(DAY, async () => {});

    // Assert
    expect(written).toEqual({ snapshots: 0, bytes: 0 });
    expect(await archive.days()).toEqual([]);
    expect(await readAll(DAY)).toEqual({ found: false, snapshots: [] });
  });

  it('keeps the previous file whole when a rewrite fails midway, and leaves no temporary file', async () => {
    // Arrange
    await archive.writeDay(DAY, (write) => write(DAY_SNAPSHOTS));

    // Act
    const failing = archive.writeDay(DAY, async (write) => {
      await write(DAY_SNAPSHOTS.slice(0, 1));
      throw new Error('the table went away');
    });

    // Assert
    await expect(failing).rejects.toThrow('the table went away');
    expect((await readAll(DAY)).snapshots).toEqual(DAY_SNAPSHOTS);
    expect(await readdir(join(root, 'snapshots', `day=${DAY}`))).toEqual(['snapshots.jsonl.gz']);
  });

  it('writes the same bytes for the same day twice', async () => {
    // Act
    await archive.writeDay(DAY, (write) => write(DAY_SNAPSHOTS));
    const first = await readFile(join(root, ...dayFileKey(DAY).split('/')));
    await archive.writeDay(DAY, (write) => write(DAY_SNAPSHOTS));
    const second = await readFile(join(root, ...dayFileKey(DAY).split('/')));

    // Assert
    expect(second.equals(first)).toBe(true);
  });

  it("refuses a snapshot of another day in a day's file", async () => {
    // Act
    const wrong = archive.writeDay('2026-11-28', (write) => write(DAY_SNAPSHOTS));

    // Assert
    await expect(wrong).rejects.toThrow('belongs to 2026-11-27, not to 2026-11-28');
    expect(await archive.days()).toEqual([]);
  });

  it('names the file and line of a damaged line in one error', async () => {
    // Arrange
    const file = join(root, ...dayFileKey(DAY).split('/'));
    await mkdir(join(root, 'snapshots', `day=${DAY}`), { recursive: true });
    const good = JSON.stringify({
      auth_id: 'MA_A',
      name: 'x',
      currency: 'INR',
      balance: '1.00000',
      observed_at: '2026-11-27T01:00:00.000Z',
      local_day: DAY,
      level: 'OK',
      sweep_id: 's',
    });
    await writeFile(file, gzipSync(`${good}\n${good.replace('"1.00000"', '1.5')}\n`));

    // Act
    const read = readAll(DAY);

    // Assert
    await expect(read).rejects.toThrow(FatalError);
    await expect(readAll(DAY)).rejects.toThrow(`${file} line 2: balance is not a string`);
  });

  it('names the file when it is not gzip at all', async () => {
    // Arrange
    const file = join(root, ...dayFileKey(DAY).split('/'));
    await mkdir(join(root, 'snapshots', `day=${DAY}`), { recursive: true });
    await writeFile(file, 'plain text');

    // Act
    const read = readAll(DAY);

    // Assert
    await expect(read).rejects.toThrow(new RegExp(`^${file}: `));
  });

  it('keeps the index of exported days and account spans, and has none before the first write', async () => {
    // Arrange
    expect(await archive.readIndex()).toBeNull();
    const index = {
      exportedThrough: '2026-11-28',
      accounts: new Map([
        ['MA_B', { first: '2026-11-02', last: '2026-11-28' }],
        ['MA_A', { first: '2026-10-01', last: '2026-11-27' }],
      ]),
    };

    // Act
    await archive.writeIndex(index);
    const back = await archive.readIndex();

    // Assert
    expect(back).toEqual(index);
    const stored = JSON.parse(gunzipSync(await readFile(join(root, 'index.json.gz'))).toString('utf8'));
    expect(stored).toEqual({
      format: 1,
      exportedThrough: '2026-11-28',
      accounts: { MA_A: ['2026-10-01', '2026-11-27'], MA_B: ['2026-11-02', '2026-11-28'] },
    });
  });

  it('says which folder it cannot write, in one line', async () => {
    // Arrange: the archive's root is a file
    const blocked = join(root, 'file');
    await writeFile(blocked, 'x');

    // Act
    const write = createFolderArchive(blocked).writeDay(DAY, (w) => w(DAY_SNAPSHOTS));

    // Assert
    await expect(write).rejects.toThrow(
      new RegExp(`^archive folder ${blocked}: cannot write snapshots/day=`),
    );
  });
});
