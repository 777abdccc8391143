import { randomUUID } from 'node:crypto';
import { join, resolve } from 'node:path';
import { createDynamoStore } from '../../adapters/dynamodb/store.ts';
import { createFileChannel } from '../../adapters/local/file-channel.ts';
import { createVobizClient } from '../../adapters/vobiz/client.ts';
import { createWebhookChannel, parseWebhookUrl } from '../../adapters/webhook/webhook-channel.ts';
import { parseSweepConfig, type SweepConfig, tableWindowDays } from '../../core/config.ts';
import { describeNotification } from '../../core/display.ts';
import { ConfigError } from '../../core/errors.ts';
import { isAmount, lessThan, parseAmount } from '../../core/money.ts';
import { createNotifier } from '../../core/notifier.ts';
import type { ChannelPort, NotifierPort } from '../../core/ports.ts';
import { runSweep, type SweepEvent } from '../../core/sweep.ts';
import type { Notification, SweepSummary } from '../../core/types.ts';
import {
  decimalNumber,
  HELP_OPTION,
  NOW_OPTION,
  parseCommandLine,
  resolveNow,
  TIMEZONE_OPTION,
  type Values,
  wholeNumber,
} from '../args.ts';
import { type Paint, painter, paintNotification } from '../colour.ts';
import { defineCommand } from '../command.ts';
import { trapInterrupts } from '../interrupt.ts';
import { type CliIO, clockOf } from '../io.ts';
import { formatOptions, resolveFormat, writeOutput } from '../output.ts';
import { type ProgressLine, progressOnTerminal } from '../progress.ts';
import { DEFAULT_DATA_DIR, STORE_OPTIONS, storeTarget, withStore } from '../store-options.ts';
import { renderSummary } from '../summary-view.ts';
import { archiveAfterSweep } from './archive.ts';

export const DEFAULT_BASE_URL = 'https://api.vobiz.ai';
/** As in the cloud stack: more notifications than this in one sweep go to the webhook as one digest. */
const DIGEST_SIZE = 10;

const OPTIONS = {
  'base-url': { type: 'string', value: '<origin>', help: `partner API origin (default ${DEFAULT_BASE_URL})` },
  ...STORE_OPTIONS,
  threshold: { type: 'string', value: '<amount>', help: 'low threshold (default 100)' },
  critical: { type: 'string', value: '<amount>', help: 'critical level, at or below (default 0)' },
  'currency-threshold': {
    type: 'string',
    value: '<C=low[:critical]>',
    help: 'per-currency default, repeatable (e.g. USD=5:1)',
    multiple: true,
  },
  'hysteresis-percent': {
    type: 'string',
    value: '<n>',
    help: 'recovery margin above the low threshold (default 10)',
  },
  'reminder-hours': { type: 'string', value: '<n>', help: 'reminder interval while not OK (default 24)' },
  ...TIMEZONE_OPTION,
  'alert-postpaid': { type: 'boolean', help: 'also alert postpaid accounts' },
  'alert-inactive': { type: 'boolean', help: 'also alert inactive or disabled accounts' },
  concurrency: { type: 'string', value: '<n>', help: 'parallel balance reads (default 8)' },
  'balance-source': {
    type: 'string',
    value: '<endpoint|list>',
    help: 'endpoint: read each balance (default); list: take cash_credits from the list, confirm changes',
  },
  'period-minutes': {
    type: 'string',
    value: '<n>',
    help: 'how often sweeps run: list mode confirms 1/(24 h / n) of the accounts each sweep (default 15)',
  },
  'list-disagreement-limit': {
    type: 'string',
    value: '<n>',
    help: 'list mode: past this many confirmations that disagree, read every balance (default 10)',
  },
  rps: { type: 'string', value: '<n>', help: 'cap on API requests per second (default none)' },
  'timeout-ms': { type: 'string', value: '<n>', help: 'per-request timeout (default 10000)' },
  'deadline-seconds': {
    type: 'string',
    value: '<n>',
    help: 'stop cleanly after this long and report what was not reached',
  },
  'retention-days': {
    type: 'string',
    value: '<n>',
    help: 'history kept for, in the archive (default 400)',
  },
  'table-window-days': {
    type: 'string',
    value: '<n>',
    help: 'snapshots kept in the table for (its TTL; default 90); the archive keeps them all',
  },
  'partner-threshold': {
    type: 'string',
    value: '<amount>',
    help: "also watch the partner's own wallet (/me): partner_low below this",
  },
  'forecast-horizon-hours': {
    type: 'string',
    value: '<n>',
    help: 'forecast when the runway drops under this while above low (default 48)',
  },
  'min-history-hours': {
    type: 'string',
    value: '<n>',
    help: 'less history than this: no runway, no forecast (default 6)',
  },
  'spike-factor': {
    type: 'string',
    value: '<k>',
    help: "spike when the last hour's spend exceeds k x the 7-day hourly average (default 5)",
  },
  'spike-min-amount': { type: 'string', value: '<amount>', help: '...and this amount (default 200)' },
  'spike-min': {
    type: 'string',
    value: '<C=amount>',
    help: '...or this amount in currency C, repeatable',
    multiple: true,
  },
  ...NOW_OPTION,
  'alerts-file': {
    type: 'string',
    value: '<file>',
    help: 'where notifications are appended as JSON lines (default <data-dir>/alerts.jsonl)',
  },
  'webhook-url': {
    type: 'string',
    value: '<url>',
    help: 'also post notifications to this https webhook (Slack works as is), signed with VOBIZ_BALANCE_WEBHOOK_SECRET',
  },
  ...formatOptions(['table', 'json']),
  verbose: {
    type: 'boolean',
    help: 'a line on stderr for each page, failure and retry, and each alert as it is decided',
  },
} as const;

type SweepValues = Values<typeof OPTIONS>;

/**
 * `vobiz-balance sweep`: exit 0 when every account was read and every notification delivered, 1 when
 * some accounts were not read, 2 on a fatal error, 3 when a channel refused delivery (over 1: alerts
 * that did not go out are the more urgent news), 130/143 when stopped by SIGINT/SIGTERM.
 */
export const sweep = defineCommand({
  name: 'sweep',
  summary: 'read every customer balance once, store history, raise alerts',
  usage: 'sweep [options]',
  description: `Reads every customer balance once, stores history, raises alerts.
Credentials: VOBIZ_AUTH_ID and VOBIZ_AUTH_TOKEN (the partner's). Local tables are created if missing;
--data-dir also holds alerts.jsonl. With --json, stdout holds only the summary as one JSON document
(alerts and the readable summary go to stderr).
Ctrl-C or SIGTERM stops it: what it claimed is published or released, the partial summary printed;
a second one quits at once.
Exit status: 0 every known account was read, 1 some were not (how many, on stderr), 2 a fatal error
(bad credentials or option, an API or store that cannot be reached), 3 a notification channel refused
delivery (one stderr line per channel: the reason, the count pending), 130 SIGINT, 143 SIGTERM.`,
  options: OPTIONS,
  async run({ values, io }) {
    const format = resolveFormat(values, ['table', 'json']);
    // A terminal's progress line is cleared before any other line, on either stream.
    const progress = progressOnTerminal(io, clockOf(io));
    const shown = progress
      ? { ...io, stdout: progress.above(io.stdout), stderr: progress.above(io.stderr) }
      : io;
    const interrupt = trapInterrupts(shown.stderr);
    let run: SweepRun;
    try {
      run = await runSweepWith(values, { ...shown, signal: interrupt.signal, progress });
    } finally {
      interrupt.release();
    }
    const { summary, itemsWritten } = run;
    if (format === 'json') io.stderr(renderSummary(summary, painter(io.stderrIsTTY, io.env)));
    await writeOutput(io, format, {
      table: () => renderSummary(summary, painter(io.stdoutIsTTY, io.env)),
      json: () => ({ ...summary, itemsWritten }),
    });
    const refused = summary.delivery.filter((d) => d.error !== null);
    for (const d of refused) {
      io.stderr(
        `vobiz-balance sweep: ${d.channel} refused delivery: ${d.error}; ${d.pending} notification(s) pending for the next sweep`,
      );
    }
    if (!summary.complete) io.stderr(`vobiz-balance sweep: incomplete: ${incompleteReason(summary)}`);
    const interrupted = interrupt.exitCode();
    if (interrupted !== null) return interrupted;
    if (refused.length > 0) return 3;
    return summary.complete ? 0 : 1;
  },
});

/** The sweep's flags, parsed as the command parses them (for npm start and the benchmark). */
export function parseSweepArgs(argv: readonly string[]): SweepValues {
  return parseCommandLine(argv, { ...OPTIONS, ...HELP_OPTION }).values;
}

/** What a sweep prints to and reads from; npm start and the benchmark pass their own. */
export type SweepIO = Pick<
  CliIO,
  'stdout' | 'stderr' | 'env' | 'clock' | 'sleep' | 'stdoutIsTTY' | 'stderrIsTTY' | 'columns' | 'writeStderr'
> & {
  /** Aborting it interrupts the sweep (the command aborts it on SIGINT/SIGTERM). */
  signal?: AbortSignal;
  /** The terminal's progress line, told every event; stdout and stderr already clear it. */
  progress?: ProgressLine | null;
};

export interface SweepRun {
  summary: SweepSummary;
  itemsWritten: number;
}

export function incompleteReason(summary: SweepSummary): string {
  const parts: string[] = [];
  if (summary.failed > 0) {
    const first = summary.failures[0];
    parts.push(
      `${summary.failed} account(s) could not be read${first ? ` (first: ${first.authId ?? 'store'}: ${first.reason})` : ''}`,
    );
  }
  if (summary.unreached > 0)
    parts.push(
      `${summary.unreached} of ${summary.known} known account(s) not reached (the next sweep starts with them)`,
    );
  if (!summary.listComplete) parts.push('the account list was not paged to its end');
  if (summary.stoppedReason) parts.push(`stopped: ${summary.stoppedReason}`);
  return parts.join('; ');
}

/** Builds the adapters from the parsed flags and runs one sweep; shared by the CLI and the demo. */
export async function runSweepWith(values: SweepValues, io: SweepIO): Promise<SweepRun> {
  const config = sweepConfig(values);
  const partnerThreshold = amountFlag('--partner-threshold', values['partner-threshold']);
  const clock = clockOf(io);
  const now = values.now === undefined ? undefined : resolveNow(values.now, clock);
  const deadlineSeconds = decimalNumber(values['deadline-seconds']);
  if (deadlineSeconds !== undefined && !(deadlineSeconds > 0)) {
    throw new ConfigError(
      `--deadline-seconds must be a number of seconds above 0, got ${JSON.stringify(values['deadline-seconds'])}`,
    );
  }
  const periodMinutes = wholeNumber('--period-minutes', values['period-minutes'], {
    min: 1,
    max: 24 * 60,
    fallback: 15,
  });
  const timeoutMs = wholeNumber('--timeout-ms', values['timeout-ms'], {
    min: 1,
    max: 600_000,
    fallback: 10_000,
  });

  const authId = io.env.VOBIZ_AUTH_ID?.trim();
  const authToken = io.env.VOBIZ_AUTH_TOKEN?.trim();
  if (!authId) throw new ConfigError('VOBIZ_AUTH_ID is not set: export the partner auth id (PA_...)');
  if (!authToken) throw new ConfigError('VOBIZ_AUTH_TOKEN is not set: export the partner auth token');

  const vobiz = createVobizClient({
    baseUrl: values['base-url'] ?? DEFAULT_BASE_URL,
    authId,
    authToken,
    timeoutMs,
    now: clock,
    ...(io.sleep ? { sleep: io.sleep } : {}),
  });

  const progress = io.progress ?? null;
  // With JSON on stdout, the alerts printed as they go out are for a person: stderr.
  const json = resolveFormat(values, ['table', 'json']) === 'json';
  const print = json ? io.stderr : io.stdout;
  const paint = painter(json ? io.stderrIsTTY : io.stdoutIsTTY, io.env);
  const notifier = notifierFor(values, io.env, (line, n) => print(paintNotification(line, n, paint)));
  const paintLog = painter(io.stderrIsTTY, io.env);
  const target = storeTarget(values, io.env);
  return withStore(target, { create: true }, async ({ client, tableName }) => {
    const store = createDynamoStore({
      client,
      tableName,
      retentionDays: config.retentionDays,
      tableWindowDays: tableWindowDays(config),
      timezone: config.timezone,
    });
    const started = clock();
    progress?.start();
    let summary: SweepSummary;
    try {
      summary = await runSweep(
        {
          vobiz,
          store,
          notifier,
          clock,
          log: (event) => {
            progress?.update(event);
            if (values.verbose) for (const line of describeEvent(event, paintLog)) io.stderr(line);
          },
        },
        {
          config,
          sweepId: `sweep-${randomUUID()}`,
          now,
          partnerThreshold,
          signal: io.signal,
          periodMinutes,
          deadline: deadlineSeconds === undefined ? undefined : started + deadlineSeconds * 1000,
          publishReserveMs:
            deadlineSeconds === undefined ? undefined : Math.min(5_000, deadlineSeconds * 100),
        },
      );
    } finally {
      progress?.finish();
    }
    const archiveNow = now === undefined ? clock() : Date.parse(now);
    await archiveAfterSweep({
      client,
      tableName,
      target,
      config,
      summary,
      now: archiveNow,
      io,
      verbose: values.verbose === true,
    });
    return { summary, itemsWritten: store.stats().itemsWritten };
  });
}

/**
 * Where notifications go: appended to the alerts file, each printed as it is delivered; and to the
 * webhook when --webhook-url is given.
 */
function notifierFor(
  values: SweepValues,
  env: SweepIO['env'],
  print: (line: string, notification: Notification) => void,
): NotifierPort {
  const dataDir = resolve(values['data-dir'] ?? DEFAULT_DATA_DIR);
  const channels: ChannelPort[] = [
    createFileChannel({ alertsFile: resolve(values['alerts-file'] ?? join(dataDir, 'alerts.jsonl')), print }),
  ];
  if (values['webhook-url'] !== undefined) {
    const url = parseWebhookUrl(values['webhook-url'], '--webhook-url');
    const secret = env.VOBIZ_BALANCE_WEBHOOK_SECRET?.trim();
    if (!secret) {
      throw new ConfigError(
        "VOBIZ_BALANCE_WEBHOOK_SECRET is not set: export the secret shared with the webhook's receiver (--webhook-url signs with it)",
      );
    }
    channels.push(createWebhookChannel({ target: async () => ({ url, secret }), digestSize: DIGEST_SIZE }));
  }
  return createNotifier(channels);
}

/** The sweep's settings from its flags; a bad one is named by its flag, with what was given. */
function sweepConfig(values: SweepValues): SweepConfig {
  const currencyThresholds = currencyEntries(
    '--currency-threshold',
    values['currency-threshold'],
    /^([^:]+)(?::(.+))?$/,
  );
  const spikeMins = currencyEntries('--spike-min', values['spike-min'], /^(.+)$/);
  return parseSweepConfig(
    {
      threshold: values.threshold,
      critical: values.critical,
      currencyThresholds: Object.fromEntries(
        [...currencyThresholds].map(([currency, { match }]) => [
          currency,
          match[2] ? { low: match[1], critical: match[2] } : { low: match[1] },
        ]),
      ),
      hysteresisPercent: values['hysteresis-percent'],
      reminderHours: decimalNumber(values['reminder-hours']),
      timezone: values.timezone,
      alertPostpaid: values['alert-postpaid'],
      alertInactive: values['alert-inactive'],
      concurrency: decimalNumber(values.concurrency),
      balanceSource: values['balance-source'],
      listDisagreementLimit: decimalNumber(values['list-disagreement-limit']),
      requestsPerSecond: decimalNumber(values.rps) ?? null,
      retentionDays: decimalNumber(values['retention-days']),
      tableWindowDays: decimalNumber(values['table-window-days']),
      forecastHorizonHours: decimalNumber(values['forecast-horizon-hours']),
      minHistoryHours: decimalNumber(values['min-history-hours']),
      spikeFactor: values['spike-factor'],
      spikeMinAmount: values['spike-min-amount'],
      spikeMinAmounts: Object.fromEntries(
        [...spikeMins].map(([currency, { match }]) => [currency, match[1]]),
      ),
    },
    (path, message) => {
      const [key = '', currency, part] = path;
      if (key === 'currencyThresholds' || key === 'spikeMinAmounts') {
        const flag = key === 'currencyThresholds' ? '--currency-threshold' : '--spike-min';
        const entry = (key === 'currencyThresholds' ? currencyThresholds : spikeMins).get(currency ?? '');
        return `${flag} ${[part, message].filter(Boolean).join(' ')}, got ${JSON.stringify(entry?.text)}`;
      }
      const option = SETTING_OPTIONS[key as keyof typeof SETTING_OPTIONS];
      return `--${option} ${message}, got ${JSON.stringify(values[option])}`;
    },
  );
}

/** The option that sets each sweep setting, to name it, with what was typed, in an error. */
const SETTING_OPTIONS = {
  threshold: 'threshold',
  critical: 'critical',
  hysteresisPercent: 'hysteresis-percent',
  reminderHours: 'reminder-hours',
  timezone: 'timezone',
  concurrency: 'concurrency',
  balanceSource: 'balance-source',
  listDisagreementLimit: 'list-disagreement-limit',
  requestsPerSecond: 'rps',
  retentionDays: 'retention-days',
  tableWindowDays: 'table-window-days',
  forecastHorizonHours: 'forecast-horizon-hours',
  minHistoryHours: 'min-history-hours',
  spikeFactor: 'spike-factor',
  spikeMinAmount: 'spike-min-amount',
} as const satisfies Partial<Record<keyof SweepConfig, keyof typeof OPTIONS>>;

/** `C=...` entries of a repeatable flag, by upper-cased currency, each with what was typed. */
function currencyEntries(
  flag: string,
  entries: readonly string[] | undefined,
  value: RegExp,
): Map<string, { text: string; match: RegExpExecArray }> {
  const result = new Map<string, { text: string; match: RegExpExecArray }>();
  const example = flag === '--spike-min' ? 'USD=5' : 'USD=5 or USD=5:1';
  for (const text of entries ?? []) {
    const [, currency, rest] = /^([A-Za-z]{3})=(.+)$/.exec(text) ?? [];
    const match = rest === undefined ? null : value.exec(rest);
    if (!currency || !match)
      throw new ConfigError(`${flag} must look like ${example}, got ${JSON.stringify(text)}`);
    result.set(currency.toUpperCase(), { text, match });
  }
  return result;
}

function amountFlag(flag: string, text: string | undefined): string | null {
  if (text === undefined) return null;
  if (!isAmount(text)) {
    throw new ConfigError(`${flag} must be a decimal amount such as 1000, got ${JSON.stringify(text)}`);
  }
  const amount = parseAmount(text);
  if (lessThan(amount, '0'))
    throw new ConfigError(`${flag} must not be negative, got ${JSON.stringify(text)}`);
  return amount;
}

/** The verbose log's lines for an event; an account's, the alerts its step decided (delivered at the end). */
function describeEvent(event: SweepEvent, paint: Paint): string[] {
  switch (event.type) {
    case 'account':
      return event.notifications.map(
        (n) => `decided: ${paintNotification(describeNotification(n), n, paint)}`,
      );
    case 'page':
      return [`page ${event.page}: ${event.newAccounts} account(s) of ${event.total}`];
    case 'read-failed':
      return [`could not read ${event.authId}: ${event.reason}`];
    case 'conflict':
      return [`${event.authId} changed under this sweep; deciding again (attempt ${event.attempt})`];
    case 'analysis-failed':
      return [`no runway for ${event.authId} this time: ${event.reason}`];
    case 'delivery-refused':
      return [
        `${event.channel} refused delivery, ${event.pending} notification(s) kept for the next sweep: ${event.reason}`,
      ];
    case 'stopping':
      return [`stopping: ${event.reason}`];
  }
}
