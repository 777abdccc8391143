import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import type { PartnerCredentials } from '../adapters/secrets/secret-credentials.ts';
import { type ScheduledInput, SWEEP_TIME_BUDGET } from '../contract/handler.ts';
import type { NotifierPort, StorePort, VobizPort } from '../core/ports.ts';
import { runSweep } from '../core/sweep.ts';
import { parseInstant } from '../core/time.ts';
import type { SweepSummary } from '../core/types.ts';
import type { HandlerEnv } from './handler-env.ts';
import { withRotation } from './rotation.ts';
import type { RunGuard } from './run-guard.ts';
import { reportSweep, sweepEventLogger } from './sweep-report.ts';

/**
 * The scheduled sweep as Lambda runs it. Primary course:
 * 1. name the run by the schedule's slot; skip a stale delivery or a slot that already finished;
 * 2. take the run lease (one sweep at a time);
 * 3. sweep with the partner's credentials, stopping before the invocation's time runs out;
 *    on rejected credentials, refresh the secret once and retry (rotation);
 * 4. mark the slot finished, release the lease, and report: two metrics and one log line.
 * Fatal errors propagate: the invocation fails and its record lands in the dead-letter queue,
 * whose alarm is the one for a failed sweep.
 */

export interface SweepHandlerDeps {
  env: HandlerEnv;
  store: StorePort;
  notifier: NotifierPort;
  guard: RunGuard;
  credentials: { get(force?: boolean): Promise<PartnerCredentials> };
  vobizFor: (credentials: PartnerCredentials) => VobizPort;
  logger: Logger;
  metrics: Metrics;
  now?: () => number;
}

export type HandlerResult =
  | { status: 'skipped'; reason: 'stale' | 'duplicate' | 'overlap'; slot: string }
  | ({ status: 'swept'; slot: string } & Omit<SweepSummary, 'notifications' | 'failures'> & {
        notificationCount: number;
      });

export function createSweepHandler(deps: SweepHandlerDeps) {
  const now = deps.now ?? Date.now;
  const { logger, metrics, env } = deps;

  const log = sweepEventLogger(logger);

  return async function handler(event: ScheduledInput | undefined, context: Context): Promise<HandlerResult> {
    const startedMs = now();
    const scheduled = event?.scheduledTime ? parseInstant(event.scheduledTime) : null;
    // A manual invocation (no scheduled time) is its own slot.
    const slot = scheduled ?? `manual:${new Date(startedMs).toISOString()}:${context.awsRequestId}`;
    const sweepId = `sweep-${context.awsRequestId}`;
    logger.appendKeys({ sweepId, slot });

    try {
      if (scheduled && startedMs - Date.parse(scheduled) > env.schedulePeriodMs) {
        logger.warn('skipping a delivery older than one schedule period', { scheduledTime: scheduled });
        return { status: 'skipped', reason: 'stale', slot };
      }
      const remaining = context.getRemainingTimeInMillis();
      if (!(await deps.guard.acquire(sweepId, remaining))) {
        logger.warn('another sweep holds the run lease; skipping this one');
        return { status: 'skipped', reason: 'overlap', slot };
      }
      try {
        // Checked under the lease, so a repeated delivery cannot slip in as the first run finishes.
        if (scheduled && (await deps.guard.slotFinished(slot))) {
          logger.info('this schedule slot already ran; skipping the repeated delivery');
          return { status: 'skipped', reason: 'duplicate', slot };
        }
        const summary = await sweepWithRotation(
          sweepId,
          startedMs + remaining - SWEEP_TIME_BUDGET.deadlineMarginMs,
        );
        if (scheduled) await deps.guard.finishSlot(slot, sweepId, summary.complete);
        report(summary, slot);
        const { notifications, failures, ...counts } = summary;
        return { status: 'swept', slot, ...counts, notificationCount: notifications.length };
      } finally {
        await deps.guard.release(sweepId);
      }
    } finally {
      metrics.publishStoredMetrics();
      logger.removeKeys(['sweepId', 'slot']);
    }
  };

  async function sweepWithRotation(sweepId: string, deadline: number): Promise<SweepSummary> {
    const run = (credentials: PartnerCredentials) =>
      runSweep(
        { vobiz: deps.vobizFor(credentials), store: deps.store, notifier: deps.notifier, clock: now, log },
        {
          config: env.sweep,
          sweepId,
          deadline,
          publishReserveMs: SWEEP_TIME_BUDGET.publishReserveMs,
          partnerThreshold: env.partnerThreshold,
        },
      );
    return withRotation(deps.credentials, logger, run);
  }

  function report(summary: SweepSummary, slot: string): void {
    reportSweep(metrics, logger, summary, slot);
  }
}
