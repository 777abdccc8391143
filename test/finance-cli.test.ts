import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './support/cli.ts';
import { alertableIds, type HistoryFixture, startHistory } from './support/history.ts';

/**
 * The finance and operations commands as a user runs them, through `main` in this process,
 * against a table filled by real sweeps. Most runs point at the test's dynalite with
 * --dynamodb-endpoint; some go through --data-dir. The deployed-table path (--table alone,
 * the AWS credential chain) runs as a real process in cli-entry.test.ts.
 */

function cli(args: string[], env: Record<string, string | undefined> = {}) {
  return runCli(args, { env: { USER: 'ci', ...env } });
}

let h: HistoryFixture;
let dir: string;
let id: string;
let other: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vobiz-finance-cli-'));
  h = await startHistory();
  [id, other] = alertableIds(h.sim) as [string, string];
  h.sim.setBalance(id, '1000.00000');
  await h.sweepAt('2026-10-31T12:00:00.000Z');
  h.sim.setBalance(id, '1234.56789');
  await h.sweepAt('2026-11-10T12:00:00.000Z');
  h.sim.setBalance(id, '34.56789');
  await h.sweepAt('2026-11-27T06:00:00.000Z');
});

afterAll(async () => {
  await h.close();
  await rm(dir, { recursive: true, force: true });
});

const store = () => h.storeArgs;

describe('the finance commands end to end', () => {
  it('history prints CSV with a BOM and CRLF records', async () => {
    // Act
    const run = await cli(['history', id, '--format', 'csv', ...store()]);

    // Assert
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(
      run.stdout.startsWith('\uFEFFauth_id,name,currency,balance,level,observed_at,local_date,sweep_id\r\n'),
    ).toBe(true);
    expect(run.stdout).toContain(`${id},`);
    expect(run.stdout).toMatch(/,34\.56789,LOW,2026-11-27T06:00:00\.000Z,2026-11-27,[^\r\n]+\r\n/);
    expect(run.stdout.endsWith('\r\n')).toBe(true);
  });

  it('closing prints every account of the day as JSON', async () => {
    // Act
    const run = await cli(['closing', '--date', '2026-11-10', '--format', 'json', ...store()]);

    // Assert
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout) as { rows: Array<{ authId: string; balance: string }> };
    expect(result.rows).toHaveLength(30);
    expect(result.rows.find((r) => r.authId === id)?.balance).toBe('1234.56789');
  });

  it('statement prints the month with every check passing', async () => {
    // Act
    const run = await cli(['statement', '--month', '2026-11', '--now', '2026-12-01T00:00:00Z', ...store()]);

    // Assert
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(run.stdout).toMatch(
      new RegExp(`^${id} .* 1000\\.00000 +234\\.56789 +1200\\.00000 +34\\.56789 +ok`, 'm'),
    );
    expect(run.stdout).not.toContain('MISMATCH');
  });

  it('thresholds set, list and unset an override, and audit shows both changes by name', async () => {
    // Act
    const set = await cli([
      'thresholds',
      'set',
      other,
      '--low',
      '750',
      '--critical',
      '75',
      '--by',
      'finance-ops',
      ...store(),
    ]);
    const list = await cli(['thresholds', 'list', ...store()]);
    const unset = await cli(['thresholds', 'unset', other, ...store()]);
    const audit = await cli(['audit', '--format', 'json', ...store()]);

    // Assert
    expect(set).toMatchObject({ code: 0, stderr: '' });
    expect(set.stdout).toContain('thresholds low 750.00000, critical 75.00000 (was none)');
    expect(list.stdout).toMatch(new RegExp(`^${other} .* 750\\.00000 +75\\.00000`, 'm'));
    expect(unset.code).toBe(0);
    const entries = JSON.parse(audit.stdout) as Array<{ action: string; target: string; by: string }>;
    expect(entries.filter((e) => e.target === other).map((e) => [e.action, e.by])).toEqual([
      ['threshold.unset', 'ci'],
      ['threshold.set', 'finance-ops'],
    ]);
  });

  it('thresholds default stores a currency default', async () => {
    // Act
    const run = await cli([
      'thresholds',
      'default',
      '--currency',
      'USD',
      '--low',
      '5',
      '--critical',
      '1',
      ...store(),
    ]);

    // Assert
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(run.stdout).toContain('the USD default: low 5.00000, critical 1.00000 (was none)');
    expect((await h.store.loadCurrencyDefaults()).USD).toEqual({ low: '5.00000', critical: '1.00000' });
  });

  it('mute and unmute an account', async () => {
    // Act
    const mute = await cli(['mute', id, '--until', '2d', '--reason', 'card dispute', ...store()]);
    const muted = await h.store.getState(id);
    const unmute = await cli(['unmute', id, ...store()]);

    // Assert
    expect(mute).toMatchObject({ code: 0, stderr: '' });
    expect(muted?.mute?.reason).toBe('card dispute');
    expect(unmute.stdout).toContain('unmuted');
    expect((await h.store.getState(id))?.mute).toBeNull();
  });

  it('report writes one HTML page', async () => {
    // Arrange
    const out = join(dir, 'report.html');

    // Act
    const run = await cli(['report', '--out', out, '--now', '2026-11-28T00:00:00Z', ...store()]);

    // Assert
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(run.stdout).toContain(`wrote ${out}: 30 account(s), 30 chart(s)`);
    expect(await readFile(out, 'utf8')).toMatch(/^<!doctype html>/);
  });

  it.each([
    ['history', () => ['history', id]],
    ['closing', () => ['closing', '--date', '2026-11-10']],
    ['statement', () => ['statement', '--month', '2026-11', '--now', '2026-12-01T00:00:00Z']],
    ['thresholds list', () => ['thresholds', 'list']],
    ['audit', () => ['audit']],
  ])('%s --json writes exactly one JSON document to stdout, the same as --format json', async (_, args) => {
    // Act
    const json = await cli([...args(), '--json', ...store()]);
    const format = await cli([...args(), '--format', 'json', ...store()]);

    // Assert
    expect(json).toMatchObject({ code: 0, stderr: '' });
    expect(() => JSON.parse(json.stdout)).not.toThrow();
    expect(json.stdout).toBe(format.stdout);
  });

  it('works on an embedded store in --data-dir after a sweep there', async () => {
    // Arrange
    const dataDir = join(dir, 'embedded');
    const creds = { VOBIZ_AUTH_ID: h.sim.partner.authId, VOBIZ_AUTH_TOKEN: h.sim.partner.authToken };
    const sweep = await cli(
      ['sweep', '--base-url', h.sim.url, '--data-dir', dataDir, '--now', '2026-11-27T06:00:00Z'],
      creds,
    );

    // Act
    const run = await cli(['closing', '--date', '2026-11-27', '--data-dir', dataDir, '--format', 'json']);

    // Assert
    expect(sweep.code).toBe(0);
    expect(run.code).toBe(0);
    expect((JSON.parse(run.stdout) as { rows: unknown[] }).rows).toHaveLength(30);
  });

  it('refuses a mistyped --table in a store that exists, and does not create it', async () => {
    // Arrange: the store from the test above.
    const dataDir = join(dir, 'embedded');

    // Act
    const args = ['closing', '--date', '2026-11-27', '--data-dir', dataDir, '--table', 'vobiz-balanse'];
    const typo = await cli(args);
    const again = await cli(args);

    // Assert
    expect(typo.code).toBe(2);
    expect(typo.stderr).toMatch(/^vobiz-balance closing: DynamoDB table vobiz-balanse at .* does not exist/);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/does not exist/);
  });
});

describe.concurrent('every refusal is one line naming the culprit, with exit status 2', () => {
  it.each<[string[], RegExp]>([
    [['history'], /^vobiz-balance history: an <auth_id> is required/],
    [
      ['history', 'MA_NOBODY', '@'],
      /^vobiz-balance history: unknown account MA_NOBODY: no sweep has recorded it/,
    ],
    [
      ['closing', '--date', '2026-13-01', '@'],
      /^vobiz-balance closing: --date must be a day written YYYY-MM-DD, got "2026-13-01"$/,
    ],
    [['statement', '@'], /^vobiz-balance statement: --month YYYY-MM is required$/],
    [
      ['thresholds', 'set', '#', '--low=-5', '@'],
      /^vobiz-balance thresholds: --low must not be negative, got "-5"$/,
    ],
    [
      ['thresholds', 'set', '#', '--low', '5', '--critical', '9', '@'],
      /--critical 9\.00000 is above --low 5\.00000/,
    ],
    [
      ['thresholds', 'set', 'MA_NOBODY', '--low', '5', '@'],
      /^vobiz-balance thresholds: unknown account MA_NOBODY/,
    ],
    [
      ['mute', '#', '--until', '2020-01-01T00:00:00Z', '--reason', 'x', '@'],
      /^vobiz-balance mute: --until 2020-01-01T00:00:00\.000Z is not in the future/,
    ],
    [['unmute', 'MA_NOBODY', '@'], /^vobiz-balance unmute: unknown account MA_NOBODY/],
    [
      ['audit', '--limit', '0', '@'],
      /^vobiz-balance audit: --limit must be a whole number from 1 to 100000, got "0"$/,
    ],
    [['report', '@'], /^vobiz-balance report: --out <file.html> is required$/],
    [
      ['closing', '--dynamodb-endpoint', 'http://127.0.0.1:9'],
      /^vobiz-balance closing: --dynamodb-endpoint needs --table <name>$/,
    ],
    [
      ['closing', '--dynamodb-endpoint', 'http://127.0.0.1:9', '--table', 'nothere'],
      /^vobiz-balance closing: DynamoDB table nothere at http:\/\/127\.0\.0\.1:9 is unreachable/,
    ],
    [
      ['closing', '--table', 'deployed'],
      /^vobiz-balance closing: --table deployed alone means the deployed table: set AWS_REGION/,
    ],
    [
      ['history', 'X', '--data-dir', '/nonexistent/store'],
      /^vobiz-balance history: no local store in \/nonexistent\/store: run a sweep there first/,
    ],
    [
      ['statement', '--month', '2026-11', '--frobnicate', '@'],
      /^vobiz-balance statement: unknown option --frobnicate \(see --help\)$/,
    ],
    [['frobnicate'], /^vobiz-balance: unknown command "frobnicate"/],
    [
      ['history', '#', '--json', '--format', 'csv', '@'],
      /^vobiz-balance history: --json is --format json: give one of/,
    ],
    [
      ['thresholds', 'list', '--format', 'csv', '@'],
      /^vobiz-balance thresholds: --format must be one of table, json/,
    ],
  ])('%j', async (args, message) => {
    // Act
    const run = await cli(args.flatMap((a) => (a === '@' ? store() : a === '#' ? [id] : [a])));

    // Assert
    expect(run.code).toBe(2);
    expect(run.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(run.stderr.trimEnd()).toMatch(message);
    expect(run.stdout).toBe('');
  });
});
