import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { createFileChannel } from '../functions/adapters/local/file-channel.ts';
import { createWebhookChannel } from '../functions/adapters/webhook/webhook-channel.ts';
import { lessThan } from '../functions/core/money.ts';
import type { ChannelPort, StorePort } from '../functions/core/ports.ts';
import type { Notification } from '../functions/core/types.ts';
import { type Harness, startHarness } from './support/harness.ts';
import { type Receiver, signatureValid, startReceiver } from './support/webhook-receiver.ts';

/*
 * Delivery end to end: the simulator over HTTP, dynalite, the real alerts-file channel and the
 * real webhook channel posting to a receiver on 127.0.0.1.
 */

const SECRET = 'webhook-test-secret';
const T0 = '2026-11-27T03:30:00.000Z';
/** Past the default 15-minute claim lease of a sweep at T0. */
const AFTER_LEASE = '2026-11-27T03:46:00.000Z';

const cleanups: Array<() => Promise<void> | void> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function harness(accounts = 60): Promise<Harness> {
  const h = await startHarness({ accounts });
  cleanups.push(() => h.close());
  return h;
}

async function receiver(): Promise<Receiver> {
  const r = await startReceiver();
  cleanups.push(() => r.close());
  return r;
}

function alertsFile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'vobiz-delivery-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return join(dir, 'alerts.jsonl');
}

function fileLines(file: string): Notification[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Notification);
}

function webhookTo(r: Receiver): ChannelPort {
  return createWebhookChannel({
    target: async () => ({ url: new URL(r.url), secret: SECRET }),
    digestSize: 1_000,
    sleep: async () => {},
  });
}

describe('delivery to the alerts file and a webhook', () => {
  it('keeps the webhook share pending while its receiver fails, then delivers it, with no duplicate on either channel', async () => {
    // Arrange
    const h = await harness();
    const r = await receiver();
    const file = alertsFile();
    const accepted: string[] = [];
    let up = false;
    r.respond = (request) => {
      if (!up) return { status: 503, body: 'down for maintenance' };
      accepted.push(String(request.headers['idempotency-key']));
      return { status: 200, body: 'ok' };
    };
    const channels = () => [createFileChannel({ alertsFile: file, print: () => {} }), webhookTo(r)];

    // Act
    const first = await h.sweep({ channels: channels() });
    up = true;
    const second = await h.sweep({ channels: channels() });
    const third = await h.sweep({ channels: channels() });

    // Assert: the first sweep reached the file only, and says so per channel.
    const decided = first.pendingNotifications;
    expect(decided).toBeGreaterThan(2);
    expect(first.notifications).toEqual([]);
    expect(first.delivery).toEqual([
      { channel: 'file', accepted: decided, pending: 0, error: null },
      {
        channel: 'webhook',
        accepted: 0,
        pending: decided,
        error: expect.stringMatching(/HTTP 503: down for maintenance \(gave up after 3 attempts\)$/),
      },
    ]);
    // The second delivered to the webhook only; the third had nothing left.
    expect(second.delivery).toEqual([
      { channel: 'file', accepted: 0, pending: 0, error: null },
      { channel: 'webhook', accepted: decided, pending: 0, error: null },
    ]);
    expect(second.notifications).toHaveLength(decided);
    expect(second.pendingNotifications).toBe(0);
    expect(third.notifications).toEqual([]);
    expect(third.delivery).toEqual([]);
    // Each notification once in the file and once accepted by the webhook, every request signed.
    const ids = second.notifications.map((n) => n.id).sort();
    expect(
      fileLines(file)
        .map((n) => n.id)
        .sort(),
    ).toEqual(ids);
    expect([...accepted].sort()).toEqual(ids);
    expect(r.requests.every((request) => signatureValid(request, SECRET))).toBe(true);
  });

  it('keeps in the outbox the channels that accepted an entry until every channel has', async () => {
    // Arrange
    const h = await harness();
    const r = await receiver();
    r.respond = () => ({ status: 500 });
    const file = alertsFile();

    // Act
    const first = await h.sweep({
      channels: [createFileChannel({ alertsFile: file, print: () => {} }), webhookTo(r)],
    });

    // Assert
    const authId = fileLines(file)[0]?.authId ?? '';
    const outbox = (await h.store.getState(authId))?.outbox ?? [];
    expect(first.pendingNotifications).toBeGreaterThan(0);
    expect(outbox.length).toBeGreaterThan(0);
    expect(outbox.map((n) => n.deliveredTo)).toEqual(outbox.map(() => ['file']));
  });

  it('lets entries go, sending nothing, once the channel they waited for is no longer configured', async () => {
    // Arrange
    const h = await harness();
    const r = await receiver();
    r.respond = () => ({ status: 500 });
    const file = alertsFile();
    const first = await h.sweep({
      channels: [createFileChannel({ alertsFile: file, print: () => {} }), webhookTo(r)],
    });

    // Act
    const fileOnly = await h.sweep({ channels: [createFileChannel({ alertsFile: file, print: () => {} })] });

    // Assert
    expect(first.pendingNotifications).toBeGreaterThan(0);
    expect(fileOnly.pendingNotifications).toBe(0);
    expect(fileOnly.notifications).toHaveLength(first.pendingNotifications);
    expect(fileOnly.delivery).toEqual([{ channel: 'file', accepted: 0, pending: 0, error: null }]);
    expect(fileLines(file)).toHaveLength(first.pendingNotifications);
    const authId = fileLines(file)[0]?.authId ?? '';
    expect((await h.store.getState(authId))?.outbox).toEqual([]);
  });
});

/** How many first alerts the simulator's seeded balances call for (alertable and below 100). */
function alertsDue(h: Harness): number {
  return h.sim.accountIds().filter((id) => {
    const a = h.sim.getAccount(id);
    return a && !a.postpaid && a.is_active && a.enabled && lessThan(a.cash_credits, '100');
  }).length;
}

describe('a crash between a channel accepting and the outbox update', () => {
  it('repeats at most the one batch in flight, once the claim runs out (seeded)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 1_000 }), async (seed) => {
        // Arrange: a store that stops answering (the process "dies") once the channel accepted batch k.
        // 80 accounts: 12 first alerts, two batches of the channel, as 120 accounts (13) give.
        const h = await harness(80);
        const file = alertsFile();
        const batches: string[][] = [];
        let dead = false;
        const store: StorePort = {
          ...h.store,
          commit: (change) => (dead ? new Promise(() => {}) : h.store.commit(change)),
        };
        const expected = alertsDue(h);
        const k = 1 + (seed % Math.ceil(expected / 10));
        let died: () => void = () => {};
        const death = new Promise<void>((resolve) => {
          died = resolve;
        });
        const real = createFileChannel({ alertsFile: file, print: () => {} });
        const dying: ChannelPort = {
          name: real.name,
          publish: (notifications, options) =>
            real.publish(notifications, {
              ...options,
              onAccepted: async (ids) => {
                batches.push([...ids]);
                if (batches.length === k) {
                  dead = true;
                  died();
                }
                await options?.onAccepted?.(ids);
              },
            }),
        };

        // Act
        void h.sweep({ channels: [dying], store, now: T0 });
        await death;
        const later = await h.sweep({
          channels: [createFileChannel({ alertsFile: file, print: () => {} })],
          now: AFTER_LEASE,
        });

        // Assert
        const lines = fileLines(file).map((n) => n.id);
        const counts = new Map<string, number>();
        for (const id of lines) counts.set(id, (counts.get(id) ?? 0) + 1);
        const repeated = [...counts].filter(([, count]) => count > 1).map(([id]) => id);
        expect(new Set(lines).size).toBe(expected);
        expect(repeated.sort()).toEqual([...(batches[k - 1] ?? [])].sort());
        expect(repeated.length).toBeLessThanOrEqual(10);
        expect([...counts.values()].every((count) => count <= 2)).toBe(true);
        expect(later.pendingNotifications).toBe(0);
      }),
      { seed: 20261127, numRuns: 3 },
    );
  });
});
