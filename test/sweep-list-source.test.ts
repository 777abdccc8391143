import { afterEach, describe, expect, it } from 'vitest';
import { createVobizClient } from '../functions/adapters/vobiz/client.ts';
import { parseSweepConfig, type SweepConfigInput } from '../functions/core/config.ts';
import { confirmationCycle, confirmationDue, slotOf } from '../functions/core/list-source.ts';
import { createNotifier } from '../functions/core/notifier.ts';
import type { VobizPort } from '../functions/core/ports.ts';
import { runSweep } from '../functions/core/sweep.ts';
import { type Harness, startHarness } from './support/harness.ts';

/**
 * Balance source `list`: balances from the list rows, confirmed with the balance endpoint on first
 * sight, before any level change, and for a rotating 1/96 of the accounts each sweep.
 */

let harness: Harness | null = null;

afterEach(async () => {
  await harness?.close();
  harness = null;
});

const LIST: SweepConfigInput = { balanceSource: 'list' };
const T1 = '2026-11-27T10:00:00.000Z';
const T2 = '2026-11-27T10:15:00.000Z';

function dueAt(h: Harness, now: string): string[] {
  const slot = slotOf(Date.parse(now), 15);
  return h.sim.accountIds().filter((id) => confirmationDue(id, slot, confirmationCycle(15)));
}

function alertable(h: Harness, id: string): boolean {
  const a = h.sim.getAccount(id);
  return Boolean(a && !a.postpaid && a.is_active && a.enabled);
}

describe('a sweep with balances from the list', () => {
  it('reads each account once from the endpoint on first sight, then only the rotating 1/96', async () => {
    // Arrange
    // Arrange: ten pages of the list, as 960 accounts in pages of 100 would be, at a fifth of the reads.
    harness = await startHarness({ accounts: 192 });
    const h = harness;
    const client = { perPage: 20 };
    const first = await h.sweep({ settings: LIST, now: T1, client });
    h.sim.resetStats();

    // Act
    const repeat = await h.sweep({ settings: LIST, now: T2, client });

    // Assert
    expect(first).toMatchObject({ balanceRequests: 192, listConfirmations: 192, listDisagreements: 0 });
    const due = dueAt(h, T2);
    expect(due.length).toBeGreaterThan(0);
    expect(due.length).toBeLessThan(6);
    expect(repeat).toMatchObject({
      balanceSource: 'list',
      balancesFetched: 192,
      balanceRequests: due.length,
      listConfirmations: due.length,
      listDisagreements: 0,
      complete: true,
    });
    expect(h.sim.stats().byRoute).toEqual({ list: 10 + 1, balance: due.length });
    expect(repeat.notifications).toEqual([]);
  });

  it('confirms every account exactly once in the 96 sweeps of a day at a 15-minute period', () => {
    // Arrange
    const ids = Array.from(
      { length: 5_000 },
      (_, i) => `MA_${i.toString(36).toUpperCase().padStart(8, '0')}`,
    );
    const cycle = confirmationCycle(15);
    const day = Date.parse('2026-11-27T00:00:00Z');

    // Act
    const times = new Map<string, number>();
    for (let s = 0; s < cycle; s++) {
      const slot = slotOf(day + s * 15 * 60_000, 15);
      for (const id of ids) if (confirmationDue(id, slot, cycle)) times.set(id, (times.get(id) ?? 0) + 1);
    }

    // Assert
    expect(cycle).toBe(96);
    expect(times.size).toBe(ids.length);
    expect([...times.values()].every((n) => n === 1)).toBe(true);
  });

  it('confirms a level change with the balance endpoint before it notifies', async () => {
    // Arrange
    harness = await startHarness({ accounts: 100 });
    const h = harness;
    await h.sweep({ settings: LIST, now: T1 });
    const due = new Set(dueAt(h, T2));
    const victim = h.sim.accountIds().find((id) => alertable(h, id) && !due.has(id)) as string;
    h.sim.setBalance(victim, '42.00000');
    const before = h.sim.stats().byRoute.balance ?? 0;

    // Act
    const summary = await h.sweep({ settings: LIST, now: T2 });

    // Assert
    expect(summary.notifications.map((n) => [n.authId, n.type, n.balance])).toEqual([
      [victim, 'low', '42.00000'],
    ]);
    expect(summary.balanceRequests).toBe(due.size + 1);
    expect((h.sim.stats().byRoute.balance ?? 0) - before).toBe(due.size + 1);
    expect(summary.listDisagreements).toBe(0);
  });

  it('takes a balance that moved without changing a level straight from the list, snapshot included', async () => {
    // Arrange
    harness = await startHarness({ accounts: 100 });
    const h = harness;
    await h.sweep({ settings: LIST, now: T1 });
    const due = new Set(dueAt(h, T2));
    const id = h.sim.accountIds().find((a) => alertable(h, a) && !due.has(a)) as string;
    h.sim.setBalance(id, '7000.00000');

    // Act
    const summary = await h.sweep({ settings: LIST, now: T2 });

    // Assert
    expect(summary.balanceRequests).toBe(due.size);
    expect(summary.snapshotsWritten).toBe(1);
    expect((await h.store.getState(id))?.balance).toBe('7000.00000');
  });
});

describe('a list whose balances cannot be trusted', () => {
  it('counts each disagreement, goes by the endpoint, and reads every balance from it once past the limit', async () => {
    // Arrange: a list that shows every balance as zero (a broken cache, say) after a first sweep.
    harness = await startHarness({ accounts: 100 });
    const h = harness;
    await h.sweep({ settings: LIST, now: T1 });
    const client = createVobizClient({
      baseUrl: h.sim.url,
      authId: h.sim.partner.authId,
      authToken: h.sim.partner.authToken,
    });
    const lying: VobizPort = {
      ...client,
      listPage: async (page, options) => {
        const listed = await client.listPage(page, options);
        return { ...listed, accounts: listed.accounts.map((a) => ({ ...a, listedBalance: '0.00000' })) };
      },
    };
    const config = parseSweepConfig({ ...LIST, listDisagreementLimit: 5 });

    // Act
    const summary = await runSweep(
      { vobiz: lying, store: h.store, notifier: createNotifier([h.notifier]) },
      { config, sweepId: 'sweep-lying-list', now: T2 },
    );

    // Assert: no alert from a balance the endpoint denies, and after 6 disagreements no more trust.
    expect(summary.notifications).toEqual([]);
    expect(summary.listFallback).toBe(true);
    expect(summary.listDisagreements).toBeGreaterThan(5);
    expect(summary.balanceRequests).toBeGreaterThan(80);
    expect(summary.complete).toBe(true);
  });
});
