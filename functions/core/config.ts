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

/** Thresholds: a balance can go below zero, but a level below zero would never alert in time. */
const level = amount.refine((v) => !lessThan(v, '0'), { message: 'must not be negative' });

/** A number in (0, max], with one message that says so for every way of missing it. */
function positiveUpTo(max: number, what: string) {
  const error = `must be ${what} above 0 and at most ${max}`;
  return z.number({ error }).positive({ error }).max(max, { error });
}

function wholeIn(min: number, max: number, what = 'a whole number') {
  const error = `must be ${what} from ${min} to ${max}`;
  return z.number({ error }).int({ error }).min(min, { error }).max(max, { error });
}

const flag = z.boolean({ error: 'must be true or false' });

const thresholdPair = z
  .object({ low: level, critical: level.optional() })
  .strict()
  .refine((t) => t.critical === undefined || !lessThan(t.low, t.critical), {
    message: 'critical must not be above low',
  });

export const sweepConfigSchema = z
  .object({
    /** IANA zone of the partner: decides what "a day" is for snapshots and closing balances. */
    timezone: z
      .string({ error: 'must be an IANA time zone such as Asia/Kolkata' })
      .refine(isTimeZone, { message: 'must be an IANA time zone such as Asia/Kolkata' })
      .prefault('Asia/Kolkata'),
    /** Global low threshold: an account below it is LOW. */
    threshold: level.prefault('100'),
    /** At or below this an account is CRITICAL. */
    critical: level.prefault('0'),
    /** Per-currency defaults, e.g. { USD: { low: "5" } }. */
    currencyThresholds: z
      .record(z.string().regex(/^[A-Z]{3}$/, 'currency codes are three capital letters'), thresholdPair)
      .default({}),
    /** A LOW account recovers only above low + this percentage of low, so a wallet at the line does not flap. */
    hysteresisPercent: amount
      .refine((v) => !lessThan(v, '0'), { message: 'must not be negative' })
      .prefault('10'),
    reminderHours: positiveUpTo(24 * 365, 'a number of hours').default(24),
    alertPostpaid: flag.default(false),
    alertInactive: flag.default(false),
    concurrency: wholeIn(1, 256).default(8),
    /** Optional cap on partner API requests per second (null: none). */
    requestsPerSecond: positiveUpTo(10_000, 'a number').nullable().default(null),
    /** History is kept this long: in the archive (its expiry), and sweep records in the table. */
    retentionDays: wholeIn(1, 3650, 'a whole number of days').default(400),
    /**
     * Snapshots stay in the table this long (its TTL); older ones are read from the archive. At least
     * 14: the spend analysis reads a week from the table, and the daily export needs days to retry.
     * Unset: see tableWindowDays() below.
     */
    tableWindowDays: wholeIn(14, 3650, 'a whole number of days').optional(),
    /** A runway under this many hours, while the balance is still above low, raises `forecast`. */
    forecastHorizonHours: positiveUpTo(24 * 365, 'a number of hours').default(48),
    /** Less observed history than this: the runway is `insufficient_history`, never a guess. */
    minHistoryHours: positiveUpTo(24 * 7, 'a number of hours').default(6),
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
    claimLeaseMinutes: positiveUpTo(24 * 60, 'a number of minutes').default(15),
    /**
     * Where balances come from: `endpoint` reads each account's balance endpoint (the behaviour
     * specified for this product); `list` takes `cash_credits` from the list rows and confirms with
     * the endpoint before any level change, on first sight, and for a rotating share each sweep.
     */
    balanceSource: z.enum(['endpoint', 'list'], { error: 'must be endpoint or list' }).default('endpoint'),
    /**
     * List mode: after this many confirmations that disagree with the listed balance, the rest of the
     * sweep (in Step Functions: of the shard) reads every balance from the endpoint.
     */
    listDisagreementLimit: wholeIn(0, 1_000_000).default(10),
  })
  .strict()
  .refine((c) => !lessThan(c.threshold, c.critical), {
    message: 'must not be above the low threshold',
    path: ['critical'],
  })
  .refine((c) => c.tableWindowDays === undefined || c.tableWindowDays <= c.retentionDays, {
    message: 'must not be above retentionDays (the archive keeps what the table lets go)',
    path: ['tableWindowDays'],
  });

export type SweepConfig = z.output<typeof sweepConfigSchema>;

/** The table's window when none is set: 90 days, or the whole retention if that is shorter. */
export const DEFAULT_TABLE_WINDOW_DAYS = 90;

/** How long snapshots stay in the table (their TTL). */
export function tableWindowDays(config: Pick<SweepConfig, 'tableWindowDays' | 'retentionDays'>): number {
  return config.tableWindowDays ?? Math.min(DEFAULT_TABLE_WINDOW_DAYS, config.retentionDays);
}
export type SweepConfigInput = z.input<typeof sweepConfigSchema>;

/**
 * Names a bad setting in its source's words and says what is wrong with it: by default
 * `<source>: key.path message`; the CLI names its flag, the CDK app its `-c` key.
 */
export type DescribeIssue = (path: readonly string[], message: string) => string;

/** Validates settings, throwing ConfigError with one line naming the first bad key. */
export function parseSweepConfig(
  input: unknown,
  source: string | DescribeIssue = 'configuration',
): SweepConfig {
  const result = sweepConfigSchema.safeParse(input);
  if (result.success) return result.data;
  throw new ConfigError(describeIssue(result.error, source));
}

export function describeIssue(error: z.ZodError, source: string | DescribeIssue): string {
  const describe: DescribeIssue =
    typeof source === 'string'
      ? (path, message) => `${source}: ${[path.join('.'), message].filter(Boolean).join(' ')}`
      : source;
  const issue = error.issues[0];
  if (!issue) return describe([], 'is invalid');
  const path = issue.path.map(String);
  if (issue.code === 'invalid_key') return describe(path, issue.issues[0]?.message ?? issue.message);
  if (issue.code === 'unrecognized_keys') {
    return describe([], `unknown setting ${issue.keys.map((k) => [...path, k].join('.')).join(', ')}`);
  }
  return describe(path, issue.message);
}
