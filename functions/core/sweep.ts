import { createSweepBudget, type SweepBudget } from './budget.ts';
import { oneLine } from './errors.ts';
import { ACCOUNT, type ShardResult, shardNotRun } from './shard-result.ts';
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
 *    one rate, one book of accounts (id-flags.ts: what each was, taken or not, what became of it);
 * 3. read by id the known accounts the listing did not show (unlisted-run.ts);
 * 4. finalize (sweep-finalize.ts): merge (counting the book, the parts carrying no ids), deliver
 *    everything claimed as one delivery, record, summarise.
 * Step Functions runs the same steps as separate tasks (planSweep, runShard per shard, finalizeSweep).
 * A fatal error (credentials, an unreachable API, the store) stops every shard, is recorded, and thrown.
 */

export type { SweepDeps, SweepEvent, SweepOptions } from './sweep-types.ts';

export async function runSweep(deps: SweepDeps, options: SweepOptions): Promise<SweepSummary> {
  const plan = await planSweep(deps, options);
  const clock = deps.clock ?? Date.now;
  const budget = createSweepBudget(plan.config, clock, deps.sleep, { shared: true });
  // Aborted by the caller's interrupt, or here when one part fails fatally.
  const stop = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, stop.signal]) : stop.signal;
  const results: ShardResult[] = [];
  try {
    await runShards(deps, plan, budget, signal, stop, results);
    results.push(await runUnlisted(deps, plan, listedIn(budget), budget, { signal }));
  } catch (error) {
    stop.abort(error);
    // Keeps a record of the failed sweep when the store still works.
    const summary = summarize(
      plan,
      mergeResults(plan, results, budget.accounts),
      { delivered: [], pending: 0, channels: [], failures: [], interrupted: false, stoppedReason: null },
      clock(),
    );
    await deps.store
      .recordSweep({ ...summary, complete: false, stoppedReason: oneLine(error) })
      .catch(() => {});
    throw error;
  }
  return finalizeSweep(deps, plan, results, { signal: options.signal, accounts: budget.accounts });
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

/** Every account the shards listed, as the book has them once they have all returned. */
function listedIn(budget: SweepBudget): { has(authId: string): boolean } {
  return { has: (authId) => (budget.accounts.get(authId) & ACCOUNT.listed) !== 0 };
}
