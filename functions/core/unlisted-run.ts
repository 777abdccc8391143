import type { SweepBudget } from './budget.ts';
import { FatalError, oneLine } from './errors.ts';
import type { ShardResult } from './shard-result.ts';
import { type PartOptions, SweepPart, type Work } from './sweep-part.ts';
import type { SweepPlan } from './sweep-plan.ts';
import type { SweepDeps } from './sweep-types.ts';
import { runPool } from './work-pool.ts';

/**
 * runUnlisted(deps, plan, listed, budget, options) -> ShardResult: after the listing shards, the
 * accounts the store knows (its registry) that this sweep's listing did not show, read by id from the
 * balance endpoint. A list that shifts while it is paged can hide an account from every shard; it
 * cannot hide it from this. A 404 marks the account gone and takes it out of the registry.
 * Primary course:
 * 1. read the registry, leaving out page by page the ids `listed` has (every shard's listed ids):
 *    what is left is this part's `known`;
 * 2. unless the sweep is already stopping (deadline, interrupt), read each of them as a shard reads a
 *    listed account (sweep-part.ts), alerting it as it was when last listed;
 * 3. return a result like a shard's (kind `unlisted`); what it claimed goes to the final delivery.
 * In Step Functions the finalize step runs it first (or a state of its own), with the listed ids
 * gathered from the shards' results.
 */

const BATCH = 100;

export async function runUnlisted(
  deps: SweepDeps,
  plan: SweepPlan,
  listed: { has(authId: string): boolean },
  budget: SweepBudget,
  options: PartOptions = {},
): Promise<ShardResult> {
  const part = new SweepPart(deps, plan, budget, -1, 'unlisted', options);
  let unlisted: string[];
  try {
    unlisted = await deps.store.registeredAccounts((id) => listed.has(id));
  } catch (error) {
    if (error instanceof FatalError) throw error;
    part.stop(`the registry of known accounts could not be read: ${oneLine(error)}`);
    return part.finish();
  }
  for (const authId of unlisted) part.known(authId);

  await runPool<Work>(
    plan.config.concurrency * 3,
    BATCH,
    async (push) => {
      for (let i = 0; i < unlisted.length; i += BATCH) {
        const ids = unlisted.slice(i, i + BATCH);
        if (part.stopping()) {
          // Taken by no worker: each is counted unreached, as a listed account would be.
          await push(
            ids.map((authId) => ({ authId, account: null, prev: undefined, page: null, edge: false })),
          );
          continue;
        }
        try {
          const states = await deps.store.loadStates(ids, { consistent: false });
          await push(
            ids.map((authId) => ({
              authId,
              account: null,
              prev: states.get(authId),
              page: null,
              edge: false,
            })),
          );
        } catch (error) {
          if (error instanceof FatalError) part.failFatally(error);
          else part.stop(`reading known accounts failed: ${oneLine(error)}`);
          await push(
            ids.map((authId) => ({ authId, account: null, prev: undefined, page: null, edge: false })),
          );
        }
      }
    },
    (work) => part.process(work),
  );

  if (part.fatalError) throw part.fatalError;
  part.result.finished = part.result.stoppedReason === null;
  return part.finish();
}
