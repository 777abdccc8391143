import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedDynamo } from '../functions/adapters/local/embedded-dynamo.ts';
import { type Simulator, startSimulator } from '../sim/server.ts';

/** The CLI as a user runs it: a separate process, real HTTP to the simulator, a real store on disk. */

const BIN = join(import.meta.dirname, '..', 'bin', 'vobiz-balance.mjs');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function cli(args: string[], env: Record<string, string | undefined>): Promise<Run> {
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

let sim: Simulator;
let dir: string;
let creds: Record<string, string>;

beforeAll(async () => {
  sim = await startSimulator({ accounts: 80, seed: 5 });
  dir = await mkdtemp(join(tmpdir(), 'vobiz-cli-'));
  creds = { VOBIZ_AUTH_ID: sim.partner.authId, VOBIZ_AUTH_TOKEN: sim.partner.authToken };
});

afterAll(async () => {
  await sim.close();
  await rm(dir, { recursive: true, force: true });
});

function lastJson(stdout: string): Record<string, unknown> {
  const lines = stdout.trimEnd().split('\n');
  return JSON.parse(lines.at(-1) ?? '') as Record<string, unknown>;
}

describe('vobiz-balance sweep', () => {
  it('sweeps, prints readable alerts, appends them as JSON lines and ends stdout with the JSON summary', async () => {
    // Arrange
    const dataDir = join(dir, 'first');

    // Act
    const run = await cli(['sweep', '--base-url', sim.url, '--data-dir', dataDir, '--json'], creds);

    // Assert
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const summary = lastJson(run.stdout);
    expect(summary).toMatchObject({ accountsListed: 80, balancesFetched: 80, failed: 0, complete: true });
    expect(summary.snapshotsWritten).toBe(80);
    expect(typeof summary.durationMs).toBe('number');
    const notifications = summary.notifications as Array<{ type: string; authId: string }>;
    expect(notifications.length).toBeGreaterThan(0);
    for (const n of notifications) expect(['low', 'critical', 'recovered', 'reminder']).toContain(n.type);
    const alertLines = (await readFile(join(dataDir, 'alerts.jsonl'), 'utf8')).trimEnd().split('\n');
    expect(alertLines.map((l) => (JSON.parse(l) as { id: string }).id)).toEqual(
      (summary.notifications as Array<{ id: string }>).map((n) => n.id),
    );
    expect(run.stdout).toMatch(/^(LOW|CRITICAL) .+ \(MA_[A-Z0-9]+\): balance /m);
  });

  it('is quiet on a repeat over the same store, and the store survives between processes', async () => {
    // Arrange
    const dataDir = join(dir, 'repeat');
    await cli(['sweep', '--base-url', sim.url, '--data-dir', dataDir], creds);

    // Act
    const run = await cli(['sweep', '--base-url', sim.url, '--data-dir', dataDir, '--json'], creds);

    // Assert
    expect(run.code).toBe(0);
    expect(lastJson(run.stdout)).toMatchObject({ notifications: [], snapshotsWritten: 0, stateWrites: 0 });
  });

  it('never writes a customer auth_token to the store, the alerts file or the output', async () => {
    // Arrange
    const dataDir = join(dir, 'tokens');
    const tokens = sim.accountIds().map((id) => sim.getAccount(id)?.auth_token as string);

    // Act
    const run = await cli(
      ['sweep', '--base-url', sim.url, '--data-dir', dataDir, '--json', '--verbose'],
      creds,
    );

    // Assert
    expect(run.code).toBe(0);
    const files = await readdir(dataDir, { recursive: true, withFileTypes: true });
    const contents = await Promise.all(
      files.filter((f) => f.isFile()).map((f) => readFile(join(f.parentPath, f.name), 'latin1')),
    );
    const everything = [run.stdout, run.stderr, ...contents].join('\n');
    expect(everything).toContain(sim.accountIds()[0]);
    for (const token of tokens) expect(everything).not.toContain(token);
  });

  it('creates the table on any DynamoDB endpoint given with --dynamodb-endpoint and --table', async () => {
    // Arrange
    const dynamo = await startEmbeddedDynamo({ dataDir: null });
    try {
      // Act
      const run = await cli(
        [
          'sweep',
          '--base-url',
          sim.url,
          '--dynamodb-endpoint',
          dynamo.endpoint,
          '--table',
          'elsewhere',
          '--json',
          '--alerts-file',
          join(dir, 'elsewhere.jsonl'),
        ],
        creds,
      );

      // Assert
      expect(run.code).toBe(0);
      expect(lastJson(run.stdout)).toMatchObject({ balancesFetched: 80, complete: true });
    } finally {
      await dynamo.close();
    }
  });

  it('exits 1 with a one-line reason when an account cannot be read', async () => {
    // Arrange
    const victim = sim.accountIds()[3] as string;
    sim.addFault({ kind: 'server-error', route: 'balance', authId: victim, status: 503 });
    try {
      // Act
      const run = await cli(
        ['sweep', '--base-url', sim.url, '--data-dir', join(dir, 'failing'), '--json'],
        creds,
      );

      // Assert
      expect(run.code).toBe(1);
      expect(run.stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(run.stderr).toContain(`incomplete: 1 account(s) could not be read (first: ${victim}:`);
      expect(lastJson(run.stdout)).toMatchObject({ failed: 1, complete: false, balancesFetched: 79 });
    } finally {
      sim.clearFaults();
    }
  });

  it('replays hours of sweeps with --now and forecasts a steady burn, then flags a burst as a spike', async () => {
    // Arrange: two healthy alertable accounts of the simulator, with balances of our choosing.
    const dataDir = join(dir, 'replay');
    const [burner, fraud] = sim.accountIds().filter((id) => {
      const a = sim.getAccount(id);
      return a && !a.postpaid && a.is_active && a.enabled;
    }) as [string, string];
    sim.setBalance(burner, '3000.00000');
    sim.setBalance(fraud, '50000.00000');
    const seen: Array<[string, string, string]> = [];

    // Act: seven hourly sweeps; the burner spends 60 an hour, the other 5 an hour and then 900.
    for (let hour = 0; hour <= 7; hour++) {
      if (hour > 0) {
        sim.adjustBalance(burner, '-60');
        sim.adjustBalance(fraud, hour === 7 ? '-900' : '-5');
      }
      const now = `2026-11-20T${String(hour).padStart(2, '0')}:00:00Z`;
      const run = await cli(
        [
          'sweep',
          '--base-url',
          sim.url,
          '--data-dir',
          dataDir,
          '--json',
          '--now',
          now,
          '--spike-min-amount',
          '500',
        ],
        creds,
      );
      expect(run.code).toBe(0);
      const notifications = lastJson(run.stdout).notifications as Array<{
        type: string;
        authId: string;
        runway?: unknown;
      }>;
      for (const n of notifications)
        if (n.authId === burner || n.authId === fraud) seen.push([n.type, n.authId, now]);
    }

    // Assert: at 06:00 the burner has six hours of history: 2640 left at 60 an hour is 44 h, under 48.
    expect(seen).toEqual([
      ['forecast', burner, '2026-11-20T06:00:00Z'],
      ['spike', fraud, '2026-11-20T07:00:00Z'],
    ]);
    const history = await cli(['history', burner, '--data-dir', dataDir, '--format', 'json'], creds);
    expect(JSON.parse(history.stdout).runway).toMatchObject({ status: 'known', ratePerHour: '60.00000' });
  });

  it.each([
    [['--threshold', 'lots'], {}, /^vobiz-balance sweep: options: threshold must be a decimal amount/],
    [['--concurrency', 'many'], {}, /^vobiz-balance sweep: --concurrency must be a number, got "many"/],
    [['--now', 'yesterday'], {}, /^vobiz-balance sweep: --now must be an ISO time/],
    [
      ['--partner-threshold', 'plenty'],
      {},
      /^vobiz-balance sweep: --partner-threshold must be a decimal amount/,
    ],
    [['--spike-factor', '0.5'], {}, /^vobiz-balance sweep: options: spikeFactor must be above 1/],
    [['--frobnicate'], {}, /^vobiz-balance sweep: Unknown option '--frobnicate'/],
    [[], { VOBIZ_AUTH_ID: '' }, /^vobiz-balance sweep: VOBIZ_AUTH_ID is not set/],
    [[], { VOBIZ_AUTH_TOKEN: 'wrong' }, /^vobiz-balance sweep: .*partner credentials were rejected/],
    [['--base-url', 'ftp://example'], {}, /^vobiz-balance sweep: .*--base-url/],
  ])('exits 2 with one line naming the culprit for %j', async (args, env, message) => {
    // Act
    const run = await cli(['sweep', '--base-url', sim.url, '--data-dir', join(dir, 'bad'), ...args], {
      ...creds,
      ...env,
    });

    // Assert
    expect(run.code).toBe(2);
    expect(run.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(message);
    expect(run.stderr).not.toContain(sim.partner.authToken);
  });
});
