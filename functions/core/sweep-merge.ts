import type { Delivery } from './delivery.ts';
import { IdFlags } from './id-flags.ts';
import { type ShardPlan, unreadStretch } from './shard-cut.ts';
import { ACCOUNT, REACHED, type ShardResult, shardNotRun } from './shard-result.ts';
import { FALLBACK_PAGE_SIZE, type SweepPlan } from './sweep-plan.ts';
import { countBalance, countFailure, MAX_FAILURES_KEPT, mergeTallies, type Tally } from './tally.ts';
import type { AccountState, ChannelDelivery, SweepFailure, SweepResume, SweepSummary } from './types.ts';

/**
 * The parts of one sweep merged into the whole: exact and by account. `known` is every account listed,
 * registered or read, or, when the list was not paged to its end, page 1's `total` if that is more.
 * Counts come from one book of accounts (id-flags.ts): the in-process sweep's, where its parts
 * recorded them, or one filled here from the parts' id lists (Step Functions). So an account read by
 * two overlapping shards is one account and one duplicate read; the accounts on edge pages are
 * counted once each; the kept failures leave out accounts another part read after all. Pure but for
 * the book it is given, which it adds to: finalizeSweep (and the in-process runner's failure path)
 * use it.
 */

export interface MergedSweep {
  /** Levels, totals, failures, runways, writes and requests of the whole sweep. */
  tally: Tally;
  accountsListed: number;
  known: number;
  fetched: number;
  failed: number;
  gone: number;
  unreached: number;
  duplicateReads: number;
  listComplete: boolean;
  stoppedReason: string | null;
  interrupted: boolean;
  listFallback: boolean;
  resume: SweepResume | null;
  /** The states owning notifications the parts left to the final delivery (the partner's included). */
  claimed: AccountState[];
  /** What the parts delivered themselves. */
  delivery: Delivery;
}

const { listed: LISTED, known: KNOWN, read: READ, gone: GONE, failed: FAILED, offEdge: OFF_EDGE } = ACCOUNT;
/** What makes an account one the sweep knows exists (`taken` alone never does). */
const KNOWN_BY = LISTED | KNOWN | REACHED;

export function mergeResults(
  plan: SweepPlan,
  given: readonly ShardResult[],
  outcomes: IdFlags = new IdFlags(),
): MergedSweep {
  const results = completeResults(plan, given);
  const mark = (ids: readonly string[], bit: number) => {
    for (const id of ids) outcomes.add(id, bit);
  };
  // Every outcome recorded for an account some part had already reached is one duplicate.
  let duplicates = 0;
  const reach = (ids: readonly string[], bit: number) => {
    for (const id of ids) if (outcomes.add(id, bit) & REACHED) duplicates++;
  };
  let unnamed = plan.tally.failed;
  for (const r of results) {
    mark(r.listed, LISTED);
    mark(r.known, KNOWN);
    reach(r.read, READ);
    reach(r.gone, GONE);
    reach(r.failed, FAILED);
    duplicates += r.duplicates;
    unnamed += r.unnamedFailures;
  }
  // An account read by one part and found gone or failed by another was read; one found gone by one
  // and failed by another is gone.
  let knownIds = 0;
  let listedCount = 0;
  let readCount = 0;
  let goneCount = 0;
  let failedCount = 0;
  outcomes.eachFlags((bits) => {
    if (bits & KNOWN_BY) knownIds++;
    if (bits & LISTED) listedCount++;
    if (bits & READ) readCount++;
    else if (bits & GONE) goneCount++;
    else if (bits & FAILED) failedCount++;
  });
  const reached = readCount + goneCount + failedCount;
  const lists = results.filter((r) => r.kind === 'list');
  const listComplete = lists.every((r) => r.finished) && lists.some((r) => r.listEnded);
  // A list not paged to its end hides what no part listed: page 1's total counts it. (Once paged to
  // its end, the list itself is the count: a total that disagrees must not make every sweep incomplete.)
  const knownCount = Math.max(knownIds, listComplete ? 0 : (plan.list?.total ?? 0));

  const whole = results.reduce((sum, r) => mergeTallies(sum, r.tally), plan.tally);
  const tally = foldEdges(whole, results, outcomes);
  tally.failures = tally.failures.filter(
    (f) => f.authId === null || (outcomes.get(f.authId) & (READ | GONE)) === 0,
  );

  return {
    tally,
    accountsListed: listedCount,
    known: knownCount,
    fetched: readCount,
    failed: failedCount + unnamed,
    gone: goneCount,
    unreached: knownCount - reached,
    duplicateReads: duplicates,
    listComplete,
    stoppedReason: results.find((r) => r.stoppedReason !== null)?.stoppedReason ?? null,
    interrupted: results.some((r) => r.interrupted),
    listFallback: results.some((r) => r.listFallback),
    resume: resumeOf(plan, results),
    claimed: latestStates([...plan.claimed, ...results.flatMap((r) => r.claimed)]),
    delivery: {
      delivered: results.flatMap((r) => r.delivered),
      pending: results.reduce((sum, r) => sum + r.pending, 0),
      channels: mergeChannels(results.flatMap((r) => r.channels)),
    },
  };
}

/** A summary from the merged parts and the final delivery. */
export function summarize(
  plan: SweepPlan,
  merged: MergedSweep,
  final: Delivery & { stoppedReason: string | null; failures: SweepFailure[]; interrupted: boolean },
  finishedMs: number,
): SweepSummary {
  const { tally } = merged;
  for (const failure of final.failures) countFailure(tally, failure);
  const failed = merged.failed + final.failures.length;
  const stoppedReason = merged.stoppedReason ?? final.stoppedReason;
  const interrupted = merged.interrupted || final.interrupted;
  const channels = mergeChannels([...merged.delivery.channels, ...final.channels]);
  const complete =
    merged.listComplete && failed === 0 && merged.unreached === 0 && !interrupted && stoppedReason === null;
  return {
    sweepId: plan.sweepId,
    startedAt: plan.startedAt,
    finishedAt: plan.now ?? new Date(finishedMs).toISOString(),
    durationMs: finishedMs - plan.startedMs,
    accountsListed: merged.accountsListed,
    known: merged.known,
    balancesFetched: merged.fetched,
    failed,
    gone: merged.gone,
    unreached: merged.unreached,
    duplicateReads: merged.duplicateReads,
    listComplete: merged.listComplete,
    snapshotsWritten: tally.snapshots,
    stateWrites: tally.stateWrites,
    levels: tally.levels,
    totals: tally.totals,
    balanceSource: plan.balanceSource,
    balanceRequests: tally.balanceRequests,
    listConfirmations: tally.listConfirmations,
    listDisagreements: tally.listDisagreements,
    listFallback: merged.listFallback,
    notifications: [...merged.delivery.delivered, ...final.delivered],
    pendingNotifications: merged.delivery.pending + final.pending,
    delivery: channels,
    failures: tally.failures,
    complete,
    interrupted,
    stoppedReason: interrupted && stoppedReason === null ? 'interrupted' : stoppedReason,
    resume: complete ? null : merged.resume,
    shortestRunways: tally.shortestRunways,
    partner: plan.partner,
  };
}

/** A shard that returned nothing (a failed Lambda) counts as one that did not run. */
function completeResults(plan: SweepPlan, given: readonly ShardResult[]): ShardResult[] {
  const byShard = new Map(given.filter((r) => r.kind === 'list').map((r) => [r.shard, r]));
  const missing = plan.shards.filter((s) => !byShard.has(s.index)).map((s) => shardNotRun(s, 'no result'));
  return [...given, ...missing];
}

/** Accounts on edge pages: counted once each, and not at all when a part read them off its edges. */
function foldEdges(tally: Tally, results: readonly ShardResult[], outcomes: IdFlags): Tally {
  for (const r of results) {
    const edges = new Set(r.edges.map((e) => e.authId));
    for (const ids of [r.read, r.gone, r.failed]) {
      for (const id of ids) if (!edges.has(id)) outcomes.add(id, OFF_EDGE);
    }
  }
  const has = (id: string, bit: number) => (outcomes.get(id) & bit) !== 0;
  const counted = new Set<string>();
  const failures: SweepFailure[] = [];
  for (const edge of results.flatMap((r) => r.edges)) {
    if (has(edge.authId, OFF_EDGE) || counted.has(edge.authId)) continue;
    if (edge.outcome === 'failed' && has(edge.authId, READ)) continue;
    counted.add(edge.authId);
    if (edge.outcome === 'gone') tally.gone++;
    else if (edge.outcome === 'failed')
      failures.push({ authId: edge.authId, reason: edge.reason ?? 'failed' });
    else {
      tally.fetched++;
      if (edge.level) tally.levels[edge.level]++;
      if (edge.currency && edge.balance) countBalance(tally, edge.currency, edge.balance);
    }
  }
  for (const failure of failures) {
    tally.failed++;
    if (tally.failures.length < MAX_FAILURES_KEPT) tally.failures.push(failure);
  }
  // An account two parts both failed on is kept once.
  const seen = new Set<string>();
  tally.failures = tally.failures.filter((f) => {
    if (f.authId === null) return true;
    if (seen.has(f.authId)) return false;
    seen.add(f.authId);
    return true;
  });
  return tally;
}

/**
 * What each unfinished shard did not read, in the order this sweep scheduled it: the next sweep reads
 * these first, in this order (shard-cut.ts).
 */
function resumeOf(plan: SweepPlan, results: readonly ShardResult[]): SweepResume | null {
  const byShard = new Map(results.filter((r) => r.kind === 'list').map((r) => [r.shard, r]));
  const rings = new Map<number, Array<{ shard: ShardPlan; finished: boolean; resumePage: number | null }>>();
  for (const shard of plan.shards) {
    const result = byShard.get(shard.index);
    const ring = rings.get(shard.firstPage) ?? [];
    ring.push({ shard, finished: result?.finished ?? false, resumePage: result?.resumePage ?? null });
    rings.set(shard.firstPage, ring);
  }
  const stretches = [...rings.values()]
    .flatMap((ring) => unreadStretch(ring) ?? [])
    .sort((a, b) => a.scheduled - b.scheduled)
    .map(({ from, to }) => ({ from, to }));
  if (stretches.length === 0) return null;
  return { pageSize: plan.list?.pageSize ?? FALLBACK_PAGE_SIZE, stretches };
}

/** One state per account, the latest written. */
function latestStates(states: readonly AccountState[]): AccountState[] {
  const latest = new Map<string, AccountState>();
  for (const s of states) {
    const seen = latest.get(s.authId);
    if (!seen || seen.version < s.version) latest.set(s.authId, s);
  }
  return [...latest.values()];
}

function mergeChannels(channels: readonly ChannelDelivery[]): ChannelDelivery[] {
  const merged = new Map<string, ChannelDelivery>();
  for (const c of channels) {
    const seen = merged.get(c.channel);
    merged.set(
      c.channel,
      seen
        ? {
            channel: c.channel,
            accepted: seen.accepted + c.accepted,
            pending: seen.pending + c.pending,
            error: seen.error ?? c.error,
          }
        : { ...c },
    );
  }
  return [...merged.values()];
}
