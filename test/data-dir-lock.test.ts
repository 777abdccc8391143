import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedDynamo } from '../functions/adapters/local/embedded-dynamo.ts';
import { type Simulator, startSimulator } from '../sim/server.ts';
import { runCli } from './support/cli.ts';

/**
 * One process at a time on a --data-dir. Two real processes on one directory, again and
 * again: a sweep and a read (`history`) that open the embedded store at the same moments;
 * each run must either do its work or refuse in one line naming the data directory and who
 * holds it (exit 2), never a stack trace. Then, in this process: a command waits a little
 * for the lock before it refuses, and a holder that was killed leaves no lock behind.
 */

const WORKER = join(import.meta.dirname, 'support', 'data-dir-worker.ts');
/** How long both processes loop at least: long enough for several meetings, short enough for a test. */
const LOOP_MS = 500;
/** Runs that did their work, each process, at least: the other one's lock was let go each time. */
const SUCCESSES = 3;

interface Outcome {
  code: number;
  stderr: string;
}

let sim: Simulator;
let dir: string;
let env: Record<string, string>;

beforeAll(async () => {
  sim = await startSimulator({ accounts: 5, seed: 3 });
  dir = await mkdtemp(join(tmpdir(), 'vobiz-race-'));
  env = { VOBIZ_AUTH_ID: sim.partner.authId, VOBIZ_AUTH_TOKEN: sim.partner.authToken };
});

afterAll(async () => {
  await sim.close();
  await rm(dir, { recursive: true, force: true });
});

/** A looping process, started and loaded; `go` starts its loop, `done` is what its runs ended with. */
async function looper(argv: string[], extraEnv: Record<string, string>) {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', WORKER, String(SUCCESSES), JSON.stringify(argv)],
    {
      env: { PATH: process.env.PATH, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...extraEnv },
      stdio: ['pipe', 'pipe', 'pipe'],
    },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = once(child, 'exit') as Promise<[number | null, string | null]>;
  while (!stdout.startsWith('ready\n')) {
    const [code] = await Promise.race([once(child.stdout, 'data').then(() => [undefined]), exited]);
    if (code !== undefined) throw new Error(`${argv[0]} process did not start:\n${stderr}`);
  }
  return {
    go: (until: number) => child.stdin.end(`${until}\n`),
    done: exited.then(([code, signal]): Outcome[] => {
      if (code !== 0) throw new Error(`${argv[0]} process failed (${code ?? signal}):\n${stderr}`);
      return JSON.parse(stdout.slice('ready\n'.length)) as Outcome[];
    }),
  };
}

describe('two processes on one data dir', () => {
  it('each run of a sweep and a history read either works or refuses in one line naming the data dir, never a stack trace', async () => {
    // Arrange
    const dataDir = join(dir, 'shared');
    const first = await runCli(['sweep', '--base-url', sim.url, '--data-dir', dataDir, '--json'], { env });
    expect(first.code).toBe(0);
    const authId = sim.accountIds()[0] as string;
    // No waiting for the lock: every meeting of the two shows as a refusal, which proves they met.
    const raceEnv = { ...env, VOBIZ_BALANCE_LOCK_WAIT_SECONDS: '0' };
    const loopers = await Promise.all([
      looper(['sweep', '--base-url', sim.url, '--data-dir', dataDir, '--json'], raceEnv),
      looper(['history', authId, '--data-dir', dataDir], raceEnv),
    ]);

    // Act
    const until = Date.now() + LOOP_MS;
    for (const l of loopers) l.go(until);
    const [sweeps = [], reads = []] = await Promise.all(loopers.map((l) => l.done));

    // Assert
    const all = [...sweeps, ...reads];
    const refusals = all.filter((o) => o.code === 2);
    const refusal = new RegExp(
      String.raw`^vobiz-balance (sweep|history): data directory \S+ is in use by ` +
        String.raw`(vobiz-balance (sweep|history) \(pid \d+, since [^)]+\)|another vobiz-balance process): ` +
        String.raw`try again when it has finished, or use another --data-dir\n$`,
    );
    const unexpected = all.filter((o) => !(o.code === 0 || (o.code === 2 && refusal.test(o.stderr))));
    expect(unexpected).toEqual([]);
    expect(sweeps.filter((o) => o.code === 0).length).toBeGreaterThanOrEqual(SUCCESSES);
    expect(reads.filter((o) => o.code === 0).length).toBeGreaterThanOrEqual(SUCCESSES);
    expect(refusals.length).toBeGreaterThan(0);
  });
});

describe('a command on a data dir another process holds', () => {
  it('waits for the holder to let go, then does its work', async () => {
    // Arrange
    const dataDir = join(dir, 'waits');
    expect((await runCli(['sweep', '--base-url', sim.url, '--data-dir', dataDir], { env })).code).toBe(0);
    const holder = await startEmbeddedDynamo({ dataDir, holder: 'vobiz-balance sweep' });
    setTimeout(() => void holder.close(), 300);

    // Act
    const run = await runCli(['history', sim.accountIds()[0] as string, '--data-dir', dataDir], {
      env: { VOBIZ_BALANCE_LOCK_WAIT_SECONDS: '20' },
    });

    // Assert
    expect(run).toMatchObject({ code: 0, stderr: '' });
  });

  it('refuses after the wait in one line naming the data dir, the holding command and its pid', async () => {
    // Arrange
    const dataDir = join(dir, 'held');
    expect((await runCli(['sweep', '--base-url', sim.url, '--data-dir', dataDir], { env })).code).toBe(0);
    const holder = await startEmbeddedDynamo({ dataDir, holder: 'vobiz-balance sweep' });
    try {
      // Act
      const run = await runCli(['history', sim.accountIds()[0] as string, '--data-dir', dataDir], {
        env: { VOBIZ_BALANCE_LOCK_WAIT_SECONDS: '0.2' },
      });

      // Assert
      expect(run.code).toBe(2);
      expect(run.stdout).toBe('');
      expect(run.stderr).toMatch(
        new RegExp(
          `^vobiz-balance history: data directory ${dataDir} is in use by vobiz-balance sweep ` +
            String.raw`\(pid ${process.pid}, since \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\): waited 0\.2 s; ` +
            String.raw`try again when it has finished, or use another --data-dir\n$`,
        ),
      );
    } finally {
      await holder.close();
    }
  });

  it('refuses a wait that is not a number of seconds, naming the variable', async () => {
    // Act
    const run = await runCli(['history', 'MA_X', '--data-dir', join(dir, 'held')], {
      env: { VOBIZ_BALANCE_LOCK_WAIT_SECONDS: 'soon' },
    });

    // Assert
    expect(run).toMatchObject({
      code: 2,
      stderr:
        'vobiz-balance history: VOBIZ_BALANCE_LOCK_WAIT_SECONDS must be a number of seconds from 0 to 3600, got "soon"\n',
    });
  });

  it('finds the data dir free at once after its holder was killed, and then names its new holder', async () => {
    // Arrange: a process takes the lock, says so, and is killed while holding it.
    const dataDir = join(dir, 'killed');
    const holder = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        '--input-type=module',
        '-e',
        `const { lockDataDir } = await import(${JSON.stringify(join(import.meta.dirname, '..', 'functions', 'adapters', 'local', 'data-dir-lock.ts'))});
         await lockDataDir(${JSON.stringify(dataDir)}, { holder: 'vobiz-balance sweep' });
         process.stdout.write('held\\n');
         setInterval(() => {}, 1000);`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const [held] = (await once(holder.stdout, 'data')) as [Buffer];
    expect(held.toString()).toBe('held\n');
    const refused = startEmbeddedDynamo({ dataDir });
    await expect(refused).rejects.toThrow(/is in use by vobiz-balance sweep \(pid \d+/);

    // Act
    holder.kill('SIGKILL');
    await once(holder, 'exit');
    const reopened = await startEmbeddedDynamo({ dataDir });
    const second = startEmbeddedDynamo({ dataDir });

    // Assert
    await expect(second).rejects.toThrow(
      new RegExp(String.raw`in use by vobiz-balance \(pid ${process.pid}, since `),
    );
    await reopened.close();
  });
});
