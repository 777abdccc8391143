import type { Logger } from '@aws-lambda-powertools/logger';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import { SCRATCH_NAMES, type ScratchStore } from '../adapters/scratch/scratch-store.ts';
import type { PartnerCredentials } from '../adapters/secrets/secret-credentials.ts';
import { STEP, SWEEP_TIME_BUDGET } from '../contract/handler.ts';
import { METRICS, SWEEP_LOG } from '../contract/metrics.ts';
import { createSweepBudget } from '../core/budget.ts';
import { oneLine } from '../core/errors.ts';
import type { NotifierPort, StorePort, VobizPort } from '../core/ports.ts';
import type { ShardPlan } from '../core/shard-cut.ts';
import { type ShardResult, shardNotRun } from '../core/shard-result.ts';
import { runShard } from '../core/shard-run.ts';
import { finalizeSweep } from '../core/sweep-finalize.ts';
import { planSweep, type SweepPlan } from '../core/sweep-plan.ts';
import type { SweepDeps } from '../core/sweep-types.ts';
import { runUnlisted } from '../core/unlisted-run.ts';
import type { HandlerEnv } from './handler-env.ts';
import { type CredentialSource, withRotation } from './rotation.ts';
import type { RunGuard } from './run-guard.ts';
import { reportSweep, sweepEventLogger } from './sweep-report.ts';

/**
 * Engine `distributed`: the handlers the state machine names (lib/distributed-sweep.ts), each
 * told its step by the payload's `step` field. `steps` runs the parent's own steps, `shards` the
 * balance-reading ones; both drive the same engine parts as the in-process runner (planSweep,
 * runShard, runUnlisted, finalizeSweep). Results cross from the shards to Finalize through the
 * scratch store, not the state.
 */

/** What Step Functions puts in `$.failure` when it catches an error. */
export interface CaughtFailure {
  Error?: string;
  Cause?: string;
}

export type StepsEvent =
  | { step: typeof STEP.lease; sweepId: string; slot: string; startedAt: string }
  | { step: typeof STEP.plan; sweepId: string; slot: string; startedAt: string }
  | {
      step: typeof STEP.finalize;
      sweepId: string;
      slot: string;
      plan: SweepPlan | null;
      failure: CaughtFailure | null;
    }
  | { step: typeof STEP.release; sweepId: string };

export type ShardsEvent =
  | { step: typeof STEP.shard; sweepId: string; plan: SweepPlan; shard: ShardPlan }
  | { step: typeof STEP.unlisted; sweepId: string; plan: SweepPlan };

export interface StepHandlerDeps {
  env: HandlerEnv;
  store: StorePort;
  notifier: NotifierPort;
  guard: RunGuard;
  credentials: CredentialSource;
  vobizFor: (credentials: PartnerCredentials) => VobizPort;
  scratch: ScratchStore;
  /** Each shard's cap on partner API requests per second (the global rate's share); null: none. */
  shardRequestsPerSecond: number | null;
  /** Accounts per shard; default the engine's (1,000). */
  shardSize?: number;
  logger: Logger;
  metrics: Metrics;
  now?: () => number;
}

/** Time a shard keeps back from its Lambda's timeout to store its result. */
const SHARD_MARGIN_MS = 10_000;

export function createStepHandlers(deps: StepHandlerDeps) {
  const now = deps.now ?? Date.now;
  const { logger, metrics, env } = deps;
  const log = sweepEventLogger(logger);
  const sweepDeps = (credentials: PartnerCredentials): SweepDeps => ({
    vobiz: deps.vobizFor(credentials),
    store: deps.store,
    notifier: deps.notifier,
    clock: now,
    log,
  });
  const withSweepDeps = <T>(work: (d: SweepDeps) => Promise<T>) =>
    withRotation(deps.credentials, logger, (credentials) => work(sweepDeps(credentials)));
  const budgetFor = (plan: SweepPlan) =>
    createSweepBudget({ ...plan.config, requestsPerSecond: deps.shardRequestsPerSecond }, now);

  /** The results the shards and the unlisted read left, by shard index (-1: the unlisted part). */
  async function storedResults(sweepId: string): Promise<Map<number, ShardResult>> {
    const documents = await deps.scratch.all(sweepId);
    return new Map([...documents.values()].map((r) => [(r as ShardResult).shard, r as ShardResult]));
  }

  async function steps(event: StepsEvent): Promise<unknown> {
    logger.appendKeys({ sweepId: event.sweepId, step: event.step });
    try {
      switch (event.step) {
        case STEP.lease: {
          // Held until the execution's own limit (one period): a crashed execution cannot block longer.
          const until = Date.parse(event.startedAt) + env.schedulePeriodMs;
          return { acquired: await deps.guard.acquire(event.sweepId, Math.max(until - now(), 1)) };
        }
        case STEP.plan: {
          const deadline =
            Date.parse(event.startedAt) + env.schedulePeriodMs - SWEEP_TIME_BUDGET.finalizeReserveMs;
          return await withSweepDeps((d) =>
            planSweep(d, {
              config: env.sweep,
              sweepId: event.sweepId,
              deadline,
              publishReserveMs: SWEEP_TIME_BUDGET.publishReserveMs,
              partnerThreshold: env.partnerThreshold,
              periodMinutes: env.schedulePeriodMs / 60_000,
              shardSize: deps.shardSize,
            }),
          );
        }
        case STEP.finalize:
          try {
            return await finalize(event);
          } finally {
            metrics.publishStoredMetrics();
          }
        case STEP.release:
          await deps.guard.release(event.sweepId);
          return { released: true };
      }
    } finally {
      logger.removeKeys(['sweepId', 'step']);
    }
  }

  async function finalize(event: Extract<StepsEvent, { step: 'finalize' }>) {
    const failure = event.failure
      ? `${event.failure.Error ?? 'error'}: ${event.failure.Cause ?? ''}`.trim()
      : null;
    if (!event.plan) {
      // Nothing was planned (the lease or the plan failed): nothing to merge, the sweep read nothing.
      metrics.addMetric(METRICS.unreadShare, MetricUnit.Count, 1);
      logger.error(SWEEP_LOG.message, {
        slot: event.slot,
        complete: false,
        unreadShare: 1,
        stoppedReason: `the sweep could not start: ${failure ?? 'no plan'}`,
      });
      return { complete: false, stoppedReason: 'not planned' };
    }
    const plan = event.plan;
    const stored = await storedResults(event.sweepId);
    // A shard without a result failed or timed out before it could store one: it counts as not run,
    // named with the error the workflow caught, and the next sweep starts with it.
    const missing = failure ? `no result (${oneLine(failure)})` : 'no result';
    const results = plan.shards.map((shard) => stored.get(shard.index) ?? shardNotRun(shard, missing));
    const unlisted = stored.get(-1);
    if (unlisted) results.push(unlisted);
    const summary = await withSweepDeps((d) => finalizeSweep(d, plan, results));
    reportSweep(metrics, logger, summary, event.slot);
    return {
      complete: summary.complete,
      known: summary.known,
      unreached: summary.unreached,
      failed: summary.failed,
      stoppedReason: summary.stoppedReason,
    };
  }

  async function shards(event: ShardsEvent, context: Context): Promise<unknown> {
    logger.appendKeys({ sweepId: event.sweepId, step: event.step });
    try {
      if (event.step === STEP.unlisted) {
        const listed = new Set([...(await storedResults(event.sweepId)).values()].flatMap((r) => r.listed));
        const result = await withSweepDeps((d) => runUnlisted(d, event.plan, listed, budgetFor(event.plan)));
        await deps.scratch.put(event.sweepId, SCRATCH_NAMES.unlisted, result);
        return { shard: -1, known: result.known.length, read: result.read.length };
      }
      const { plan, shard } = event;
      const ownDeadline = now() + context.getRemainingTimeInMillis() - SHARD_MARGIN_MS;
      try {
        const result = await withSweepDeps((d) =>
          runShard(d, plan, shard, budgetFor(plan), {
            deadline: Math.min(plan.deadline ?? ownDeadline, ownDeadline),
            readDeadline: Math.min(
              plan.readDeadline ?? ownDeadline,
              ownDeadline - SWEEP_TIME_BUDGET.publishReserveMs,
            ),
          }),
        );
        await deps.scratch.put(event.sweepId, SCRATCH_NAMES.shard(shard.index), result);
        return { shard: shard.index, read: result.read.length, finished: result.finished };
      } catch (error) {
        // Say why before failing the child, so Finalize names the cause (best effort: the store may be the cause).
        const reason = oneLine(error);
        await deps.scratch
          .put(event.sweepId, SCRATCH_NAMES.shard(shard.index), shardNotRun(shard, reason))
          .catch(() => {});
        throw error;
      }
    } finally {
      logger.removeKeys(['sweepId', 'step']);
    }
  }

  return { steps, shards };
}
