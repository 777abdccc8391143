import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeleteCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFolderArchive } from '../functions/adapters/archive/folder-archive.ts';
import { TRANSLATE } from '../functions/adapters/dynamodb/store.ts';
import { dayFileKey } from '../functions/contract/archive-layout.ts';
import { keys } from '../functions/contract/table-schema.ts';
import type { ArchivePort } from '../functions/core/archive.ts';
import { type ExportOptions, exportArchive } from '../functions/core/archive-export.ts';
import type { Snapshot } from '../functions/core/types.ts';
import { daysBetween } from '../functions/finance/calendar.ts';
import { type HistoryFixture, startHistory } from './support/history.ts';

/**
 * The daily export over a table filled by real sweeps (simulator over HTTP into dynalite), into a
 * real folder archive: which days, in what order, what each file holds, and what a failure, a
 * repeat, a deadline or a day past the table's window do.
 */

const DAYS = daysBetween('2026-11-20', '2026-11-24');
/** 05:30 on the 25th in Kolkata: the 24th ended five and a half hours ago. */
const AFTER_THE_24TH = Date.parse('2026-11-25T00:00:00.000Z');

let h: HistoryFixture;
let dir: string;
let added: string;
let removed: string;
let counter = 0;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vobiz-archive-export-'));
  h = await startHistory({ accounts: 6, seed: 5 });
  removed = h.sim.accountIds()[0] as string;
  for (const day of DAYS) {
    if (day === '2026-11-22') {
      added = h.sim.addAccount({ name: 'New Co', cash_credits: '10.00000' }).auth_id;
      h.sim.removeAccount(removed);
    }
    await h.sweepAt(`${day}T06:00:00.000Z`);
    h.sim.adjustBalance(added ?? (h.sim.accountIds()[1] as string), '-1.00000');
    await h.sweepAt(`${day}T14:00:00.000Z`);
  }
}, 120_000);

afterAll(async () => {
  await h.close();
  await rm(dir, { recursive: true, force: true });
});

function freshArchive(): { archive: ArchivePort; root: string } {
  const root = join(dir, `archive-${++counter}`);
  return { archive: createFolderArchive(root), root };
}

function run(archive: ArchivePort, options: Partial<ExportOptions> = {}) {
  return exportArchive(
    { source: h.finance, archive },
    { now: AFTER_THE_24TH, timezone: 'Asia/Kolkata', tableWindowDays: 90, ...options },
  );
}

async function tableDay(day: string): Promise<Snapshot[]> {
  const rows: Snapshot[] = [];
  await h.finance.forEachOfDay(day, (page) => {
    rows.push(...page);
  });
  return rows;
}

async function archiveDay(archive: ArchivePort, day: string): Promise<Snapshot[]> {
  const rows: Snapshot[] = [];
  await archive.readDay(day, (page) => rows.push(...page));
  return rows;
}

describe('the daily export', () => {
  it('copies every finished day from the oldest sweep on, oldest first, each exactly as the table holds it', async () => {
    // Arrange
    const { archive } = freshArchive();

    // Act
    const result = await run(archive);

    // Assert
    expect(result.exported.map((d) => d.day)).toEqual(DAYS);
    expect(result.exported.every((d) => d.snapshots > 0 && !d.partial)).toBe(true);
    expect(result).toMatchObject({ exportedThrough: '2026-11-24', skipped: [], stoppedEarly: false });
    for (const day of DAYS) expect(await archiveDay(archive, day)).toEqual(await tableDay(day));
  });

  it('leaves a day that ended less than the settling time ago for the next run', async () => {
    // Arrange: 01:30 on the 25th in Kolkata, the 24th ended an hour and a half ago
    const { archive } = freshArchive();

    // Act
    const early = await run(archive, { now: Date.parse('2026-11-24T20:00:00.000Z') });
    const later = await run(archive);

    // Assert
    expect(early.exportedThrough).toBe('2026-11-23');
    expect(later.exported.map((d) => d.day)).toEqual(['2026-11-24']);
  });

  it('exports nothing twice, and a day exported again comes out byte for byte the same', async () => {
    // Arrange
    const { archive, root } = freshArchive();
    await run(archive);
    const file = join(root, ...dayFileKey('2026-11-22').split('/'));
    const before = await readFile(file);

    // Act
    const repeat = await run(archive);
    const again = await run(archive, { again: ['2026-11-22'] });

    // Assert
    expect(repeat.exported).toEqual([]);
    expect(again.exported.map((d) => d.day)).toEqual(['2026-11-22']);
    expect((await readFile(file)).equals(before)).toBe(true);
    expect(again.exportedThrough).toBe('2026-11-24');
  });

  it('keeps the days done before a failure, and the next run starts at the day that failed', async () => {
    // Arrange: the archive refuses one day once
    const { archive: real } = freshArchive();
    let refused = false;
    const flaky: ArchivePort = {
      ...real,
      writeDay: (day, fill) => {
        if (day === '2026-11-22' && !refused) {
          refused = true;
          return Promise.reject(new Error('S3 is having a bad day'));
        }
        return real.writeDay(day, fill);
      },
    };

    // Act
    const failed = run(flaky);
    await expect(failed).rejects.toThrow('S3 is having a bad day');
    const index = await real.readIndex();
    const resumed = await run(flaky);

    // Assert
    expect(index?.exportedThrough).toBe('2026-11-21');
    expect(resumed.exported.map((d) => d.day)).toEqual(['2026-11-22', '2026-11-23', '2026-11-24']);
    expect(await real.days()).toEqual(DAYS);
  });

  it("records each account's first and last archived day in the index", async () => {
    // Arrange
    const { archive } = freshArchive();

    // Act
    await run(archive);
    const index = await archive.readIndex();

    // Assert
    expect(index?.exportedThrough).toBe('2026-11-24');
    expect(index?.accounts.get(added)).toEqual({ first: '2026-11-22', last: '2026-11-24' });
    expect(index?.accounts.get(removed)).toEqual({ first: '2026-11-20', last: '2026-11-21' });
    expect(index?.accounts.size).toBe(7);
  });

  it('stops starting days at the deadline and says so; the next run goes on', async () => {
    // Arrange: the clock passes the deadline once the first day is done
    const { archive } = freshArchive();
    let calls = 0;
    const clock = () => (calls++ === 0 ? 0 : 2);

    // Act
    const cut = await run(archive, { deadline: 1, clock });
    const rest = await run(archive);

    // Assert
    expect(cut).toMatchObject({ stoppedEarly: true, exportedThrough: '2026-11-20' });
    expect(cut.exported.map((d) => d.day)).toEqual(['2026-11-20']);
    expect(rest.exported.map((d) => d.day)).toEqual(DAYS.slice(1));
  });

  it("exports days already past the table's window, marked partial, but never replaces one archived while whole", async () => {
    // Arrange: weeks later, with a 14-day window, every day of the history is past it
    const late = { now: Date.parse('2026-12-20T00:00:00.000Z'), tableWindowDays: 14 };
    const { archive: whole } = freshArchive();
    await run(whole);
    const { archive: fresh } = freshArchive();

    // Act
    const again = await run(whole, { ...late, again: ['2026-11-21'] });
    const first = await run(fresh, late);

    // Assert
    expect(again.exported).toEqual([]);
    expect(again.skipped).toEqual([
      { day: '2026-11-21', reason: 'archived already, and no longer whole in the table' },
    ]);
    expect(first.exported.map((d) => [d.day, d.partial])).toEqual(DAYS.map((d) => [d, true]));
  });

  it('reaches back lookbackDays for a new archive, past the oldest sweep record it finds', async () => {
    // Arrange: the first day's sweep records are gone, as if those sweeps had died before recording
    const doc = DynamoDBDocumentClient.from(h.dynamo.client, TRANSLATE);
    const sweeps = await h.store.recentSweeps(100);
    const firstDay = sweeps.filter((s) => String(s.startedAt).startsWith('2026-11-20'));
    for (const s of firstDay) {
      await doc.send(
        new DeleteCommand({
          TableName: h.tableName,
          Key: keys.sweep(String(s.startedAt), String(s.sweepId)),
        }),
      );
    }
    const { archive: plain } = freshArchive();
    const { archive: reaching } = freshArchive();

    // Act
    const without = await run(plain);
    const withLookback = await run(reaching, { lookbackDays: 10 });

    // Assert
    expect(firstDay).toHaveLength(2);
    expect(without.exported[0]?.day).toBe('2026-11-21');
    expect(withLookback.exported.map((d) => d.day)).toEqual(DAYS);
  });
});
