import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dayFileKey } from '../functions/contract/archive-layout.ts';
import { type Simulator, startSimulator } from '../sim/server.ts';
import { runCli } from './support/cli.ts';

/**
 * The archive from the command line: the embedded store's sweeps keep `<data-dir>/archive/` up to
 * date on their own, `vobiz-balance archive` exports on demand, and bad archive flags are refused
 * in one line. In-process through `main`, against the simulator over HTTP.
 */

let sim: Simulator;
let dir: string;
let env: Record<string, string>;

beforeAll(async () => {
  sim = await startSimulator({ accounts: 8, seed: 41 });
  dir = await mkdtemp(join(tmpdir(), 'vobiz-archive-cli-'));
  env = { VOBIZ_AUTH_ID: sim.partner.authId, VOBIZ_AUTH_TOKEN: sim.partner.authToken };
});

afterAll(async () => {
  await sim.close();
  await rm(dir, { recursive: true, force: true });
});

function sweep(dataDir: string, now: string) {
  return runCli(['sweep', '--base-url', sim.url, '--data-dir', dataDir, '--json', '--now', now], { env });
}

async function lines(dataDir: string, day: string): Promise<Array<Record<string, string>>> {
  const bytes = await readFile(join(dataDir, 'archive', ...dayFileKey(day).split('/')));
  return gunzipSync(bytes)
    .toString('utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line));
}

describe('the embedded store archive', () => {
  const dataDir = () => join(dir, 'local');

  it('gets each day once it is over, from the sweeps themselves', async () => {
    // Act
    const first = await sweep(dataDir(), '2026-11-20T06:00:00Z');
    const archivedEarly = await stat(join(dataDir(), 'archive')).then(
      () => true,
      () => false,
    );
    const next = await sweep(dataDir(), '2026-11-21T06:00:00Z');

    // Assert
    expect(first.code, first.stderr).toBe(0);
    expect(next.code, next.stderr).toBe(0);
    expect(archivedEarly).toBe(false);
    const day = await lines(dataDir(), '2026-11-20');
    expect(day.map((l) => l.observed_at)).toEqual(day.map(() => '2026-11-20T06:00:00.000Z'));
    expect(day.length).toBe(JSON.parse(first.stdout).snapshotsWritten);
  });

  it('exports a day again when a replayed sweep (--now in the past) wrote into it', async () => {
    // Arrange
    const id = sim.accountIds().find((a) => !sim.getAccount(a)?.postpaid) as string;
    sim.adjustBalance(id, '-7.12345');

    // Act
    const replay = await sweep(dataDir(), '2026-11-20T12:00:00Z');

    // Assert
    expect(replay.code, replay.stderr).toBe(0);
    const moved = (await lines(dataDir(), '2026-11-20')).filter((l) => l.auth_id === id);
    expect(moved.map((l) => l.observed_at)).toEqual(['2026-11-20T06:00:00.000Z', '2026-11-20T12:00:00.000Z']);
  });

  it('exports on demand with `vobiz-balance archive`, one JSON document with --json', async () => {
    // Act
    const run = await runCli(['archive', '--data-dir', dataDir(), '--now', '2026-11-23T00:00:00Z', '--json']);
    const again = await runCli(['archive', '--data-dir', dataDir(), '--now', '2026-11-23T00:00:00Z']);

    // Assert
    expect(run.code, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout);
    expect(result.archive).toBe(join(dataDir(), 'archive'));
    expect(result.exported.map((d: { day: string }) => d.day)).toEqual(['2026-11-21']);
    // The 22nd had no sweep: nothing to write, but it is done.
    expect(result.exportedThrough).toBe('2026-11-22');
    expect(again.stdout).toBe(
      `Exported 0 day(s) to ${join(dataDir(), 'archive')}; every day through 2026-11-22 is archived.\n`,
    );
  });

  it("keeps a sweep's result when the archive cannot be written, and says so in one line", async () => {
    // Arrange: the archive's place is taken by a file
    const blocked = join(dir, 'blocked');
    await sweep(blocked, '2026-11-20T06:00:00Z');
    await writeFile(join(blocked, 'archive'), 'not a folder');

    // Act
    const run = await sweep(blocked, '2026-11-21T06:00:00Z');

    // Assert
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout).complete).toBe(true);
    expect(run.stderr).toMatch(
      /^vobiz-balance sweep: the archive was not updated \(the table keeps the days; the next sweep tries again\): archive folder .*blocked\/archive: cannot read/m,
    );
  });
});

describe('archive flags are refused in one line, exit status 2', () => {
  it.each<[string, string[], Record<string, string>, string]>([
    [
      'a folder that does not exist, for a read',
      [
        'closing',
        '--data-dir',
        join(tmpdir(), 'vobiz-archive-cli-missing-store'),
        '--archive',
        '/nonexistent/archive',
      ],
      {},
      'vobiz-balance closing: --archive /nonexistent/archive is not a folder',
    ],
    [
      'a bucket name S3 would refuse',
      ['statement', '--month', '2026-11', '--archive', 's3://No_Such'],
      {},
      'vobiz-balance statement: --archive must be s3://<bucket>[/<prefix>] or a folder, got "s3://No_Such"',
    ],
    [
      'a window shorter than the table keeps for the sweep itself',
      ['closing', '--table-window-days', '5'],
      {},
      'vobiz-balance closing: --table-window-days must be a whole number from 14 to 3650, got "5"',
    ],
    [
      'an export with nowhere to write',
      ['archive', '--dynamodb-endpoint', 'http://127.0.0.1:9', '--table', 'history'],
      {},
      'vobiz-balance archive: no archive to write to: pass --archive <dir|s3://bucket>',
    ],
    [
      'a day that is not a day',
      ['archive', '--day', '2026-02-30'],
      {},
      'vobiz-balance archive: --day must be a day written YYYY-MM-DD, got "2026-02-30"',
    ],
  ])('%s', async (_what, argv, extraEnv, message) => {
    // Act
    const run = await runCli(argv, { env: extraEnv });

    // Assert
    expect(run).toEqual({ code: 2, stdout: '', stderr: `${message}\n` });
  });

  it('an S3 archive without AWS_REGION', async () => {
    // Act
    const run = await runCli(['closing', '--archive', 's3://history-bucket', '--data-dir', dir], { env: {} });

    // Assert
    expect(run).toEqual({
      code: 2,
      stdout: '',
      stderr: "vobiz-balance closing: --archive s3://history-bucket needs AWS_REGION (the bucket's region)\n",
    });
  });
});
