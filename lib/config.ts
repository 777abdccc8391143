import { z } from 'zod';
import { describeIssue, type SweepConfig, sweepConfigSchema } from '../functions/core/config.ts';
import { ConfigError } from '../functions/core/errors.ts';
import { isAmount, lessThan, parseAmount } from '../functions/core/money.ts';
import { isTimeZone } from '../functions/core/time.ts';

/**
 * The stack's settings: CDK context, defaults in cdk.json under one key, single keys
 * overridable with `-c key=value`. Validated once at synth; a bad value fails synth with
 * one line that names the key and says what is allowed.
 */

/** The cdk.json context key that holds every default. */
export const CONTEXT_KEY = 'vobizBalance';
/** The sweep function's memory unless `memorySize` says otherwise. */
export const DEFAULT_MEMORY_MB = 256;

/** One day: Scheduler's longest maximum event age, and the longest schedule period we accept. */
const MAX_PERIOD_MINUTES = 24 * 60;

/** Retention values CloudWatch Logs accepts. */
const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

const RATE = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/;
const CRON = /^cron\(\S+( \S+){5}\)$/;
const UNIT_MINUTES = { minute: 1, hour: 60, day: 24 * 60 } as const;

export interface ScheduleSpec {
  /** The expression as EventBridge Scheduler takes it. */
  expression: string;
  /** The longest gap between two runs: computed for rate(...), given for cron(...). */
  periodMinutes: number;
}

/** `rate(...)` gives its own period; null for cron or anything unrecognised. */
export function ratePeriodMinutes(expression: string): number | null {
  const match = RATE.exec(expression);
  if (!match) return null;
  const count = Number(match[1]);
  const unit = match[2] as string;
  // Scheduler wants the singular unit for 1 and the plural otherwise.
  if (count < 1 || (count === 1) !== !unit.endsWith('s')) return null;
  return count * UNIT_MINUTES[unit.replace(/s$/, '') as keyof typeof UNIT_MINUTES];
}

function intIn(min: number, max: number, allowed: string) {
  const error = `must be ${allowed}`;
  return z.number({ error }).int({ error }).min(min, { error }).max(max, { error });
}

const amount = z
  .union([z.string(), z.number()], { error: 'must be a decimal amount such as 100 or 99.50' })
  .transform((v) => String(v).trim())
  .refine(isAmount, { message: 'must be a decimal amount such as 100 or 99.50', abort: true })
  .transform((v) => parseAmount(v));

const emails = z
  .array(z.email({ error: 'must be an email address' }), {
    error: 'must be a list of email addresses (JSON array, or comma-separated with -c)',
  })
  .default([]);

const timeZone = z
  .string({ error: 'must be an IANA time zone such as Asia/Kolkata' })
  .refine(isTimeZone, { message: 'must be an IANA time zone such as Asia/Kolkata' });

/** Settings that shape the stack; the sweep's own settings come from sweepConfigSchema. */
const stackSettingsSchema = z
  .object({
    /** The CloudFormation stack's name: staging and production side by side in one account. */
    stackName: z
      .string({ error: 'must be a stack name: a letter, then letters, digits and hyphens (at most 100)' })
      .regex(/^[A-Za-z][A-Za-z0-9-]{0,99}$/, {
        message: 'must be a stack name: a letter, then letters, digits and hyphens (at most 100)',
      })
      .default('VobizBalanceMonitor'),
    /** Origin of the Vobiz Partner API; the client appends /api/v1/partner/... */
    apiBaseUrl: z
      .string({ error: 'must be an https origin such as https://api.vobiz.ai' })
      .refine(isHttpsOrigin, { message: 'must be an https origin such as https://api.vobiz.ai (no path)' })
      .transform((v) => new URL(v).origin)
      .default('https://api.vobiz.ai'),
    schedule: z
      .string({ error: 'must be rate(<n> minutes|hours|days) or cron(<6 fields>)' })
      .refine((v) => ratePeriodMinutes(v) !== null || CRON.test(v), {
        message:
          'must be rate(<n> minute|minutes|hour|hours|day|days), e.g. rate(15 minutes), or cron(<6 fields>) with schedulePeriodMinutes',
      })
      .default('rate(15 minutes)'),
    /** Zone in which a cron schedule is read. */
    scheduleTimezone: timeZone.default('Asia/Kolkata'),
    /** Required with cron(...): the longest gap between two runs. */
    schedulePeriodMinutes: intIn(
      1,
      MAX_PERIOD_MINUTES,
      `a whole number of minutes from 1 to ${MAX_PERIOD_MINUTES}`,
    )
      .nullable()
      .default(null),
    partnerThreshold: amount
      .refine((v) => !lessThan(v, '0'), { message: 'must not be negative' })
      .prefault('1000'),
    digestSize: intIn(1, 1000, 'a whole number from 1 to 1000').default(10),
    /** Also post alerts to an HTTPS webhook, whose URL and shared secret live in a secret of their own. */
    webhook: z.boolean({ error: 'must be true or false' }).default(false),
    alertEmails: emails,
    opsEmails: emails,
    /** Import this secret instead of creating one with a placeholder. */
    existingSecretName: z
      .string({ error: 'must be a Secrets Manager secret name, or null to create one' })
      .regex(/^[A-Za-z0-9/_+=.@-]{1,512}$/, {
        message: 'must be a Secrets Manager secret name (letters, digits and /_+=.@-), or null to create one',
      })
      .nullable()
      .default(null),
    // Measured (bench/lambda-size.ts, docs/DEPLOY.md "Sizing the function"): the sweep waits on the API.
    memorySize: intIn(128, 10240, 'a whole number of MB from 128 to 10240').default(DEFAULT_MEMORY_MB),
    // At least 30 s: the handler keeps 15 s back from the timeout to publish and record.
    timeoutSeconds: intIn(30, 900, 'a whole number of seconds from 30 to 900').default(300),
    /** Scheduler's attempts to deliver one slot to the function. */
    retryAttempts: intIn(0, 185, 'a whole number from 0 to 185').default(2),
    failedReadAlarmRatio: z
      .number({ error: 'must be a fraction above 0 and at most 1, such as 0.05' })
      .gt(0, { error: 'must be a fraction above 0 and at most 1, such as 0.05' })
      .max(1, { error: 'must be a fraction above 0 and at most 1, such as 0.05' })
      .default(0.05),
    /** Off by default: a new account (concurrency quota 10) cannot reserve any. */
    reservedConcurrency: intIn(1, 1000, 'a whole number from 1 to 1000, or null for none')
      .nullable()
      .default(null),
    /**
     * `single`: one Lambda runs the whole sweep (shards in-process under one budget). `distributed`:
     * a Step Functions Standard workflow runs plan, a Distributed Map of shard Lambdas, and finalize.
     */
    engine: z.enum(['single', 'distributed'], { error: 'must be single or distributed' }).default('single'),
    /**
     * Engine `distributed`: the partner API requests per second all shards together may make; it
     * sets how many shards run at once and each shard's own rate (lib/distributed-budget.ts).
     */
    maxRequestsPerSecond: intIn(1, 10_000, 'a whole number of requests per second from 1 to 10000').default(
      100,
    ),
    /** The CloudWatch dashboard costs $3 a month: off unless asked for. */
    dashboard: z.boolean({ error: 'must be true or false' }).default(false),
    /**
     * A customer managed KMS key ($1 a month) for the ops topic, whose messages are alarm states
     * only; without it the topic is not encrypted at rest (CloudWatch cannot use the AWS managed key).
     */
    encryptOpsTopic: z.boolean({ error: 'must be true or false' }).default(false),
    logRetentionDays: z
      .number({ error: `must be one of ${LOG_RETENTION_DAYS.join(', ')}` })
      .refine((v) => (LOG_RETENTION_DAYS as readonly number[]).includes(v), {
        message: `must be one of ${LOG_RETENTION_DAYS.join(', ')}`,
      })
      .default(30),
  })
  .strict();

type StackSettings = z.output<typeof stackSettingsSchema>;

export interface StackConfig extends Omit<StackSettings, 'schedule' | 'schedulePeriodMinutes'> {
  schedule: ScheduleSpec;
  /** The sweep's settings, validated by the same schema the handler parses them with. */
  sweep: SweepConfig;
}

const SWEEP_KEYS = new Set(Object.keys(sweepConfigSchema.shape));
const STACK_KEYS = new Set(Object.keys(stackSettingsSchema.shape));
/** Every key the configuration knows; `-c` overrides of these are read from the top level. */
export const CONFIG_KEYS: readonly string[] = [...STACK_KEYS, ...SWEEP_KEYS];

/** Keys whose values are text even when they look like numbers ("100" stays an exact amount). */
const TEXT_KEYS = new Set([
  'apiBaseUrl',
  'schedule',
  'scheduleTimezone',
  'timezone',
  'threshold',
  'critical',
  'hysteresisPercent',
  'spikeFactor',
  'spikeMinAmount',
  'partnerThreshold',
  'existingSecretName',
  'stackName',
  'engine',
]);
const LIST_KEYS = new Set(['alertEmails', 'opsEmails']);

/**
 * `-c key=value` arrives as a string: numbers, booleans, null and JSON objects are
 * parsed, email lists may be comma-separated, amounts and names stay text.
 */
export function coerceOverride(key: string, value: unknown): unknown {
  if (typeof value !== 'string') return value;
  const text = value.trim();
  if (text === 'null') return null;
  if (TEXT_KEYS.has(key)) return value;
  if (LIST_KEYS.has(key) && !text.startsWith('[')) {
    return text === '' ? [] : text.split(',').map((part) => part.trim());
  }
  try {
    return JSON.parse(text);
  } catch {
    return value;
  }
}

export interface ContextSource {
  tryGetContext(key: string): unknown;
  /** Every context key, to catch a mistyped `-c` override instead of ignoring it. */
  getAllContext?(): Record<string, unknown>;
}

/** A plain camelCase key: what a setting looks like; CDK's own keys contain ':' or '@'. */
const SETTING_LIKE = /^[a-z][A-Za-z0-9]*$/;

/**
 * Reads the defaults object (cdk.json) and the single-key overrides (`-c key=value`)
 * from CDK context and validates them together.
 */
export function readStackConfig(context: ContextSource): StackConfig {
  let base = context.tryGetContext(CONTEXT_KEY) ?? {};
  if (typeof base === 'string') {
    try {
      base = JSON.parse(base);
    } catch {
      throw new ConfigError(`${CONTEXT_KEY}: must be a JSON object of settings`);
    }
  }
  if (typeof base !== 'object' || base === null || Array.isArray(base)) {
    throw new ConfigError(`${CONTEXT_KEY}: must be a JSON object of settings`);
  }
  for (const key of Object.keys(context.getAllContext?.() ?? {})) {
    if (SETTING_LIKE.test(key) && key !== CONTEXT_KEY && !CONFIG_KEYS.includes(key)) {
      throw new ConfigError(`-c ${key}: unknown setting (the settings are listed in docs/DEPLOY.md)`);
    }
  }
  const merged: Record<string, unknown> = { ...(base as Record<string, unknown>) };
  const givenWithC = new Map<string, unknown>();
  for (const key of CONFIG_KEYS) {
    const override = context.tryGetContext(key);
    if (override === undefined) continue;
    merged[key] = coerceOverride(key, override);
    givenWithC.set(key, override);
  }
  return parseStackConfig(merged, CONTEXT_KEY, givenWithC);
}

/**
 * Validates the merged settings; throws ConfigError with one line naming the first bad key
 * as the user wrote it: `-c key=value:` for one given on the command line (`givenWithC`, the
 * values as typed), else `<source>: key` and the value found.
 */
export function parseStackConfig(
  input: unknown,
  source = CONTEXT_KEY,
  givenWithC: ReadonlyMap<string, unknown> = new Map(),
): StackConfig {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new ConfigError(`${source}: must be a JSON object of settings`);
  }
  const name = (path: readonly string[]): string => {
    const [key = '', ...rest] = path;
    if (!givenWithC.has(key)) return `${source}: ${path.join('.')}`;
    return `-c ${key}=${String(givenWithC.get(key))}:${rest.length > 0 ? ` ${rest.join('.')}` : ''}`;
  };
  const describe = (error: z.ZodError): string => {
    const line = describeIssue(error, (path, message) =>
      path.length === 0 ? `${source}: ${message}` : `${name(path)} ${message}`,
    );
    const issue = error.issues[0];
    // A -c value is quoted as typed in the line already; a cdk.json one is shown as found.
    if (!issue || givenWithC.has(String(issue.path[0])) || !('input' in issue)) return line;
    if (issue.input === undefined || typeof issue.input === 'object') return line;
    return `${line} (got ${JSON.stringify(issue.input)})`;
  };
  const sweepPart: Record<string, unknown> = {};
  const stackPart: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(input)) {
    // null in cdk.json means "not set": the default applies, except where null is the setting.
    if (value === null && !isNullable(key)) continue;
    (SWEEP_KEYS.has(key) ? sweepPart : stackPart)[key] = value;
  }

  const settings = stackSettingsSchema.safeParse(stackPart, { reportInput: true });
  if (!settings.success) throw new ConfigError(describe(settings.error));
  const sweep = sweepConfigSchema.safeParse(sweepPart, { reportInput: true });
  if (!sweep.success) throw new ConfigError(describe(sweep.error));

  const { schedule: expression, schedulePeriodMinutes, ...rest } = settings.data;
  const computed = ratePeriodMinutes(expression);
  let periodMinutes: number;
  if (computed === null) {
    if (schedulePeriodMinutes === null) {
      throw new ConfigError(
        `${name(['schedulePeriodMinutes'])} is required with a cron schedule (the longest gap between runs, in minutes)`,
      );
    }
    periodMinutes = schedulePeriodMinutes;
  } else {
    if (schedulePeriodMinutes !== null && schedulePeriodMinutes !== computed) {
      throw new ConfigError(
        `${name(['schedulePeriodMinutes'])} must be ${computed} for ${expression}, or null (it is computed from the rate)`,
      );
    }
    if (computed > MAX_PERIOD_MINUTES) {
      throw new ConfigError(
        `${name(['schedule'])} must run at least once a day (got ${JSON.stringify(expression)})`,
      );
    }
    periodMinutes = computed;
  }
  if (rest.timeoutSeconds >= periodMinutes * 60) {
    throw new ConfigError(
      `${name(['timeoutSeconds'])} must be below the schedule period of ${periodMinutes * 60} s, so runs do not overlap (got ${rest.timeoutSeconds})`,
    );
  }
  return { ...rest, schedule: { expression, periodMinutes }, sweep: sweep.data };
}

function isNullable(key: string): boolean {
  return ['existingSecretName', 'reservedConcurrency', 'schedulePeriodMinutes', 'requestsPerSecond'].includes(
    key,
  );
}

function isHttpsOrigin(value: string): boolean {
  try {
    const url = new URL(value);
    return (
      url.protocol === 'https:' &&
      url.username === '' &&
      url.password === '' &&
      url.pathname === '/' &&
      url.search === '' &&
      url.hash === '' &&
      !value.endsWith('?') &&
      !value.endsWith('#')
    );
  } catch {
    return false;
  }
}
