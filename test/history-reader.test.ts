import { mkdtemp, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeleteCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFolderArchive } from '../functions/adapters/archive/folder-archive.ts';
import { TRANSLATE } from '../functions/adapters/dynamodb/store.ts';
import { dayFileKey } from '../functions/contract/archive-layout.ts';
import { keys } from '../functions/contract/table-schema.ts';
import { type ArchivePort, firstWholeTableDay } from '../functions/core/archive.ts';
import { exportArchive } from '../functions/core/archive-export.ts';
import type { Snapshot } from '../functions/core/types.ts';
import { addDays, daysBetween, startOfDay } from '../functions/finance/calendar.ts';
import { createHistoryReader, type HistoryReaderOptions } from '../functions/finance/history-reader.ts';
import { type HistoryFixture, startHistory } from './support/history.ts';

/**
 * The history reader's routing: which days it reads where, how few archive files an account read
 * opens, and what it says when old history had to come from a table whose TTL deletes.
 */

const NOW = Date.parse('2026-11-20T06:00:00.000Z');
const WINDOW = 14;
/** NOW's first whole table day with a 14-day window. */
const FIRST_TABLE_DAY = '2026-11-08';

let h: HistoryFixture;
let dir: string;
let archive: ArchivePort;
let steady: string;
let late: string;
/** Days opened in the archive, in order, since the last reset. */
let opened: string[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vobiz-history-reader-'));
  h = await startHistory({ accounts: 8, seed: 3 });
  steady = h.sim.accountIds()[0] as string;
  for (const day of daysBetween('2026-11-01', '2026-11-12')) {
    if (day === '2026-11-09') late = h.sim.addAccount({ name: 'Late Ltd', cash_credits: '5.00000' }).auth_id;
    h.sim.adjustBalance(steady, '-2.50000');
    await h.sweepAt(`${day}T06:00:00.000Z`);
  }
  const folder = createFolderArchive(join(dir, 'archive'));
  await exportArchive(
    { source: h.finance, archive: folder },
    { now: NOW, timezone: 'Asia/Kolkata', tableWindowDays: 90 },
  );
  archive = {
    ...folder,
    readDay: (day, visit) => {
      opened.push(day);
      return folder.readDay(day, visit);
    },
  };
  // The TTL's work: the days before the window leave the table.
  const doc = DynamoDBDocumentClient.from(h.dynamo.client, TRANSLATE);
  for (const day of daysBetween('2026-11-01', addDays(FIRST_TABLE_DAY, -1))) {
    const rows: Snapshot[] = [];
    await h.finance.forEachOfDay(day, (page) => {
      rows.push(...page);
    });
    for (const s of rows) {
      await doc.send(
        new DeleteCommand({ TableName: h.tableName, Key: keys.snapshot(s.authId, s.observedAt) }),
      );
    }
  }
}, 120_000);

afterAll(async () => {
  await h.close();
  await rm(dir, { recursive: true, force: true });
});

function reader(options: Partial<HistoryReaderOptions> = {}) {
  opened = [];
  const notes: string[] = [];
  const history = createHistoryReader({
    table: {
      forEachOfDay: (day, visit) => h.finance.forEachOfDay(day, visit),
      history: (authId, range) => h.store.history(authId, range),
    },
    archive,
    timezone: 'Asia/Kolkata',
    tableWindowDays: WINDOW,
    now: NOW,
    tableForgets: false,
    note: (line) => notes.push(line),
    ...options,
  });
  return { history, notes };
}

describe('the history reader', () => {
  it("reads the days before the table's first whole day from the archive, the rest from the table", async () => {
    // Act
    const { history } = reader();
    const all = await history.history(steady);

    // Assert
    expect(history.firstTableDay).toBe(FIRST_TABLE_DAY);
    expect(all.map((s) => s.localDay)).toEqual(daysBetween('2026-11-01', '2026-11-12').reverse());
    expect(opened).toEqual(daysBetween('2026-11-01', '2026-11-07').reverse());
  });

  it('opens no archive file for an account the archive index places after the range', async () => {
    // Act
    const { history } = reader();
    const rows = await history.history(late);
    const before = await history.lastAtOrBefore(late, '2026-11-05T00:00:00.000Z');

    // Assert
    expect(rows.map((s) => s.localDay)).toEqual(['2026-11-12', '2026-11-11', '2026-11-10', '2026-11-09']);
    expect(before).toBeUndefined();
    expect(opened).toEqual([]);
  });

  it("stops at the newest archived day for an account's latest snapshot before the boundary", async () => {
    // Act
    const { history } = reader();
    const latest = await history.lastAtOrBefore(steady, '2026-11-06T23:00:00.000Z');

    // Assert
    expect(latest?.localDay).toBe('2026-11-06');
    expect(opened).toEqual(['2026-11-07', '2026-11-06']);
  });

  it('opens each archived day once for several accounts at a time', async () => {
    // Arrange
    const ids = h.sim.accountIds();

    // Act
    const { history } = reader();
    const found = await history.histories(ids, {
      from: startOfDay('2026-11-03', 'Asia/Kolkata'),
      to: '2026-11-10T23:59:59.999Z',
    });

    // Assert
    expect(opened).toEqual(daysBetween('2026-11-03', '2026-11-07').reverse());
    expect(found.get(steady)?.map((s) => s.localDay)).toEqual(
      daysBetween('2026-11-03', '2026-11-10').reverse(),
    );
    expect(found.get(late)?.map((s) => s.localDay)).toEqual(['2026-11-10', '2026-11-09']);
  });

  it('says nothing where the table keeps everything (dynalite), and once where its TTL deletes', async () => {
    // Arrange: two days missing from the archive; the table still holds the 9th, not the 4th
    const files = ['2026-11-04', '2026-11-09'].map((day) =>
      join(dir, 'archive', ...dayFileKey(day).split('/')),
    );
    const copies = await Promise.all(files.map((file) => readFile(file)));
    await Promise.all(files.map((file) => unlink(file)));

    try {
      // Act
      const { history: quiet, notes: none } = reader({ tableWindowDays: 7 });
      await quiet.forEachOfDay('2026-11-09', () => {});
      const { history, notes } = reader({ tableForgets: true, tableWindowDays: 7 });
      for (const day of ['2026-11-09', '2026-11-10', '2026-11-09']) await history.forEachOfDay(day, () => {});
      const { history: nothingRead, notes: stillNone } = reader({ tableForgets: true });
      await nothingRead.forEachOfDay('2026-11-04', () => {});

      // Assert
      expect(none).toEqual([]);
      // Only rows actually read from the table are reported, once.
      expect(notes).toEqual([
        `2026-11-09 to 2026-11-09 is older than the table's 7-day window but not in the archive at ${join(dir, 'archive')}: read from the table, whose TTL may have deleted part of it (run vobiz-balance archive)`,
      ]);
      expect(stillNone).toEqual([]);
    } finally {
      await Promise.all(files.map((file, i) => writeFile(file, copies[i] as Buffer)));
    }
  });

  it('points at --archive when the deployed table is read past its window with no archive given', async () => {
    // Act
    const { history, notes } = reader({ archive: null, tableForgets: true });
    await history.history(steady, { from: '2026-11-01T00:00:00.000Z' });
    await history.history(steady, { from: '2026-11-02T00:00:00.000Z' });

    // Assert
    expect(notes).toEqual([
      `history before ${FIRST_TABLE_DAY} is older than the table's ${WINDOW}-day window and may be incomplete there: pass --archive s3://<ArchiveBucketName> to read it from the archive`,
    ]);
  });
});

describe("the table's first whole day", () => {
  it('leaves every snapshot of it alive by more than a day, at every hour of a year, across DST', () => {
    // Act: every hour that leaves less, collected, so one assertion names them all.
    const shortLived: string[] = [];
    for (const zone of ['Asia/Kolkata', 'America/New_York', 'Europe/London', 'Pacific/Chatham']) {
      for (
        let now = Date.parse('2026-01-01T00:30:00Z');
        now < Date.parse('2027-01-01T00:00:00Z');
        now += 3_600_000
      ) {
        for (const window of [14, 90]) {
          const first = firstWholeTableDay(now, zone, window);
          // The earliest snapshot of the day expires window days after the day began.
          const expires = Date.parse(startOfDay(first, zone)) + window * 86_400_000;
          if (!(expires - now > 86_400_000 - 3_600_000)) {
            shortLived.push(`${zone} ${new Date(now).toISOString()} window ${window}: ${expires - now} ms`);
          }
        }
      }
    }

    // Assert
    expect(shortLived).toEqual([]);
  });
});
