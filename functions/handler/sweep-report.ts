import type { SweepSummary } from '../core/types.ts';

/**
 * What a finished sweep tells CloudWatch: two metric values (the alarms' inputs) and the fields of
 * the one `sweep finished` log line (everything else, read by the saved Logs Insights queries).
 * Exact amounts stay decimal strings; no customer auth_token is in a summary to begin with.
 */

/**
 * (failed + unreached) / known. A sweep that stopped paging early may have read every account it
 * saw; it is incomplete all the same, so it never reports 0: at least one account past the last
 * one it saw is unknown, hence 1 / (known + 1) as the least share.
 */
export function unreadShare(summary: SweepSummary): number {
  const known = summary.accountsListed;
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
    accountsListed: summary.accountsListed,
    balancesFetched: summary.balancesFetched,
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
