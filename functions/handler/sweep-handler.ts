import type { Logger } from '@aws-lambda-powertools/logger';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import type { PartnerCredentials } from '../adapters/secrets/secret-credentials.ts';
import { type ScheduledInput, SWEEP_TIME_BUDGET } from '../contract/handler.ts';
import { METRICS, SWEEP_LOG } from '../contract/metrics.ts';
import { CredentialsError } from '../core/errors.ts';
import type { NotifierPort, StorePort, VobizPort } from '../core/ports.ts';
import { runSweep, type SweepEvent } from '../core/sweep.ts';
import { parseInstant } from '../core/time.ts';
import type { SweepSummary } from '../core/types.ts';
import type { HandlerEnv } from './handler-env.ts';
import type { RunGuard } from './run-guard.ts';
import { sweepLogFields, unreadShare } from './sweep-report.ts';

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
    const credentials = await deps.credentials.get();
    try {
      return await run(credentials);
    } catch (error) {
      if (!(error instanceof CredentialsError)) throw error;
      // The partner may have rotated the token: one forced refresh and one retry, never a loop.
      const fresh = await deps.credentials.get(true);
      if (fresh.authId === credentials.authId && fresh.authToken === credentials.authToken) throw error;
      logger.warn('partner credentials were rejected; retrying once with the refreshed secret');
      return run(fresh);
    }
  }

  function log(event: SweepEvent): void {
    switch (event.type) {
      case 'page':
        logger.debug('page listed', { page: event.page, newAccounts: event.newAccounts, total: event.total });
        return;
      case 'read-failed':
        logger.warn(SWEEP_LOG.readFailed, { authId: event.authId, reason: event.reason });
        return;
      case 'conflict':
        logger.info('state changed under this sweep; deciding again', {
          authId: event.authId,
          attempt: event.attempt,
        });
        return;
      case 'delivery-refused':
        logger.error(SWEEP_LOG.deliveryRefused, {
          channel: event.channel,
          pending: event.pending,
          reason: event.reason,
        });
        return;
      case 'stopping':
        logger.warn('sweep stopping early', { reason: event.reason });
        return;
    }
  }

  /** The alarms' two inputs, and everything else as fields of one line for the saved log queries. */
  function report(summary: SweepSummary, slot: string): void {
    metrics.addMetric(METRICS.unreadShare, MetricUnit.Count, unreadShare(summary));
    metrics.addMetric(METRICS.pendingNotifications, MetricUnit.Count, summary.pendingNotifications);
    logger.info(SWEEP_LOG.message, sweepLogFields(summary, slot));
  }
}
