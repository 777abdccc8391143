import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedDynamo } from '../functions/adapters/local/embedded-dynamo.ts';
import { COMMANDS, version } from '../functions/cli/main.ts';
import { type Simulator, startSimulator } from '../sim/server.ts';
import { runCli } from './support/cli.ts';

/**
 * `vobiz-balance sweep` and the command frame, run in this process through `main`: real
 * parsing, the simulator over real HTTP, a real store on disk. The installed entry itself is
 * run as a process in cli-entry.test.ts.
 */

/** One page of every kind of account the simulator seeds; the commands' behaviour needs no more. */
const ACCOUNTS = 12;

let sim: Simulator;
let dir: string;
let env: Record<string, string>;

beforeAll(async () => {
  sim = await startSimulator({ accounts: ACCOUNTS, seed: 5 });
  dir = await mkdtemp(join(tmpdir(), 'vobiz-cli-'));
  env = { VOBIZ_AUTH_ID: sim.partner.authId, VOBIZ_AUTH_TOKEN: sim.partner.authToken };
});

afterAll(async () => {
  await sim.close();
  await rm(dir, { recursive: true, force: true });
});

/** A port on 127.0.0.1 that nothing listens on. */
async function refusedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const sweep = (dataDir: string, ...args: string[]) =>
  runCli(['sweep', '--base-url', sim.url, '--data-dir', dataDir, ...args], { env });

describe('vobiz-balance sweep', () => {
  it('prints readable alerts and a summary, and appends the alerts to the alerts file as JSON lines', async () => {
    // Arrange
    const dataDir = join(dir, 'table');

    // Act
    const run = await sweep(dataDir);

    // Assert
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(run.stdout).toMatch(/^(LOW|CRITICAL) .+ \(MA_[A-Z0-9]+\): balance /m);
    expect(run.stdout).toMatch(
      new RegExp(
        String.raw`^sweep complete in [\d.]+ s: ${ACCOUNTS} listed, ${ACCOUNTS} read, 0 failed`,
        'm',
      ),
    );
    const alerts = (await readFile(join(dataDir, 'alerts.jsonl'), 'utf8')).trimEnd().split('\n');
    const printed = run.stdout.split('\n').filter((l) => /^(LOW|CRITICAL) /.test(l));
    expect(alerts).toHaveLength(printed.length);
  });

  it('with --json, writes exactly one JSON document to stdout and everything for people to stderr', async () => {
    // Arrange
    const dataDir = join(dir, 'json');

    // Act
    const run = await sweep(dataDir, '--json');

    // Assert
    expect(run.code).toBe(0);
    const summary = JSON.parse(run.stdout) as Record<string, unknown>;
    expect(summary).toMatchObject({
      accountsListed: ACCOUNTS,
      balancesFetched: ACCOUNTS,
      failed: 0,
      complete: true,
    });
    expect(summary.snapshotsWritten).toBe(ACCOUNTS);
    expect(summary.itemsWritten).toBeGreaterThan(ACCOUNTS);
    expect(typeof summary.durationMs).toBe('number');
    const notifications = summary.notifications as Array<{ type: string; id: string }>;
    expect(notifications.length).toBeGreaterThan(0);
    for (const n of notifications) expect(['low', 'critical']).toContain(n.type);
    const alertIds = (await readFile(join(dataDir, 'alerts.jsonl'), 'utf8'))
      .trimEnd()
      .split('\n')
      .map((l) => (JSON.parse(l) as { id: string }).id);
    expect(alertIds).toEqual(notifications.map((n) => n.id));
    expect(run.stderr).toMatch(/^(LOW|CRITICAL) .+ \(MA_[A-Z0-9]+\): balance /m);
    expect(run.stderr).toMatch(/^sweep complete in /m);
  });

  it('takes --format json as --json, and refuses --format csv, which a sweep does not give', async () => {
    // Act
    const json = await sweep(join(dir, 'format'), '--format', 'json');
    const csv = await sweep(join(dir, 'format'), '--format', 'csv');

    // Assert
    expect(JSON.parse(json.stdout)).toMatchObject({ complete: true });
    expect(csv).toMatchObject({
      code: 2,
      stdout: '',
      stderr: 'vobiz-balance sweep: --format must be one of table, json, got "csv"\n',
    });
  });

  it('is quiet on a repeat over the same store', async () => {
    // Arrange
    const dataDir = join(dir, 'repeat');
    await sweep(dataDir);

    // Act
    const run = await sweep(dataDir, '--json');

    // Assert
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ notifications: [], snapshotsWritten: 0, stateWrites: 0 });
  });

  it('never writes a customer auth_token to the store, the alerts file or the output', async () => {
    // Arrange
    const dataDir = join(dir, 'tokens');
    const tokens = sim.accountIds().map((id) => sim.getAccount(id)?.auth_token as string);

    // Act
    const run = await sweep(dataDir, '--json', '--verbose');

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
      const run = await runCli(
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
        { env },
      );

      // Assert
      expect(run.code).toBe(0);
      expect(JSON.parse(run.stdout)).toMatchObject({ balancesFetched: ACCOUNTS, complete: true });
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
      const run = await sweep(join(dir, 'failing'), '--json');

      // Assert
      expect(run.code).toBe(1);
      const incomplete = run.stderr.split('\n').filter((l) => l.startsWith('vobiz-balance'));
      expect(incomplete).toEqual([
        expect.stringContaining(`incomplete: 1 account(s) could not be read (first: ${victim}:`),
      ]);
      expect(JSON.parse(run.stdout)).toMatchObject({
        failed: 1,
        complete: false,
        balancesFetched: ACCOUNTS - 1,
      });
    } finally {
      sim.clearFaults();
    }
  });

  it('stops at --deadline-seconds by the clock it is given and says what it did not reach', async () => {
    // Arrange: each request to the API moves the clock on by two seconds.
    const start = Date.parse('2026-11-20T00:00:00Z');
    const clock = () => start + sim.stats().total * 2_000;
    sim.resetStats();

    // Act
    const run = await runCli(
      [
        'sweep',
        '--base-url',
        sim.url,
        '--data-dir',
        join(dir, 'deadline'),
        '--json',
        '--deadline-seconds',
        '20',
      ],
      { env, clock },
    );

    // Assert
    expect(run.code).toBe(1);
    const summary = JSON.parse(run.stdout) as {
      balancesFetched: number;
      unreached: number;
      stoppedReason: string;
    };
    expect(summary.stoppedReason).toMatch(/deadline/);
    expect(summary.balancesFetched).toBeGreaterThan(0);
    expect(summary.balancesFetched).toBeLessThan(ACCOUNTS);
    expect(run.stderr).toMatch(
      new RegExp(
        `^vobiz-balance sweep: incomplete: ${summary.unreached} of ${ACCOUNTS} known account\\(s\\) not reached`,
        'm',
      ),
    );
  });

  it.each([
    ['a refused port', async () => `http://127.0.0.1:${await refusedPort()}`, /ECONNREFUSED/],
    ['a name that does not resolve', async () => 'https://vobiz-cli-test.invalid', /ENOTFOUND|EAI_AGAIN/],
  ])(
    'stops with exit 2 and one line naming the host when the API cannot be reached at all: %s',
    async (_, origin, code) => {
      // Arrange
      const baseUrl = await origin();

      // Act
      const run = await runCli(['sweep', '--base-url', baseUrl, '--data-dir', join(dir, 'unreachable')], {
        env,
      });

      // Assert
      expect(run.code).toBe(2);
      expect(run.stdout).toBe('');
      const lines = run.stderr.trimEnd().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(
        new RegExp(`^vobiz-balance sweep: cannot reach ${baseUrl.replace(/[.]/g, '\\.')}: `),
      );
      expect(lines[0]).toMatch(code);
    },
  );

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
      const run = await sweep(dataDir, '--json', '--now', now, '--spike-min-amount', '500');
      expect(run.code).toBe(0);
      const notifications = (
        JSON.parse(run.stdout) as { notifications: Array<{ type: string; authId: string }> }
      ).notifications;
      for (const n of notifications)
        if (n.authId === burner || n.authId === fraud) seen.push([n.type, n.authId, now]);
    }

    // Assert: at 06:00 the burner has six hours of history: 2640 left at 60 an hour is 44 h, under 48.
    expect(seen).toEqual([
      ['forecast', burner, '2026-11-20T06:00:00Z'],
      ['spike', fraud, '2026-11-20T07:00:00Z'],
    ]);
    const history = await runCli(['history', burner, '--data-dir', dataDir, '--json']);
    expect(JSON.parse(history.stdout).runway).toMatchObject({ status: 'known', ratePerHour: '60.00000' });
  });
});

describe('vobiz-balance sweep refuses to start', () => {
  it.each<[string, string[], Record<string, string>, RegExp]>([
    ['without VOBIZ_AUTH_ID', [], { VOBIZ_AUTH_ID: '' }, /^vobiz-balance sweep: VOBIZ_AUTH_ID is not set/],
    [
      'without VOBIZ_AUTH_TOKEN',
      [],
      { VOBIZ_AUTH_TOKEN: ' ' },
      /^vobiz-balance sweep: VOBIZ_AUTH_TOKEN is not set/,
    ],
    [
      'with a rejected token',
      [],
      { VOBIZ_AUTH_TOKEN: 'wrong' },
      /^vobiz-balance sweep: .*partner credentials were rejected/,
    ],
    [
      'with a --base-url that is not http(s)',
      ['--base-url', 'ftp://example'],
      {},
      /^vobiz-balance sweep: .*--base-url/,
    ],
  ])(
    '%s, in one line that names the culprit and never the token, with exit 2',
    async (_, args, vars, message) => {
      // Act
      const run = await runCli(
        ['sweep', '--base-url', sim.url, '--data-dir', join(dir, 'refused'), ...args],
        {
          env: { ...env, ...vars },
        },
      );

      // Assert
      expect(run.code).toBe(2);
      expect(run.stdout).toBe('');
      expect(run.stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(run.stderr).toMatch(message);
      expect(run.stderr).not.toContain(sim.partner.authToken);
    },
  );
});

describe('the command frame', () => {
  it('shows the usage on stderr and exits 2 when no command is given', async () => {
    // Act
    const run = await runCli([]);

    // Assert
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/^Usage: vobiz-balance <command> \[options\]\n/);
    for (const command of COMMANDS) expect(run.stderr).toMatch(new RegExp(`^  ${command.name} +\\S`, 'm'));
  });

  it('shows the same usage on stdout and exits 0 for --help', async () => {
    // Act
    const [long, short, word] = await Promise.all([runCli(['--help']), runCli(['-h']), runCli(['help'])]);

    // Assert
    expect(long).toMatchObject({ code: 0, stderr: '' });
    expect(long.stdout).toBe((await runCli([])).stderr);
    expect(short.stdout).toBe(long.stdout);
    expect(word.stdout).toBe(long.stdout);
  });

  it('prints the version from package.json for --version and -V', async () => {
    // Arrange
    const pkg = JSON.parse(await readFile(join(import.meta.dirname, '..', 'package.json'), 'utf8'));

    // Act
    const [long, short] = await Promise.all([runCli(['--version']), runCli(['-V'])]);

    // Assert
    expect(version()).toBe(pkg.version);
    expect(long).toEqual({ code: 0, stdout: `vobiz-balance ${pkg.version}\n`, stderr: '' });
    expect(short).toEqual(long);
  });

  it.each(COMMANDS.map((c) => [c.name, c] as const))(
    '`%s --help` lists every option the command accepts, one line each',
    async (name, command) => {
      // Act
      const run = await runCli([name, '--help']);
      const viaHelp = await runCli(['help', name]);

      // Assert
      expect(run).toMatchObject({ code: 0, stderr: '' });
      expect(viaHelp.stdout).toBe(run.stdout);
      expect(run.stdout).toMatch(new RegExp(`^Usage: vobiz-balance ${name}\\b`));
      for (const option of Object.keys(command.options)) {
        expect(run.stdout).toMatch(new RegExp(`^  (-\\w, )?--${option}\\b.*\\S`, 'm'));
      }
    },
  );

  it('lists the options asked for in the issue: audit --out, report --threshold and --critical, every sim flag', async () => {
    // Act
    const [audit, report, simHelp] = await Promise.all([
      runCli(['audit', '--help']),
      runCli(['report', '--help']),
      runCli(['sim', '--help']),
    ]);

    // Assert
    expect(audit.stdout).toMatch(/^ {2}--out <file> +write to this file/m);
    expect(report.stdout).toMatch(/^ {2}--threshold <amount> +low threshold/m);
    expect(report.stdout).toMatch(/^ {2}--critical <amount> +critical level/m);
    for (const flag of [
      'accounts',
      'port',
      'latency-ms',
      'seed',
      'faults',
      'partner-id',
      'partner-token',
      'per-page-limit',
    ]) {
      expect(simHelp.stdout).toMatch(new RegExp(`^  --${flag} \\S+\\s+\\w`, 'm'));
    }
  });

  it('refuses an unknown command or root option on stderr with exit 2', async () => {
    // Act
    const [command, option] = await Promise.all([runCli(['frobnicate']), runCli(['--frobnicate'])]);

    // Assert
    expect(command).toMatchObject({ code: 2, stdout: '' });
    expect(command.stderr).toMatch(
      /^vobiz-balance: unknown command "frobnicate" \(commands: sweep, history, .*\)\n$/,
    );
    expect(option.stderr).toMatch(/^vobiz-balance: unknown option "--frobnicate"/);
  });
});
