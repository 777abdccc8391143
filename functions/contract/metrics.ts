/**
 * What the handler emits and the stack's alarms, dashboard and saved log queries read: one list,
 * so they cannot drift (test/stack-metrics.test.ts runs the handler and checks every metric and
 * log field the template reads is really emitted).
 *
 * Custom metrics cost $0.30 a month each, so there are two; everything else is a field of the one
 * `sweep finished` log line, read by saved CloudWatch Logs Insights queries.
 */
export const METRICS = {
  namespace: 'VobizBalanceMonitor',
  /** The one dimension (Powertools adds `service` to everything it emits). */
  service: 'vobiz-balance-monitor',
  /**
   * (failed + unreached) / known accounts, at the end of every sweep that ran to its summary,
   * complete or not: 0 for a complete sweep, above 0 for an incomplete one, never 0 when incomplete.
   */
  unreadShare: 'UnreadShare',
  /** Notifications decided but not yet accepted by every channel after this sweep. */
  pendingNotifications: 'PendingNotifications',
} as const;

/** The messages of the log lines the saved queries read (lib/log-queries.ts). */
export const SWEEP_LOG = {
  /** The one line that closes every sweep: every count, level, total and delivery as fields. */
  message: 'sweep finished',
  readFailed: 'balance read failed',
  deliveryRefused: 'notification channel refused delivery',
} as const;
