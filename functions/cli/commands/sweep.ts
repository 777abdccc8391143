import { randomUUID } from 'node:crypto';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { createDynamoStore } from '../../adapters/dynamodb/store.ts';
import { createFileNotifier } from '../../adapters/local/file-notifier.ts';
import { createVobizClient } from '../../adapters/vobiz/client.ts';
import { parseSweepConfig, type SweepConfigInput } from '../../core/config.ts';
import { ConfigError, FatalError, oneLine } from '../../core/errors.ts';
import { isAmount, parseAmount } from '../../core/money.ts';
import { runSweep, type SweepEvent } from '../../core/sweep.ts';
import { parseInstant } from '../../core/time.ts';
import type { SweepSummary } from '../../core/types.ts';
import {
  DEFAULT_DATA_DIR,
  DEFAULT_TABLE,
  STORE_OPTIONS,
  STORE_USAGE,
  storeTarget,
  withStore,
} from '../store-options.ts';
import { renderSummary } from '../summary-view.ts';

export const DEFAULT_BASE_URL = 'https://api.vobiz.ai';
export { DEFAULT_DATA_DIR, DEFAULT_TABLE };

export interface CommandIO {
  stdout: (line: string) => void;
  stderr: (line: string) => void;
  env: Record<string, string | undefined>;
}

export const SWEEP_USAGE = `Usage: vobiz-balance sweep [options]
Reads every customer balance once, stores history, raises alerts.
Credentials: VOBIZ_AUTH_ID and VOBIZ_AUTH_TOKEN (the partner's).
  --base-url <origin>           partner API origin (default ${DEFAULT_BASE_URL})
${STORE_USAGE}
                                (local tables are created if missing; --data-dir also holds alerts.jsonl)
  --threshold <amount>          low threshold (default 100)
  --critical <amount>           critical level, at or below (default 0)
  --currency-threshold <C=low[:critical]>  per-currency default, repeatable (e.g. USD=5:1)
  --hysteresis-percent <n>      recovery margin above the low threshold (default 10)
  --reminder-hours <n>          reminder interval while not OK (default 24)
  --timezone <IANA zone>        partner timezone for daily snapshots (default Asia/Kolkata)
  --alert-postpaid, --alert-inactive   also alert postpaid / inactive or disabled accounts
  --concurrency <n>             parallel balance reads (default 8)
  --rps <n>                     cap on API requests per second (default none)
  --timeout-ms <n>              per-request timeout (default 10000)
  --deadline-seconds <n>        stop cleanly after this long and report what was not reached
  --retention-days <n>          history kept for (default 400)
  --partner-threshold <amount>  also watch the partner's own wallet (/me): partner_low below this
  --forecast-horizon-hours <n>  forecast when the runway drops under this while above low (default 48)
  --min-history-hours <n>       less history than this: no runway, no forecast (default 6)
  --spike-factor <k>            spike when the last hour's spend exceeds k x the 7-day hourly average (default 5)
  --spike-min-amount <amount>   ...and this amount (default 200); per currency: --spike-min C=amount, repeatable
  --now <ISO time>              treat as the current time (replays, tests)
  --alerts-file <file>          where notifications are appended as JSON lines (default <data-dir>/alerts.jsonl)
  --json                        last stdout line: the sweep summary as one JSON object
  --verbose                     progress on stderr`;

const OPTIONS = {
  'base-url': { type: 'string' },
  ...STORE_OPTIONS,
  threshold: { type: 'string' },
  critical: { type: 'string' },
  'currency-threshold': { type: 'string', multiple: true },
  'hysteresis-percent': { type: 'string' },
  'reminder-hours': { type: 'string' },
  timezone: { type: 'string' },
  'alert-postpaid': { type: 'boolean' },
  'alert-inactive': { type: 'boolean' },
  concurrency: { type: 'string' },
  rps: { type: 'string' },
  'timeout-ms': { type: 'string' },
  'deadline-seconds': { type: 'string' },
  'retention-days': { type: 'string' },
  'partner-threshold': { type: 'string' },
  'forecast-horizon-hours': { type: 'string' },
  'min-history-hours': { type: 'string' },
  'spike-factor': { type: 'string' },
  'spike-min-amount': { type: 'string' },
  'spike-min': { type: 'string', multiple: true },
  now: { type: 'string' },
  'alerts-file': { type: 'string' },
  json: { type: 'boolean' },
  verbose: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

export interface SweepRun {
  summary: SweepSummary;
  itemsWritten: number;
}

/** `vobiz-balance sweep`: exit 0 when every account was read, 1 when some were not, 2 on a fatal error. */
export async function sweepCommand(argv: string[], io: CommandIO): Promise<number> {
  let values: ReturnType<typeof parseSweepArgs>;
  try {
    values = parseSweepArgs(argv);
  } catch (error) {
    io.stderr(`vobiz-balance sweep: ${oneLine(error)} (see --help)`);
    return 2;
  }
  if (values.help) {
    io.stdout(SWEEP_USAGE);
    return 0;
  }
  try {
    const run = await runSweepWith(values, io);
    const { summary } = run;
    io.stdout(renderSummary(summary));
    if (values.json) io.stdout(JSON.stringify({ ...summary, itemsWritten: run.itemsWritten }));
    if (!summary.complete) {
      io.stderr(`vobiz-balance sweep: incomplete: ${incompleteReason(summary)}`);
      return 1;
    }
    return 0;
  } catch (error) {
    io.stderr(
      `vobiz-balance sweep: ${error instanceof FatalError ? '' : 'unexpected error: '}${oneLine(error)}`,
    );
    return 2;
  }
}

export function parseSweepArgs(argv: string[]) {
  return parseArgs({ args: argv, options: OPTIONS, strict: true, allowPositionals: false }).values;
}

export function incompleteReason(summary: SweepSummary): string {
  const parts: string[] = [];
  if (summary.failed > 0) {
    const first = summary.failures[0];
    parts.push(
      `${summary.failed} account(s) could not be read${first ? ` (first: ${first.authId ?? 'store'}: ${first.reason})` : ''}`,
    );
  }
  if (summary.unreached > 0) parts.push(`${summary.unreached} listed account(s) not reached`);
  if (!summary.listComplete) parts.push('the account list was not paged to its end');
  if (summary.stoppedReason) parts.push(`stopped: ${summary.stoppedReason}`);
  return parts.join('; ');
}

function numberOption(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value))
    throw new ConfigError(`--${name} must be a number, got ${JSON.stringify(text)}`);
  return value;
}

function amountOption(name: string, text: string): string {
  if (!isAmount(text))
    throw new ConfigError(`--${name} must be a decimal amount such as 1000, got ${JSON.stringify(text)}`);
  return parseAmount(text);
}

function currencyAmounts(flag: string, entries: string[] | undefined): Record<string, string> {
  const result: Record<string, string> = {};
  for (const entry of entries ?? []) {
    const match = /^([A-Za-z]{3})=(.+)$/.exec(entry);
    if (!match?.[1] || !match[2])
      throw new ConfigError(`${flag} must look like USD=5, got ${JSON.stringify(entry)}`);
    result[match[1].toUpperCase()] = match[2];
  }
  return result;
}

function currencyThresholds(entries: string[] | undefined): SweepConfigInput['currencyThresholds'] {
  const result: Record<string, { low: string; critical?: string }> = {};
  for (const entry of entries ?? []) {
    const match = /^([A-Za-z]{3})=([^:]+)(?::(.+))?$/.exec(entry);
    if (!match?.[1] || !match[2]) {
      throw new ConfigError(
        `--currency-threshold must look like USD=5 or USD=5:1, got ${JSON.stringify(entry)}`,
      );
    }
    result[match[1].toUpperCase()] = match[3] ? { low: match[2], critical: match[3] } : { low: match[2] };
  }
  return result;
}

/** Builds the adapters from the parsed flags and runs one sweep; shared by the CLI and the demo. */
export async function runSweepWith(
  values: ReturnType<typeof parseSweepArgs>,
  io: CommandIO,
): Promise<SweepRun> {
  const config = parseSweepConfig(
    {
      threshold: values.threshold,
      critical: values.critical,
      currencyThresholds: currencyThresholds(values['currency-threshold']),
      hysteresisPercent: values['hysteresis-percent'],
      reminderHours: numberOption('reminder-hours', values['reminder-hours']),
      timezone: values.timezone,
      alertPostpaid: values['alert-postpaid'],
      alertInactive: values['alert-inactive'],
      concurrency: numberOption('concurrency', values.concurrency),
      requestsPerSecond: numberOption('rps', values.rps) ?? null,
      retentionDays: numberOption('retention-days', values['retention-days']),
      forecastHorizonHours: numberOption('forecast-horizon-hours', values['forecast-horizon-hours']),
      minHistoryHours: numberOption('min-history-hours', values['min-history-hours']),
      spikeFactor: values['spike-factor'],
      spikeMinAmount: values['spike-min-amount'],
      spikeMinAmounts: currencyAmounts('--spike-min', values['spike-min']),
    },
    'options',
  );
  const partnerThreshold =
    values['partner-threshold'] === undefined
      ? null
      : amountOption('partner-threshold', values['partner-threshold']);
  const now = values.now === undefined ? undefined : parseInstant(values.now);
  if (now === null)
    throw new ConfigError(
      `--now must be an ISO time with a zone, e.g. 2026-11-27T09:00:00Z, got ${JSON.stringify(values.now)}`,
    );
  const deadlineSeconds = numberOption('deadline-seconds', values['deadline-seconds']);
  if (deadlineSeconds !== undefined && deadlineSeconds <= 0)
    throw new ConfigError('--deadline-seconds must be positive');

  const authId = io.env.VOBIZ_AUTH_ID?.trim();
  const authToken = io.env.VOBIZ_AUTH_TOKEN?.trim();
  if (!authId) throw new ConfigError('VOBIZ_AUTH_ID is not set: export the partner auth id (PA_...)');
  if (!authToken) throw new ConfigError('VOBIZ_AUTH_TOKEN is not set: export the partner auth token');

  const vobiz = createVobizClient({
    baseUrl: values['base-url'] ?? DEFAULT_BASE_URL,
    authId,
    authToken,
    timeoutMs: numberOption('timeout-ms', values['timeout-ms']),
  });

  const dataDir = resolve(values['data-dir'] ?? DEFAULT_DATA_DIR);
  return withStore(storeTarget(values, io.env), { create: true }, async ({ client, tableName }) => {
    const store = createDynamoStore({
      client,
      tableName,
      retentionDays: config.retentionDays,
      timezone: config.timezone,
    });
    const notifier = createFileNotifier({
      alertsFile: resolve(values['alerts-file'] ?? join(dataDir, 'alerts.jsonl')),
      print: io.stdout,
    });
    const summary = await runSweep(
      {
        vobiz,
        store,
        notifier,
        log: values.verbose ? (event) => io.stderr(describeEvent(event)) : undefined,
      },
      {
        config,
        sweepId: `sweep-${randomUUID()}`,
        now,
        partnerThreshold,
        deadline: deadlineSeconds === undefined ? undefined : Date.now() + deadlineSeconds * 1000,
        publishReserveMs: deadlineSeconds === undefined ? undefined : Math.min(5_000, deadlineSeconds * 100),
      },
    );
    return { summary, itemsWritten: store.stats().itemsWritten };
  });
}

function describeEvent(event: SweepEvent): string {
  switch (event.type) {
    case 'page':
      return `page ${event.page}: ${event.newAccounts} new account(s) of ${event.total}`;
    case 'read-failed':
      return `could not read ${event.authId}: ${event.reason}`;
    case 'conflict':
      return `${event.authId} changed under this sweep; deciding again (attempt ${event.attempt})`;
    case 'analysis-failed':
      return `no runway for ${event.authId} this time: ${event.reason}`;
    case 'publish-failed':
      return `notification ${event.id} not delivered, kept for the next sweep: ${event.reason}`;
    case 'stopping':
      return `stopping: ${event.reason}`;
  }
}
