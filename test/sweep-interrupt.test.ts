import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { atMost, lessThan } from '../functions/core/money.ts';
import type { SweepEvent } from '../functions/core/sweep.ts';
import { type Simulator, startSimulator } from '../sim/server.ts';
import { runCli } from './support/cli.ts';
import { type Harness, startHarness } from './support/harness.ts';

/**
 * Interrupting a sweep: in process through its signal; the command through the signal handlers it
 * installs; and once as a user does, with real signals to the installed entry's process.
 */

let harness: Harness | null = null;
let sim: Simulator | null = null;
let dir: string | null = null;

afterEach(async () => {
  await harness?.close();
  await sim?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
  harness = null;
  sim = null;
  dir = null;
});

/** The alerts a first sweep over the whole list must raise, by account. */
function expectedAlerts(s: Simulator): Map<string, string> {
  const expected = new Map<string, string>();
  for (const id of s.accountIds()) {
    const a = s.getAccount(id);
    if (!a || a.postpaid || !a.is_active || !a.enabled) continue;
    if (atMost(a.cash_credits, '0')) expected.set(id, 'critical');
    else if (lessThan(a.cash_credits, '100')) expected.set(id, 'low');
  }
  return expected;
}

/** Aborts `controller` once `count` accounts were read. */
function abortAfter(count: number, controller: AbortController, also: () => void = () => {}) {
  let read = 0;
  return (event: SweepEvent) => {
    if (event.type !== 'account' || event.outcome !== 'read') return;
    read++;
    if (read === count) {
      also();
      controller.abort(new Error('interrupted by the test'));
    }
  };
}

describe('a sweep whose signal aborts', () => {
  it('takes no more accounts, publishes what it claimed, and records itself as interrupted', async () => {
    // Arrange
    harness = await startHarness({ accounts: 100, latencyMs: 2 });
    const h = harness;
    const controller = new AbortController();

    // Act
    const summary = await h.sweep({ signal: controller.signal, log: abortAfter(25, controller) });
    const record = (await h.store.recentSweeps(1))[0];

    // Assert
    expect(summary).toMatchObject({ interrupted: true, complete: false, stoppedReason: 'interrupted' });
    expect(summary.balancesFetched).toBeGreaterThanOrEqual(25);
    expect(summary.balancesFetched).toBeLessThan(50);
    expect(summary.unreached).toBe(100 - summary.balancesFetched);
    expect(summary.pendingNotifications).toBe(0);
    expect(h.notifier.delivered.map((n) => n.id).sort()).toEqual(
      summary.notifications.map((n) => n.id).sort(),
    );
    expect(record).toMatchObject({ interrupted: true, complete: false });
  });

  it('with no time left to publish, releases its claims at once, and a sweep right after delivers them once', async () => {
    // Arrange: the interrupt comes as the sweep's deadline passes.
    harness = await startHarness({ accounts: 100 });
    const h = harness;
    let now = Date.parse('2026-11-27T06:00:00Z');
    const deadline = now + 60_000;
    const controller = new AbortController();
    const clock = () => now;

    // Act
    const interrupted = await h.sweep({
      clock,
      deadline,
      signal: controller.signal,
      log: abortAfter(60, controller, () => {
        now = deadline + 1;
      }),
    });
    now += 1_000;
    const rerun = await h.sweep({ clock });

    // Assert
    expect(interrupted).toMatchObject({ interrupted: true, notifications: [] });
    expect(interrupted.pendingNotifications).toBeGreaterThan(0);
    expect(rerun.complete).toBe(true);
    const delivered = h.notifier.delivered.map((n) => n.authId);
    expect(new Set(delivered).size).toBe(delivered.length);
    expect(new Map(h.notifier.delivered.map((n) => [n.authId, n.type]))).toEqual(expectedAlerts(h.sim));
    const early = rerun.notifications.filter((n) => n.sweepId === interrupted.sweepId);
    expect(early).toHaveLength(interrupted.pendingNotifications);
  });
});

const BIN = join(import.meta.dirname, '..', 'bin', 'vobiz-balance.mjs');

interface Exit {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `vobiz-balance sweep` in this process and, once the sweep is under way, delivers `signal` to
 * this process's listeners as the operating system would: the command's own handlers receive it.
 * (Only one signal: a second one exits the process, which the subprocess test below checks.)
 */
async function sweepSignalled(
  args: string[],
  env: Record<string, string>,
  underWay: () => boolean,
  signal: 'SIGINT' | 'SIGTERM',
) {
  const timer = setInterval(() => {
    if (!underWay()) return;
    clearInterval(timer);
    process.emit(signal);
  }, 2);
  try {
    return await runCli(['sweep', ...args], { env });
  } finally {
    clearInterval(timer);
  }
}

/** Runs the installed entry, and sends it `signals` once the sweep is under way. */
function sweepProcess(
  args: string[],
  env: Record<string, string>,
  underWay: () => boolean,
  signals: NodeJS.Signals[],
) {
  return new Promise<Exit>((resolve) => {
    const child: ChildProcess = spawn(process.execPath, [BIN, 'sweep', ...args], {
      env: { PATH: process.env.PATH, ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr?.on('data', (chunk) => {
      stderr += chunk;
    });
    const timer = setInterval(() => {
      if (!underWay()) return;
      clearInterval(timer);
      // Apart: the same signal twice at once arrives as one.
      for (const [i, signal] of signals.entries()) setTimeout(() => child.kill(signal), i * 300);
    }, 10);
    child.on('exit', (code) => {
      clearInterval(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('vobiz-balance sweep, interrupted', () => {
  it('exits 130 on SIGINT with its partial summary, and a run right after shows and delivers what was waiting', async () => {
    // Arrange: 150 accounts at 2 ms, two at a time. The alerts file is a directory, so what the
    // interrupted sweep claimed cannot be published and must wait.
    sim = await startSimulator({ accounts: 150, seed: 5, latencyMs: 2 });
    const s = sim;
    dir = await mkdtemp(join(tmpdir(), 'vobiz-interrupt-'));
    const blocked = join(dir, 'blocked');
    await mkdir(blocked);
    const env = { VOBIZ_AUTH_ID: s.partner.authId, VOBIZ_AUTH_TOKEN: s.partner.authToken };
    const common = ['--base-url', s.url, '--data-dir', join(dir, 'data'), '--concurrency', '2'];
    const alertsFile = join(dir, 'alerts.jsonl');

    // Act
    const stopped = await sweepSignalled(
      [...common, '--alerts-file', blocked],
      env,
      () => (s.stats().byRoute.balance ?? 0) >= 30,
      'SIGINT',
    );
    const rerun = await runCli(['sweep', ...common, '--alerts-file', alertsFile], { env });

    // Assert
    expect(stopped.code).toBe(130);
    expect(stopped.stderr).toMatch(/^vobiz-balance sweep: SIGINT: stopping/m);
    expect(stopped.stdout).toMatch(
      /^sweep INTERRUPTED in [\d.]+ s: \d+ listed, \d+ read, 0 failed, 0 gone, \d+ not reached/m,
    );
    const pending = Number(/(\d+) pending for the next sweep/.exec(stopped.stdout)?.[1]);
    expect(pending).toBeGreaterThan(0);
    expect(process.listenerCount('SIGINT')).toBe(0);
    expect(rerun.code).toBe(0);
    const printed = rerun.stdout.split('\n').filter((l) => /^(LOW|CRITICAL) /.test(l));
    const alerts = (await readFile(alertsFile, 'utf8'))
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as { authId: string; type: string; sweepId: string });
    expect(printed).toHaveLength(alerts.length);
    expect(new Map(alerts.map((a) => [a.authId, a.type]))).toEqual(expectedAlerts(s));
    expect(alerts).toHaveLength(expectedAlerts(s).size);
    expect(new Set(alerts.map((a) => a.sweepId)).size).toBe(2);
  });

  it('exits 143 on SIGTERM with its partial summary', async () => {
    // Arrange
    sim = await startSimulator({ accounts: 150, seed: 5, latencyMs: 2 });
    const s = sim;
    dir = await mkdtemp(join(tmpdir(), 'vobiz-interrupt-'));
    const env = { VOBIZ_AUTH_ID: s.partner.authId, VOBIZ_AUTH_TOKEN: s.partner.authToken };
    const args = ['--base-url', s.url, '--data-dir', join(dir, 'data'), '--concurrency', '2'];

    // Act
    const term = await sweepSignalled(args, env, () => (s.stats().byRoute.balance ?? 0) >= 30, 'SIGTERM');

    // Assert
    expect(term.code).toBe(143);
    expect(term.stderr).toMatch(/^vobiz-balance sweep: SIGTERM: stopping/m);
    expect(term.stdout).toMatch(/^sweep INTERRUPTED /m);
    expect(process.listenerCount('SIGTERM')).toBe(0);
  });

  it('as a process, stops on a real SIGTERM, and exits at once on a second signal while the first still publishes', async () => {
    // Arrange: 300 accounts at 20 ms, two at a time: about three seconds of reading. A webhook that
    // never answers keeps the first interrupt publishing.
    sim = await startSimulator({ accounts: 300, seed: 5, latencyMs: 20 });
    const s = sim;
    dir = await mkdtemp(join(tmpdir(), 'vobiz-interrupt-'));
    const silent = createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const hook = `http://127.0.0.1:${(silent.address() as AddressInfo).port}/hook`;
    const env = {
      VOBIZ_AUTH_ID: s.partner.authId,
      VOBIZ_AUTH_TOKEN: s.partner.authToken,
      VOBIZ_BALANCE_WEBHOOK_SECRET: 'test-secret',
    };
    const args = ['--base-url', s.url, '--data-dir', join(dir, 'data'), '--concurrency', '2'];

    // Act
    const twice = await sweepProcess(
      [...args, '--webhook-url', hook],
      env,
      () => (s.stats().byRoute.balance ?? 0) >= 40,
      ['SIGTERM', 'SIGINT'],
    );
    silent.closeAllConnections();
    silent.close();

    // Assert
    expect(twice.stderr).toMatch(/^vobiz-balance sweep: SIGTERM: stopping/m);
    expect(twice.stderr).toMatch(/SIGINT again: exiting at once/);
    expect(twice.code).toBe(130);
    expect(twice.stdout).not.toMatch(/^sweep /m);
  }, 60_000);
});
