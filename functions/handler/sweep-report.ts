import type { Logger } from '@aws-lambda-powertools/logger';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { METRICS, SWEEP_LOG } from '../contract/metrics.ts';
import type { SweepEvent } from '../core/sweep-types.ts';
import type { SweepSummary } from '../core/types.ts';

/**
 * What a finished sweep tells CloudWatch: two metric values (the alarms' inputs) and the fields of
 * the one `sweep finished` log line (everything else, read by the saved Logs Insights queries).
 * Exact amounts stay decimal strings; no customer auth_token is in a summary to begin with.
 */

/**
 * (failed + unreached) / known, where known is every account the sweep knows exists (listed, the
 * API's total while the list was not paged to its end, and the registry). A sweep can be incomplete
 * with nothing counted unread (stopped paging early, interrupted), so an incomplete one never
 * reports 0: 1 / (known + 1) is its least share.
 */
export function unreadShare(summary: SweepSummary): number {
  const known = summary.known;
  const share = known === 0 ? 0 : (summary.failed + summary.unreached) / known;
  if (summary.complete) return share;
  return Math.max(share, 1 / (known + 1));
}

export function sweepLogFields(summary: SweepSummary, slot: string) {
  const byType: Record<string, number> = {};
  for (const n of summary.notifications) byType[n.type] = (byType[n.type] ?? 0) + 1;
  return {
    slot,
    complete: summary.complete,
    // Powertools drops null fields; the query's column should say so rather than stay blank.
    stoppedReason: summary.stoppedReason ?? 'none',
    listComplete: summary.listComplete,
    known: summary.known,
    accountsListed: summary.accountsListed,
    balancesFetched: summary.balancesFetched,
    duplicateReads: summary.duplicateReads,
    failed: summary.failed,
    gone: summary.gone,
    unreached: summary.unreached,
    unreadShare: unreadShare(summary),
    snapshotsWritten: summary.snapshotsWritten,
    stateWrites: summary.stateWrites,
    levels: summary.levels,
    notifications: summary.notifications.length,
    notificationsByType: byType,
    pendingNotifications: summary.pendingNotifications,
    delivery: summary.delivery,
    totals: summary.totals,
    partner: summary.partner,
    durationMs: summary.durationMs,
  };
}

export type SweepLogFields = ReturnType<typeof sweepLogFields>;

/** The alarms' two inputs, and everything else as fields of one line for the saved log queries. */
export function reportSweep(metrics: Metrics, logger: Logger, summary: SweepSummary, slot: string): void {
  metrics.addMetric(METRICS.unreadShare, MetricUnit.Count, unreadShare(summary));
  metrics.addMetric(METRICS.pendingNotifications, MetricUnit.Count, summary.pendingNotifications);
  logger.info(SWEEP_LOG.message, sweepLogFields(summary, slot));
}

/** What a sweep reports while it runs, as log lines (never a secret: the events carry none). */
export function sweepEventLogger(logger: Logger): (event: SweepEvent) => void {
  return (event) => {
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
  };
}
