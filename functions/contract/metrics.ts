/** The metric names the handler emits and the alarms and the dashboard read: one list, so they cannot drift. */
export const METRICS = {
  namespace: 'VobizBalanceMonitor',
  service: 'vobiz-balance-monitor',
  /** 1 per sweep that ran to its end (list paged through, not stopped); the heartbeat alarm watches it. */
  sweepSucceeded: 'SweepSucceeded',
  /** Notifications decided but not yet accepted by SNS after this sweep. */
  pendingNotifications: 'PendingNotifications',
  sweepIncomplete: 'SweepIncomplete',
  sweepDurationMs: 'SweepDuration',
  accountsListed: 'AccountsListed',
  accountsRead: 'AccountsRead',
  accountsFailed: 'AccountsFailed',
  accountsLow: 'AccountsLow',
  accountsCritical: 'AccountsCritical',
  /** Dimension `type`: low, critical, recovered, reminder, partner_low. */
  notifications: 'Notifications',
  /** Dimension `currency`. */
  totalBalance: 'TotalCustomerBalance',
  partnerBalance: 'PartnerBalance',
  skippedDeliveries: 'SkippedStaleDeliveries',
} as const;
