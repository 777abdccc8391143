import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  addAmounts,
  atMost,
  greaterThan,
  lessThan,
  parseAmount,
  percentOf,
  sameAmount,
  subtractAmounts,
} from '../functions/core/money.ts';
import {
  classify,
  criticalRecoveryLevel,
  type Decision,
  decide,
  initialState,
  type Observation,
  type PolicySettings,
  recoveryLevel,
  resolveThresholds,
} from '../functions/core/policy.ts';
import { addMs } from '../functions/core/time.ts';
import type {
  AccountState,
  Level,
  NotificationType,
  PendingNotification,
  ThresholdOverride,
  Thresholds,
} from '../functions/core/types.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const T0 = '2026-03-01T00:00:00.000Z';
const SWEEP = 'sweep-1';
const SETTINGS: PolicySettings = {
  hysteresisPercent: '10',
  reminderIntervalMs: DAY,
  claimLeaseMs: 15 * 60_000,
};
const THRESHOLDS: Thresholds = { low: '100.00000', critical: '0.00000' };
const UNIT = '0.00001';

function at(offsetMs: number): string {
  return addMs(T0, offsetMs);
}

function observation(balance: string, observedAt = T0, extra: Partial<Observation> = {}): Observation {
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

/** A stored state as another part of the program would leave it (version, snapshot day, override, mute set). */
function stored(level: Level, balance: string, extra: Partial<AccountState> = {}): AccountState {
  return {
    ...initialState(observation(balance)),
    level,
    lastNotifiedAt: level === 'LOW' || level === 'CRITICAL' ? T0 : null,
    lastSnapshotDay: '2026-03-01',
    override: { low: '100' },
    mute: null,
    version: 7,
    ...extra,
  };
}

/** Runs observations through decide as consecutive sweeps would, each from the state the last one left. */
function replay(
  observations: readonly Observation[],
  thresholds = THRESHOLDS,
  settings = SETTINGS,
  start?: AccountState,
): Array<{ prev: AccountState | undefined; obs: Observation; decision: Decision }> {
  const steps: Array<{ prev: AccountState | undefined; obs: Observation; decision: Decision }> = [];
  let prev = start;
  observations.forEach((obs, i) => {
    const decision = decide(prev, obs, thresholds, settings, `sweep-${i}`);
    steps.push({ prev, obs, decision });
    prev = decision.state;
  });
  return steps;
}

function typesOf(steps: ReturnType<typeof replay>): Array<NotificationType | null> {
  return steps.map((s) => s.decision.notification?.type ?? null);
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

describe('classify', () => {
  it('calls a balance strictly below low LOW and one exactly at low OK', () => {
    // Arrange
    const justBelow = subtractAmounts(THRESHOLDS.low, UNIT);

    // Act
    const below = classify(justBelow, THRESHOLDS);
    const atLow = classify(THRESHOLDS.low, THRESHOLDS);

    // Assert
    expect(below).toBe('LOW');
    expect(atLow).toBe('OK');
  });

  it('calls zero and negative balances CRITICAL with the default critical of zero', () => {
    // Arrange
    const balances = ['0.00000', '-0.00001', '-250.00000'];

    // Act
    const levels = balances.map((b) => classify(b, THRESHOLDS));

    // Assert
    expect(levels).toEqual(['CRITICAL', 'CRITICAL', 'CRITICAL']);
  });

  it('checks CRITICAL first, so critical equal to low leaves no LOW band', () => {
    // Arrange
    const flat: Thresholds = { low: '50.00000', critical: '50.00000' };

    // Act
    const atLine = classify('50.00000', flat);
    const below = classify('49.99999', flat);
    const above = classify('50.00001', flat);

    // Assert
    expect([atLine, below, above]).toEqual(['CRITICAL', 'CRITICAL', 'OK']);
  });
});

describe('resolveThresholds', () => {
  const global: Thresholds = { low: '100.00000', critical: '0.00000' };
  const defaults: Record<string, ThresholdOverride> = {
    USD: { low: '5', critical: '1' },
    EUR: { low: '4' },
  };

  it('prefers the account override over the currency default and the global pair', () => {
    // Arrange
    const override: ThresholdOverride = { low: '20', critical: '2' };

    // Act
    const resolved = resolveThresholds(override, 'USD', defaults, global);

    // Assert
    expect(resolved).toEqual({ low: '20.00000', critical: '2.00000' });
  });

  it('uses the currency default when there is no override, and the global pair when there is neither', () => {
    // Arrange, Act
    const usd = resolveThresholds(null, 'USD', defaults, global);
    const inr = resolveThresholds(null, 'INR', defaults, global);

    // Assert
    expect(usd).toEqual({ low: '5.00000', critical: '1.00000' });
    expect(inr).toEqual(global);
  });

  it('borrows a missing critical from the currency default, then from the global pair', () => {
    // Arrange
    const override: ThresholdOverride = { low: '30' };

    // Act
    const fromCurrency = resolveThresholds(override, 'USD', defaults, global);
    const fromGlobal = resolveThresholds(override, 'EUR', defaults, global);
    const currencyOnly = resolveThresholds(null, 'EUR', defaults, global);

    // Assert
    expect(fromCurrency).toEqual({ low: '30.00000', critical: '1.00000' });
    expect(fromGlobal).toEqual({ low: '30.00000', critical: '0.00000' });
    expect(currencyOnly).toEqual({ low: '4.00000', critical: '0.00000' });
  });

  it('clamps a borrowed critical that lies above the override low down to that low', () => {
    // Arrange
    const override: ThresholdOverride = { low: '0.5' };

    // Act
    const resolved = resolveThresholds(override, 'USD', defaults, global);

    // Assert
    expect(resolved).toEqual({ low: '0.50000', critical: '0.50000' });
  });

  it('finds a currency default whatever the case of the observed currency code', () => {
    // Arrange, Act
    const resolved = resolveThresholds(null, 'usd', defaults, global);

    // Assert
    expect(resolved.low).toBe('5.00000');
  });
});

describe('recoveryLevel', () => {
  it('adds the hysteresis percentage of low to low', () => {
    // Arrange, Act
    const level = recoveryLevel({ low: '100.00000', critical: '0.00000' }, '12.5');

    // Assert
    expect(sameAmount(level, '112.5')).toBe(true);
  });

  it('never puts the recovery line below low when low is negative', () => {
    // Arrange, Act
    const level = recoveryLevel({ low: '-50.00000', critical: '-80.00000' }, '10');

    // Assert
    expect(sameAmount(level, '-50')).toBe(true);
  });
});

describe('decide: levels and notifications', () => {
  it('announces a first sight below low as low', () => {
    // Arrange, Act
    const decision = decide(undefined, observation('42'), THRESHOLDS, SETTINGS, SWEEP);

    // Assert
    expect(decision.state.level).toBe('LOW');
    expect(decision.notification?.type).toBe('low');
    expect(decision.notification?.previousLevel).toBe('UNKNOWN');
    expect(decision.changed).toBe(true);
  });

  it('announces a first sight at zero as critical', () => {
    // Arrange, Act
    const decision = decide(undefined, observation('0'), THRESHOLDS, SETTINGS, SWEEP);

    // Assert
    expect(decision.state.level).toBe('CRITICAL');
    expect(decision.notification?.type).toBe('critical');
  });

  it('records a healthy first sight as OK without a notification', () => {
    // Arrange, Act
    const decision = decide(undefined, observation('500'), THRESHOLDS, SETTINGS, SWEEP);

    // Assert
    expect(decision.state.level).toBe('OK');
    expect(decision.notification).toBeNull();
    expect(decision.state.outbox).toEqual([]);
    expect(decision.changed).toBe(true);
  });

  it('announces OK to LOW, LOW to CRITICAL, CRITICAL to LOW and LOW to OK in turn', () => {
    // Arrange
    const balances = ['500', '99.99999', '0', '10.00001', '110.00001'];

    // Act
    const steps = replay(balances.map((b, i) => observation(b, at(i * HOUR))));

    // Assert
    expect(steps.map((s) => s.decision.state.level)).toEqual(['OK', 'LOW', 'CRITICAL', 'LOW', 'OK']);
    expect(typesOf(steps)).toEqual([null, 'low', 'critical', 'low', 'recovered']);
  });

  it('announces OK straight to CRITICAL as critical and CRITICAL straight to OK as recovered', () => {
    // Arrange
    const balances = ['500', '-3', '1000'];

    // Act
    const steps = replay(balances.map((b, i) => observation(b, at(i * HOUR))));

    // Assert
    expect(typesOf(steps)).toEqual([null, 'critical', 'recovered']);
    expect(steps[2]?.decision.notification?.previousLevel).toBe('CRITICAL');
  });
});

describe('decide: hysteresis', () => {
  it('keeps a LOW account LOW at low, at the recovery line and anywhere in between', () => {
    // Arrange
    const balances = ['99', '100', '105', '110', '100.00001', '109.99999'];

    // Act
    const steps = replay(balances.map((b, i) => observation(b, at(i * HOUR))));

    // Assert
    expect(steps.map((s) => s.decision.state.level)).toEqual(['LOW', 'LOW', 'LOW', 'LOW', 'LOW', 'LOW']);
    expect(typesOf(steps)).toEqual(['low', null, null, null, null, null]);
  });

  it('recovers a LOW account one unit above the recovery line', () => {
    // Arrange
    const prev = stored('LOW', '99');

    // Act
    const decision = decide(prev, observation('110.00001', at(HOUR)), THRESHOLDS, SETTINGS, SWEEP);

    // Assert
    expect(decision.state.level).toBe('OK');
    expect(decision.notification?.type).toBe('recovered');
  });

  it('keeps a CRITICAL account CRITICAL while it hovers just above the critical level', () => {
    // Arrange: critical 0, low 100, 10%: CRITICAL until the balance is above 10.
    const balances = ['-1', '0.5', '-0.2', '3', '10', '10.00001'];

    // Act
    const steps = replay(balances.map((b, i) => observation(b, at(i * HOUR))));

    // Assert
    expect(steps.map((s) => s.decision.state.level)).toEqual([
      'CRITICAL',
      'CRITICAL',
      'CRITICAL',
      'CRITICAL',
      'CRITICAL',
      'LOW',
    ]);
    expect(typesOf(steps)).toEqual(['critical', null, null, null, null, 'low']);
  });

  it('moves a CRITICAL account that rises into the band to LOW, not OK', () => {
    // Arrange
    const prev = stored('CRITICAL', '-5');

    // Act
    const decision = decide(prev, observation('105', at(HOUR)), THRESHOLDS, SETTINGS, SWEEP);

    // Assert
    expect(decision.state.level).toBe('LOW');
    expect(decision.notification?.type).toBe('low');
  });

  it('lets an OK account sit in the band without becoming LOW', () => {
    // Arrange
    const prev = stored('OK', '500');

    // Act
    const decision = decide(prev, observation('100', at(HOUR)), THRESHOLDS, SETTINGS, SWEEP);

    // Assert
    expect(decision.state.level).toBe('OK');
    expect(decision.notification).toBeNull();
  });
});

describe('decide: reminders', () => {
  it('stays silent while the level holds and the interval has not elapsed', () => {
    // Arrange
    const prev = stored('LOW', '50', { lastNotifiedAt: T0 });

    // Act
    const decision = decide(prev, observation('40', at(DAY - 1)), THRESHOLDS, SETTINGS, SWEEP);

    // Assert
    expect(decision.notification).toBeNull();
    expect(decision.state.lastNotifiedAt).toBe(T0);
  });

  it('reminds once the interval has elapsed exactly, and restarts the interval from then', () => {
    // Arrange
    const prev = stored('CRITICAL', '-1', { lastNotifiedAt: T0 });

    // Act
    const decision = decide(prev, observation('-1', at(DAY)), THRESHOLDS, SETTINGS, SWEEP);

    // Assert
    expect(decision.notification?.type).toBe('reminder');
    expect(decision.notification?.level).toBe('CRITICAL');
    expect(decision.notification?.previousLevel).toBe('CRITICAL');
    expect(decision.state.lastNotifiedAt).toBe(at(DAY));
  });

  it('sets lastNotifiedAt on low and clears it on recovery', () => {
    // Arrange
    const observations = [observation('50', at(0)), observation('200', at(HOUR))];

    // Act
    const [low, recovered] = replay(observations);

    // Assert
    expect(low?.decision.state.lastNotifiedAt).toBe(at(0));
    expect(recovered?.decision.state.lastNotifiedAt).toBeNull();
  });

  it('never reminds an OK account, however long ago it was last notified', () => {
    // Arrange
    const prev = stored('OK', '500', { lastNotifiedAt: T0 });

    // Act
    const decision = decide(prev, observation('500', at(10 * DAY)), THRESHOLDS, SETTINGS, SWEEP);

    // Assert
    expect(decision.notification).toBeNull();
    expect(decision.state.lastNotifiedAt).toBeNull();
    expect(decision.changed).toBe(true);
  });
});

describe('decide: accounts that are not alerted', () => {
  it('records balance, name and currency but keeps the level and notifies nothing', () => {
    // Arrange
    const prev = stored('OK', '500');
    const obs = observation('-20', at(HOUR), { alertable: false, name: 'Renamed Ltd', currency: 'USD' });

    // Act
    const decision = decide(prev, obs, THRESHOLDS, SETTINGS, SWEEP);

    // Assert
    expect(decision.notification).toBeNull();
    expect(decision.state).toMatchObject({
      level: 'OK',
      levelSince: prev.levelSince,
      balance: '-20.00000',
      balanceSince: at(HOUR),
      name: 'Renamed Ltd',
      currency: 'USD',
      alertable: false,
    });
    expect(decision.changed).toBe(true);
  });

  it('keeps a never-alerted account UNKNOWN on first sight', () => {
    // Arrange, Act
    const decision = decide(
      undefined,
      observation('-20', T0, { alertable: false }),
      THRESHOLDS,
      SETTINGS,
      SWEEP,
    );

    // Assert
    expect(decision.state.level).toBe('UNKNOWN');
    expect(decision.notification).toBeNull();
    expect(decision.state.alertable).toBe(false);
  });

  it('applies the usual rules against the kept level once the account is alertable again', () => {
    // Arrange
    const observations = [
      observation('500', at(0)),
      observation('10', at(HOUR), { alertable: false }),
      observation('10', at(2 * HOUR)),
    ];

    // Act
    const steps = replay(observations);

    // Assert
    expect(typesOf(steps)).toEqual([null, null, 'low']);
    expect(steps[2]?.decision.notification?.previousLevel).toBe('OK');
  });
});

describe('decide: bookkeeping', () => {
  it('moves levelSince only when the level changes and balanceSince only when the balance does', () => {
    // Arrange
    const observations = [
      observation('500', at(0)),
      observation('500.00000', at(HOUR)),
      observation('400', at(2 * HOUR)),
      observation('50', at(3 * HOUR)),
    ];

    // Act
    const states = replay(observations).map((s) => s.decision.state);

    // Assert
    expect(states.map((s) => s.balanceSince)).toEqual([at(0), at(0), at(2 * HOUR), at(3 * HOUR)]);
    expect(states.map((s) => s.levelSince)).toEqual([at(0), at(0), at(0), at(3 * HOUR)]);
  });

  it('builds a notification with a deterministic id, the thresholds used and a lease from the observation time', () => {
    // Arrange
    const prev = stored('OK', '500');
    const obs = observation('-1.5', at(HOUR));

    // Act
    const { notification } = decide(prev, obs, THRESHOLDS, SETTINGS, 'sweep-42');

    // Assert
    expect(notification).toEqual<PendingNotification>({
      id: `MA_ONE:critical:${at(HOUR)}`,
      type: 'critical',
      authId: 'MA_ONE',
      name: 'Asha Traders',
      currency: 'INR',
      balance: '-1.50000',
      level: 'CRITICAL',
      previousLevel: 'OK',
      thresholds: THRESHOLDS,
      observedAt: at(HOUR),
      sweepId: 'sweep-42',
      claimedBy: 'sweep-42',
      claimUntil: at(HOUR + 15 * 60_000),
    });
  });

  it('replaces a reminder still waiting with the new one, so an outage leaves one per account', () => {
    // Arrange
    const first = decide(stored('LOW', '50'), observation('50', at(25 * HOUR)), THRESHOLDS, SETTINGS, SWEEP);
    const waiting = first.state;

    // Act
    const second = decide(waiting, observation('50', at(50 * HOUR)), THRESHOLDS, SETTINGS, SWEEP);

    // Assert
    expect(first.notification?.type).toBe('reminder');
    expect(second.notification?.type).toBe('reminder');
    expect(second.state.outbox.map((n) => n.id)).toEqual([second.notification?.id]);
  });

  it('appends to the outbox and leaves entries already waiting there untouched', () => {
    // Arrange
    const waiting = decide(undefined, observation('50', T0), THRESHOLDS, SETTINGS, 'sweep-0').state;
    const first = waiting.outbox[0];

    // Act
    const decision = decide(waiting, observation('-1', at(HOUR)), THRESHOLDS, SETTINGS, 'sweep-1');

    // Assert
    expect(decision.state.outbox).toHaveLength(2);
    expect(decision.state.outbox[0]).toBe(first);
    expect(decision.state.outbox[1]).toBe(decision.notification);
  });

  it('leaves version, lastSnapshotDay, override and mute as it found them', () => {
    // Arrange
    const prev = stored('OK', '500', { mute: { until: at(DAY), reason: 'migration' } });

    // Act
    const { state } = decide(prev, observation('5', at(HOUR)), THRESHOLDS, SETTINGS, SWEEP);

    // Assert
    expect(state.version).toBe(7);
    expect(state.lastSnapshotDay).toBe('2026-03-01');
    expect(state.override).toBe(prev.override);
    expect(state.mute).toBe(prev.mute);
  });

  it('needs no write when an unchanged account is swept again later', () => {
    // Arrange
    const prev = decide(undefined, observation('500', T0), THRESHOLDS, SETTINGS, SWEEP).state;

    // Act
    const decision = decide(prev, observation('500.000', at(HOUR)), THRESHOLDS, SETTINGS, 'sweep-2');

    // Assert
    expect(decision.changed).toBe(false);
    expect(decision.state).toEqual(prev);
  });

  it('keeps the stored spelling of an equal balance, so a differently written reading is no write', () => {
    // Arrange
    const prev = decide(undefined, observation('500', T0), THRESHOLDS, SETTINGS, SWEEP).state;
    const obs: Observation = { ...observation('500', at(HOUR)), balance: '500.0' };

    // Act
    const decision = decide(prev, obs, THRESHOLDS, SETTINGS, 'sweep-2');

    // Assert
    expect(decision.state.balance).toBe('500.00000');
    expect(decision.changed).toBe(false);
  });

  it('does not queue a second copy of a notification whose id is already waiting', () => {
    // Arrange: a sweep whose commit was lost re-decides from a state that already holds the entry.
    const prev = stored('OK', '500');
    const obs = observation('50', at(HOUR));
    const first = decide(prev, obs, THRESHOLDS, SETTINGS, SWEEP);
    const replayed = { ...prev, outbox: first.state.outbox };

    // Act
    const decision = decide(replayed, obs, THRESHOLDS, SETTINGS, 'sweep-2');

    // Assert
    expect(decision.notification).toBeNull();
    expect(decision.state.outbox).toEqual(first.state.outbox);
  });

  it('refuses a state that belongs to another account', () => {
    // Arrange
    const prev = stored('OK', '500', { authId: 'MA_TWO' });

    // Act
    const act = () => decide(prev, observation('50', at(HOUR)), THRESHOLDS, SETTINGS, SWEEP);

    // Assert
    expect(act).toThrow(/MA_TWO/);
  });
});

// ---- Properties -------------------------------------------------------------------------------

const SCALE = 100_000n;

/** A 5-dp amount from a count of 0.00001 units. */
function fromUnits(units: bigint): string {
  const abs = units < 0n ? -units : units;
  return parseAmount(`${units < 0n ? '-' : ''}${abs / SCALE}.${(abs % SCALE).toString().padStart(5, '0')}`);
}

/** Units of a non-negative amount, extra digits cut off. */
function toUnitsFloor(amount: string): bigint {
  const [whole = '0', fraction = ''] = amount.split('.');
  return BigInt(whole) * SCALE + BigInt(fraction.padEnd(5, '0').slice(0, 5));
}

const unitsArb = fc.oneof(
  { arbitrary: fc.bigInt({ min: -20_000_000n, max: 20_000_000n }), weight: 4 }, // within +-200
  { arbitrary: fc.bigInt({ min: -(10n ** 15n), max: 10n ** 15n }), weight: 1 },
  { arbitrary: fc.constantFrom(0n, 1n, -1n), weight: 1 },
);

const percentArb = fc.constantFrom('0', '10', '12.5', '25', '0.5', '100');

interface Scenario {
  thresholds: Thresholds;
  settings: PolicySettings;
}

const scenarioArb: fc.Arbitrary<Scenario> = fc
  .record({
    critical: fc.oneof(fc.constant(0n), unitsArb),
    gap: fc.oneof(
      fc.constant(0n),
      fc.constant(1n),
      fc.constant(2n),
      fc.bigInt({ min: 0n, max: 30_000_000n }),
    ),
    hysteresisPercent: percentArb,
    reminderIntervalMs: fc.constantFrom(DAY, 6 * HOUR),
  })
  .map(({ critical, gap, hysteresisPercent, reminderIntervalMs }) => ({
    thresholds: { low: fromUnits(critical + gap), critical: fromUnits(critical) },
    settings: { hysteresisPercent, reminderIntervalMs, claimLeaseMs: 15 * 60_000 },
  }));

/** Balances that matter for these thresholds: the lines themselves, one unit either side, and anything else. */
function balanceArb({ thresholds, settings }: Scenario): fc.Arbitrary<string> {
  const recovery = recoveryLevel(thresholds, settings.hysteresisPercent);
  const lines = [thresholds.low, thresholds.critical, recovery];
  const specials = lines.flatMap((line) => [line, addAmounts(line, UNIT), subtractAmounts(line, UNIT)]);
  return fc.oneof(fc.constantFrom('0.00000', ...specials), unitsArb.map(fromUnits));
}

const gapArb = fc.oneof(
  fc.integer({ min: 1_000, max: 2 * HOUR }),
  fc.integer({ min: 5 * HOUR, max: 30 * HOUR }),
  fc.constantFrom(6 * HOUR, DAY),
);

interface Step {
  balance: string;
  gapMs: number;
  alertable: boolean;
}

function stepsArb(scenario: Scenario, alertable: fc.Arbitrary<boolean>): fc.Arbitrary<Step[]> {
  return fc.array(fc.record({ balance: balanceArb(scenario), gapMs: gapArb, alertable }), {
    minLength: 1,
    maxLength: 40,
  });
}

const mostlyAlertable = fc.oneof(
  { arbitrary: fc.constant(true), weight: 5 },
  { arbitrary: fc.constant(false), weight: 1 },
);

const runArb = (alertable: fc.Arbitrary<boolean> = mostlyAlertable) =>
  scenarioArb.chain((scenario) => stepsArb(scenario, alertable).map((steps) => ({ ...scenario, steps })));

function toObservations(steps: readonly Step[]): Observation[] {
  let offset = 0;
  return steps.map((step) => {
    offset += step.gapMs;
    return observation(step.balance, at(offset), { alertable: step.alertable });
  });
}

function play(run: Scenario & { steps: Step[] }) {
  return replay(toObservations(run.steps), run.thresholds, run.settings);
}

const RANK: Record<Level, number> = { UNKNOWN: -1, OK: 0, LOW: 1, CRITICAL: 2 };
const ALERTING = (level: Level | undefined) => level === 'LOW' || level === 'CRITICAL';

describe('decide: properties over balance sequences', () => {
  it('agrees with the written rules at every step (levels, hysteresis, notification types, reminders)', () => {
    fc.assert(
      fc.property(runArb(), (run) => {
        const { low, critical } = run.thresholds;
        const recovery = recoveryLevel(run.thresholds, run.settings.hysteresisPercent);
        const criticalRecovery = criticalRecoveryLevel(run.thresholds, run.settings.hysteresisPercent);
        for (const { prev, obs, decision } of play(run)) {
          const before = prev?.level ?? 'UNKNOWN';
          const b = obs.balance;
          let level: Level = before;
          if (obs.alertable) {
            if (atMost(b, critical)) level = 'CRITICAL';
            else if (before === 'CRITICAL' && !greaterThan(b, criticalRecovery)) level = 'CRITICAL';
            else if (lessThan(b, low)) level = 'LOW';
            else if (ALERTING(before) && !greaterThan(b, recovery)) level = 'LOW';
            else level = 'OK';
          }
          let type: NotificationType | null = null;
          if (obs.alertable && level !== before) {
            type =
              level === 'CRITICAL'
                ? 'critical'
                : level === 'LOW'
                  ? 'low'
                  : before === 'UNKNOWN'
                    ? null
                    : 'recovered';
          } else if (obs.alertable && ALERTING(level) && prev?.lastNotifiedAt) {
            const elapsed = Date.parse(obs.observedAt) - Date.parse(prev.lastNotifiedAt);
            type = elapsed >= run.settings.reminderIntervalMs ? 'reminder' : null;
          }
          expect(decision.state.level).toBe(level);
          expect(decision.notification?.type ?? null).toBe(type);
        }
      }),
    );
  });

  it('never sends the same non-reminder type twice in a row without a level change between', () => {
    fc.assert(
      fc.property(runArb(), (run) => {
        const steps = play(run);
        let last: { type: NotificationType; level: Level; index: number } | null = null;
        steps.forEach(({ decision }, index) => {
          const n = decision.notification;
          if (!n || n.type === 'reminder') return;
          expect(n.level).not.toBe(n.previousLevel);
          if (last && last.type === n.type) {
            const between = steps.slice(last.index + 1, index).map((s) => s.decision.state.level);
            expect(between.some((level) => level !== last?.level)).toBe(true);
          }
          last = { type: n.type, level: n.level, index };
        });
      }),
    );
  });

  it('sends nothing but reminders while a LOW wallet wanders inside [low, recoveryLevel]', () => {
    const bandRunArb = fc
      .record({
        critical: unitsArb,
        below: fc.bigInt({ min: 1n, max: 10_000_000n }),
        above: fc.bigInt({ min: 1n, max: 10_000_000n }),
        hysteresisPercent: percentArb,
        fractions: fc.array(
          fc.record({
            at: fc.oneof(fc.constantFrom(0, 1), fc.double({ min: 0, max: 1, noNaN: true })),
            gapMs: gapArb,
          }),
          { minLength: 1, maxLength: 40 },
        ),
      })
      .map(({ critical, below, above, hysteresisPercent, fractions }) => {
        // critical < entry < low, so the wallet goes LOW (not CRITICAL) before it wanders.
        const thresholds = { critical: fromUnits(critical), low: fromUnits(critical + below + above) };
        const entry = fromUnits(critical + below);
        const margin = toUnitsFloor(
          subtractAmounts(recoveryLevel(thresholds, hysteresisPercent), thresholds.low),
        );
        const band = fractions.map(({ at: f, gapMs }) => ({
          balance: addAmounts(thresholds.low, fromUnits(BigInt(Math.floor(Number(margin) * f)))),
          gapMs,
        }));
        return { thresholds, hysteresisPercent, entry, band };
      });

    fc.assert(
      fc.property(bandRunArb, ({ thresholds, hysteresisPercent, entry, band }) => {
        const settings = { ...SETTINGS, hysteresisPercent };
        const recovery = recoveryLevel(thresholds, hysteresisPercent);
        const observations = [observation(entry, T0)];
        let offset = 0;
        for (const { balance, gapMs } of band) {
          offset += gapMs;
          observations.push(observation(balance, at(offset)));
        }
        for (const { balance } of band) {
          expect(atMost(thresholds.low, balance) && atMost(balance, recovery)).toBe(true);
        }

        const steps = replay(observations, thresholds, settings);

        expect(steps[0]?.decision.state.level).toBe('LOW');
        for (const { decision } of steps.slice(1)) {
          expect(decision.state.level).toBe('LOW');
          expect([null, 'reminder']).toContain(decision.notification?.type ?? null);
        }
      }),
    );
  });

  it('notifies every move to a worse level exactly once, even when a sweep reads the same value twice', () => {
    const withRepeatsArb = runArb().chain((run) =>
      fc
        .array(fc.boolean(), { minLength: run.steps.length, maxLength: run.steps.length })
        .map((repeats) => ({ run, repeats })),
    );
    fc.assert(
      fc.property(withRepeatsArb, ({ run, repeats }) => {
        const observations = toObservations(run.steps).flatMap((obs, i) => (repeats[i] ? [obs, obs] : [obs]));
        const steps = replay(observations, run.thresholds, run.settings);
        let worsenings = 0;
        for (const { prev, decision } of steps) {
          const before = prev?.level ?? 'UNKNOWN';
          const after = decision.state.level;
          if (ALERTING(after) && RANK[after] > RANK[before]) {
            worsenings += 1;
            expect(decision.notification?.type).toBe(after === 'CRITICAL' ? 'critical' : 'low');
            expect(decision.state.outbox.length).toBe((prev?.outbox.length ?? 0) + 1);
          }
        }
        const outbox = steps.at(-1)?.decision.state.outbox ?? [];
        const worseNotices = outbox.filter(
          (n) => n.type === 'critical' || (n.type === 'low' && n.previousLevel !== 'CRITICAL'),
        );
        expect(worseNotices).toHaveLength(worsenings);
        expect(new Set(outbox.map((n) => n.id)).size).toBe(outbox.length);
      }),
    );
  });

  it('recovers only above the recovery line, and always does once an alerting wallet gets there', () => {
    fc.assert(
      fc.property(runArb(), (run) => {
        const recovery = recoveryLevel(run.thresholds, run.settings.hysteresisPercent);
        for (const { prev, obs, decision } of play(run)) {
          if (decision.notification?.type === 'recovered') {
            expect(greaterThan(decision.notification.balance, recovery)).toBe(true);
          }
          if (ALERTING(prev?.level) && obs.alertable) {
            const shouldRecover = greaterThan(obs.balance, recovery);
            expect(decision.state.level === 'OK').toBe(shouldRecover);
            expect(decision.notification?.type === 'recovered').toBe(shouldRecover);
          }
        }
      }),
    );
  });

  it('never notifies for an observation that is not alertable, and keeps its level', () => {
    fc.assert(
      fc.property(runArb(), (run) => {
        for (const { prev, obs, decision } of play(run)) {
          if (obs.alertable) continue;
          expect(decision.notification).toBeNull();
          expect(decision.state.level).toBe(prev?.level ?? 'UNKNOWN');
          expect(decision.state.outbox).toEqual(prev?.outbox ?? []);
          expect(decision.state.lastNotifiedAt).toBe(prev?.lastNotifiedAt ?? null);
          expect(sameAmount(decision.state.balance, obs.balance)).toBe(true);
        }
      }),
    );
  });

  it('keeps the since fields and lastNotifiedAt as the rules say, and leaves foreign fields alone', () => {
    const start = stored('UNKNOWN', '0', { lastNotifiedAt: null, mute: { until: T0, reason: 'test' } });
    fc.assert(
      fc.property(runArb(), fc.boolean(), (run, fromStored) => {
        const steps = replay(
          toObservations(run.steps),
          run.thresholds,
          run.settings,
          fromStored ? start : undefined,
        );
        for (const { prev, obs, decision } of steps) {
          const { state, notification } = decision;
          const levelChanged = state.level !== (prev?.level ?? 'UNKNOWN');
          const balanceChanged = !prev || !sameAmount(prev.balance, obs.balance);
          expect(state.levelSince).toBe(levelChanged || !prev ? obs.observedAt : prev.levelSince);
          expect(state.balanceSince).toBe(balanceChanged ? obs.observedAt : prev?.balanceSince);
          if (notification && notification.type !== 'recovered') {
            expect(state.lastNotifiedAt).toBe(obs.observedAt);
          } else if (state.level === 'OK') {
            expect(state.lastNotifiedAt).toBeNull();
          } else {
            expect(state.lastNotifiedAt).toBe(prev?.lastNotifiedAt ?? null);
          }
          if (notification) {
            expect(notification.id).toBe(`${obs.authId}:${notification.type}:${obs.observedAt}`);
            expect(notification.claimUntil).toBe(addMs(obs.observedAt, run.settings.claimLeaseMs));
            expect(notification.thresholds).toEqual(run.thresholds);
            // Earlier entries stay, except that a new reminder replaces one still waiting.
            const kept = (prev?.outbox ?? []).filter(
              (p) => notification.type !== 'reminder' || p.type !== 'reminder',
            );
            expect(state.outbox.slice(0, -1)).toEqual(kept);
          }
          const base = prev ?? initialState(obs);
          expect([state.version, state.lastSnapshotDay, state.override, state.mute]).toEqual([
            base.version,
            base.lastSnapshotDay,
            base.override,
            base.mute,
          ]);
        }
      }),
    );
  });

  it('is deterministic and never mutates the state it is given', () => {
    fc.assert(
      fc.property(runArb(), (run) => {
        let prev: AccountState | undefined;
        toObservations(run.steps).forEach((obs, i) => {
          const frozen = prev === undefined ? undefined : deepFreeze(structuredClone(prev));
          const copy = structuredClone(frozen);

          const first = decide(frozen, obs, run.thresholds, run.settings, `sweep-${i}`);
          const second = decide(frozen, obs, run.thresholds, run.settings, `sweep-${i}`);

          expect(second).toEqual(first);
          expect(frozen).toEqual(copy);
          prev = first.state;
        });
      }),
    );
  });

  it('asks for no write when the same observation is decided again', () => {
    fc.assert(
      fc.property(runArb(), (run) => {
        for (const { obs, decision } of play(run)) {
          const again = decide(decision.state, obs, run.thresholds, run.settings, 'sweep-again');

          expect(again.changed).toBe(false);
          expect(again.notification).toBeNull();
          expect(again.state).toEqual(decision.state);
        }
      }),
    );
  });

  it('reports changed exactly when a stored field differs', () => {
    fc.assert(
      fc.property(runArb(), (run) => {
        for (const { prev, decision } of play(run)) {
          if (!prev) {
            expect(decision.changed).toBe(true);
            continue;
          }
          expect(decision.changed).toBe(JSON.stringify(decision.state) !== JSON.stringify(prev));
        }
      }),
    );
  });
});

describe('thresholds: properties', () => {
  const pairArb = (withCritical: fc.Arbitrary<boolean>) =>
    fc
      .record({ low: unitsArb, critical: unitsArb, hasCritical: withCritical })
      .map(
        ({ low, critical, hasCritical }): ThresholdOverride =>
          hasCritical ? { low: fromUnits(low), critical: fromUnits(critical) } : { low: fromUnits(low) },
      );

  it('takes low from the first layer present and never returns critical above low', () => {
    fc.assert(
      fc.property(
        fc.option(pairArb(fc.boolean())),
        fc.option(pairArb(fc.boolean())),
        pairArb(fc.constant(true)),
        (override, currencyDefault, global) => {
          const defaults: Record<string, ThresholdOverride> = currencyDefault ? { INR: currencyDefault } : {};
          const resolved = resolveThresholds(override, 'INR', defaults, global as Thresholds);

          const layers = [override, currencyDefault, global].filter(
            (l): l is ThresholdOverride => l !== null,
          );
          const low = layers[0]?.low ?? '';
          const critical = layers.find((l) => l.critical !== undefined)?.critical ?? '';
          expect(resolved.low).toBe(low);
          expect(atMost(resolved.critical, resolved.low)).toBe(true);
          expect(resolved.critical).toBe(lessThan(low, critical) ? low : critical);
        },
      ),
    );
  });

  it('puts the recovery line at low plus a non-negative margin', () => {
    fc.assert(
      fc.property(unitsArb, percentArb, (low, percent) => {
        const thresholds = { low: fromUnits(low), critical: fromUnits(low) };

        const line = recoveryLevel(thresholds, percent);

        const margin = percentOf(thresholds.low, percent);
        expect(atMost(thresholds.low, line)).toBe(true);
        expect(
          sameAmount(line, lessThan(margin, '0') ? thresholds.low : addAmounts(thresholds.low, margin)),
        ).toBe(true);
      }),
    );
  });

  it('classifies by the strict and inclusive comparisons the rules name', () => {
    fc.assert(
      fc.property(unitsArb, unitsArb, unitsArb, (a, b, balance) => {
        const [critical, low] = a < b ? [a, b] : [b, a];
        const thresholds = { low: fromUnits(low), critical: fromUnits(critical) };

        const level = classify(fromUnits(balance), thresholds);

        expect(level).toBe(balance <= critical ? 'CRITICAL' : balance < low ? 'LOW' : 'OK');
      }),
    );
  });
});
