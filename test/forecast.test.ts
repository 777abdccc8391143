import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  analyseSpend,
  decideForecast,
  type ForecastSettings,
  type Point,
  type SpendAnalysis,
  spendBetween,
} from '../functions/core/forecast.ts';
import { compareAmounts } from '../functions/core/money.ts';
import { initialState } from '../functions/core/policy.ts';
import { addMs } from '../functions/core/time.ts';
import type { AccountState } from '../functions/core/types.ts';

const SETTINGS: ForecastSettings = {
  horizonHours: 48,
  minHistoryHours: 6,
  spikeFactor: '5',
  spikeMinAmount: '200',
  spikeMinAmounts: { USD: '5' },
};
const T0 = '2026-11-20T00:00:00.000Z';
const HOUR = 3_600_000;
const at = (hours: number) => addMs(T0, Math.round(hours * HOUR));

/** Points from (hours after T0, balance) pairs. */
function history(...pairs: Array<[number, string]>): Point[] {
  return pairs.map(([h, balance]) => ({ observedAt: at(h), balance }));
}

function okState(balance: string, extra: Partial<AccountState> = {}): AccountState {
  return {
    ...initialState({
      authId: 'MA_F',
      name: 'Forecast Ltd',
      currency: 'INR',
      balance,
      observedAt: T0,
      alertable: true,
    }),
    level: 'OK',
    ...extra,
  };
}

function decideAt(state: AccountState, analysis: SpendAnalysis, hours: number, balanceRose = false) {
  return decideForecast(
    state,
    analysis,
    {
      balanceRose,
      sweepId: 'sweep-f',
      observedAt: at(hours),
      claimLeaseMs: 60_000,
      thresholds: { low: '100.00000', critical: '0.00000' },
    },
    SETTINGS,
  );
}

describe('spend and runway', () => {
  it('counts only decreases as spend; a top-up is never negative spend', () => {
    // Arrange
    const points = history([0, '1000'], [1, '900'], [2, '5000'], [3, '4800']);

    // Act
    const spend = spendBetween(points, Date.parse(at(-1)), Date.parse(at(3)));

    // Assert
    expect(compareAmounts(spend, '300')).toBe(0);
  });

  it('takes the more pessimistic of the 24-hour and 7-day rates', () => {
    // Arrange: slow for a week, then 50 an hour over the last day.
    const points = history([0, '10000'], [144, '9900'], [168, '8700']);

    // Act
    const { runway } = analyseSpend(points, at(168), SETTINGS);

    // Assert
    expect(runway).toMatchObject({ status: 'known', basis: '24h', ratePerHour: '50.00000', hours: 174 });
    expect(runway.status === 'known' && runway.depletionAt).toBe(at(168 + 174));
  });

  it('says insufficient_history under the minimum span instead of guessing', () => {
    // Act
    const { runway } = analyseSpend(history([0, '1000'], [5.9, '10']), at(5.9), SETTINGS);

    // Assert
    expect(runway.status).toBe('insufficient_history');
  });

  it('says no_spend when the balance only rose or held', () => {
    // Act
    const { runway } = analyseSpend(history([0, '100'], [8, '100'], [9, '300']), at(9), SETTINGS);

    // Assert
    expect(runway.status).toBe('no_spend');
  });

  it('gives a runway of zero for a balance already at or below zero', () => {
    // Act
    const { runway } = analyseSpend(history([0, '100'], [10, '-5']), at(10), SETTINGS);

    // Assert
    expect(runway).toMatchObject({ status: 'known', hours: 0 });
  });
});

describe('forecast and spike lifecycles', () => {
  it('forecasts once when the runway drops under the horizon, with the expected depletion time', () => {
    // Arrange: 100 an hour, 4000 left: 40 hours.
    const analysis = analyseSpend(history([0, '5000'], [10, '4000']), at(10), SETTINGS);

    // Act
    const first = decideAt(okState('4000'), analysis, 10);
    const again = decideAt(
      first.state,
      analyseSpend(history([0, '5000'], [11, '3900']), at(11), SETTINGS),
      11,
    );

    // Assert
    expect(first.notifications.map((n) => n.type)).toEqual(['forecast']);
    expect(first.notifications[0]?.runway).toMatchObject({ status: 'known', hours: 40, depletionAt: at(50) });
    expect(again.notifications).toEqual([]);
  });

  it('ends the episode only when a top-up lifts the runway above 1.5x the horizon, then may forecast again', () => {
    // Arrange
    const inEpisode = okState('4000', { forecastEpisode: true });
    const longRunway = analyseSpend(history([0, '5000'], [10, '4000'], [11, '9000']), at(11), SETTINGS);

    // Act
    const lifted = decideAt(inEpisode, longRunway, 11, true);

    // Assert
    expect(longRunway.runway.status === 'known' && longRunway.runway.hours).toBe(99);
    expect(lifted.state.forecastEpisode).toBe(false);
  });

  it('never forecasts on a top-up, however short the runway still is', () => {
    // Arrange: spend pulled it to -12.5, then a top-up to 400: still only about 15 hours at the recent rate.
    const analysis = analyseSpend(
      history([0, '300'], [10, '200'], [11, '-12.5'], [12, '400']),
      at(12),
      SETTINGS,
    );

    // Act
    const decision = decideAt(okState('400'), analysis, 12, true);

    // Assert
    expect(analysis.runway.status === 'known' && analysis.runway.hours).toBeLessThan(48);
    expect(decision.notifications).toEqual([]);
    expect(decision.state.forecastEpisode).toBe(false);
  });

  it('keeps the episode going while the runway merely lengthens without a top-up', () => {
    // Arrange: in an episode; spend slowed down, so the runway is long now, but nobody topped up.
    const slow = analyseSpend(history([0, '5000'], [100, '4900']), at(100), SETTINGS);

    // Act
    const decision = decideAt(okState('4900', { forecastEpisode: true }), slow, 100, false);

    // Assert
    expect(slow.runway.status === 'known' && slow.runway.hours).toBeGreaterThan(72);
    expect(decision.state.forecastEpisode).toBe(true);
  });

  it('uses the currency minimum for spikes when one is set', () => {
    // Arrange: a USD account burns 6 in the last hour after a day at 0.1 an hour; USD minimum is 5.
    const steady = Array.from({ length: 25 }, (_, h): [number, string] => [h, (100 - 0.1 * h).toFixed(5)]);
    const burst = analyseSpend(history(...steady, [24.5, '91.60000']), at(24.5), SETTINGS);

    // Act
    const usd = decideAt(okState('91.6', { currency: 'USD' }), burst, 24.5);
    const inr = decideAt(okState('91.6', { currency: 'INR' }), burst, 24.5);

    // Assert
    expect(usd.notifications.map((n) => n.type)).toEqual(['spike']);
    expect(inr.notifications).toEqual([]);
  });

  it('ends a spike episode at the first analysis that is not a spike', () => {
    // Arrange
    const calm = analyseSpend(history([0, '1000'], [24, '990']), at(24), SETTINGS);

    // Act
    const decision = decideAt(okState('990', { spikeEpisode: true }), calm, 24);

    // Assert
    expect(decision.state.spikeEpisode).toBe(false);
  });

  it('leaves forecasting to the LOW alert once the account is LOW', () => {
    // Arrange
    const analysis = analyseSpend(history([0, '500'], [10, '90']), at(10), SETTINGS);

    // Act
    const decision = decideAt(okState('90', { level: 'LOW', forecastEpisode: true }), analysis, 10);

    // Assert
    expect(decision.notifications).toEqual([]);
    expect(decision.state.forecastEpisode).toBe(false);
  });

  it('raises one spike when an hour burns k times the usual rate and the minimum amount', () => {
    // Arrange: 10 an hour for a day, then 1500 in the last hour.
    const steady = Array.from({ length: 25 }, (_, h): [number, string] => [h, String(100000 - 10 * h)]);
    const burst = analyseSpend(history(...steady, [24.5, '98260']), at(24.5), SETTINGS);

    // Act
    const first = decideAt(okState('98260'), burst, 24.5);
    const next = decideAt(first.state, burst, 24.6);

    // Assert
    expect(first.notifications.map((n) => n.type)).toEqual(['spike']);
    expect(next.notifications).toEqual([]);
  });

  it('does not call a burst below the minimum amount a spike', () => {
    // Arrange: from nothing to 150 in an hour: far above the usual rate, below 200.
    const points = history([0, '1000'], [20, '1000'], [20.5, '850']);

    // Act
    const decision = decideAt(okState('850'), analyseSpend(points, at(20.5), SETTINGS), 20.5);

    // Assert
    expect(decision.notifications.filter((n) => n.type === 'spike')).toEqual([]);
  });

  it('neither forecasts nor spikes for an account that is not alerted', () => {
    // Arrange
    const analysis = analyseSpend(history([0, '5000'], [10, '1000']), at(10), SETTINGS);

    // Act
    const decision = decideAt(okState('1000', { alertable: false }), analysis, 10);

    // Assert
    expect(decision.notifications).toEqual([]);
  });
});

/** Irregular sweep times with gaps, top-ups anywhere, balances with up to 5 dp. */
const historyArb = fc
  .array(
    fc.record({
      gapMinutes: fc.oneof(fc.integer({ min: 5, max: 60 }), fc.integer({ min: 60, max: 36 * 60 })),
      change: fc.oneof(
        fc.integer({ min: -50_000_00000, max: 0 }),
        fc.integer({ min: 0, max: 500_000_00000 }),
      ),
    }),
    { minLength: 2, maxLength: 40 },
  )
  .map((steps) => {
    let minutes = 0;
    let balance = 100_000_00000n;
    return steps.map(({ gapMinutes, change }) => {
      minutes += gapMinutes;
      balance += BigInt(change);
      return { observedAt: addMs(T0, minutes * 60_000), balance: fromCents(balance) };
    });
  });

function fromCents(units: bigint): string {
  const negative = units < 0n;
  const abs = negative ? -units : units;
  const text = `${abs / 100000n}.${String(abs % 100000n).padStart(5, '0')}`;
  return negative ? `-${text}` : text;
}

const lastTime = (points: Point[]) => points.at(-1)?.observedAt ?? T0;

describe('properties over generated histories', () => {
  it('never finds spend, a forecast or a spike in a history of top-ups only', () => {
    fc.assert(
      fc.property(historyArb, (points) => {
        const rising = points.map((p, i) => ({ ...p, balance: fromCents(BigInt(i) * 1_000_00000n + 1n) }));
        const analysis = analyseSpend(rising, lastTime(rising), SETTINGS);
        expect(analysis.runway.status).not.toBe('known');
        const decision = decideAt(okState(rising.at(-1)?.balance ?? '0'), analysis, 0);
        expect(decision.notifications).toEqual([]);
      }),
    );
  });

  it('never gives a longer runway when every decrease is larger', () => {
    fc.assert(
      fc.property(historyArb, fc.integer({ min: 2, max: 5 }), (points, factor) => {
        // The same history with every decrease multiplied, ending at the same balance.
        const final = points.at(-1)?.balance ?? '0';
        const steeper: Point[] = [];
        let balance = BigInt(toUnits(points[0]?.balance ?? '0'));
        for (let i = 0; i < points.length; i++) {
          if (i > 0) {
            const delta =
              BigInt(toUnits(points[i]?.balance ?? '0')) - BigInt(toUnits(points[i - 1]?.balance ?? '0'));
            balance += delta < 0n ? delta * BigInt(factor) : delta;
          }
          steeper.push({ observedAt: points[i]?.observedAt ?? T0, balance: fromCents(balance) });
        }
        const shift = BigInt(toUnits(final)) - balance;
        const aligned = steeper.map((p) => ({
          ...p,
          balance: fromCents(BigInt(toUnits(p.balance)) + shift),
        }));
        const now = lastTime(points);
        const base = analyseSpend(points, now, SETTINGS).runway;
        const faster = analyseSpend(aligned, now, SETTINGS).runway;
        if (base.status === 'known' && faster.status === 'known') {
          expect(faster.hours).toBeLessThanOrEqual(base.hours);
        }
        if (base.status === 'known') expect(faster.status).toBe('known');
      }),
    );
  });

  it('sends one forecast per episode, however the history goes on', () => {
    fc.assert(
      fc.property(historyArb, (points) => {
        let state = okState(points[0]?.balance ?? '0');
        let forecasts = 0;
        let episodesStarted = 0;
        for (let i = 1; i <= points.length; i++) {
          const seen = points.slice(0, i);
          const now = lastTime(seen);
          const before = state.forecastEpisode ?? false;
          const rose = i > 1 && compareAmounts(seen.at(-1)?.balance ?? '0', seen.at(-2)?.balance ?? '0') > 0;
          const decision = decideForecast(
            { ...state, balance: seen.at(-1)?.balance ?? '0' },
            analyseSpend(seen, now, SETTINGS),
            {
              balanceRose: rose,
              sweepId: 's',
              observedAt: now,
              claimLeaseMs: 1,
              thresholds: { low: '100', critical: '0' },
            },
            SETTINGS,
          );
          forecasts += decision.notifications.filter((n) => n.type === 'forecast').length;
          if (!before && decision.state.forecastEpisode) episodesStarted++;
          state = decision.state;
        }
        expect(forecasts).toBe(episodesStarted);
      }),
    );
  });
});

function toUnits(amount: string): string {
  const negative = amount.startsWith('-');
  const [whole = '0', fraction = ''] = (negative ? amount.slice(1) : amount).split('.');
  const units = `${whole}${fraction.padEnd(5, '0').slice(0, 5)}`.replace(/^0+(?=\d)/, '');
  return negative ? `-${units}` : units;
}
