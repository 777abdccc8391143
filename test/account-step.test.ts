import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type AccountObservation,
  type AccountStep,
  type CustomerContext,
  nextAccountState,
  type PartnerContext,
  type StepContext,
} from '../functions/core/account-step.ts';
import type { SpendAnalysis } from '../functions/core/forecast.ts';
import { AmountError, parseAmount } from '../functions/core/money.ts';
import { addMs } from '../functions/core/time.ts';
import type { AccountState, PendingNotification, Runway } from '../functions/core/types.ts';

const HOUR = 3_600_000;
const T0 = '2026-11-27T06:00:00.000Z';
const POLICY = { hysteresisPercent: '10', reminderIntervalMs: 24 * HOUR, claimLeaseMs: 15 * 60_000 };
const CUSTOMER: CustomerContext = {
  kind: 'customer',
  sweepId: 'sweep-1',
  now: T0,
  timezone: 'Asia/Kolkata',
  policy: POLICY,
  forecast: {
    horizonHours: 48,
    minHistoryHours: 6,
    spikeFactor: '5',
    spikeMinAmount: '200',
    spikeMinAmounts: {},
  },
  currencyDefaults: { USD: { low: '5' } },
  globalThresholds: { low: '100.00000', critical: '0.00000' },
};
const PARTNER: PartnerContext = {
  kind: 'partner',
  sweepId: 'sweep-1',
  now: T0,
  policy: POLICY,
  thresholds: { low: '1000.00000', critical: '0' },
};

function reading(
  balance: string,
  observedAt = T0,
  extra: Partial<AccountObservation> = {},
): AccountObservation {
  return {
    authId: 'MA_ONE',
    name: 'Asha Traders',
    currency: 'INR',
    balance: parseAmount(balance),
    observedAt,
    alertable: true,
    ...extra,
  };
}

/** The state one step left behind, as the store would hand it back (version bumped on commit). */
function stored(balance: string, observedAt: string, extra: Partial<AccountState> = {}): AccountState {
  const { state } = nextAccountState(undefined, reading(balance, observedAt), {
    ...CUSTOMER,
    now: observedAt,
  });
  return { ...state, version: 1, ...extra };
}

function knownRunway(hours: number, computedAt: string): Runway {
  return {
    status: 'known',
    hours,
    ratePerHour: '10.00000',
    basis: '24h',
    depletionAt: addMs(computedAt, hours * HOUR),
    computedAt,
  };
}

function waiting(id: string, claimedBy: string, claimUntil: string): PendingNotification {
  return {
    id,
    type: 'low',
    authId: 'MA_ONE',
    name: 'Asha Traders',
    currency: 'INR',
    balance: '42.00000',
    level: 'LOW',
    previousLevel: 'OK',
    thresholds: { low: '100.00000', critical: '0.00000' },
    observedAt: '2026-11-26T00:00:00.000Z',
    sweepId: claimedBy,
    claimedBy,
    claimUntil,
  };
}

describe('nextAccountState for a customer account', () => {
  it('keeps the first reading of an account as a snapshot of its partner-local day', () => {
    // Arrange
    const first = reading('500');

    // Act
    const step = nextAccountState(undefined, first, CUSTOMER);

    // Assert
    expect(step.changed).toBe(true);
    expect(step.snapshot).toEqual({
      authId: 'MA_ONE',
      name: 'Asha Traders',
      currency: 'INR',
      balance: '500.00000',
      observedAt: T0,
      localDay: '2026-11-27',
      level: 'OK',
      sweepId: 'sweep-1',
    });
    expect(step.state).toMatchObject({ level: 'OK', lastSnapshotDay: '2026-11-27', outbox: [] });
    expect(step.notifications).toEqual([]);
  });

  it('treats a repeat reading of the same balance on the same day as no change: no write, no snapshot', () => {
    // Arrange
    const previous = stored('500', T0);
    const later = addMs(T0, HOUR);

    // Act
    const step = nextAccountState(previous, reading('500.0', later), {
      ...CUSTOMER,
      sweepId: 'sweep-2',
      now: later,
    });

    // Assert
    expect(step).toEqual({ state: previous, changed: false, snapshot: null, notifications: [] });
  });

  it('keeps a snapshot at the first reading of a new partner-local day even when nothing moved', () => {
    // Arrange: 23:59 and 00:01 in Asia/Kolkata.
    const previous = stored('500', '2026-11-27T18:29:00.000Z');
    const nextDay = '2026-11-27T18:31:00.000Z';

    // Act
    const step = nextAccountState(previous, reading('500', nextDay), { ...CUSTOMER, now: nextDay });

    // Assert
    expect(step.changed).toBe(true);
    expect(step.snapshot).toMatchObject({ localDay: '2026-11-28', balance: '500.00000' });
    expect(step.state.lastSnapshotDay).toBe('2026-11-28');
    expect(step.state.balanceSince).toBe('2026-11-27T18:29:00.000Z');
    expect(step.notifications).toEqual([]);
  });

  it('judges an account by its own override first, then its currency default, then the global pair', () => {
    // Arrange
    const withOverride = stored('5000', T0, { override: { low: '6000' } });
    const dollars = nextAccountState(undefined, reading('50', T0, { currency: 'USD' }), CUSTOMER).state;
    const later = addMs(T0, HOUR);

    // Act
    const overridden = nextAccountState(withOverride, reading('5000', later), { ...CUSTOMER, now: later });
    const inUsd = nextAccountState(dollars, reading('4', later, { currency: 'USD' }), {
      ...CUSTOMER,
      now: later,
    });
    const global = nextAccountState(undefined, reading('99'), CUSTOMER);

    // Assert
    expect(overridden.notifications.map((n) => [n.type, n.thresholds.low])).toEqual([['low', '6000.00000']]);
    expect(inUsd.notifications.map((n) => [n.type, n.thresholds.low])).toEqual([['low', '5.00000']]);
    expect(global.notifications.map((n) => [n.type, n.thresholds.low])).toEqual([['low', '100.00000']]);
  });

  it('names the culprit when a stored override is not an amount', () => {
    // Arrange
    const previous = stored('500', T0, { override: { low: 'lots' } });

    // Act
    const act = () => nextAccountState(previous, reading('400', addMs(T0, HOUR)), CUSTOMER);

    // Assert
    expect(act).toThrow(AmountError);
    expect(act).toThrow(/account threshold override low/);
  });

  it('puts the runway of the spend analysis on the notification of a new level', () => {
    // Arrange
    const previous = stored('500', T0);
    const later = addMs(T0, 2 * HOUR);
    const runway = knownRunway(5, later);
    const analysis: SpendAnalysis = { runway, lastHourSpend: '0', hourlyAverage: null };

    // Act
    const step = nextAccountState(previous, reading('50', later, { analysis }), { ...CUSTOMER, now: later });

    // Assert
    expect(step.notifications.map((n) => [n.type, n.runway])).toEqual([['low', runway]]);
    expect(step.state.runway).toEqual(runway);
    expect(step.state.outbox).toEqual(step.notifications);
  });

  it('forecasts a falling balance whose runway is under the horizon while it is still OK', () => {
    // Arrange
    const previous = stored('5000', T0);
    const later = addMs(T0, 2 * HOUR);
    const analysis: SpendAnalysis = {
      runway: knownRunway(20, later),
      lastHourSpend: '10',
      hourlyAverage: '10',
    };

    // Act
    const step = nextAccountState(previous, reading('4000', later, { analysis }), {
      ...CUSTOMER,
      now: later,
    });

    // Assert
    expect(step.notifications.map((n) => [n.type, n.level, n.runway?.status])).toEqual([
      ['forecast', 'OK', 'known'],
    ]);
    expect(step.state.forecastEpisode).toBe(true);
    expect(step.snapshot?.balance).toBe('4000.00000');
  });

  it('takes over a notification whose earlier owner let its claim run out, without calling it new', () => {
    // Arrange
    const previous = stored('42', T0, { outbox: [waiting('old', 'sweep-0', addMs(T0, -HOUR))] });
    const later = addMs(T0, HOUR);

    // Act
    const step = nextAccountState(previous, reading('42', later), { ...CUSTOMER, now: later });

    // Assert
    expect(step.changed).toBe(true);
    expect(step.snapshot).toBeNull();
    expect(step.notifications).toEqual([]);
    expect(step.state.outbox).toEqual([
      {
        ...waiting('old', 'sweep-0', addMs(T0, -HOUR)),
        claimedBy: 'sweep-1',
        claimUntil: addMs(later, 15 * 60_000),
      },
    ]);
  });

  it('leaves a live claim of another sweep alone', () => {
    // Arrange
    const previous = stored('42', T0, { outbox: [waiting('old', 'sweep-0', addMs(T0, 2 * HOUR))] });
    const later = addMs(T0, HOUR);

    // Act
    const step = nextAccountState(previous, reading('42', later), { ...CUSTOMER, now: later });

    // Assert
    expect(step.changed).toBe(false);
    expect(step.state.outbox[0]?.claimedBy).toBe('sweep-0');
  });

  it('does not claim what an earlier sweep left behind while the account is muted', () => {
    // Arrange
    const later = addMs(T0, HOUR);
    const previous = stored('42', T0, {
      outbox: [waiting('old', 'sweep-0', addMs(T0, -HOUR))],
      mute: { until: addMs(later, 1), reason: 'customer on holiday' },
    });

    // Act
    const step = nextAccountState(previous, reading('42', later), { ...CUSTOMER, now: later });

    // Assert
    expect(step.changed).toBe(false);
    expect(step.state.outbox).toEqual(previous.outbox);
  });
});

describe('nextAccountState for the partner wallet', () => {
  it('raises partner_low with the fixed partner threshold and never keeps a snapshot', () => {
    // Arrange
    const first = reading('750', T0, { authId: 'MA_PARTNER', name: 'The Partner' });

    // Act
    const step = nextAccountState(undefined, first, PARTNER);

    // Assert
    expect(step.changed).toBe(true);
    expect(step.snapshot).toBeNull();
    expect(step.state.lastSnapshotDay).toBeNull();
    expect(step.notifications.map((n) => [n.type, n.level, n.thresholds])).toEqual([
      ['partner_low', 'LOW', { low: '1000.00000', critical: '0' }],
    ]);
    expect(step.state.outbox).toEqual(step.notifications);
  });

  it('announces a topped-up partner wallet as partner_recovered', () => {
    // Arrange
    const low = nextAccountState(undefined, reading('750'), PARTNER).state;
    const later = addMs(T0, HOUR);

    // Act
    const step = nextAccountState({ ...low, outbox: [] }, reading('5000', later), { ...PARTNER, now: later });

    // Assert
    expect(step.notifications.map((n) => n.type)).toEqual(['partner_recovered']);
    expect(step.snapshot).toBeNull();
  });

  it('ignores a per-account override and currency defaults: the partner line is fixed', () => {
    // Arrange
    const previous = {
      ...nextAccountState(undefined, reading('5000'), PARTNER).state,
      override: { low: '10' },
    };
    const later = addMs(T0, HOUR);

    // Act
    const step = nextAccountState(previous, reading('750', later), { ...PARTNER, now: later });

    // Assert
    expect(step.notifications.map((n) => [n.type, n.thresholds.low])).toEqual([
      ['partner_low', '1000.00000'],
    ]);
  });
});

// Properties over sequences of readings, each taken by a new sweep as the scheduler would run them.

const UNITS = 100_000n;
function fromUnits(units: bigint): string {
  const abs = units < 0n ? -units : units;
  return parseAmount(`${units < 0n ? '-' : ''}${abs / UNITS}.${(abs % UNITS).toString().padStart(5, '0')}`);
}

const balanceArb = fc.oneof(
  fc.constantFrom('0.00000', '99.99999', '100.00000', '110.00000', '110.00001', '1000.00000', '5000.00000'),
  fc.bigInt({ min: -1_000n * UNITS, max: 10_000n * UNITS }).map(fromUnits),
);

const runwayArb: fc.Arbitrary<(at: string) => Runway> = fc.oneof(
  fc.integer({ min: 0, max: 500 }).map((hours) => (at: string) => knownRunway(hours, at)),
  fc
    .constantFrom<'no_spend' | 'insufficient_history'>('no_spend', 'insufficient_history')
    .map((status) => (at: string) => ({ status, computedAt: at })),
);

interface Move {
  balance: string;
  /** Minutes since the previous reading: some inside a claim lease, some across days. */
  gapMinutes: number;
  alertable: boolean;
  /** Before this reading someone mutes the account for this long (negative: a mute already over), or leaves it. */
  muteMinutes: number | null;
  runway: (at: string) => Runway;
  lastHourSpend: string;
  hourlyAverage: string | null;
}

const moveArb: fc.Arbitrary<Move> = fc.record({
  balance: balanceArb,
  gapMinutes: fc.oneof(fc.integer({ min: 0, max: 20 }), fc.integer({ min: 20, max: 36 * 60 })),
  alertable: fc.oneof(
    { arbitrary: fc.constant(true), weight: 5 },
    { arbitrary: fc.constant(false), weight: 1 },
  ),
  muteMinutes: fc.oneof(
    { arbitrary: fc.constant(null), weight: 4 },
    { arbitrary: fc.integer({ min: -60, max: 48 * 60 }), weight: 1 },
  ),
  runway: runwayArb,
  lastHourSpend: fc.constantFrom('0', '10', '500', '5000'),
  hourlyAverage: fc.constantFrom(null, '1', '100'),
});

interface Played {
  previous: AccountState | undefined;
  observation: AccountObservation;
  context: StepContext;
  step: AccountStep;
}

/**
 * Feeds readings through the step as consecutive sweeps would: a spend analysis only when an alertable
 * balance moved, the state each step leaves as the next one's previous, nothing ever delivered.
 */
function play(moves: readonly Move[], base: StepContext): Played[] {
  const played: Played[] = [];
  let previous: AccountState | undefined;
  let minutes = 0;
  moves.forEach((move, i) => {
    minutes += move.gapMinutes;
    const observedAt = addMs('2026-11-20T00:00:00.000Z', minutes * 60_000);
    if (previous && move.muteMinutes !== null) {
      previous = {
        ...previous,
        mute: { until: addMs(observedAt, move.muteMinutes * 60_000), reason: 'test' },
      };
    }
    const moved = previous !== undefined && parseAmount(previous.balance) !== move.balance;
    const analysis =
      base.kind === 'customer' && moved && move.alertable
        ? {
            runway: move.runway(observedAt),
            lastHourSpend: move.lastHourSpend,
            hourlyAverage: move.hourlyAverage,
          }
        : null;
    const observation = reading(move.balance, observedAt, { alertable: move.alertable, analysis });
    const context = { ...base, sweepId: `sweep-${i}`, now: observedAt };
    const step = nextAccountState(previous, observation, context);
    played.push({ previous, observation, context, step });
    previous = committed(step);
  });
  return played;
}

/** The state as the store holds it after the step: written (version bumped) only when changed. */
function committed(step: AccountStep): AccountState {
  return step.changed ? { ...step.state, version: step.state.version + 1 } : step.state;
}

const movesArb = fc.array(moveArb, { minLength: 1, maxLength: 30 });

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

/** Asia/Kolkata is UTC+05:30 all year: its calendar day worked out without Intl. */
function kolkataDay(iso: string): string {
  return new Date(Date.parse(iso) + 5.5 * HOUR).toISOString().slice(0, 10);
}

describe('nextAccountState: properties', () => {
  it('is deterministic and never changes the state it was given', () => {
    fc.assert(
      fc.property(movesArb, fc.constantFrom<StepContext>(CUSTOMER, PARTNER), (moves, base) => {
        for (const { previous, observation, context, step } of play(moves, base)) {
          const again = nextAccountState(deepFreeze(structuredClone(previous)), observation, context);
          expect(again).toEqual(step);
        }
      }),
    );
  });

  it('never keeps a snapshot without a balance change unless the partner-local day changed', () => {
    fc.assert(
      fc.property(movesArb, (moves) => {
        for (const { previous, observation, step } of play(moves, CUSTOMER)) {
          if (!previous) {
            expect(step.snapshot).not.toBeNull();
            continue;
          }
          const moved = parseAmount(previous.balance) !== observation.balance;
          const newDay = previous.lastSnapshotDay !== kolkataDay(observation.observedAt);
          expect(step.snapshot !== null).toBe(moved || newDay);
          if (step.snapshot) expect(step.changed).toBe(true);
        }
      }),
    );
  });

  it('writes nothing for a repeat reading of the same balance later that day when nothing fell due meanwhile', () => {
    fc.assert(
      fc.property(movesArb, fc.integer({ min: 0, max: 10 * 60_000 }), (moves, delayMs) => {
        // Arrange: a claim running out, a mute ending or a reminder falling due would each be a write.
        const last = play(moves, CUSTOMER).at(-1) as Played;
        const state = committed(last.step);
        const since = last.observation.observedAt;
        const at = addMs(since, delayMs);
        const between = (iso: string | null | undefined) => !!iso && iso > since && iso <= at;
        const reminderDue = state.lastNotifiedAt && addMs(state.lastNotifiedAt, POLICY.reminderIntervalMs);
        fc.pre(kolkataDay(at) === kolkataDay(since));
        fc.pre(!state.outbox.some((n) => between(n.claimUntil)) && !between(state.mute?.until));
        fc.pre(!between(reminderDue));

        // Act
        const repeat = nextAccountState(
          state,
          { ...last.observation, observedAt: at, analysis: null },
          { ...CUSTOMER, sweepId: 'sweep-repeat', now: at },
        );

        // Assert
        expect(repeat).toEqual({ state, changed: false, snapshot: null, notifications: [] });
      }),
    );
  });

  it('changes nothing it does not write: a step without a write leaves the state as it was', () => {
    fc.assert(
      fc.property(movesArb, fc.constantFrom<StepContext>(CUSTOMER, PARTNER), (moves, base) => {
        for (const { previous, step } of play(moves, base)) {
          if (!step.changed) expect(step.state).toEqual(previous);
        }
      }),
    );
  });

  it('puts on every new notification the runway the account has after the step, the analysed one when known', () => {
    fc.assert(
      fc.property(movesArb, (moves) => {
        for (const { observation, step } of play(moves, CUSTOMER)) {
          for (const n of step.notifications) expect(n.runway).toEqual(step.state.runway);
          if (observation.analysis) expect(step.state.runway).toEqual(observation.analysis.runway);
          expect(step.notifications.every((n) => step.state.outbox.includes(n))).toBe(true);
        }
      }),
    );
  });

  it('never claims an inherited notification while the account is muted, and always claims an expired one otherwise', () => {
    fc.assert(
      fc.property(movesArb, fc.constantFrom<StepContext>(CUSTOMER, PARTNER), (moves, base) => {
        for (const { previous, context, step } of play(moves, base)) {
          if (!previous) continue;
          const muted = previous.mute !== null && previous.mute.until > context.now;
          for (const before of previous.outbox) {
            const after = step.state.outbox.find((n) => n.id === before.id);
            if (!after) continue;
            const expired = before.claimedBy !== context.sweepId && before.claimUntil <= context.now;
            expect(after.claimedBy).toBe(muted || !expired ? before.claimedBy : context.sweepId);
          }
        }
      }),
    );
  });

  it('gives the partner wallet only partner notification types and never a snapshot', () => {
    fc.assert(
      fc.property(movesArb, (moves) => {
        for (const { step } of play(moves, PARTNER)) {
          expect(step.snapshot).toBeNull();
          expect(step.state.lastSnapshotDay).toBeNull();
          for (const n of step.state.outbox) expect(['partner_low', 'partner_recovered']).toContain(n.type);
        }
      }),
    );
  });
});
