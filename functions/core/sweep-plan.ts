import type { CustomerContext } from './account-step.ts';
import { nextAccountState } from './account-step.ts';
import type { SweepConfig } from './config.ts';
import { DeadlineError, FatalError, oneLine } from './errors.ts';
import { confirmationCycle, slotOf } from './list-source.ts';
import { ownedBy } from './outbox.ts';
import { cutShards, type ListShape, type ShardPlan } from './shard-cut.ts';
import { commitStep } from './state-commit.ts';
import { customerContext, partnerContext, partnerObservation } from './step-context.ts';
import type { SweepDeps, SweepOptions } from './sweep-types.ts';
import { countFailure, emptyTally, type Tally } from './tally.ts';
import type { AccountState, BalanceSource, ListPage, SweepSummary } from './types.ts';

/**
 * planSweep(deps, options) -> SweepPlan: the first step of every sweep, in-process or in Step Functions.
 * Primary course:
 * 1. read the stored threshold defaults, the previous sweep's record (where it left off), the
 *    partner's wallet if watched (its step is taken here, its notification claimed), and page 1 of the
 *    account list (the total, and the page size the API really used);
 * 2. cut the list into shards (shard-cut.ts), what the previous sweep did not reach first;
 * 3. return the plan: plain JSON, a few hundred bytes per shard (about 40 KB at 200,000 accounts).
 * A page 1 that cannot be read (after retries) leaves one open-ended shard that tries again; bad
 * credentials, an unreachable API or a wrong base URL throw.
 */

export const DEFAULT_SHARD_SIZE = 1_000;
export const DEFAULT_PERIOD_MINUTES = 15;
/** What to assume when page 1 was empty or unreadable: the documented maximum. */
export const FALLBACK_PAGE_SIZE = 100;

export interface SweepPlan {
  sweepId: string;
  startedAt: string;
  /** The clock at the start, for the duration. */
  startedMs: number;
  /** Every observation is made at this instant (replays and tests); null: the clock. */
  now: string | null;
  /** Epoch ms by which the sweep must have finished, publishing included. */
  deadline: number | null;
  /** No balance read starts after this (the deadline less the time kept for publishing). */
  readDeadline: number | null;
  config: SweepConfig;
  /** How customer accounts are judged (the configured thresholds under the stored defaults). */
  customer: Omit<CustomerContext, 'now'>;
  /** When the last complete sweep started: it vouches for balances it saw unchanged. */
  previousSweepAt: string | null;
  balanceSource: BalanceSource;
  /** List mode: this sweep's slot, and how many slots make the confirmation cycle. */
  slot: number;
  confirmationCycle: number;
  /** The list as page 1 showed it; null when page 1 could not be read. */
  list: ListShape | null;
  shards: ShardPlan[];
  partner: SweepSummary['partner'];
  /** What the partner's step counted (its write, or its failure). */
  tally: Tally;
  /** The partner's state when it owns a notification this sweep must deliver. */
  claimed: AccountState[];
}

export async function planSweep(deps: SweepDeps, options: SweepOptions): Promise<SweepPlan> {
  const clock = deps.clock ?? Date.now;
  const startedMs = clock();
  const startedAt = options.now ?? new Date(startedMs).toISOString();
  const deadline = options.deadline ?? null;
  const readDeadline = deadline === null ? null : deadline - (options.publishReserveMs ?? 5_000);
  const requestOptions = { deadline: readDeadline ?? undefined, signal: options.signal };
  const periodMinutes = options.periodMinutes ?? DEFAULT_PERIOD_MINUTES;

  const now = options.now ?? new Date(startedMs).toISOString();
  const [stored, previous, firstPage, partner] = await allSettled([
    deps.store.loadCurrencyDefaults(),
    deps.store.lastSweepBefore(startedAt),
    deps.vobiz.listPage(1, requestOptions).catch((error: unknown) => {
      if (error instanceof FatalError) throw error;
      // Not fatal: the shard that owns page 1 tries again, and says why if it fails too.
      return null;
    }),
    partnerStep(deps, options, now, requestOptions),
  ] as const);
  const list = firstPage ? listShape(firstPage) : null;
  const shardPages = list
    ? Math.max(1, Math.round((options.shardSize ?? DEFAULT_SHARD_SIZE) / list.pageSize))
    : 1;
  const plan: SweepPlan = {
    sweepId: options.sweepId,
    startedAt,
    startedMs,
    now: options.now ?? null,
    deadline,
    readDeadline,
    config: options.config,
    customer: customerContext(options.config, options.sweepId, stored),
    previousSweepAt: previous?.complete ? previous.startedAt : null,
    balanceSource: options.config.balanceSource,
    slot: slotOf(Date.parse(startedAt), periodMinutes),
    confirmationCycle: confirmationCycle(periodMinutes),
    list,
    shards: list
      ? cutShards(list, shardPages, previous?.resume ?? null)
      : [
          {
            index: 0,
            firstPage: 1,
            lastPage: null,
            part: 'main',
            phase: 1,
            from: 1,
            to: null,
            overlap: false,
          },
        ],
    ...partner,
  };
  return plan;
}

function listShape(page: ListPage): ListShape {
  const count = page.accounts.length + page.rejected.length;
  // A full first page shows the size the API uses; a list that fits on one page does not need one.
  const pageSize =
    page.total > count && count > 0 ? count : Math.max(1, page.size ?? FALLBACK_PAGE_SIZE, count);
  return { total: page.total, pageSize };
}

/**
 * The partner's master wallet funds every customer top-up, so it gets the same lifecycle
 * as a customer's, under its own notification types.
 */
async function partnerStep(
  deps: SweepDeps,
  options: SweepOptions,
  now: string,
  requestOptions: { deadline?: number; signal?: AbortSignal },
): Promise<Pick<SweepPlan, 'partner' | 'tally' | 'claimed'>> {
  const outcome: Pick<SweepPlan, 'partner' | 'tally' | 'claimed'> = {
    partner: null,
    tally: emptyTally(),
    claimed: [],
  };
  const threshold = options.partnerThreshold;
  if (threshold === undefined || threshold === null) return outcome;
  try {
    const profile = await deps.vobiz.getPartner(requestOptions);
    const observation = partnerObservation(profile, now);
    if (!observation) {
      countFailure(outcome.tally, {
        authId: profile.authId,
        reason: 'the partner profile (/me) carries no balance',
      });
      return outcome;
    }
    const { authId, balance, currency } = observation;
    const partner = { authId, balance, currency, level: 'UNKNOWN' as const };
    outcome.partner = partner;
    const context = { ...partnerContext(options.config, options.sweepId, threshold), now };
    const [prev] = (await deps.store.loadStates([authId])).values();
    const saved = await commitStep(
      deps.store,
      prev,
      (state) => nextAccountState(state, observation, context),
      (id, attempt) => deps.log?.({ type: 'conflict', authId: id, attempt }),
      // The partner's wallet is not a customer account: the unlisted read must never look for it.
      false,
    );
    if (saved.written) outcome.tally.stateWrites++;
    if (saved.state) {
      outcome.partner = { ...partner, level: saved.state.level };
      if (ownedBy(saved.state, options.sweepId).length > 0) outcome.claimed.push(saved.state);
    }
  } catch (error) {
    if (error instanceof FatalError) throw error;
    if (!(error instanceof DeadlineError))
      countFailure(outcome.tally, { authId: 'partner (/me)', reason: oneLine(error) });
  }
  return outcome;
}

/**
 * Promise.all that waits for every promise before it throws the first failure: nothing is left
 * running (a store read, say) after a fatal error has ended the sweep.
 */
async function allSettled<T extends readonly unknown[]>(
  promises: { [K in keyof T]: Promise<T[K]> },
): Promise<{ -readonly [K in keyof T]: T[K] }> {
  const settled = await Promise.allSettled(promises);
  const failed = settled.find((s) => s.status === 'rejected');
  if (failed) throw failed.reason;
  return settled.map((s) => (s as PromiseFulfilledResult<unknown>).value) as {
    -readonly [K in keyof T]: T[K];
  };
}
