import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Simulator, startSimulator } from '../sim/server.ts';
import { runCli } from './support/cli.ts';
import { type Receiver, signatureValid, startReceiver } from './support/webhook-receiver.ts';

/*
 * `vobiz-balance sweep --webhook-url`, run in this process through `main`: the simulator over
 * HTTP, the embedded store on disk, a webhook receiver on 127.0.0.1.
 */

const SECRET = 'cli-webhook-secret';

let sim: Simulator;
let dir: string;
let receiver: Receiver;
let runs = 0;

beforeAll(async () => {
  sim = await startSimulator({ accounts: 40, seed: 7 });
  dir = mkdtempSync(join(tmpdir(), 'vobiz-webhook-cli-'));
});

afterAll(async () => {
  await sim.close();
  rmSync(dir, { recursive: true, force: true });
});

beforeEach(async () => {
  receiver = await startReceiver();
});

afterEach(async () => {
  await receiver.close();
});

function env(extra: Record<string, string> = {}) {
  return { VOBIZ_AUTH_ID: sim.partner.authId, VOBIZ_AUTH_TOKEN: sim.partner.authToken, ...extra };
}

/** With --json: the summary on stdout; on stderr, the command's own lines (alerts and the readable summary left out). */
async function sweep(dataDir: string, extraEnv: Record<string, string>, args: string[] = []) {
  const run = await runCli(['sweep', '--base-url', sim.url, '--data-dir', dataDir, '--json', ...args], {
    env: env(extraEnv),
  });
  const said = run.stderr.split('\n').filter((line) => line.startsWith('vobiz-balance'));
  const summary = run.code === 2 ? {} : (JSON.parse(run.stdout) as Record<string, unknown>);
  return { code: run.code, said, summary };
}

function alertIds(dataDir: string): string[] {
  return readFileSync(join(dataDir, 'alerts.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => (JSON.parse(line) as { id: string }).id);
}

describe('vobiz-balance sweep --webhook-url', () => {
  it('posts every notification to the webhook, signed with the secret from the environment', async () => {
    // Arrange
    const dataDir = join(dir, `run-${++runs}`);

    // Act
    const { code, said, summary } = await sweep(dataDir, { VOBIZ_BALANCE_WEBHOOK_SECRET: SECRET }, [
      '--webhook-url',
      receiver.url,
    ]);

    // Assert
    expect(said).toEqual([]);
    expect(code).toBe(0);
    const ids = (summary.notifications as Array<{ id: string }>).map((n) => n.id);
    expect(ids.length).toBeGreaterThan(0);
    expect(receiver.requests.length).toBeGreaterThan(0);
    expect(receiver.requests.every((r) => signatureValid(r, SECRET))).toBe(true);
    const carried = receiver.requests.flatMap((r) => {
      const body = JSON.parse(r.body) as {
        kind: string;
        document: { id: string; notifications?: { id: string }[] };
      };
      return body.kind === 'digest'
        ? (body.document.notifications ?? []).map((n) => n.id)
        : [body.document.id];
    });
    expect(new Set(carried)).toEqual(new Set(ids));
    expect(alertIds(dataDir).sort()).toEqual([...ids].sort());
  });

  it('exits 3 with one line for the refusing channel, then delivers what waited, with no duplicate', async () => {
    // Arrange
    const dataDir = join(dir, `run-${++runs}`);
    let up = false;
    const accepted: string[] = [];
    receiver.respond = (r) => {
      if (!up) return { status: 502, body: 'bad gateway' };
      accepted.push(String(r.headers['idempotency-key']));
      return { status: 200 };
    };
    const secretEnv = { VOBIZ_BALANCE_WEBHOOK_SECRET: SECRET };

    // Act
    const failed = await sweep(dataDir, secretEnv, ['--webhook-url', receiver.url]);
    up = true;
    const retried = await sweep(dataDir, secretEnv, ['--webhook-url', receiver.url]);

    // Assert
    const pending = failed.summary.pendingNotifications as number;
    expect(pending).toBeGreaterThan(1);
    expect(failed.code).toBe(3);
    expect(failed.said).toEqual([
      `vobiz-balance sweep: webhook refused delivery: webhook ${new URL(receiver.url).host}: HTTP 502: bad gateway (gave up after 3 attempts); ${pending} notification(s) pending for the next sweep`,
    ]);
    expect(failed.summary.delivery).toEqual([
      { channel: 'file', accepted: pending, pending: 0, error: null },
      { channel: 'webhook', accepted: 0, pending, error: expect.any(String) },
    ]);
    expect(retried.code).toBe(0);
    expect(retried.said).toEqual([]);
    expect(retried.summary.notifications).toHaveLength(pending);
    expect(accepted.length).toBeGreaterThan(0);
    expect(new Set(accepted).size).toBe(accepted.length);
    const lines = alertIds(dataDir);
    expect(new Set(lines).size).toBe(lines.length);
    expect(lines).toHaveLength(pending);
  });

  it('refuses to start without the secret, in one line naming the variable, touching nothing', async () => {
    // Arrange
    const dataDir = join(dir, `run-${++runs}`);

    // Act
    const { code, said } = await sweep(dataDir, {}, ['--webhook-url', receiver.url]);

    // Assert
    expect(code).toBe(2);
    expect(said).toHaveLength(1);
    expect(said[0]).toMatch(/^vobiz-balance sweep: VOBIZ_BALANCE_WEBHOOK_SECRET is not set: /);
    expect(existsSync(dataDir)).toBe(false);
    expect(receiver.requests).toEqual([]);
  });

  it('refuses plain http to anything but a loopback host, naming the option and the host only', async () => {
    // Act
    const { code, said } = await sweep(join(dir, `run-${++runs}`), { VOBIZ_BALANCE_WEBHOOK_SECRET: SECRET }, [
      '--webhook-url',
      'http://hooks.example.com/services/T/B/SECRETPATH',
    ]);

    // Assert
    expect(code).toBe(2);
    expect(said).toEqual([
      'vobiz-balance sweep: --webhook-url must be https (plain http only to 127.0.0.1 or localhost), got http://hooks.example.com',
    ]);
  });
});
