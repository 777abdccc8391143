import { type Delivery, deliver } from './delivery.ts';
import { FatalError, oneLine } from './errors.ts';
import { commitStep, unlessVanished } from './state-commit.ts';
import type { SweepPlan } from './sweep-plan.ts';
import type { SweepDeps } from './sweep-types.ts';
import type { AccountState, SweepFailure } from './types.ts';

/**
 * Delivers the notifications a sweep (or one shard of it) claimed, per batch settled as delivery.ts
 * does, with the sweep's conditional writes; collects what went wrong instead of throwing halfway.
 */

export interface ClaimsDelivery extends Delivery {
  /** Why delivery stopped early (out of time), if it did. */
  stoppedReason: string | null;
  /** Store failures while settling: they leave entries claimed until the lease runs out. */
  failures: SweepFailure[];
  /** A fatal store error: the caller throws it once its record is written. */
  fatal: FatalError | null;
}

export async function deliverClaims(
  deps: SweepDeps,
  plan: SweepPlan,
  states: readonly AccountState[],
  timing: { deadline: number | undefined; interrupted: boolean; claimant?: string },
): Promise<ClaimsDelivery> {
  const clock = deps.clock ?? Date.now;
  let stoppedReason: string | null = null;
  let fatal: FatalError | null = null;
  const failures: SweepFailure[] = [];
  const partnerId = plan.partner?.authId;
  const delivery = await deliver(states, plan.now ?? new Date(clock()).toISOString(), {
    notifier: deps.notifier,
    sweepId: timing.claimant ?? plan.sweepId,
    deadline: timing.deadline,
    clock,
    concurrency: plan.config.concurrency,
    claimLeaseMs: plan.customer.policy.claimLeaseMs,
    settle: async (state, change) => {
      const saved = await commitStep(
        deps.store,
        state,
        (current) => unlessVanished(current, change),
        (authId, attempt) => deps.log?.({ type: 'conflict', authId, attempt }),
        // The partner's own wallet stays out of the registry of customer accounts.
        state.authId !== partnerId,
      );
      return saved.state;
    },
    log: (event) => deps.log?.(event),
    stop: (reason) => {
      stoppedReason ??= reason;
      deps.log?.({ type: 'stopping', reason });
    },
    storeFailed: (error) => {
      if (error instanceof FatalError) fatal ??= error;
      else failures.push({ authId: null, reason: `store: ${oneLine(error)}` });
    },
    releaseWhenOutOfTime: timing.interrupted,
  });
  return { ...delivery, stoppedReason, failures, fatal };
}
