import { addAmounts } from './money.ts';
import type {
  AccountState,
  ChannelDelivery,
  Level,
  Notification,
  SweepFailure,
  SweepSummary,
} from './types.ts';

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
  levels: Record<Level, number>;
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
    levels: { UNKNOWN: 0, OK: 0, LOW: 0, CRITICAL: 0 },
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
  for (const level of Object.keys(levels) as Level[]) levels[level] += b.levels[level];
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
    levels,
    totals,
    failures: [...a.failures, ...b.failures].slice(0, MAX_FAILURES_KEPT),
    // A stable sort keeps a's runways ahead of b's equal ones, as counting them in order would.
    shortestRunways: [...a.shortestRunways, ...b.shortestRunways].sort(byRunway).slice(0, SHORTEST_RUNWAYS),
  };
}

/** A sweep's summary from its tally and what it knows besides counts. */
export function summarise(
  tally: Tally,
  sweep: Pick<
    SweepSummary,
    'sweepId' | 'startedAt' | 'finishedAt' | 'durationMs' | 'listComplete' | 'stoppedReason' | 'partner'
  > & { delivered: Notification[]; pending: number; channels: ChannelDelivery[] },
): SweepSummary {
  const complete = sweep.listComplete && tally.failed === 0 && tally.unreached === 0 && !sweep.stoppedReason;
  return {
    sweepId: sweep.sweepId,
    startedAt: sweep.startedAt,
    finishedAt: sweep.finishedAt,
    durationMs: sweep.durationMs,
    accountsListed: tally.listed,
    balancesFetched: tally.fetched,
    failed: tally.failed,
    gone: tally.gone,
    unreached: tally.unreached,
    listComplete: sweep.listComplete,
    snapshotsWritten: tally.snapshots,
    stateWrites: tally.stateWrites,
    levels: tally.levels,
    totals: tally.totals,
    notifications: sweep.delivered,
    pendingNotifications: sweep.pending,
    delivery: sweep.channels,
    failures: tally.failures,
    complete,
    stoppedReason: sweep.stoppedReason,
    partner: sweep.partner,
    shortestRunways: tally.shortestRunways,
  };
}

function byRunway(
  a: SweepSummary['shortestRunways'][number],
  b: SweepSummary['shortestRunways'][number],
): number {
  return a.runway.status === 'known' && b.runway.status === 'known' ? a.runway.hours - b.runway.hours : 0;
}
