import { createSweepBudget, type SweepBudget } from './budget.ts';
import { oneLine } from './errors.ts';
import { type ShardResult, shardNotRun } from './shard-result.ts';
import { runShard } from './shard-run.ts';
import { finalizeSweep } from './sweep-finalize.ts';
import { mergeResults, summarize } from './sweep-merge.ts';
import { planSweep, type SweepPlan } from './sweep-plan.ts';
import type { SweepDeps, SweepOptions } from './sweep-types.ts';
import type { SweepSummary } from './types.ts';
import { runUnlisted } from './unlisted-run.ts';

/**
 * One sweep over every customer wallet, in-process: the CLI, `npm start` and the single Lambda.
 * Primary course:
 * 1. plan (sweep-plan.ts): page 1, the previous sweep's resume pages, the partner's wallet;
 * 2. run the shards (shard-run.ts) in the plan's order, what the last sweep did not read first, each
 *    starting as the one before finishes listing, so they overlap, under one budget: one concurrency,
 *    one rate, one set of accounts taken;
 * 3. read by id the known accounts the listing did not show (unlisted-run.ts);
 * 4. finalize (sweep-finalize.ts): merge, deliver everything claimed as one delivery, record, summarise.
 * Step Functions runs the same steps as separate tasks (planSweep, runShard per shard, finalizeSweep).
 * A fatal error (credentials, an unreachable API, the store) stops every shard, is recorded, and thrown.
 */

export type { SweepDeps, SweepEvent, SweepOptions } from './sweep-types.ts';

export async function runSweep(deps: SweepDeps, options: SweepOptions): Promise<SweepSummary> {
  const plan = await planSweep(deps, options);
  const clock = deps.clock ?? Date.now;
  const budget = createSweepBudget(plan.config, clock, deps.sleep);
  // Aborted by the caller's interrupt, or here when one part fails fatally.
  const stop = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, stop.signal]) : stop.signal;
  const results: ShardResult[] = [];
  try {
    await runShards(deps, plan, budget, signal, stop, results);
    results.push(await runUnlisted(deps, plan, listedIds(results, budget), budget, { signal }));
  } catch (error) {
    stop.abort(error);
    // Keeps a record of the failed sweep when the store still works.
    const summary = summarize(
      plan,
      mergeResults(plan, results),
      { delivered: [], pending: 0, channels: [], failures: [], interrupted: false, stoppedReason: null },
      clock(),
    );
    await deps.store
      .recordSweep({ ...summary, complete: false, stoppedReason: oneLine(error) })
      .catch(() => {});
    throw error;
  }
  return finalizeSweep(deps, plan, results, { signal: options.signal });
}

/**
 * The shards in the plan's order (what the last sweep did not read first): the next starts as soon as
 * the one before has listed its last page, so the list stays ahead of the reads while what comes first
 * gets the budget first.
 */
async function runShards(
  deps: SweepDeps,
  plan: SweepPlan,
  budget: SweepBudget,
  signal: AbortSignal,
  stop: AbortController,
  results: ShardResult[],
): Promise<void> {
  let failure: { error: unknown } | null = null;
  const running: Promise<void>[] = [];
  for (const shard of plan.shards) {
    if (failure || signal.aborted) {
      results.push(shardNotRun(shard));
      continue;
    }
    let listed = () => {};
    const listedAll = new Promise<void>((resolve) => {
      listed = resolve;
    });
    const run = runShard(deps, plan, shard, budget, { signal, handOffClaims: true, onListed: () => listed() })
      .then(
        (result) => {
          results.push(result);
        },
        (error: unknown) => {
          failure ??= { error };
          stop.abort(error);
          results.push(shardNotRun(shard));
        },
      )
      .finally(() => listed());
    running.push(run);
    await listedAll;
  }
  await Promise.all(running);
  if (failure) throw (failure as { error: unknown }).error;
}

/**
 * Every id the shards listed, once they have all returned. Each account a shard took was one it
 * listed, so the budget's set of taken accounts, with the listed ids no shard took (rejected rows)
 * added, is that set, without a second copy of every id (issue 10 §5). The unlisted part reads it
 * before it takes any account of its own.
 */
function listedIds(results: readonly ShardResult[], budget: SweepBudget): ReadonlySet<string> {
  for (const r of results) for (const id of r.listed) budget.seen.add(id);
  return budget.seen;
}
