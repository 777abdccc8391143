import { z } from 'zod';
import { ConfigError } from './errors.ts';
import { greaterThan, isAmount, lessThan, parseAmount } from './money.ts';
import { isTimeZone } from './time.ts';

/**
 * The sweep's settings, shared by the CLI and the Lambda handler. Every field has a
 * stated default; a bad value fails with one line that names the setting.
 */

const amount = z
  .union([
    z.string(),
    // A JSON number has already been through a binary float: only whole numbers are sure to be exact.
    z.number().refine(Number.isSafeInteger, {
      message: 'must be written as a string ("99.50") unless it is a whole number',
    }),
  ])
  .transform((v) => String(v).trim())
  .refine(isAmount, { message: 'must be a decimal amount such as 100 or 99.50', abort: true })
  .transform((v) => parseAmount(v));

const thresholdPair = z
  .object({ low: amount, critical: amount.optional() })
  .strict()
  .refine((t) => t.critical === undefined || !lessThan(t.low, t.critical), {
    message: 'critical must not be above low',
  });

export const sweepConfigSchema = z
  .object({
    /** IANA zone of the partner: decides what "a day" is for snapshots and closing balances. */
    timezone: z
      .string()
      .refine(isTimeZone, { message: 'must be an IANA time zone such as Asia/Kolkata' })
      .prefault('Asia/Kolkata'),
    /** Global low threshold: an account below it is LOW. */
    threshold: amount.prefault('100'),
    /** At or below this an account is CRITICAL. */
    critical: amount.prefault('0'),
    /** Per-currency defaults, e.g. { USD: { low: "5" } }. */
    currencyThresholds: z
      .record(z.string().regex(/^[A-Z]{3}$/, 'currency codes are three capital letters'), thresholdPair)
      .default({}),
    /** A LOW account recovers only above low + this percentage of low, so a wallet at the line does not flap. */
    hysteresisPercent: amount
      .refine((v) => !lessThan(v, '0'), { message: 'must not be negative' })
      .prefault('10'),
    reminderHours: z
      .number()
      .positive()
      .max(24 * 365)
      .default(24),
    alertPostpaid: z.boolean().default(false),
    alertInactive: z.boolean().default(false),
    concurrency: z.number().int().min(1).max(256).default(8),
    /** Optional cap on partner API requests per second (null: none). */
    requestsPerSecond: z.number().positive().max(10_000).nullable().default(null),
    /** History older than this is dropped by the table's TTL. */
    retentionDays: z.number().int().min(1).max(3650).default(400),
    /** A runway under this many hours, while the balance is still above low, raises `forecast`. */
    forecastHorizonHours: z
      .number()
      .positive()
      .max(24 * 365)
      .default(48),
    /** Less observed history than this: the runway is `insufficient_history`, never a guess. */
    minHistoryHours: z
      .number()
      .positive()
      .max(24 * 7)
      .default(6),
    /** `spike` when the last hour's spend is more than this many times the 7-day hourly average... */
    spikeFactor: amount.refine((v) => greaterThan(v, '1'), { message: 'must be above 1' }).prefault('5'),
    /** ...and at least this much (in the account's currency)... */
    spikeMinAmount: amount
      .refine((v) => greaterThan(v, '0'), { message: 'must be positive' })
      .prefault('200'),
    /** ...or this much for these currencies, e.g. { USD: "5" }. */
    spikeMinAmounts: z
      .record(z.string().regex(/^[A-Z]{3}$/, 'currency codes are three capital letters'), amount)
      .default({}),
    /** How long a sweep owns the delivery of a pending notification before another may take it over. */
    claimLeaseMinutes: z
      .number()
      .positive()
      .max(24 * 60)
      .default(15),
  })
  .strict()
  .refine((c) => !lessThan(c.threshold, c.critical), {
    message: 'must not be above threshold',
    path: ['critical'],
  });

export type SweepConfig = z.output<typeof sweepConfigSchema>;
export type SweepConfigInput = z.input<typeof sweepConfigSchema>;

/** Validates settings, throwing ConfigError with one line naming the first bad key. */
export function parseSweepConfig(input: unknown, source = 'configuration'): SweepConfig {
  const result = sweepConfigSchema.safeParse(input);
  if (result.success) return result.data;
  throw new ConfigError(describeIssue(result.error, source));
}

export function describeIssue(error: z.ZodError, source: string): string {
  const issue = error.issues[0];
  if (!issue) return `${source}: invalid`;
  const where = issue.path.map(String).join('.');
  if (issue.code === 'invalid_key') {
    return `${source}: ${where} ${issue.issues[0]?.message ?? issue.message}`;
  }
  if (issue.code === 'unrecognized_keys') {
    return `${source}: unknown setting ${issue.keys.map((k) => [where, k].filter(Boolean).join('.')).join(', ')}`;
  }
  return `${source}: ${where || '(root)'} ${issue.message}`;
}
