import type { SweepBudget } from './budget.ts';
import { deliverClaims } from './claims-delivery.ts';
import { prefetch } from './concurrency.ts';
import { DeadlineError, FatalError, oneLine } from './errors.ts';
import { type WalkedPage, walkPages } from './page-walk.ts';
import { isEdgePage, type ShardPlan } from './shard-cut.ts';
import type { ShardResult } from './shard-result.ts';
import { type PartOptions, SweepPart, type Work } from './sweep-part.ts';
import { FALLBACK_PAGE_SIZE, type SweepPlan } from './sweep-plan.ts';
import type { SweepDeps } from './sweep-types.ts';
import { countFailure } from './tally.ts';
import { runPool } from './work-pool.ts';

/**
 * runShard(deps, plan, shard, budget, options) -> ShardResult: one shard of a planned sweep.
 * Primary course:
 * 1. list the shard's pages (page-walk.ts), each with its stored states, as a pipeline: the next page
 *    is listed while this one's states load, and they load while the page before is worked on (in
 *    list mode the listing is most of the sweep: a page's time is then its request or its state
 *    read, whichever is longer, not both);
 * 2. hand each account to a fixed pool of workers (sweep-part.ts: read, decide, commit) under the
 *    budget: in-process one budget serves every shard, in Step Functions each shard has its own;
 * 3. stop taking accounts at the deadline, on the signal, or when listing fails, noting the first page
 *    not completed (the next sweep starts there);
 * 4. deliver what it claimed (Step Functions), or with `handOffClaims` leave it in the result for one
 *    delivery at the end of the sweep (in-process: one digest for the whole sweep);
 * 5. return its result: plain JSON (shard-result.ts).
 * Bad credentials, an unreachable API or a dead store throw, after the workers have stopped.
 *
 * In Step Functions: `plan` is planSweep's output as it came through the state machine, `shard` one
 * of `plan.shards` (the Map's item), `budget` made in the shard's Lambda with createSweepBudget and
 * that shard's share of the global rate, and `options.readDeadline` / `options.deadline` from the
 * Lambda's own remaining time. Its claims are in the shard's name (`<sweepId>/<index>`).
 */

export interface ShardRunOptions extends PartOptions {
  /** Leave delivery to finalizeSweep: the claimed states go into the result. */
  handOffClaims?: boolean;
  /** Called once the shard has listed its last page (or stopped listing): the next may start. */
  onListed?: () => void;
  /** Epoch ms by which this shard must have finished delivering; default: the plan's deadline. */
  deadline?: number;
}

/** Workers per shard for each unit of concurrency: a read slot plus the two write slots behind it. */
const WORKERS_PER_SLOT = 3;
/** Pages a list that never ends may run to (the client's guard). */
const MAX_PAGES = 20_000;

export async function runShard(
  deps: SweepDeps,
  plan: SweepPlan,
  shard: ShardPlan,
  budget: SweepBudget,
  options: ShardRunOptions = {},
): Promise<ShardResult> {
  // Delivering on its own (Step Functions), the shard claims in its own name: a neighbour reading its
  // overlap page sees the claim as another's and leaves the delivery to it.
  const claimant = options.handOffClaims ? plan.sweepId : `${plan.sweepId}/${shard.index}`;
  const part = new SweepPart(deps, plan, budget, shard.index, 'list', { claimant, ...options });
  const pageSize = plan.list?.pageSize ?? FALLBACK_PAGE_SIZE;
  const listPage = async (page: number) => {
    const wait = budget.rate.take();
    if (wait) await wait;
    return deps.vobiz.listPage(page, part.requestOptions);
  };
  const walk = walkPages(listPage, {
    from: shard.from,
    to: shard.to === null ? null : shard.to + (shard.overlap ? 1 : 0),
    pageSize: plan.list?.pageSize,
    perPage: pageSize,
    maxPages: MAX_PAGES,
  });
  let nextPage = shard.from;
  let walked = false;

  await runPool<Work>(
    plan.config.concurrency * WORKERS_PER_SLOT,
    pageSize,
    async (push) => {
      try {
        if (part.stopping()) return;
        for await (const { page, states } of prefetch(withStates(deps, prefetch(walk)))) {
          deps.log?.({ type: 'page', page: page.page, newAccounts: page.accounts.length, total: page.total });
          nextPage = page.page + 1;
          // In-process no account is taken twice (one budget's book for every part), so an account on
          // an edge page is counted as it is read, like any other.
          const edge = !budget.shared && isEdgePage(shard, page.page);
          for (const row of page.rejected) {
            if (row.authId !== null) part.listed(row.authId);
            part.failure(row.authId, row.reason, edge);
          }
          const works: Work[] = page.accounts.map((account) => ({
            authId: account.authId,
            account,
            prev: states.get(account.authId),
            page: page.page,
            edge,
          }));
          for (const work of works) part.listed(work.authId);
          await push(works);
          if (page.listEnded) part.result.listEnded = true;
          if (part.stopping()) return;
        }
        walked = true;
      } catch (error) {
        if (error instanceof FatalError) part.failFatally(error);
        else if (part.signal.aborted) part.stopping();
        else if (error instanceof DeadlineError) part.stop('deadline reached while listing accounts');
        else part.stop(`listing accounts failed at page ${nextPage}: ${oneLine(error)}`);
      } finally {
        options.onListed?.();
      }
    },
    (work) => part.process(work),
  );

  if (part.fatalError) throw part.fatalError;
  const unreached = part.firstUnreachedPage;
  let resumePage = walked ? unreached : Math.min(unreached ?? nextPage, nextPage);
  // Left on the overlap page only: that page is the next part's own, read there.
  if (resumePage !== null && shard.to !== null && resumePage > shard.to) resumePage = null;
  part.result.finished = resumePage === null;
  part.result.resumePage = resumePage;
  const result = part.finish();
  if (!options.handOffClaims) await deliverOwn(deps, plan, result, { ...options, claimant: part.claimant });
  return result;
}

/** Each page with the stored states of its accounts. */
async function* withStates(deps: SweepDeps, pages: AsyncIterable<WalkedPage>) {
  for await (const page of pages) {
    // Eventually consistent (half the read cost): a stale state only loses its conditional write
    // and is decided again on a fresh, strongly consistent read (state-commit.ts).
    const states = await deps.store.loadStates(
      page.accounts.map((a) => a.authId),
      { consistent: false },
    );
    yield { page, states };
  }
}

/** A shard on its own (Step Functions) delivers what it claimed. */
async function deliverOwn(
  deps: SweepDeps,
  plan: SweepPlan,
  result: ShardResult,
  options: ShardRunOptions & { claimant: string },
): Promise<void> {
  const { claimant } = options;
  const delivery = await deliverClaims(deps, plan, result.claimed, {
    claimant,
    deadline: options.deadline ?? plan.deadline ?? undefined,
    interrupted: options.signal?.aborted ?? false,
  });
  result.stoppedReason ??= delivery.stoppedReason;
  for (const failure of delivery.failures) {
    countFailure(result.tally, failure);
    result.unnamedFailures++;
  }
  if (delivery.fatal) throw delivery.fatal;
  result.claimed = [];
  result.delivered = delivery.delivered;
  result.pending = delivery.pending;
  result.channels = delivery.channels;
}
