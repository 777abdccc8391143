import { addAmounts } from './money.ts';
import type { AccountState, SummaryLevel, SweepFailure, SweepSummary } from './types.ts';

/**
 * What a sweep counts as it goes. Plain data with exact decimal totals, so that the tallies
 * of parts of one sweep merge into exactly the tally the whole sweep would have kept.
 */
export interface Tally {
  /** Accounts seen in the list, rejected rows included. */
  listed: number;
  fetched: number;
  failed: number;
  gone: number;
  unreached: number;
  snapshots: number;
  stateWrites: number;
  /** Requests to the balance endpoint. */
  balanceRequests: number;
  /** List mode: endpoint reads of an account whose listed balance was at hand, and those that differed. */
  listConfirmations: number;
  listDisagreements: number;
  levels: Record<SummaryLevel, number>;
  /** Exact sum of the balances read, per currency. */
  totals: Record<string, string>;
  /** The first MAX_FAILURES_KEPT failures; `failed` counts them all. */
  failures: SweepFailure[];
  /** The accounts closest to empty, shortest first, at most SHORTEST_RUNWAYS. */
  shortestRunways: SweepSummary['shortestRunways'];
}

export const MAX_FAILURES_KEPT = 100;
export const SHORTEST_RUNWAYS = 10;

export function emptyTally(): Tally {
  return {
    listed: 0,
    fetched: 0,
    failed: 0,
    gone: 0,
    unreached: 0,
    snapshots: 0,
    stateWrites: 0,
    balanceRequests: 0,
    listConfirmations: 0,
    listDisagreements: 0,
    levels: { OK: 0, LOW: 0, CRITICAL: 0, NOT_ALERTED: 0 },
    totals: {},
    failures: [],
    shortestRunways: [],
  };
}

export function countFailure(tally: Tally, failure: SweepFailure): void {
  tally.failed++;
  if (tally.failures.length < MAX_FAILURES_KEPT) tally.failures.push(failure);
}

export function countBalance(tally: Tally, currency: string, amount: string): void {
  tally.totals[currency] = addAmounts(tally.totals[currency] ?? '0', amount);
}

/** The level an account is counted under: its own, unless it is not alerted. */
export function summaryLevel(state: AccountState): SummaryLevel {
  if (!state.alertable) return 'NOT_ALERTED';
  // An alertable account always has a level once decided; UNKNOWN cannot reach here.
  return state.level === 'UNKNOWN' ? 'NOT_ALERTED' : state.level;
}

/** Only runways worked out in this sweep: an older one would be stale. */
export function countRunway(tally: Tally, state: AccountState, observedAt: string): void {
  const runway = state.runway;
  if (!state.alertable || runway?.status !== 'known' || runway.computedAt !== observedAt) return;
  const list = tally.shortestRunways;
  list.push({
    authId: state.authId,
    name: state.name,
    balance: state.balance,
    currency: state.currency,
    runway,
  });
  list.sort(byRunway);
  if (list.length > SHORTEST_RUNWAYS) list.pop();
}

/**
 * The tally of two parts of one sweep, `a` before `b`: exactly what one tally would hold after
 * counting both in that order (the kept failures and the runway ties come from `a` first).
 */
export function mergeTallies(a: Tally, b: Tally): Tally {
  const levels = { ...a.levels };
  for (const level of Object.keys(levels) as SummaryLevel[]) levels[level] += b.levels[level];
  const totals = { ...a.totals };
  for (const [currency, amount] of Object.entries(b.totals)) {
    totals[currency] = addAmounts(totals[currency] ?? '0', amount);
  }
  return {
    listed: a.listed + b.listed,
    fetched: a.fetched + b.fetched,
    failed: a.failed + b.failed,
    gone: a.gone + b.gone,
    unreached: a.unreached + b.unreached,
    snapshots: a.snapshots + b.snapshots,
    stateWrites: a.stateWrites + b.stateWrites,
    balanceRequests: a.balanceRequests + b.balanceRequests,
    listConfirmations: a.listConfirmations + b.listConfirmations,
    listDisagreements: a.listDisagreements + b.listDisagreements,
    levels,
    totals,
    failures: [...a.failures, ...b.failures].slice(0, MAX_FAILURES_KEPT),
    // A stable sort keeps a's runways ahead of b's equal ones, as counting them in order would; an
    // account two parts both read (overlapping shards) is listed once.
    shortestRunways: uniqueBy(
      [...a.shortestRunways, ...b.shortestRunways].sort(byRunway),
      (r) => r.authId,
    ).slice(0, SHORTEST_RUNWAYS),
  };
}

function uniqueBy<T>(items: T[], key: (item: T) => string): T[] {
  const seen = new Set<string>();
  return items.filter((item) => {
    const k = key(item);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

function byRunway(
  a: SweepSummary['shortestRunways'][number],
  b: SweepSummary['shortestRunways'][number],
): number {
  return a.runway.status === 'known' && b.runway.status === 'known' ? a.runway.hours - b.runway.hours : 0;
}
