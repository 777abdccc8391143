import type { Logger } from '@aws-lambda-powertools/logger';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import type { PartnerCredentials } from '../adapters/secrets/secret-credentials.ts';
import type { ScheduledInput } from '../contract/handler.ts';
import { METRICS } from '../contract/metrics.ts';
import { CredentialsError } from '../core/errors.ts';
import type { NotifierPort, StorePort, VobizPort } from '../core/ports.ts';
import { runSweep, type SweepEvent } from '../core/sweep.ts';
import { parseInstant } from '../core/time.ts';
import type { SweepSummary } from '../core/types.ts';
import type { HandlerEnv } from './handler-env.ts';
import type { RunGuard } from './run-guard.ts';

/**
 * The scheduled sweep as Lambda runs it. Primary course:
 * 1. name the run by the schedule's slot; skip a stale delivery or a slot that already finished;
 * 2. take the run lease (one sweep at a time);
 * 3. sweep with the partner's credentials, stopping before the invocation's time runs out;
 *    on rejected credentials, refresh the secret once and retry (rotation);
 * 4. publish metrics, mark the slot finished, release the lease.
 * Fatal errors propagate so that Lambda's error metric and the alarm see them.
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

/** Time kept back from the Lambda timeout: publishing, recording and metrics after the reads. */
const DEADLINE_MARGIN_MS = 15_000;

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
        metrics.addMetric(METRICS.skippedDeliveries, MetricUnit.Count, 1);
        return { status: 'skipped', reason: 'stale', slot };
      }
      const remaining = context.getRemainingTimeInMillis();
      if (!(await deps.guard.acquire(sweepId, remaining))) {
        logger.warn('another sweep holds the run lease; skipping this one');
        metrics.addMetric(METRICS.skippedDeliveries, MetricUnit.Count, 1);
        return { status: 'skipped', reason: 'overlap', slot };
      }
      try {
        // Checked under the lease, so a repeated delivery cannot slip in as the first run finishes.
        if (scheduled && (await deps.guard.slotFinished(slot))) {
          logger.info('this schedule slot already ran; skipping the repeated delivery');
          metrics.addMetric(METRICS.skippedDeliveries, MetricUnit.Count, 1);
          return { status: 'skipped', reason: 'duplicate', slot };
        }
        const summary = await sweepWithRotation(sweepId, startedMs + remaining - DEADLINE_MARGIN_MS);
        if (scheduled) await deps.guard.finishSlot(slot, sweepId, summary.complete);
        report(summary);
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
        { config: env.sweep, sweepId, deadline, partnerThreshold: env.partnerThreshold },
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
        logger.warn('balance read failed', { authId: event.authId, reason: event.reason });
        return;
      case 'conflict':
        logger.info('state changed under this sweep; deciding again', {
          authId: event.authId,
          attempt: event.attempt,
        });
        return;
      case 'delivery-refused':
        logger.error('notification channel refused delivery; kept for the next sweep', {
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

  function report(summary: SweepSummary): void {
    metrics.addMetric(
      summary.complete ? METRICS.sweepSucceeded : METRICS.sweepIncomplete,
      MetricUnit.Count,
      1,
    );
    metrics.addMetric(METRICS.sweepDurationMs, MetricUnit.Milliseconds, summary.durationMs);
    metrics.addMetric(METRICS.accountsListed, MetricUnit.Count, summary.accountsListed);
    metrics.addMetric(METRICS.accountsRead, MetricUnit.Count, summary.balancesFetched);
    metrics.addMetric(METRICS.accountsFailed, MetricUnit.Count, summary.failed);
    metrics.addMetric(METRICS.accountsLow, MetricUnit.Count, summary.levels.LOW);
    metrics.addMetric(METRICS.accountsCritical, MetricUnit.Count, summary.levels.CRITICAL);
    // What the undelivered-notifications alarm watches.
    metrics.addMetric(METRICS.pendingNotifications, MetricUnit.Count, summary.pendingNotifications);
    const byType = new Map<string, number>();
    for (const n of summary.notifications) byType.set(n.type, (byType.get(n.type) ?? 0) + 1);
    for (const [type, count] of byType) {
      const single = metrics.singleMetric();
      single.addDimension('type', type);
      single.addMetric(METRICS.notifications, MetricUnit.Count, count);
    }
    // Metric values are doubles by nature; the exact totals stay in the sweep record.
    for (const [currency, total] of Object.entries(summary.totals)) {
      const single = metrics.singleMetric();
      single.addDimension('currency', currency);
      single.addMetric(METRICS.totalBalance, MetricUnit.Count, Number(total));
    }
    if (summary.partner) {
      const single = metrics.singleMetric();
      single.addDimension('currency', summary.partner.currency);
      single.addMetric(METRICS.partnerBalance, MetricUnit.Count, Number(summary.partner.balance));
    }
    logger.info('sweep finished', {
      complete: summary.complete,
      accountsListed: summary.accountsListed,
      balancesFetched: summary.balancesFetched,
      failed: summary.failed,
      unreached: summary.unreached,
      snapshotsWritten: summary.snapshotsWritten,
      notifications: summary.notifications.length,
      pendingNotifications: summary.pendingNotifications,
      durationMs: summary.durationMs,
      stoppedReason: summary.stoppedReason,
    });
  }
}
