import { mkdtemp, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeleteCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TRANSLATE } from '../functions/adapters/dynamodb/store.ts';
import { dayFileKey } from '../functions/contract/archive-layout.ts';
import { keys } from '../functions/contract/table-schema.ts';
import { addDays, daysBetween } from '../functions/finance/calendar.ts';
import { type CliRun, runCli } from './support/cli.ts';
import { alertableIds, type HistoryFixture, startHistory } from './support/history.ts';

/**
 * The finance commands give the same bytes whether all history is in the table or split across
 * the boundary: days before the table's window in the archive (exported by `vobiz-balance
 * archive`, then deleted from the table as its TTL would), the rest in the table. Same data,
 * same clock, two layouts, every output compared byte for byte, stderr and exit status too.
 */

const NOW = Date.parse('2026-10-10T06:00:00.000Z');
const WINDOW = 30;
/** The table's first whole day at NOW with a 30-day window (functions/core/archive.ts). */
const FIRST_TABLE_DAY = '2026-09-12';
const FIRST_DAY = '2026-08-20';
const LAST_DAY = '2026-10-08';

let h: HistoryFixture;
let dir: string;
let archiveDir: string;
let steady: string;
let gap: string;
let late: string;
let early: string;
let gone: string;
/** Every comparison's output with all history in the table, by name. */
const allInTable = new Map<string, CliRun & { file?: string }>();

const clock = () => NOW;
const cli = (args: string[]) => runCli(args, { env: { USER: 'ci' }, clock });

/** The commands compared, by name: each runs once per layout, with `out` for file outputs. */
function comparisons(out: string): Array<[string, string[]]> {
  return [
    ['history csv, all of it', ['history', steady, '--format', 'csv']],
    [
      'history json across the boundary',
      ['history', steady, '--from', '2026-09-01', '--to', '2026-09-20', '--json'],
    ],
    ['history table with a limit reaching into the archive', ['history', steady, '--limit', '40']],
    ['history of an account first seen in the archive', ['history', early, '--from', '2026-08-01']],
    ['history of an account first seen in the table', ['history', late, '--json']],
    ['history of an account with a gap across the boundary', ['history', gap, '--format', 'csv']],
    ['closing of an archived day', ['closing', '--date', '2026-09-10', '--json']],
    ['closing with a lookback across the boundary', ['closing', '--date', '2026-09-14', '--format', 'csv']],
    ['closing of the first table day', ['closing', '--date', FIRST_TABLE_DAY, '--lookback-days', '20']],
    ['statement of an archived month', ['statement', '--month', '2026-08', '--json']],
    ['statement of a month across the boundary', ['statement', '--month', '2026-09', '--format', 'csv']],
    ['statement table across the boundary', ['statement', '--month', '2026-09']],
    ['statement of one account with a gap', ['statement', '--month', '2026-09', '--account', gap, '--json']],
    ['statement of the table month', ['statement', '--month', '2026-10', '--now', '2026-10-09T00:00:00Z']],
    ['report across the boundary', ['report', '--days', '45', '--now', '2026-10-08T12:00:00Z', '--out', out]],
  ];
}

async function compareAll(flags: string[], tag: string): Promise<Map<string, CliRun & { file?: string }>> {
  const runs = new Map<string, CliRun & { file?: string }>();
  const out = join(dir, `report-${tag}.html`);
  for (const [name, args] of comparisons(out)) {
    const run = await cli([...args, ...h.storeArgs, ...flags]);
    runs.set(name, args[0] === 'report' ? { ...run, file: await readFile(out, 'utf8') } : run);
  }
  return runs;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vobiz-archive-boundary-'));
  archiveDir = join(dir, 'archive');
  // Nine alertable accounts among them: steady, gap, gone and six that move.
  h = await startHistory({ accounts: 12, seed: 29 });
  const ids = alertableIds(h.sim);
  [steady, gap, gone] = ids as [string, string, string];
  // A sweep every third day and on every day something happens or is asserted on: gaps between
  // sweeps are part of what closings and statements must carry across the boundary alike.
  const eventful = new Set(['2026-08-28', '2026-08-29', '2026-09-05', '2026-09-08', FIRST_TABLE_DAY]);
  for (const day of ['2026-09-15', '2026-09-20', LAST_DAY]) eventful.add(day);
  for (const [i, day] of daysBetween(FIRST_DAY, LAST_DAY).entries()) {
    if (i % 3 !== 0 && !eventful.has(day)) continue;
    if (day === '2026-08-29')
      h.sim.addFault({ kind: 'server-error', route: 'balance', authId: gap, status: 503 });
    if (day === '2026-09-15') h.sim.clearFaults();
    if (day === '2026-09-05')
      early = h.sim.addAccount({ name: 'Früh GmbH', cash_credits: '500.00000' }).auth_id;
    if (day === '2026-09-08') h.sim.removeAccount(gone);
    if (day === '2026-09-20')
      late = h.sim.addAccount({ name: 'Late & Co', cash_credits: '75.25000' }).auth_id;
    // Some accounts move each day, some up and some down, by amounts with all five decimals in use.
    for (const [k, id] of ids.slice(3, 9).entries()) {
      if ((i + k) % 3 === 0) h.sim.adjustBalance(id, (k + i) % 2 === 0 ? '-12.34567' : '40.00001');
    }
    await h.sweepAt(`${day}T06:00:00.000Z`);
    if (i % 4 === 0) {
      h.sim.adjustBalance(steady, '-1.00001');
      await h.sweepAt(`${day}T12:00:00.000Z`);
    }
  }

  // Layout 1: everything in the table, read with a window wider than the history.
  for (const [name, run] of await compareAll(['--table-window-days', '3650'], 'table'))
    allInTable.set(name, run);

  // Layout 2: the finished days exported, then the days before the window deleted from the table.
  const exported = await cli([
    'archive',
    ...h.storeArgs,
    '--archive',
    archiveDir,
    '--now',
    new Date(NOW).toISOString(),
    '--json',
  ]);
  expect(exported.code, exported.stderr).toBe(0);
  expect(JSON.parse(exported.stdout).exportedThrough).toBe('2026-10-09');
  const doc = DynamoDBDocumentClient.from(h.dynamo.client, TRANSLATE);
  for (const day of daysBetween(FIRST_DAY, addDays(FIRST_TABLE_DAY, -1))) {
    const page: Array<{ authId: string; observedAt: string }> = [];
    await h.finance.forEachOfDay(day, (snapshots) => {
      page.push(...snapshots);
    });
    for (const s of page) {
      await doc.send(
        new DeleteCommand({ TableName: h.tableName, Key: keys.snapshot(s.authId, s.observedAt) }),
      );
    }
  }
}, 240_000);

afterAll(async () => {
  await h.close();
  await rm(dir, { recursive: true, force: true });
});

describe('finance commands across the table/archive boundary', () => {
  it('have history on both sides of the boundary, and none before it in the table', async () => {
    // Arrange
    let inTable = 0;
    await h.finance.forEachOfDay('2026-09-01', (page) => {
      inTable += page.length;
    });
    let atBoundary = 0;
    await h.finance.forEachOfDay(FIRST_TABLE_DAY, (page) => {
      atBoundary += page.length;
    });

    // Assert
    expect(inTable).toBe(0);
    // Every account of that day: all there are now but the one added on 09-20, and the gap's,
    // whose reads fail from 08-29 to 09-15.
    expect(atBoundary).toBe(h.sim.accountIds().length - 2);
    await expect(readFile(join(archiveDir, ...dayFileKey('2026-09-01').split('/')))).resolves.toBeDefined();
  });

  it('give byte-for-byte the output they give with all history in the table', async () => {
    // Act
    const split = await compareAll(['--table-window-days', String(WINDOW), '--archive', archiveDir], 'split');

    // Assert: the outputs hold history from both sides, so the comparison compares something
    const history = allInTable.get('history csv, all of it')?.stdout ?? '';
    expect(history).toContain(',2026-08-20,');
    expect(history).toContain(',2026-10-08,');
    const gapStatement = JSON.parse(allInTable.get('statement of one account with a gap')?.stdout ?? '{}');
    expect(gapStatement.rows[0]).toMatchObject({ authId: gap, openingSource: 'earlier' });
    expect(gapStatement.rows[0].openingObservedAt).toBe('2026-08-28T06:00:00.000Z');
    expect(allInTable.get('statement of a month across the boundary')?.stdout).toContain(`${early},`);
    for (const [name, expected] of allInTable) {
      const actual = split.get(name);
      expect(expected.code, `${name}: ${expected.stderr}`).toBe(0);
      expect(actual?.stdout, name).toBe(expected.stdout.replace('report-table.html', 'report-split.html'));
      expect(actual?.stderr, name).toBe(expected.stderr);
      expect(actual?.code, name).toBe(expected.code);
      expect(actual?.file, name).toBe(expected.file);
    }
  });

  it('read the old days from the archive: without it those days are gone', async () => {
    // Arrange
    const empty = await mkdtemp(join(dir, 'empty-'));

    // Act
    const run = await cli(['closing', '--date', '2026-09-10', '--json', ...h.storeArgs, '--archive', empty]);

    // Assert
    expect(run.stdout).not.toBe(allInTable.get('closing of an archived day')?.stdout);
    expect((JSON.parse(run.stdout) as { rows: unknown[] }).rows).toEqual([]);
  });

  it('fall back to the table for a day missing from the archive that the table still holds', async () => {
    // Arrange: a day inside the archive's range whose file is gone, while the table keeps it
    const day = '2026-09-20';
    const file = join(archiveDir, ...dayFileKey(day).split('/'));
    const copy = await readFile(file);
    await unlink(file);

    // Act: a window that puts that day before the boundary
    const run = await cli([
      'closing',
      '--date',
      day,
      '--json',
      ...h.storeArgs,
      '--archive',
      archiveDir,
      '--table-window-days',
      '14',
    ]);
    const reference = await cli([
      'closing',
      '--date',
      day,
      '--json',
      ...h.storeArgs,
      '--table-window-days',
      '3650',
    ]);

    // Assert
    await writeFile(file, copy);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toBe(reference.stdout);
  });
});
