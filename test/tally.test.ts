import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { initialState } from '../functions/core/policy.ts';
import {
  countBalance,
  countFailure,
  countRunway,
  emptyTally,
  MAX_FAILURES_KEPT,
  mergeTallies,
  SHORTEST_RUNWAYS,
  type Tally,
} from '../functions/core/tally.ts';
import { addMs } from '../functions/core/time.ts';
import type { AccountState, SummaryLevel } from '../functions/core/types.ts';

const T0 = '2026-11-27T06:00:00.000Z';

function withRunway(authId: string, hours: number, computedAt = T0, alertable = true): AccountState {
  return {
    ...initialState({
      authId,
      name: authId,
      currency: 'INR',
      balance: '100.00000',
      observedAt: T0,
      alertable,
    }),
    runway: {
      status: 'known',
      hours,
      ratePerHour: '1.00000',
      basis: '24h',
      depletionAt: addMs(computedAt, hours * 3_600_000),
      computedAt,
    },
  };
}

describe('a tally', () => {
  it('adds balances exactly per currency', () => {
    // Arrange
    const tally = emptyTally();

    // Act
    countBalance(tally, 'INR', '0.10000');
    countBalance(tally, 'INR', '0.20000');
    countBalance(tally, 'USD', '99999999999999999999.00001');
    countBalance(tally, 'USD', '0.99999');

    // Assert
    expect(tally.totals).toEqual({ INR: '0.30000', USD: '100000000000000000000.00000' });
  });

  it(`counts every failure but keeps only the first ${MAX_FAILURES_KEPT}`, () => {
    // Arrange
    const tally = emptyTally();

    // Act
    for (let i = 0; i < MAX_FAILURES_KEPT + 5; i++)
      countFailure(tally, { authId: `MA_${i}`, reason: 'HTTP 502' });

    // Assert
    expect(tally.failed).toBe(MAX_FAILURES_KEPT + 5);
    expect(tally.failures).toHaveLength(MAX_FAILURES_KEPT);
    expect(tally.failures[0]?.authId).toBe('MA_0');
  });

  it(`keeps the ${SHORTEST_RUNWAYS} shortest runways worked out in this sweep, shortest first`, () => {
    // Arrange
    const tally = emptyTally();
    const hours = [50, 3, 40, 7, 90, 1, 60, 20, 30, 80, 10, 70];

    // Act
    for (const [i, h] of hours.entries()) countRunway(tally, withRunway(`MA_${i}`, h), T0);
    countRunway(tally, withRunway('MA_STALE', 0.5, addMs(T0, -3_600_000)), T0);
    countRunway(tally, withRunway('MA_POSTPAID', 0.5, T0, false), T0);

    // Assert
    expect(tally.shortestRunways.map((r) => (r.runway.status === 'known' ? r.runway.hours : null))).toEqual([
      1, 3, 7, 10, 20, 30, 40, 50, 60, 70,
    ]);
  });

  it('lists an account read by two overlapping parts once among the shortest runways', () => {
    // Arrange
    const a = emptyTally();
    const b = emptyTally();
    countRunway(a, withRunway('MA_TWICE', 5), T0);
    countRunway(b, withRunway('MA_TWICE', 5), T0);
    countRunway(b, withRunway('MA_OTHER', 6), T0);

    // Act
    const merged = mergeTallies(a, b);

    // Assert
    expect(merged.shortestRunways.map((r) => r.authId)).toEqual(['MA_TWICE', 'MA_OTHER']);
  });
});

type Event =
  | { kind: 'listed' | 'fetched' | 'gone' | 'unreached' | 'snapshot' | 'stateWrite' }
  | { kind: 'level'; level: SummaryLevel }
  | { kind: 'balance'; currency: string; amount: string }
  | { kind: 'failure'; authId: string }
  | { kind: 'runway'; authId: string; hours: number };

const amountArb = fc.bigInt({ min: -(10n ** 20n), max: 10n ** 20n }).map((units) => {
  const abs = units < 0n ? -units : units;
  const text = `${abs / 100_000n}.${(abs % 100_000n).toString().padStart(5, '0')}`;
  return units < 0n && abs !== 0n ? `-${text}` : text;
});

const eventArb: fc.Arbitrary<Event> = fc.oneof(
  fc.constantFrom<Event>(
    { kind: 'listed' },
    { kind: 'fetched' },
    { kind: 'gone' },
    { kind: 'unreached' },
    { kind: 'snapshot' },
    { kind: 'stateWrite' },
  ),
  fc
    .constantFrom<SummaryLevel>('OK', 'LOW', 'CRITICAL', 'NOT_ALERTED')
    .map((level) => ({ kind: 'level' as const, level })),
  fc.record({
    kind: fc.constant('balance' as const),
    currency: fc.constantFrom('INR', 'USD'),
    amount: amountArb,
  }),
  fc.record({ kind: fc.constant('failure' as const), authId: fc.string({ maxLength: 4 }) }),
  // Few distinct hours, so ties between runways are common.
  fc.record({
    kind: fc.constant('runway' as const),
    authId: fc.string({ maxLength: 4 }),
    hours: fc.integer({ min: 0, max: 5 }),
  }),
);

/** Counts events the way the sweep does (one part never counts one account's runway twice). */
function count(events: readonly Event[], from = 0): Tally {
  const tally = emptyTally();
  for (const [i, e] of events.entries()) {
    if (e.kind === 'listed') tally.listed++;
    else if (e.kind === 'fetched') tally.fetched++;
    else if (e.kind === 'gone') tally.gone++;
    else if (e.kind === 'unreached') tally.unreached++;
    else if (e.kind === 'snapshot') tally.snapshots++;
    else if (e.kind === 'stateWrite') tally.stateWrites++;
    else if (e.kind === 'level') tally.levels[e.level]++;
    else if (e.kind === 'balance') countBalance(tally, e.currency, e.amount);
    else if (e.kind === 'failure') countFailure(tally, { authId: e.authId, reason: 'HTTP 502' });
    else if (e.kind === 'runway') countRunway(tally, withRunway(`${e.authId}#${from + i}`, e.hours), T0);
  }
  return tally;
}

// Enough events to overflow the kept failures and runways.
const eventsArb = fc.array(eventArb, { maxLength: 400 });

describe('mergeTallies: properties', () => {
  it('merges the tallies of two parts of a sweep into exactly the tally of the whole', () => {
    fc.assert(
      fc.property(eventsArb, fc.nat(), (events, cut) => {
        // Arrange
        const at = events.length === 0 ? 0 : cut % (events.length + 1);

        // Act
        const merged = mergeTallies(count(events.slice(0, at)), count(events.slice(at), at));

        // Assert
        expect(merged).toEqual(count(events));
      }),
    );
  });

  it('does not care how parts are grouped, and an empty tally changes nothing', () => {
    fc.assert(
      fc.property(eventsArb, eventsArb, eventsArb, (x, y, z) => {
        // Arrange
        const [a, b, c] = [count(x), count(y), count(z)];

        // Act
        const left = mergeTallies(mergeTallies(a, b), c);
        const right = mergeTallies(a, mergeTallies(b, c));

        // Assert
        expect(left).toEqual(right);
        expect(mergeTallies(a, emptyTally())).toEqual(a);
        expect(mergeTallies(emptyTally(), a)).toEqual(a);
      }),
    );
  });

  it('leaves both tallies it merges as they were', () => {
    fc.assert(
      fc.property(eventsArb, eventsArb, (x, y) => {
        // Arrange
        const [a, b] = [count(x), count(y)];
        const [aBefore, bBefore] = [structuredClone(a), structuredClone(b)];

        // Act
        mergeTallies(a, b);

        // Assert
        expect([a, b]).toEqual([aBefore, bBefore]);
      }),
    );
  });
});
