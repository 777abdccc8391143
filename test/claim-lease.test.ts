import { afterEach, describe, expect, it } from 'vitest';
import { createVobizClient } from '../functions/adapters/vobiz/client.ts';
import { createSweepBudget } from '../functions/core/budget.ts';
import { parseSweepConfig } from '../functions/core/config.ts';
import { lessThan } from '../functions/core/money.ts';
import { createNotifier } from '../functions/core/notifier.ts';
import type { ChannelPort, PublishOptions, PublishOutcome, StorePort } from '../functions/core/ports.ts';
import { runShard } from '../functions/core/shard-run.ts';
import { finalizeSweep } from '../functions/core/sweep-finalize.ts';
import { planSweep } from '../functions/core/sweep-plan.ts';
import type { SweepDeps } from '../functions/core/sweep-types.ts';
import type { Notification, SweepSummary } from '../functions/core/types.ts';
import { runUnlisted } from '../functions/core/unlisted-run.ts';
import { type Harness, startHarness } from './support/harness.ts';

/**
 * A sweep that outlasts the notification claim lease (`claimLeaseMinutes`): a first sweep of 200,000
 * accounts in one process took 17 to 22 minutes here, longer than the 15 minutes a claim runs. Here
 * the lease is one minute and the clock is driven by the simulator's request count, so no test waits
 * for real time: a sweep of 80 accounts (some 80 requests) at three seconds a request lasts about four
 * leases.
 */

let harness: Harness | null = null;

afterEach(async () => {
  await harness?.close();
  harness = null;
});

const START = Date.parse('2026-11-27T06:00:00Z');
const ACCOUNTS = 80;
const LEASE_MS = 60_000;
const SETTINGS = { claimLeaseMinutes: LEASE_MS / 60_000 };
const PARTNER_THRESHOLD = '1000.00000';
const LONG_MS_PER_REQUEST = 3_000;

interface Timed {
  h: Harness;
  clock: () => number;
  /** Time that passes without a request (a slow channel). */
  pass(ms: number): void;
}

async function open(msPerRequest: number): Promise<Timed> {
  const h = await startHarness({ accounts: ACCOUNTS, partnerBalance: '750.00000' });
  harness = h;
  let passed = 0;
  return {
    h,
    clock: () => START + h.sim.stats().total * msPerRequest + passed,
    pass: (ms) => {
      passed += ms;
    },
  };
}

/** Ids of the first alerts the seeded balances call for, the partner's own included. */
function alertsDue(h: Harness): string[] {
  const customers = h.sim.accountIds().filter((id) => {
    const a = h.sim.getAccount(id);
    return a && !a.postpaid && a.is_active && a.enabled && lessThan(a.cash_credits, '100');
  });
  return [...customers, h.sim.partner.authId].sort();
}

/** How many times each notification id was accepted, over every channel given. */
function countById(...channels: Recorder[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const c of channels) for (const n of c.delivered) counts.set(n.id, (counts.get(n.id) ?? 0) + 1);
  return counts;
}

async function outboxEntries(h: Harness): Promise<number> {
  const states = await h.store.loadStates([...h.sim.accountIds(), h.sim.partner.authId]);
  return [...states.values()].reduce((sum, s) => sum + s.outbox.length, 0);
}

/**
 * Accepts batches of ten, as SNS does, and like SNS starts no batch once `timeLeft` has run out.
 * `batchMs` of the test's clock pass per batch; `beforeBatch` runs before each batch is tried.
 */
class Recorder implements ChannelPort {
  readonly name = 'recording';
  readonly delivered: Notification[] = [];

  constructor(
    private readonly timed: Timed,
    private readonly batchMs = 0,
    private readonly beforeBatch: (batch: number) => Promise<void> = async () => {},
  ) {}

  async publish(
    notifications: readonly Notification[],
    options: PublishOptions = {},
  ): Promise<PublishOutcome[]> {
    const accepted = new Set<string>();
    for (let i = 0, batch = 1; i < notifications.length; i += 10, batch++) {
      await this.beforeBatch(batch);
      if (options.timeLeft && options.timeLeft() <= 0) break;
      const ids = notifications.slice(i, i + 10).map((n) => n.id);
      this.delivered.push(...notifications.slice(i, i + 10));
      this.timed.pass(this.batchMs);
      for (const id of ids) accepted.add(id);
      await options.onAccepted?.(ids);
    }
    return notifications.map((n) =>
      accepted.has(n.id) ? { id: n.id, ok: true } : { id: n.id, ok: false, error: 'out of time' },
    );
  }
}

describe('a sweep that outlasts its notification claim lease', () => {
  it('still delivers every notification it decided, each once, and leaves nothing for the next sweep', async () => {
    // Arrange
    const timed = await open(LONG_MS_PER_REQUEST);
    const { h, clock } = timed;
    const channel = new Recorder(timed);
    const sweep = () =>
      h.sweep({ clock, settings: SETTINGS, channels: [channel], partnerThreshold: PARTNER_THRESHOLD });

    // Act
    const first = await sweep();
    const writtenBefore = h.store.stats().itemsWritten;
    const second = await sweep();

    // Assert
    expect(first.durationMs).toBeGreaterThan(3 * LEASE_MS);
    const counts = countById(channel);
    expect([...counts.values()].every((count) => count === 1)).toBe(true);
    expect(channel.delivered.map((n) => n.authId).sort()).toEqual(alertsDue(h));
    expect(first.notifications).toHaveLength(counts.size);
    expect(first.pendingNotifications).toBe(0);
    expect(await outboxEntries(h)).toBe(0);
    expect(second.notifications).toEqual([]);
    expect(second.stateWrites).toBe(0);
    // The next sweep writes its own record and nothing else: no claims left over to take over.
    expect(h.store.stats().itemsWritten - writtenBefore).toBe(1);
  });

  it('leaves alone the claims another sweep took over meanwhile, and each notification goes out once', async () => {
    // Arrange: the long sweep stops at its 60th commit, its first claims long run out; a second sweep,
    // cut short by its deadline, reads the first half of the list, takes those claims over and is
    // about to publish them when the long sweep goes on, finishes and publishes the rest of its own.
    const timed = await open(LONG_MS_PER_REQUEST);
    const { h, clock } = timed;
    let otherPublishing = () => {};
    const otherReady = new Promise<void>((resolve) => {
      otherPublishing = resolve;
    });
    let longDone = () => {};
    const longFinished = new Promise<void>((resolve) => {
      longDone = resolve;
    });
    const longChannel = new Recorder(timed);
    const otherChannel = new Recorder(timed, 0, async () => {
      otherPublishing();
      await longFinished;
    });
    let commits = 0;
    let other: Promise<SweepSummary> | null = null;
    const pausing: StorePort = {
      ...h.store,
      commit: async (change) => {
        if (++commits === 60) {
          other = h.sweep({
            clock,
            settings: SETTINGS,
            channels: [otherChannel],
            deadline: clock() + 40 * LONG_MS_PER_REQUEST,
            publishReserveMs: LEASE_MS / 2,
          });
          void other.finally(otherPublishing);
        }
        if (other) await otherReady;
        return h.store.commit(change);
      },
    };

    // Act
    const long = await h.sweep({ clock, settings: SETTINGS, channels: [longChannel], store: pausing });
    longDone();
    const otherSummary = await (other as Promise<SweepSummary> | null);

    // Assert
    const counts = countById(longChannel, otherChannel);
    const customers = alertsDue(h).filter((id) => id !== h.sim.partner.authId);
    const everyone = [...longChannel.delivered, ...otherChannel.delivered].map((n) => n.authId);
    expect([...counts.values()].every((count) => count === 1)).toBe(true);
    expect(everyone.sort()).toEqual(customers);
    expect(longChannel.delivered.length).toBeGreaterThan(0);
    expect(otherChannel.delivered.length).toBeGreaterThan(0);
    expect(long.notifications).toHaveLength(longChannel.delivered.length);
    expect(otherSummary?.notifications).toHaveLength(otherChannel.delivered.length);
    expect(await outboxEntries(h)).toBe(0);
  });

  it('starts no batch once its earliest claim could have run out, so a sweep taking over the rest sends it alone', async () => {
    // Arrange: a short sweep whose channel takes most of a lease per batch; after the first batch,
    // another sweep runs, finds the undelivered claims run out, takes them over and delivers them.
    const timed = await open(100);
    const { h, clock } = timed;
    const otherChannel = new Recorder(timed);
    const slowChannel = new Recorder(timed, 0.9 * LEASE_MS, async (batch) => {
      if (batch === 2) await h.sweep({ clock, settings: SETTINGS, channels: [otherChannel] });
    });

    // Act
    const slow = await h.sweep({ clock, settings: SETTINGS, channels: [slowChannel] });
    const next = await h.sweep({ clock, settings: SETTINGS, channels: [otherChannel] });

    // Assert
    const counts = countById(slowChannel, otherChannel);
    const customers = alertsDue(h).filter((id) => id !== h.sim.partner.authId);
    const everyone = [...slowChannel.delivered, ...otherChannel.delivered].map((n) => n.authId);
    expect([...counts.values()].every((count) => count === 1)).toBe(true);
    expect(everyone.sort()).toEqual(customers);
    expect(slowChannel.delivered).toHaveLength(10);
    expect(slow.notifications).toHaveLength(10);
    expect(otherChannel.delivered).toHaveLength(customers.length - 10);
    expect(next.notifications).toEqual([]);
    expect(await outboxEntries(h)).toBe(0);
  });
});

describe('a Step Functions sweep whose finalize comes after the claims it delivers ran out', () => {
  it("still publishes the partner's notification, decided at the plan, once", async () => {
    // Arrange: the steps as the workflow runs them; its period is longer than the lease, and the
    // Distributed Map takes two leases between the plan (which claims partner_low) and finalize.
    const timed = await open(100);
    const { h, clock } = timed;
    const channel = new Recorder(timed);
    const d: SweepDeps = {
      vobiz: createVobizClient({
        baseUrl: h.sim.url,
        authId: h.sim.partner.authId,
        authToken: h.sim.partner.authToken,
        now: clock,
      }),
      store: h.store,
      notifier: createNotifier([channel]),
      clock,
    };
    const plan = await planSweep(d, {
      config: parseSweepConfig(SETTINGS),
      sweepId: 'sweep-workflow',
      partnerThreshold: PARTNER_THRESHOLD,
    });

    // Act
    const results = await Promise.all(
      plan.shards.map((shard) => runShard(d, plan, shard, createSweepBudget(plan.config, clock))),
    );
    timed.pass(2 * LEASE_MS);
    const listed = new Set(results.flatMap((r) => r.listed));
    const unlisted = await runUnlisted(d, plan, listed, createSweepBudget(plan.config, clock));
    const summary = await finalizeSweep(d, plan, [...results, unlisted]);

    // Assert
    const partner = channel.delivered.filter((n) => n.type === 'partner_low');
    expect(partner.map((n) => n.authId)).toEqual([h.sim.partner.authId]);
    expect(summary.notifications.filter((n) => n.type === 'partner_low')).toHaveLength(1);
    expect(summary.notifications).toHaveLength(channel.delivered.length);
    expect(summary.pendingNotifications).toBe(0);
    expect([...countById(channel).values()].every((count) => count === 1)).toBe(true);
    expect(await outboxEntries(h)).toBe(0);
  });
});
