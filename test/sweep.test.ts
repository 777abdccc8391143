import { afterEach, describe, expect, it } from 'vitest';
import { CredentialsError } from '../functions/core/errors.ts';
import { atMost, lessThan } from '../functions/core/money.ts';
import { type Harness, startHarness } from './support/harness.ts';

let harness: Harness | null = null;

/** One page of accounts, of every kind the simulator seeds: what each rule here needs, and no more. */
const ACCOUNTS = 20;

async function open(options: Parameters<typeof startHarness>[0] = {}): Promise<Harness> {
  harness = await startHarness({ accounts: ACCOUNTS, ...options });
  return harness;
}

afterEach(async () => {
  await harness?.close();
  harness = null;
});

/** What the sim's own data says each alertable account's first alert must be. */
function expectedFirstAlerts(h: Harness): Map<string, 'low' | 'critical'> {
  const expected = new Map<string, 'low' | 'critical'>();
  for (const id of h.sim.accountIds()) {
    const a = h.sim.getAccount(id);
    if (!a || a.postpaid || !a.is_active || !a.enabled) continue;
    if (atMost(a.cash_credits, '0')) expected.set(id, 'critical');
    else if (lessThan(a.cash_credits, '100')) expected.set(id, 'low');
  }
  return expected;
}

function healthyAlertable(h: Harness, exclude: Set<string>): string {
  const id = h.sim.accountIds().find((candidate) => {
    const a = h.sim.getAccount(candidate);
    return (
      a &&
      !exclude.has(candidate) &&
      !a.postpaid &&
      a.is_active &&
      a.enabled &&
      !lessThan(a.cash_credits, '200')
    );
  });
  if (!id) throw new Error('the seeded accounts hold no healthy alertable account');
  return id;
}

describe('a sweep over the simulator into dynalite', () => {
  it('reads every account once, stores a snapshot each and raises exactly the alerts the balances call for', async () => {
    // Arrange
    const h = await open();
    const expected = expectedFirstAlerts(h);

    // Act
    const summary = await h.sweep();

    // Assert
    expect(summary).toMatchObject({
      accountsListed: ACCOUNTS,
      balancesFetched: ACCOUNTS,
      failed: 0,
      complete: true,
    });
    expect(summary.snapshotsWritten).toBe(ACCOUNTS);
    expect(expected.size).toBeGreaterThan(0);
    expect(new Map(summary.notifications.map((n) => [n.authId, n.type]))).toEqual(expected);
    expect(h.notifier.delivered).toHaveLength(expected.size);
    const state = await h.store.getState([...expected.keys()][0] as string);
    expect(state?.outbox).toEqual([]);
  });

  it('stays quiet and writes nothing when nothing moved', async () => {
    // Arrange
    const h = await open();
    await h.sweep();
    const writesBefore = h.store.stats().itemsWritten;

    // Act
    const repeat = await h.sweep();

    // Assert
    expect(repeat.notifications).toEqual([]);
    expect(repeat.snapshotsWritten).toBe(0);
    expect(repeat.stateWrites).toBe(0);
    // Only the sweep record itself.
    expect(h.store.stats().itemsWritten - writesBefore).toBe(1);
  });

  it('announces a top-up as recovered and a drop as low, one notification each', async () => {
    // Arrange
    const h = await open();
    const first = await h.sweep();
    const low = first.notifications.find((n) => n.type === 'low');
    if (!low) throw new Error('no LOW account seeded');
    const healthy = healthyAlertable(h, new Set(first.notifications.map((n) => n.authId)));
    h.sim.setBalance(low.authId, '5000.00000');
    h.sim.setBalance(healthy, '42.50000');

    // Act
    const second = await h.sweep();

    // Assert
    expect(second.notifications.map((n) => [n.authId, n.type]).sort()).toEqual(
      [
        [low.authId, 'recovered'],
        [healthy, 'low'],
      ].sort(),
    );
    expect(second.snapshotsWritten).toBe(2);
    const history = await h.store.history(healthy);
    expect(history.map((s) => s.balance)).toEqual(['42.50000', expect.any(String)]);
  });

  it('keeps a notification pending when the notifier fails, and the next sweep delivers it once', async () => {
    // Arrange
    const h = await open();
    h.notifier.failing = true;
    const failed = await h.sweep();
    h.notifier.failing = false;

    // Act
    const retry = await h.sweep();
    const after = await h.sweep();

    // Assert
    expect(failed.notifications).toEqual([]);
    expect(failed.pendingNotifications).toBe(expectedFirstAlerts(h).size);
    expect(retry.notifications.map((n) => n.id).sort()).toEqual(h.notifier.delivered.map((n) => n.id).sort());
    expect(retry.notifications).toHaveLength(failed.pendingNotifications);
    expect(after.notifications).toEqual([]);
  });

  it('never lets two overlapping sweeps both notify one transition', async () => {
    // Arrange
    const h = await open({ latencyMs: 3 });

    // Act
    const [a, b] = await Promise.all([h.sweep(), h.sweep()]);

    // Assert
    const ids = h.notifier.delivered.map((n) => `${n.authId}:${n.type}`);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toHaveLength(expectedFirstAlerts(h).size);
    expect(a.notifications.length + b.notifications.length).toBe(ids.length);
  });

  it('goes on past an account that keeps failing, leaves its level alone and says the sweep was incomplete', async () => {
    // Arrange
    const h = await open();
    await h.sweep();
    const victim = [...expectedFirstAlerts(h).keys()][0] as string;
    const levelBefore = (await h.store.getState(victim))?.level;
    h.sim.setBalance(victim, '9999.00000');
    h.sim.addFault({ kind: 'server-error', route: 'balance', authId: victim, status: 502 });

    // Act
    const summary = await h.sweep();

    // Assert
    expect(summary).toMatchObject({
      accountsListed: ACCOUNTS,
      balancesFetched: ACCOUNTS - 1,
      failed: 1,
      complete: false,
    });
    expect(summary.failures[0]?.authId).toBe(victim);
    expect(summary.failures[0]?.reason).toMatch(/502/);
    expect((await h.store.getState(victim))?.level).toBe(levelBefore);
    expect(summary.notifications).toEqual([]);
  });

  it('stops at once with a credentials error when the partner token is rejected', async () => {
    // Arrange
    const h = await open();

    // Act
    const attempt = h.sweep({ client: { authToken: 'wrong-token' } });

    // Assert
    await expect(attempt).rejects.toBeInstanceOf(CredentialsError);
    expect(h.notifier.delivered).toEqual([]);
  });

  it('stops cleanly at its deadline and reports what it did not reach', async () => {
    // Arrange: every request to the API moves the injected clock on by 25 ms.
    const h = await open({ accounts: 400 });
    const start = Date.parse('2026-11-27T00:00:00Z');
    const clock = () => start + h.sim.stats().total * 25;

    // Act
    const summary = await h.sweep({
      clock,
      deadline: start + 400,
      publishReserveMs: 100,
      settings: { concurrency: 4 },
    });

    // Assert
    expect(summary.complete).toBe(false);
    expect(summary.stoppedReason).toMatch(/deadline/);
    expect(summary.balancesFetched).toBeGreaterThan(0);
    expect(summary.balancesFetched).toBeLessThan(400);
    expect(summary.failed).toBe(0);
    expect(summary.known).toBe(400);
    expect(summary.balancesFetched + summary.unreached).toBe(summary.known);
  });

  it('never has more balance reads in flight than its concurrency', async () => {
    // Arrange
    const h = await open({ accounts: 30, latencyMs: 5 });

    // Act
    await h.sweep({ settings: { concurrency: 3 } });

    // Assert: three balance reads plus the look-ahead page request.
    expect(h.sim.stats().maxInFlight).toBeLessThanOrEqual(4);
    expect(h.sim.stats().maxInFlight).toBeGreaterThanOrEqual(3);
  });

  it('writes the first snapshot of each partner-local day even when nothing moved', async () => {
    // Arrange: 23:59 and 00:01 in Asia/Kolkata, two minutes and one day apart.
    const h = await open();
    await h.sweep({ now: '2026-11-27T18:29:00.000Z' });

    // Act
    const sameDay = await h.sweep({ now: '2026-11-27T18:29:30.000Z' });
    const nextDay = await h.sweep({ now: '2026-11-27T18:31:00.000Z' });

    // Assert
    expect(sameDay.snapshotsWritten).toBe(0);
    expect(nextDay.snapshotsWritten).toBe(ACCOUNTS);
    expect(nextDay.notifications).toEqual([]);
  });

  it('reminds after the interval while an account stays low', async () => {
    // Arrange
    const h = await open();
    const first = await h.sweep({ now: '2026-11-27T00:00:00.000Z' });

    // Act
    const early = await h.sweep({ now: '2026-11-27T23:00:00.000Z' });
    const due = await h.sweep({ now: '2026-11-28T00:00:00.000Z' });

    // Assert
    expect(early.notifications).toEqual([]);
    expect(due.notifications.map((n) => n.type)).toEqual(first.notifications.map(() => 'reminder'));
  });

  it('watches the partner wallet and raises partner_low once', async () => {
    // Arrange
    const h = await open({ partnerBalance: '750.00000' });

    // Act
    const first = await h.sweep({ partnerThreshold: '1000.00000' });
    const second = await h.sweep({ partnerThreshold: '1000.00000' });

    // Assert
    const partner = first.notifications.filter((n) => n.type === 'partner_low');
    expect(partner).toHaveLength(1);
    expect(partner[0]).toMatchObject({ authId: h.sim.partner.authId, balance: '750.00000', level: 'LOW' });
    expect(first.partner).toMatchObject({ balance: '750.00000', level: 'LOW' });
    expect(second.notifications.filter((n) => n.type === 'partner_low')).toEqual([]);
  });
});

describe('a muted account', () => {
  it('is still recorded while its notifications wait, and they go out once the mute has ended', async () => {
    // Arrange
    const h = await open();
    await h.sweep({ now: '2026-11-27T00:00:00.000Z' });
    const id = h.sim.accountIds().find((candidate) => {
      const a = h.sim.getAccount(candidate);
      return a && !a.postpaid && a.is_active && a.enabled && !lessThan(a.cash_credits, '200');
    }) as string;
    const state = await h.store.getState(id);
    if (!state) throw new Error('no state');
    const muted = {
      ...state,
      mute: { until: '2026-11-27T06:00:00.000Z', reason: 'customer on holiday' },
      version: state.version + 1,
    };
    expect(await h.store.commit({ state: muted, expectedVersion: state.version })).toBe('ok');
    h.sim.setBalance(id, '12.00000');

    // Act
    const during = await h.sweep({ now: '2026-11-27T03:00:00.000Z' });
    const stillMuted = await h.sweep({ now: '2026-11-27T05:00:00.000Z' });
    const after = await h.sweep({ now: '2026-11-27T06:00:01.000Z' });

    // Assert
    expect(during.notifications).toEqual([]);
    expect(during.pendingNotifications).toBe(1);
    expect(during.snapshotsWritten).toBe(1);
    expect(stillMuted.notifications).toEqual([]);
    expect(stillMuted.stateWrites).toBe(0);
    expect(after.notifications.map((n) => [n.authId, n.type, n.observedAt])).toEqual([
      [id, 'low', '2026-11-27T03:00:00.000Z'],
    ]);
    expect((await h.store.getState(id))?.outbox).toEqual([]);
  });
});

describe('looking ahead', () => {
  it('forecasts a steady burn once, and flags a burst of spend as a spike, from the stored history', async () => {
    // Arrange: X burns 100 an hour from 4700; Y spends 10 an hour, then 1500 in one hour.
    const h = await open();
    const [x, y] = h.sim.accountIds().filter((candidate) => {
      const a = h.sim.getAccount(candidate);
      return a && !a.postpaid && a.is_active && a.enabled;
    }) as [string, string];
    h.sim.setBalance(x, '4700.00000');
    h.sim.setBalance(y, '90000.00000');
    const times = Array.from({ length: 9 }, (_, i) => `2026-11-27T${String(i).padStart(2, '0')}:00:00.000Z`);
    const notified: Array<{ type: string; authId: string; at: string }> = [];

    // Act
    for (const [i, now] of times.entries()) {
      if (i > 0) {
        h.sim.adjustBalance(x, '-100');
        h.sim.adjustBalance(y, i === 8 ? '-1500' : '-10');
      }
      const summary = await h.sweep({ now });
      for (const n of summary.notifications) {
        if (n.authId === x || n.authId === y) notified.push({ type: n.type, authId: n.authId, at: now });
      }
    }

    // Assert: at 06:00 X has 6 hours of history and 4100 left at 100/h: 41 h, under 48.
    expect(notified).toEqual([
      { type: 'forecast', authId: x, at: '2026-11-27T06:00:00.000Z' },
      { type: 'spike', authId: y, at: '2026-11-27T08:00:00.000Z' },
    ]);
    const state = await h.store.getState(x);
    expect(state?.runway).toMatchObject({
      status: 'known',
      hours: 39,
      ratePerHour: '100.00000',
      basis: '24h',
    });
    expect(state?.forecastEpisode).toBe(true);
  });
});

describe('a burst after a quiet spell', () => {
  it('is still a spike: the quiet hours are not smeared over the burst', async () => {
    // Arrange: 10 an hour for 6 hours, unchanged for 5 hours (no snapshots then), then 1500 in an hour.
    const h = await open();
    const y = h.sim.accountIds().find((candidate) => {
      const a = h.sim.getAccount(candidate);
      return a && !a.postpaid && a.is_active && a.enabled;
    }) as string;
    h.sim.setBalance(y, '90000.00000');
    const spikes: Array<{ at: string; spend: unknown }> = [];

    // Act
    for (let hour = 0; hour <= 12; hour++) {
      if (hour >= 1 && hour <= 6) h.sim.adjustBalance(y, '-10');
      if (hour === 12) h.sim.adjustBalance(y, '-1500');
      const summary = await h.sweep({ now: `2026-11-27T${String(hour).padStart(2, '0')}:00:00.000Z` });
      for (const n of summary.notifications) {
        if (n.authId === y && n.type === 'spike') spikes.push({ at: n.observedAt, spend: n.spend });
      }
    }

    // Assert: 1500 left in the last hour; before it, 60 over 11 hours is the usual rate.
    expect(spikes).toEqual([
      { at: '2026-11-27T12:00:00.000Z', spend: { lastHour: '1500.00000', hourlyAverage: '5.4545454545' } },
    ]);
  });
});

describe('thresholds kept in the table', () => {
  it('uses the global default set in the table over the configured one, and a currency default over both', async () => {
    // Arrange
    const h = await open();
    const [a, b] = h.sim.accountIds().filter((candidate) => {
      const account = h.sim.getAccount(candidate);
      return account && !account.postpaid && account.is_active && account.enabled && account.country === 'IN';
    }) as [string, string];
    h.sim.setBalance(a, '3000.00000');
    h.sim.setBalance(b, '30.00000');
    await h.store.saveCurrencyDefaults({ '*': { low: '5000' }, INR: { low: '20' } });

    // Act
    const summary = await h.sweep();

    // Assert: INR's own default (20) wins for both INR accounts: 3000 and 30 are both fine.
    expect(summary.notifications.filter((n) => n.authId === a || n.authId === b)).toEqual([]);
    await h.store.saveCurrencyDefaults({ '*': { low: '5000' } });
    h.sim.setBalance(a, '2999.00000');
    const second = await h.sweep();
    expect(second.notifications.find((n) => n.authId === a)).toMatchObject({
      type: 'low',
      thresholds: { low: '5000.00000' },
    });
  });
});

describe('reads that failed for a while', () => {
  it('do not turn the spend they missed into a spike once reads work again', async () => {
    // Arrange: 100 an hour, steadily; the account's reads fail from 03:00 to 07:00.
    const h = await open();
    const x = h.sim.accountIds().find((candidate) => {
      const a = h.sim.getAccount(candidate);
      return a && !a.postpaid && a.is_active && a.enabled;
    }) as string;
    h.sim.setBalance(x, '50000.00000');
    const spikes: string[] = [];

    // Act
    for (let hour = 0; hour <= 9; hour++) {
      if (hour > 0) h.sim.adjustBalance(x, '-100');
      if (hour === 3) h.sim.addFault({ kind: 'server-error', route: 'balance', authId: x, status: 503 });
      if (hour === 8) h.sim.clearFaults();
      const summary = await h.sweep({ now: `2026-11-27T${String(hour).padStart(2, '0')}:00:00.000Z` });
      for (const n of summary.notifications)
        if (n.authId === x && n.type === 'spike') spikes.push(n.observedAt);
    }

    // Assert
    expect(spikes).toEqual([]);
  });
});
