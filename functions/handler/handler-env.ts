import { z } from 'zod';
import { DISTRIBUTED_ENV, ENV } from '../contract/handler.ts';
import { parseSweepConfig, type SweepConfig } from '../core/config.ts';
import { ConfigError } from '../core/errors.ts';
import { isAmount, parseAmount } from '../core/money.ts';

/**
 * The Lambda's environment, validated once at import: a missing or bad variable names itself
 * and fails the cold start, instead of a silent default surfacing as a wrong alert later.
 */

const positiveInt = z.coerce.number().int().positive();

const envSchema = z.object({
  [ENV.tableName]: z.string().min(1),
  [ENV.secretId]: z.string().min(1),
  [ENV.alertTopicArn]: z.string().regex(/^arn:aws[\w-]*:sns:/, 'must be an SNS topic ARN'),
  [ENV.apiBaseUrl]: z.url({ protocol: /^https?$/ }),
  [ENV.sweepConfig]: z.string().min(2),
  [ENV.partnerThreshold]: z
    .string()
    .refine((v) => v === '' || isAmount(v), 'must be a decimal amount or empty')
    .optional(),
  [ENV.digestSize]: positiveInt.default(10),
  [ENV.schedulePeriodMinutes]: positiveInt,
  [ENV.webhookSecretId]: z.string().optional(),
});

export interface HandlerEnv {
  tableName: string;
  secretId: string;
  alertTopicArn: string;
  apiBaseUrl: string;
  sweep: SweepConfig;
  partnerThreshold: string | null;
  digestSize: number;
  schedulePeriodMs: number;
  /** The webhook channel's secret; null when the channel is off (the variable empty or unset). */
  webhookSecretId: string | null;
}

export function parseHandlerEnv(env: Record<string, string | undefined>): HandlerEnv {
  const result = envSchema.safeParse(env);
  if (!result.success) {
    const issue = result.error.issues[0];
    const name = String(issue?.path[0] ?? 'environment');
    const missing = env[name] === undefined;
    throw new ConfigError(
      `environment variable ${name} ${missing ? 'is not set' : (issue?.message ?? 'is invalid')}`,
    );
  }
  const values = result.data;
  let sweepJson: unknown;
  try {
    sweepJson = JSON.parse(values[ENV.sweepConfig]);
  } catch {
    throw new ConfigError(`environment variable ${ENV.sweepConfig} is not JSON`);
  }
  const threshold = values[ENV.partnerThreshold];
  return {
    tableName: values[ENV.tableName],
    secretId: values[ENV.secretId],
    alertTopicArn: values[ENV.alertTopicArn],
    apiBaseUrl: values[ENV.apiBaseUrl],
    sweep: parseSweepConfig(sweepJson, `environment variable ${ENV.sweepConfig}`),
    partnerThreshold: threshold ? parseAmount(threshold) : null,
    digestSize: values[ENV.digestSize],
    schedulePeriodMs: values[ENV.schedulePeriodMinutes] * 60_000,
    webhookSecretId: values[ENV.webhookSecretId] || null,
  };
}

const starterSchema = z.object({
  [DISTRIBUTED_ENV.stateMachineArn]: z
    .string()
    .regex(/^arn:aws[\w-]*:states:/, 'must be a state machine ARN'),
  [ENV.schedulePeriodMinutes]: positiveInt,
});

/** Engine `distributed`, the starter's environment: the state machine and the schedule's period. */
export function parseStarterEnv(env: Record<string, string | undefined>): {
  stateMachineArn: string;
  schedulePeriodMs: number;
} {
  const result = starterSchema.safeParse(env);
  if (!result.success) {
    const issue = result.error.issues[0];
    const name = String(issue?.path[0] ?? 'environment');
    throw new ConfigError(
      `environment variable ${name} ${env[name] === undefined ? 'is not set' : (issue?.message ?? 'is invalid')}`,
    );
  }
  return {
    stateMachineArn: result.data[DISTRIBUTED_ENV.stateMachineArn],
    schedulePeriodMs: result.data[ENV.schedulePeriodMinutes] * 60_000,
  };
}

const stepSchema = z.object({
  [DISTRIBUTED_ENV.workBucket]: z.string().min(3),
  [DISTRIBUTED_ENV.shardRequestsPerSecond]: z.coerce.number().positive().optional(),
});

/** Engine `distributed`, the step functions: the sweep's environment plus the bucket and the shard rate. */
export function parseStepEnv(env: Record<string, string | undefined>): HandlerEnv & {
  workBucket: string;
  shardRequestsPerSecond: number | null;
} {
  const base = parseHandlerEnv(env);
  const result = stepSchema.safeParse(env);
  if (!result.success) {
    const issue = result.error.issues[0];
    const name = String(issue?.path[0] ?? 'environment');
    throw new ConfigError(
      `environment variable ${name} ${env[name] === undefined ? 'is not set' : (issue?.message ?? 'is invalid')}`,
    );
  }
  return {
    ...base,
    workBucket: result.data[DISTRIBUTED_ENV.workBucket],
    shardRequestsPerSecond: result.data[DISTRIBUTED_ENV.shardRequestsPerSecond] ?? null,
  };
}
