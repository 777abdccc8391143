/**
 * What the CDK stack and the Lambda handler must agree on, in one place so they cannot
 * drift: environment variable names, the handler export and the schedule's input.
 */

/** The file and export the stack's NodejsFunction points at (engine `single`). */
export const SWEEP_HANDLER = { entry: 'functions/sweep-balances.ts', export: 'handler' } as const;

/** Engine `distributed`: the schedule's target, which starts one execution per slot. */
export const START_HANDLER = { entry: 'functions/start-sweep.ts', export: 'handler' } as const;

/**
 * Engine `distributed`: the state machine's two functions, from one entry. `steps` runs the
 * parent's own steps (lease, plan, finalize, release), `shards` the balance-reading ones (a
 * listing shard in each Map iteration, then the accounts no shard listed); each is told which
 * step by the `step` field of its payload.
 */
export const STEP_HANDLERS = { entry: 'functions/sweep-steps.ts', steps: 'steps', shards: 'shards' } as const;

/** The `step` field of a step function's payload. */
export const STEP = {
  lease: 'lease',
  plan: 'plan',
  shard: 'shard',
  unlisted: 'unlisted',
  finalize: 'finalize',
  release: 'release',
} as const;
export type StepName = (typeof STEP)[keyof typeof STEP];

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

/** Engine `distributed`: what its functions get besides the sweep's ENV. */
export const DISTRIBUTED_ENV = {
  /** The starter: the state machine it starts. */
  stateMachineArn: 'STATE_MACHINE_ARN',
  /** The step functions: the bucket whose scratch prefix carries shard results between steps. */
  workBucket: 'SWEEP_WORK_BUCKET',
  /** The step functions: requests per second each shard may make. */
  shardRequestsPerSecond: 'SHARD_REQUESTS_PER_SECOND',
} as const;

/**
 * How a sweep spends its time (the stack's duration alarm is computed from it). Engine `single`:
 * the sweep must be done `deadlineMarginMs` before the Lambda timeout. Engine `distributed`: the
 * shards must be done `finalizeReserveMs` before the execution's timeout (one period), left for
 * the unlisted accounts, finalize and release. Either way reads stop `publishReserveMs` before
 * that, to publish and record what the sweep has.
 */
export const SWEEP_TIME_BUDGET = {
  deadlineMarginMs: 15_000,
  finalizeReserveMs: 90_000,
  publishReserveMs: 5_000,
} as const;

/** What the stack writes into a new secret's fields until someone puts the real values in it. */
export const SECRET_PLACEHOLDER = 'REPLACE_ME';

/** The Scheduler target's input: `{"scheduledTime": "<aws.scheduler.scheduled-time>"}`. */
export interface ScheduledInput {
  scheduledTime?: string;
}

/** Engine `distributed`: what the starter gives the execution it starts. */
export interface ExecutionInput {
  /** The schedule slot (ISO instant), or `manual:<instant>:<request id>`. */
  slot: string;
  sweepId: string;
}
