import { deliverClaims } from './claims-delivery.ts';
import type { IdFlags } from './id-flags.ts';
import type { ShardResult } from './shard-result.ts';
import { mergeResults, summarize } from './sweep-merge.ts';
import type { SweepPlan } from './sweep-plan.ts';
import type { SweepDeps } from './sweep-types.ts';
import type { SweepSummary } from './types.ts';

/**
 * finalizeSweep(deps, plan, results, options) -> SweepSummary: the last step of every sweep.
 * Primary course:
 * 1. merge the parts' results exactly (sweep-merge.ts): unique accounts, totals per currency as exact
 *    decimals, `known` = listed ∪ registered, `unreached` = known − (read + failed + gone); the
 *    accounts come from the results' id lists (Step Functions) or the sweep's book (in-process);
 * 2. deliver what the parts handed over (in-process: everything the sweep claimed, as one digest; in
 *    Step Functions: the partner's notification, the shards having delivered their own); interrupted,
 *    it gets a short grace and releases what is left at once, so the next sweep delivers it;
 * 3. record the sweep, with the page each unfinished shard resumes at, and return its summary:
 *    `complete` only when the list was paged to its end and every known account was read or is gone.
 * `results` may lack a shard (a failed Lambda): it counts as not run, and resumes first next time.
 */

export interface FinalizeOptions {
  /** The caller's interrupt: when it has aborted, publishing gets INTERRUPT_GRACE_MS at most. */
  signal?: AbortSignal;
  /** Epoch ms by which finalizing must be done; default: the plan's deadline. */
  deadline?: number;
  /** In-process: the book every part recorded its accounts in (their results carry no id lists). */
  accounts?: IdFlags;
}

/** How long an interrupted sweep may spend publishing what it claimed before releasing the rest. */
export const INTERRUPT_GRACE_MS = 3_000;

export async function finalizeSweep(
  deps: SweepDeps,
  plan: SweepPlan,
  results: readonly ShardResult[],
  options: FinalizeOptions = {},
): Promise<SweepSummary> {
  const clock = deps.clock ?? Date.now;
  const merged = mergeResults(plan, results, options.accounts);
  const interrupted = merged.interrupted || (options.signal?.aborted ?? false);
  let deadline = options.deadline ?? plan.deadline ?? undefined;
  if (interrupted) deadline = Math.min(deadline ?? Number.POSITIVE_INFINITY, clock() + INTERRUPT_GRACE_MS);
  const final = await deliverClaims(deps, plan, merged.claimed, { deadline, interrupted });
  if (final.fatal) throw final.fatal;
  const summary = summarize(plan, merged, { ...final, interrupted }, clock());
  await deps.store.recordSweep(summary);
  return summary;
}
