import { afterEach, describe, expect, it } from 'vitest';
import { createVobizClient } from '../functions/adapters/vobiz/client.ts';
import { createSweepBudget } from '../functions/core/budget.ts';
import { parseSweepConfig } from '../functions/core/config.ts';
import { atMost, lessThan } from '../functions/core/money.ts';
import { createNotifier } from '../functions/core/notifier.ts';
import { cutShards } from '../functions/core/shard-cut.ts';
import { ACCOUNT, shardNotRun } from '../functions/core/shard-result.ts';
import { runShard } from '../functions/core/shard-run.ts';
import { finalizeSweep } from '../functions/core/sweep-finalize.ts';
import { planSweep, type SweepPlan } from '../functions/core/sweep-plan.ts';
import type { SweepDeps } from '../functions/core/sweep-types.ts';
import { runUnlisted } from '../functions/core/unlisted-run.ts';
import { type Harness, startHarness } from './support/harness.ts';

/**
 * The three steps as Step Functions runs them: a plan, each shard on its own (its own budget, its own
 * delivery, its result through JSON as a state payload would go), the unlisted read, then finalize.
 * Lists of 1,000 accounts in pages of 100 and shards of 200, at a tenth of the requests: 100 accounts
 * in pages of 10, shards of 20 (the same five shards of two pages).
 */

const PER_PAGE = 10;
const SHARD_SIZE = 20;

let harness: Harness | null = null;

afterEach(async () => {
  await harness?.close();
  harness = null;
});

const through = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

function deps(h: Harness): SweepDeps {
  return {
    vobiz: createVobizClient({
      baseUrl: h.sim.url,
      authId: h.sim.partner.authId,
      authToken: h.sim.partner.authToken,
      perPage: PER_PAGE,
      backoffBaseMs: 1,
      backoffCapMs: 5,
    }),
    store: h.store,
    notifier: createNotifier([h.notifier]),
  };
}

function expectedAlerts(h: Harness): Map<string, string> {
  const expected = new Map<string, string>();
  for (const id of h.sim.accountIds()) {
    const a = h.sim.getAccount(id);
    if (!a || a.postpaid || !a.is_active || !a.enabled) continue;
    if (atMost(a.cash_credits, '0')) expected.set(id, 'critical');
    else if (lessThan(a.cash_credits, '100')) expected.set(id, 'low');
  }
  return expected;
}

async function distributedSweep(h: Harness, sweepId: string, fail: number[] = []) {
  const d = deps(h);
  const config = parseSweepConfig({ concurrency: 4 });
  const plan = through(
    await planSweep(d, { config, sweepId, shardSize: SHARD_SIZE, partnerThreshold: '1000000' }),
  );
  // Every shard at once, each as its own Lambda would run it: its own budget, delivering what it claimed.
  const results = await Promise.all(
    plan.shards.map(async (shard) => {
      if (fail.includes(shard.index)) return shardNotRun(shard, 'Lambda timed out');
      return through(await runShard(deps(h), plan, shard, createSweepBudget(plan.config)));
    }),
  );
  const listed = new Set(results.flatMap((r) => r.listed));
  const unlisted = through(await runUnlisted(d, plan, listed, createSweepBudget(plan.config)));
  const summary = await finalizeSweep(d, plan, [...results, unlisted]);
  return { plan, results, summary };
}

describe('a sweep run as separate steps, shards in parallel with budgets of their own', () => {
  it('reads every account, counts the overlap pages read twice as duplicates, and notifies each alert once', async () => {
    // Arrange
    harness = await startHarness({ accounts: 100, partnerBalance: '5000.00000' });
    const h = harness;

    // Act
    const { plan, results, summary } = await distributedSweep(h, 'sweep-sfn-1');

    // Assert
    expect(plan.shards).toHaveLength(5);
    expect(summary).toMatchObject({
      accountsListed: 100,
      known: 100,
      balancesFetched: 100,
      unreached: 0,
      failed: 0,
      complete: true,
    });
    // Four shards read the next one's first page too: its 10 accounts twice, each counted once.
    expect(summary.duplicateReads).toBe(40);
    expect(
      summary.levels.OK + summary.levels.LOW + summary.levels.CRITICAL + summary.levels.NOT_ALERTED,
    ).toBe(100);
    const delivered = h.notifier.delivered
      .filter((n) => n.type !== 'partner_low')
      .map((n) => `${n.authId}:${n.type}`);
    expect(new Set(delivered).size).toBe(delivered.length);
    expect(new Map(delivered.map((d) => d.split(':') as [string, string]))).toEqual(expectedAlerts(h));
    expect(h.notifier.delivered.filter((n) => n.type === 'partner_low')).toHaveLength(1);
    expect(summary.notifications).toHaveLength(h.notifier.delivered.length);
    expect(results.every((r) => r.claimed.length === 0)).toBe(true);
    expect(summary.snapshotsWritten).toBe(100);
  });

  it('totals exactly what one in-process sweep totals', async () => {
    // Arrange
    harness = await startHarness({ accounts: 60 });
    const h = harness;

    // Act
    const { summary } = await distributedSweep(h, 'sweep-sfn-totals');
    const inProcess = await h.sweep({ settings: { concurrency: 4 } });

    // Assert
    expect(summary.totals).toEqual(inProcess.totals);
    expect(summary.levels).toEqual(inProcess.levels);
  });

  it('ends incomplete naming a shard that failed, and the next sweep starts with that shard', async () => {
    // Arrange
    harness = await startHarness({ accounts: 100 });
    const h = harness;

    // Act
    const failed = await distributedSweep(h, 'sweep-sfn-fail', [2]);
    const next = await distributedSweep(h, 'sweep-sfn-next');

    // Assert
    expect(failed.summary.complete).toBe(false);
    expect(failed.summary.stoppedReason).toBe('shard 2 (pages 5-7) failed: Lambda timed out');
    expect(failed.summary.resume).toEqual({ pageSize: PER_PAGE, stretches: [{ from: 5, to: null }] });
    expect(next.plan.shards[0]).toMatchObject({ phase: 0, from: 5, to: 6 });
    expect(next.summary.complete).toBe(true);
  });
});

describe('the same steps in-process, every shard under one budget', () => {
  it("leaves every account in the budget's book instead of id lists, and finalize counts each once", async () => {
    // Arrange
    harness = await startHarness({ accounts: 100 });
    const h = harness;
    const d = deps(h);
    const config = parseSweepConfig({ concurrency: 4 });
    const plan = await planSweep(d, { config, sweepId: 'sweep-shared', shardSize: SHARD_SIZE });
    const budget = createSweepBudget(plan.config, Date.now, undefined, { shared: true });

    // Act: the shards at once, as the overlap pages make two of them list the same accounts.
    const results = await Promise.all(
      plan.shards.map((shard) => runShard(d, plan, shard, budget, { handOffClaims: true })),
    );
    const listed = { has: (id: string) => (budget.accounts.get(id) & ACCOUNT.listed) !== 0 };
    results.push(await runUnlisted(d, plan, listed, budget));
    const summary = await finalizeSweep(d, plan, results, { accounts: budget.accounts });

    // Assert
    const ids = results.flatMap((r) => [...r.listed, ...r.known, ...r.read, ...r.gone, ...r.failed]);
    expect(ids).toEqual([]);
    expect(results.flatMap((r) => r.edges)).toEqual([]);
    expect(budget.accounts.ids(ACCOUNT.read).sort()).toEqual([...h.sim.accountIds()].sort());
    expect(summary).toMatchObject({
      accountsListed: 100,
      known: 100,
      balancesFetched: 100,
      duplicateReads: 0,
      unreached: 0,
      complete: true,
    });
    expect(
      summary.levels.OK + summary.levels.LOW + summary.levels.CRITICAL + summary.levels.NOT_ALERTED,
    ).toBe(100);
  });
});

describe('a plan', () => {
  it('stays well under the 256 KB a Step Functions state may carry at 200,000 accounts', () => {
    // Arrange
    const shards = cutShards({ total: 200_000, pageSize: 100 }, 10, {
      pageSize: 100,
      stretches: Array.from({ length: 200 }, (_, i) => ({ from: i * 10 + 5, to: null })),
    });
    const plan = { shards } as Partial<SweepPlan>;

    // Act
    const bytes = Buffer.byteLength(JSON.stringify(plan));

    // Assert
    expect(shards).toHaveLength(400);
    expect(bytes).toBeLessThan(100_000);
  });
});
