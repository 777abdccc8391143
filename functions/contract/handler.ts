/**
 * What the CDK stack and the Lambda handler must agree on, in one place so they cannot
 * drift: environment variable names, the handler export and the schedule's input.
 */

/** The file and export the stack's NodejsFunction points at. */
export const SWEEP_HANDLER = { entry: 'functions/sweep-balances.ts', export: 'handler' } as const;

export const ENV = {
  tableName: 'TABLE_NAME',
  secretId: 'VOBIZ_SECRET_ID',
  alertTopicArn: 'ALERT_TOPIC_ARN',
  apiBaseUrl: 'VOBIZ_API_BASE_URL',
  /** JSON of the sweep settings (functions/core/config.ts input). */
  sweepConfig: 'SWEEP_CONFIG',
  /** Partner master balance below which `partner_low` is raised (decimal string). */
  partnerThreshold: 'PARTNER_THRESHOLD',
  /** More notifications than this in one sweep are sent as one digest (criticals still singly). */
  digestSize: 'DIGEST_SIZE',
  /** The schedule's period in minutes: a delivery older than this is skipped. */
  schedulePeriodMinutes: 'SCHEDULE_PERIOD_MINUTES',
  /** The secret holding the webhook's URL and shared secret; empty when the webhook channel is off. */
  webhookSecretId: 'WEBHOOK_SECRET_ID',
} as const;

/**
 * How the handler spends the invocation's time (the stack's duration alarm is computed from it):
 * the sweep must be done `deadlineMarginMs` before the timeout, and stops taking new reads
 * `publishReserveMs` before that, to publish and record what it has.
 */
export const SWEEP_TIME_BUDGET = { deadlineMarginMs: 15_000, publishReserveMs: 5_000 } as const;

/** What the stack writes into a new secret's fields until someone puts the real values in it. */
export const SECRET_PLACEHOLDER = 'REPLACE_ME';

/** The Scheduler target's input: `{"scheduledTime": "<aws.scheduler.scheduled-time>"}`. */
export interface ScheduledInput {
  scheduledTime?: string;
}
