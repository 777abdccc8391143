import {
  addAmounts,
  compareAmounts,
  divideAmounts,
  greaterThan,
  isNegative,
  subtractAmounts,
  timesAmount,
} from './money.ts';
import { addMs } from './time.ts';
import type { AccountState, Notification, PendingNotification, Runway, Thresholds } from './types.ts';

/**
 * Looking ahead from the history already kept: a spend rate, the runway it leaves, and two
 * notifications that warn before a threshold would. Pure: history and times come in.
 *
 * Spend is only ever a decrease between two consecutive observations; a top-up is never
 * negative spend. The rate is the more pessimistic of the last 24 hours and the last 7 days.
 */

export interface ForecastSettings {
  /** A runway under this many hours (balance still above low) raises `forecast`. */
  horizonHours: number;
  /** Less observed history than this: `insufficient_history`, never a guess. */
  minHistoryHours: number;
  /** `spike` when the last hour's spend exceeds this many times the 7-day hourly average... */
  spikeFactor: string;
  /** ...and at least this much, per currency (fallback: `spikeMinAmount`). */
  spikeMinAmounts: Record<string, string>;
  spikeMinAmount: string;
}

export interface Point {
  observedAt: string;
  balance: string;
}

export interface SpendAnalysis {
  runway: Runway;
  /** Spend in the hour up to now. */
  lastHourSpend: string;
  /** Spend per hour over the 7 days before the last hour (as far as observed). Null without enough history. */
  hourlyAverage: string | null;
}

const HOUR = 3_600_000;
const MAX_RUNWAY_HOURS = 10 * 365 * 24;

/**
 * Spend within (since, until]: each decrease between two consecutive observations is spread
 * evenly over the time between them, and the part inside the window counts. Sweeps are
 * irregular and may have gaps; a drop seen after a three-hour gap did not all happen in the last hour.
 */
export function spendBetween(points: readonly Point[], since: number, until: number): string {
  let spend = '0';
  for (let i = 1; i < points.length; i++) {
    const [a, b] = [points[i - 1] as Point, points[i] as Point];
    const drop = subtractAmounts(a.balance, b.balance);
    if (!greaterThan(drop, '0')) continue;
    const [start, end] = [Date.parse(a.observedAt), Date.parse(b.observedAt)];
    const overlap = Math.min(end, until) - Math.max(start, since);
    if (overlap <= 0) continue;
    const share = end > start ? divideAmounts(String(overlap), String(end - start)) : '1';
    spend = addAmounts(spend, timesAmount(drop, share));
  }
  return spend;
}

/**
 * `history` is every observation of the last 7 days or more, oldest first, ending with the current one.
 */
export function analyseSpend(
  history: readonly Point[],
  now: string,
  settings: ForecastSettings,
): SpendAnalysis {
  const nowMs = Date.parse(now);
  const points = [...history].sort((a, b) => Date.parse(a.observedAt) - Date.parse(b.observedAt));
  const first = points[0];
  const current = points.at(-1);
  const observedHours = first ? (nowMs - Date.parse(first.observedAt)) / HOUR : 0;
  const lastHourSpend = spendBetween(points, nowMs - HOUR, nowMs);
  if (!current || observedHours < settings.minHistoryHours) {
    return {
      runway: { status: 'insufficient_history', computedAt: now },
      lastHourSpend,
      hourlyAverage: null,
    };
  }
  const windows = [24, 168].map((hours) => {
    const spend = spendBetween(points, nowMs - hours * HOUR, nowMs);
    const covered = Math.min(hours, observedHours);
    return { hours, rate: divideAmounts(spend, hoursText(covered)) };
  });
  const [day, week] = windows as [(typeof windows)[0], (typeof windows)[0]];
  const worst = compareAmounts(day.rate, week.rate) >= 0 ? day : week;
  // The usual rate leaves the last hour out, so a burst does not raise the bar it is measured against.
  const usualHours = Math.min(168, observedHours) - 1;
  const hourlyAverage = divideAmounts(
    spendBetween(points, nowMs - 168 * HOUR, nowMs - HOUR),
    hoursText(usualHours),
  );
  if (!greaterThan(worst.rate, '0'))
    return { runway: { status: 'no_spend', computedAt: now }, lastHourSpend, hourlyAverage };
  // Past ten years a runway is as good as endless, and a date that far out is not worth printing.
  const hours = isNegative(current.balance)
    ? 0
    : Math.min(MAX_RUNWAY_HOURS, Number(divideAmounts(current.balance, worst.rate)));
  return {
    runway: {
      status: 'known',
      hours: Math.max(0, Number(hours.toFixed(2))),
      ratePerHour: worst.rate,
      basis: worst.hours === 24 ? '24h' : '7d',
      depletionAt: addMs(now, Math.round(Math.max(0, hours) * HOUR)),
      computedAt: now,
    },
    lastHourSpend,
    hourlyAverage,
  };
}

function hoursText(hours: number): string {
  // Hours of observation are time, not money: a few decimals are plenty for a rate.
  return hours.toFixed(6);
}

export interface ForecastDecision {
  state: AccountState;
  notifications: PendingNotification[];
}

/**
 * The forecast and spike lifecycles on top of the level the policy decided.
 * - forecast: once per episode, when the runway drops under the horizon while the account is OK;
 *   the episode ends when a top-up lifts the runway above 1.5x the horizon, or the account goes LOW.
 * - spike: once per episode, when the last hour's spend is above k x the 7-day hourly average and
 *   the minimum amount; the episode ends at the first analysis that is not a spike.
 */
export function decideForecast(
  state: AccountState,
  analysis: SpendAnalysis,
  context: {
    balanceRose: boolean;
    sweepId: string;
    observedAt: string;
    claimLeaseMs: number;
    thresholds: Thresholds;
  },
  settings: ForecastSettings,
): ForecastDecision {
  const { runway } = analysis;
  const notifications: PendingNotification[] = [];
  let forecastEpisode = state.forecastEpisode ?? false;
  let spikeEpisode = state.spikeEpisode ?? false;
  const base = (type: 'forecast' | 'spike'): PendingNotification => ({
    id: `${state.authId}:${type}:${context.observedAt}`,
    type,
    authId: state.authId,
    name: state.name,
    currency: state.currency,
    balance: state.balance,
    level: state.level,
    previousLevel: state.level,
    thresholds: context.thresholds,
    observedAt: context.observedAt,
    sweepId: context.sweepId,
    runway,
    claimedBy: context.sweepId,
    claimUntil: addMs(context.observedAt, context.claimLeaseMs),
  });

  if (state.alertable) {
    if (state.level === 'LOW' || state.level === 'CRITICAL') {
      forecastEpisode = false;
    } else if (state.level === 'OK') {
      const short = runway.status === 'known' && runway.hours < settings.horizonHours;
      const lifted =
        runway.status === 'no_spend' ||
        (runway.status === 'known' && runway.hours > 1.5 * settings.horizonHours);
      if (forecastEpisode && context.balanceRose && lifted) forecastEpisode = false;
      // A runway that got longer is no warning, however short it still is: never forecast on a top-up.
      if (!forecastEpisode && short && !context.balanceRose) {
        forecastEpisode = true;
        notifications.push(base('forecast'));
      }
    }
    const minimum = settings.spikeMinAmounts[state.currency] ?? settings.spikeMinAmount;
    const spiking =
      analysis.hourlyAverage !== null &&
      greaterThan(analysis.lastHourSpend, timesAmount(analysis.hourlyAverage, settings.spikeFactor)) &&
      greaterThan(analysis.lastHourSpend, minimum);
    if (spiking && !spikeEpisode) {
      notifications.push({
        ...base('spike'),
        spend: { lastHour: analysis.lastHourSpend, hourlyAverage: analysis.hourlyAverage ?? '0' },
      });
    }
    spikeEpisode = spiking;
  }

  const fresh = notifications.filter((n) => !state.outbox.some((p) => p.id === n.id));
  return {
    state: { ...state, runway, forecastEpisode, spikeEpisode, outbox: [...state.outbox, ...fresh] },
    notifications: fresh,
  };
}

/** Every notification carries the runway where known. */
export function withRunway<T extends Notification>(notification: T, runway: Runway | null): T {
  return { ...notification, runway };
}
