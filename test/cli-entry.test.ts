import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HistoryFixture, startHistory } from './support/history.ts';

/**
 * The installed entry, `bin/vobiz-balance.mjs`, as a user runs it: a process of its own
 * (Node, tsx's loader, the AWS SDK's Node 20 notice kept off stderr), its stdout piped. The
 * commands' behaviour is tested in process (cli.test.ts, finance-cli.test.ts); these few
 * runs check what only a real process shows.
 */

const BIN = join(import.meta.dirname, '..', 'bin', 'vobiz-balance.mjs');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function entry(args: string[], env: Record<string, string | undefined> = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { env: { PATH: process.env.PATH, ...env }, timeout: 60_000 },
      (error, stdout, stderr) => {
        resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
      },
    );
  });
}

/** One page of every kind of account the simulator seeds: what a process has to show. */
const ACCOUNTS = 12;

let h: HistoryFixture;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vobiz-entry-'));
  h = await startHistory({ accounts: ACCOUNTS });
  await h.sweepAt('2026-11-27T06:00:00.000Z');
});

afterAll(async () => {
  await h.close();
  await rm(dir, { recursive: true, force: true });
});

describe('the installed vobiz-balance entry', () => {
  it('sweeps into a data dir with stdout one JSON document, and a second process finds the store quiet', async () => {
    // Arrange
    const env = { VOBIZ_AUTH_ID: h.sim.partner.authId, VOBIZ_AUTH_TOKEN: h.sim.partner.authToken };
    const args = ['sweep', '--base-url', h.sim.url, '--data-dir', join(dir, 'store'), '--json'];

    // Act
    const first = await entry(args, env);
    const second = await entry(args, env);

    // Assert
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({
      accountsListed: ACCOUNTS,
      balancesFetched: ACCOUNTS,
      complete: true,
    });
    expect(first.stderr).toMatch(/^sweep complete in /m);
    expect(first.stderr).not.toMatch(/NodeVersionSupportWarning|node >=22/);
    expect(JSON.parse(second.stdout)).toMatchObject({
      notifications: [],
      snapshotsWritten: 0,
      complete: true,
    });
  }, 60_000);

  it('refuses a bad option in exactly one stderr line, with exit status 2', async () => {
    // Act
    const run = await entry(['sweep', '--concurrency', '0', '--data-dir', join(dir, 'refused')]);

    // Assert
    expect(run).toEqual({
      code: 2,
      stdout: '',
      stderr: 'vobiz-balance sweep: --concurrency must be a whole number from 1 to 256, got "0"\n',
    });
  });

  it('reaches a table named alone through the AWS credential chain', async () => {
    // Act: the SDK's own endpoint override stands in for the AWS endpoint of AWS_REGION.
    const run = await entry(['closing', '--date', '2026-11-27', '--json', '--table', h.tableName], {
      AWS_REGION: 'ap-south-1',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      AWS_ENDPOINT_URL_DYNAMODB: h.endpoint,
    });

    // Assert
    expect(run.code).toBe(0);
    expect((JSON.parse(run.stdout) as { rows: unknown[] }).rows).toHaveLength(ACCOUNTS);
  });
});
