import { addAmounts, compareAmounts, greaterThan, lessThan, subtractAmounts } from '../core/money.ts';
import { classify } from '../core/policy.ts';
import type { AccountState, Level, Mute, Runway, Snapshot, Thresholds } from '../core/types.ts';
import type { StatementRow } from './statement.ts';

/**
 * What the HTML report shows, computed exactly and without I/O: accounts ordered by how
 * low they are, totals per currency, and per charted account a balance series with its
 * top-ups and threshold crossings marked.
 */

/** Charts for this many of the lowest accounts by default; every account is in the table. */
export const DEFAULT_CHART_LIMIT = 50;
/** A chart is about 640 px wide: more points than this only add bytes. */
export const MAX_CHART_POINTS = 600;
/** A chart's time axis spans at least this much, so a first observation just before now still draws a line. */
export const MIN_CHART_SPAN_MS = 3_600_000;

export interface ReportAccount {
  authId: string;
  name: string;
  currency: string;
  balance: string;
  observedAt: string;
  thresholds: Thresholds;
  /** balance - low: negative when below the low threshold. */
  headroom: string;
  /** Where the balance stands against the thresholds now. */
  standing: 'CRITICAL' | 'LOW' | 'OK';
  /** The level the sweep last announced (UNKNOWN: never alerted yet). */
  alertLevel: Level;
  /** False for postpaid, inactive or disabled accounts: their balance is kept, never alerted on. */
  alerted: boolean;
  /** An active mute. */
  mute: Mute | null;
  topUps: string;
  topUpCount: number;
  spend: string;
  /** From the last spend analysis, where known. */
  runway: Runway | null;
}

export interface CurrencySummary {
  currency: string;
  accounts: number;
  total: string;
  /** Alerted accounts standing LOW (not critical), and CRITICAL. */
  low: number;
  critical: number;
  /** Postpaid, inactive or disabled accounts, in no count of standing. */
  notAlerted: number;
  topUps: string;
  spend: string;
}

export interface ChartPoint {
  /** Epoch ms. */
  t: number;
  balance: string;
  topUp: boolean;
  crossing: 'down' | 'up' | null;
}

export interface Chart {
  authId: string;
  name: string;
  currency: string;
  low: string;
  critical: string;
  /** Epoch ms of the window's ends. */
  start: number;
  end: number;
  /** Where the time axis starts: the window's start, or the first observation when history is shorter. */
  from: number;
  points: ChartPoint[];
  topUps: number;
  crossings: number;
  /** True when points were thinned to fit MAX_CHART_POINTS (markers are always kept). */
  thinned: boolean;
}

const STANDING_RANK = { CRITICAL: 0, LOW: 1, OK: 2 } as const;
/** Accounts that are never alerted on come after every alerted one, whatever their balance. */
const NOT_ALERTED_RANK = 3;

export function reportAccount(
  latest: Snapshot,
  state: AccountState | undefined,
  thresholds: Thresholds,
  movement: StatementRow | undefined,
  now: string,
): ReportAccount {
  // Every change of balance writes a snapshot, so the latest one holds the balance as of now.
  const balance = addAmounts(latest.balance);
  const mute = state?.mute && Date.parse(state.mute.until) > Date.parse(now) ? state.mute : null;
  return {
    authId: latest.authId,
    name: latest.name,
    currency: latest.currency,
    balance,
    observedAt: latest.observedAt,
    thresholds,
    headroom: subtractAmounts(balance, thresholds.low),
    standing: classify(balance, thresholds),
    alertLevel: state?.level ?? latest.level,
    alerted: state ? state.alertable : latest.level !== 'UNKNOWN',
    mute,
    topUps: movement?.topUps ?? '0.00000',
    topUpCount: movement?.topUpCount ?? 0,
    spend: movement?.spend ?? '0.00000',
    runway: state?.runway ?? null,
  };
}

/**
 * Lowest first: by where the balance stands (CRITICAL, LOW, OK, then accounts not alerted on),
 * then by headroom below or above the low threshold (in the account's own currency), then by
 * auth id.
 */
export function byLowest(a: ReportAccount, b: ReportAccount): number {
  return (
    rank(a) - rank(b) ||
    compareAmounts(a.headroom, b.headroom) ||
    (a.authId < b.authId ? -1 : a.authId > b.authId ? 1 : 0)
  );
}

function rank(a: ReportAccount): number {
  return a.alerted ? STANDING_RANK[a.standing] : NOT_ALERTED_RANK;
}

export function currencySummaries(accounts: readonly ReportAccount[]): CurrencySummary[] {
  const byCurrency = new Map<string, CurrencySummary>();
  for (const a of accounts) {
    const s = byCurrency.get(a.currency) ?? {
      currency: a.currency,
      accounts: 0,
      total: '0',
      low: 0,
      critical: 0,
      notAlerted: 0,
      topUps: '0',
      spend: '0',
    };
    s.accounts += 1;
    s.total = addAmounts(s.total, a.balance);
    if (!a.alerted) s.notAlerted += 1;
    else if (a.standing === 'LOW') s.low += 1;
    else if (a.standing === 'CRITICAL') s.critical += 1;
    s.topUps = addAmounts(s.topUps, a.topUps);
    s.spend = addAmounts(s.spend, a.spend);
    byCurrency.set(a.currency, s);
  }
  return [...byCurrency.values()].sort((a, b) => (a.currency < b.currency ? -1 : 1));
}

/**
 * One account's chart over [start, end]: `history` in time order, where a snapshot before
 * the window (if any) gives the balance the line starts at.
 */
export function buildChart(
  account: ReportAccount,
  history: readonly Snapshot[],
  start: number,
  end: number,
  maxPoints = MAX_CHART_POINTS,
): Chart {
  const low = account.thresholds.low;
  const points: ChartPoint[] = [];
  let previous: string | null = null;
  for (const snapshot of history) {
    const t = Math.max(start, Date.parse(snapshot.observedAt));
    const balance = snapshot.balance;
    const before = Date.parse(snapshot.observedAt) < start;
    let topUp = false;
    let crossing: ChartPoint['crossing'] = null;
    if (previous !== null && !before) {
      topUp = greaterThan(balance, previous);
      const wasBelow = lessThan(previous, low);
      const isBelow = lessThan(balance, low);
      if (wasBelow !== isBelow) crossing = isBelow ? 'down' : 'up';
    }
    const point = { t, balance, topUp, crossing };
    // Several snapshots before the window collapse into the one the line starts from.
    if (before && points.length > 0) points[0] = point;
    else points.push(point);
    previous = balance;
  }
  const thinned = points.length > maxPoints;
  const kept = thinned ? thin(points, maxPoints) : points;
  return {
    authId: account.authId,
    name: account.name,
    currency: account.currency,
    low,
    critical: account.thresholds.critical,
    start,
    end,
    from: Math.max(start, Math.min(points[0]?.t ?? start, end - MIN_CHART_SPAN_MS)),
    points: kept,
    topUps: points.filter((p) => p.topUp).length,
    crossings: points.filter((p) => p.crossing !== null).length,
    thinned,
  };
}

/**
 * Keeps the first and last points, every marked point, and the lowest and highest point of
 * each time bucket, so the line keeps its extremes and no top-up or crossing disappears.
 */
export function thin(points: readonly ChartPoint[], maxPoints: number): ChartPoint[] {
  const first = points[0];
  const last = points.at(-1);
  if (!first || !last) return [];
  const keep = new Set<number>([0, points.length - 1]);
  points.forEach((p, i) => {
    if (p.topUp || p.crossing) keep.add(i);
  });
  const buckets = Math.max(1, Math.floor((maxPoints - keep.size) / 2));
  const span = Math.max(1, last.t - first.t);
  const extremes = new Map<number, { min: number; max: number }>();
  points.forEach((p, i) => {
    const bucket = Math.min(buckets - 1, Math.floor(((p.t - first.t) / span) * buckets));
    const seen = extremes.get(bucket);
    if (!seen) {
      extremes.set(bucket, { min: i, max: i });
      return;
    }
    if (lessThan(p.balance, (points[seen.min] as ChartPoint).balance)) seen.min = i;
    if (greaterThan(p.balance, (points[seen.max] as ChartPoint).balance)) seen.max = i;
  });
  for (const { min, max } of extremes.values()) {
    keep.add(min);
    keep.add(max);
  }
  return [...keep].sort((a, b) => a - b).map((i) => points[i] as ChartPoint);
}
