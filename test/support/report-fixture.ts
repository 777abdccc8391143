import { classify } from '../../functions/core/policy.ts';
import type { AccountState, Runway, Snapshot } from '../../functions/core/types.ts';
import type { ReportModel } from '../../functions/finance/report-html.ts';
import {
  buildChart,
  byLowest,
  currencySummaries,
  DEFAULT_CHART_LIMIT,
  type ReportAccount,
  reportAccount,
} from '../../functions/finance/report-model.ts';

/**
 * A report model for thousands of accounts, built by the report's own model functions from
 * made-up snapshots (a seeded generator, so every run is the same): several currencies,
 * negative and huge balances, postpaid accounts, mutes, runways of every kind, and histories
 * that start a few days before now, shorter than the 30-day window. Sweeping thousands of
 * accounts through the simulator would take minutes; the page only needs the model.
 */

export const FIXTURE_NOW = '2026-11-27T12:00:00.000Z';
const HOUR = 3_600_000;
const CURRENCIES = ['INR', 'INR', 'INR', 'USD', 'GBP', 'AED', 'SGD'] as const;
const FIRST = ['Asha', 'Ravi', 'Meera', 'Karan', 'Zoya', 'Noah', 'Priya', 'Arjun', 'Lena', 'Omar'];
const LAST = [
  'Iyer',
  'Shah',
  'Menon',
  'Khan',
  'Das',
  'Rao',
  'Patel',
  'Singh',
  'Telecom Pvt Ltd',
  'Voice LLP',
];

function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function amount(random: () => number, min: number, max: number): string {
  const cents = Math.floor(random() * (max - min) * 100_000) + min * 100_000;
  const sign = cents < 0 ? '-' : '';
  const abs = Math.abs(cents);
  return `${sign}${Math.floor(abs / 100_000)}.${String(abs % 100_000).padStart(5, '0')}`;
}

function runwayOf(random: () => number, now: string): Runway | null {
  const r = random();
  if (r < 0.15) return null;
  if (r < 0.25) return { status: 'no_spend', computedAt: now };
  if (r < 0.3) return { status: 'insufficient_history', computedAt: now };
  const hours = Math.round(random() * 400 * 10) / 10;
  return {
    status: 'known',
    hours,
    ratePerHour: '1.2500000000',
    basis: '24h',
    depletionAt: new Date(Date.parse(now) + hours * HOUR).toISOString(),
    computedAt: now,
  };
}

export interface FixtureOptions {
  accounts: number;
  seed?: number;
  /** Names to give the first accounts, as a partner's customers might write them. */
  names?: readonly string[];
}

export function syntheticReport({ accounts: count, seed = 42, names = [] }: FixtureOptions): ReportModel {
  const random = prng(seed);
  const now = FIXTURE_NOW;
  const windowStart = new Date(Date.parse(now) - 30 * 24 * HOUR).toISOString();
  const histories = new Map<string, Snapshot[]>();
  const accounts: ReportAccount[] = [];
  for (let i = 0; i < count; i++) {
    const authId = `MA_${String(i).padStart(8, '0')}`;
    const currency = CURRENCIES[i % CURRENCIES.length] as string;
    const name =
      names[i] ??
      `${FIRST[Math.floor(random() * FIRST.length)]} ${LAST[Math.floor(random() * LAST.length)]} ${i}`;
    const postpaid = random() < 0.05;
    // A few days of history, one to eight snapshots, the last one an hour before now.
    const steps = 1 + Math.floor(random() * 8);
    const firstAt = Date.parse(now) - (1 + random() * 4) * 24 * HOUR;
    const history: Snapshot[] = [];
    for (let k = 0; k < steps; k++) {
      const observedAt = new Date(
        firstAt + ((Date.parse(now) - HOUR - firstAt) * k) / Math.max(1, steps - 1),
      );
      const balance =
        i === 7 ? '-987654321098765432109876.54321' : amount(random, random() < 0.2 ? -500 : 0, 2_000);
      history.push({
        authId,
        name,
        currency,
        balance,
        observedAt: observedAt.toISOString(),
        localDay: observedAt.toISOString().slice(0, 10),
        level: postpaid ? 'UNKNOWN' : 'OK',
        sweepId: `s${k}`,
      });
    }
    const latest = history.at(-1) as Snapshot;
    const thresholds = { low: '100.00000', critical: '0.00000' };
    const state = {
      level: postpaid ? 'UNKNOWN' : classify(latest.balance, thresholds),
      alertable: !postpaid,
      mute:
        random() < 0.03
          ? { until: new Date(Date.parse(now) + 48 * HOUR).toISOString(), reason: 'customer on leave' }
          : null,
      runway: runwayOf(random, now),
    } as AccountState;
    const account = reportAccount(latest, state, thresholds, undefined, now);
    accounts.push({
      ...account,
      topUps: amount(random, 0, 500),
      topUpCount: Math.floor(random() * 3),
      spend: amount(random, 0, 3_000),
    });
    histories.set(authId, history);
  }
  accounts.sort(byLowest);
  const start = Date.parse(windowStart);
  const end = Date.parse(now);
  const charts = accounts
    .slice(0, DEFAULT_CHART_LIMIT)
    .map((a) => buildChart(a, histories.get(a.authId) ?? [], start, end));
  return {
    generatedAt: now,
    timezone: 'Asia/Kolkata',
    days: 30,
    windowStart,
    windowEnd: now,
    accounts,
    charts,
    totals: currencySummaries(accounts),
    thresholdNote: 'Thresholds: 100 / 0 for every account.',
  };
}
