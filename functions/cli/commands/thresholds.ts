import { randomBytes } from 'node:crypto';
import { displayName } from '../../core/display.ts';
import { ConfigError } from '../../core/errors.ts';
import { sameAmount } from '../../core/money.ts';
import type { CurrencyDefaults } from '../../core/ports.ts';
import type { AccountState, Mute, ThresholdOverride } from '../../core/types.ts';
import {
  type AuditAction,
  type AuditEntry,
  type AuditValue,
  defaultTarget,
  describeAudit,
  describeValue,
} from '../../finance/audit.ts';
import { localDay } from '../../finance/calendar.ts';
import {
  GLOBAL_DEFAULT_KEY,
  muteIsActive,
  parseAuthId,
  parseBy,
  parseCurrency,
  parseMuteUntil,
  parseReason,
  parseThresholdPair,
} from '../../finance/changes.ts';
import { type CsvColumn, toCsv } from '../../finance/csv.ts';
import { textTable } from '../../finance/text-table.ts';
import {
  emit,
  type FinanceContext,
  type FinanceIO,
  noExtraPositionals,
  parseCommandArgs,
  parseCount,
  parseFormat,
  parseNow,
  parseTimezone,
  runCommand,
  str,
  type Values,
  withFinanceStore,
} from '../finance-io.ts';
import { STORE_OPTIONS, STORE_USAGE } from '../store-options.ts';

/**
 * Thresholds and mutes without a redeploy: written to the table, read by the next sweep.
 * Primary course of every change: 1. validate every flag (nothing is written on a refusal);
 * 2. apply it to the current item through a versioned, conditional write (the sweep writes
 * the same items), retrying on a conflict; 3. append the audit entry.
 */

const CHANGE_USAGE = `  --by <name>                   who makes the change, for the audit (default: $USER)
${STORE_USAGE}`;

export const THRESHOLDS_USAGE = `Usage: vobiz-balance thresholds <set|unset|default|list> [options]
  thresholds set <auth_id> --low X [--critical Y]     this account's own thresholds (override)
  thresholds unset <auth_id>                          back to the defaults
  thresholds default [--currency C] --low X [--critical Y]
                                                      a currency's default, or without --currency the
                                                      global default (stored under key "*")
  thresholds default [--currency C] --unset           remove that default
  thresholds list [--format table|json] [--now <ISO time>]
                                                      defaults, overrides and mutes in the table
A LOW account has a balance below low; CRITICAL at or below critical. Amounts are decimals,
not negative, at most 5 decimal places; critical must not be above low.
${CHANGE_USAGE}`;

export const MUTE_USAGE = `Usage: vobiz-balance mute <auth_id> --until <time> --reason <text> [options]
Holds back the account's notifications until the mute ends (it is still swept and recorded).
  --until <time>                an ISO time with a zone (2026-12-01T09:00:00+05:30) or a duration (90m, 12h, 3d, 2w)
  --reason <text>               why, for the audit and the list
  --now <ISO time>              treat as the current time for --until (the audit keeps the real time)
${CHANGE_USAGE}`;

export const UNMUTE_USAGE = `Usage: vobiz-balance unmute <auth_id> [options]
Ends the account's mute now; held-back notifications go out with the next sweep.
${CHANGE_USAGE}`;

export const AUDIT_USAGE = `Usage: vobiz-balance audit [options]
Changes to thresholds, defaults and mutes, newest first.
  --limit <n>                   at most this many entries (default 50)
  --format table|csv|json       output format (default table)
  --no-bom                      CSV without the UTF-8 byte order mark
  --timezone <IANA zone>        partner timezone of the CSV's local_date (default Asia/Kolkata)
${STORE_USAGE}`;

const CHANGE_OPTIONS = {
  ...STORE_OPTIONS,
  by: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

function overrideValue(o: ThresholdOverride | null | undefined): AuditValue | null {
  if (!o) return null;
  return o.critical === undefined ? { low: o.low } : { low: o.low, critical: o.critical };
}

function muteValue(m: Mute | null): AuditValue | null {
  return m ? { until: m.until, reason: m.reason } : null;
}

function sameOverride(
  a: ThresholdOverride | null | undefined,
  b: ThresholdOverride | null | undefined,
): boolean {
  if (!a || !b) return !a && !b;
  const sameCritical =
    a.critical === undefined || b.critical === undefined
      ? a.critical === b.critical
      : sameAmount(a.critical, b.critical);
  return sameAmount(a.low, b.low) && sameCritical;
}

/** Stamped with the real clock, whatever --now says: an audit trail must not be back-dated. */
function auditEntry(
  action: AuditAction,
  target: string,
  before: AuditValue | null,
  after: AuditValue | null,
  by: string,
): AuditEntry {
  return {
    at: new Date().toISOString(),
    id: randomBytes(6).toString('hex'),
    action,
    target,
    before,
    after,
    by,
  };
}

function who(state: AccountState): string {
  return `${state.authId} (${displayName(state.name, 40)})`;
}

interface AccountChange {
  authId: string;
  action: AuditAction;
  by: string;
  apply: (state: AccountState) => AccountState | null;
  value: (state: AccountState) => AuditValue | null;
  /** What to print once it is done. */
  done: (before: AccountState, after: AccountState) => string;
  unchanged: (state: AccountState) => string;
}

async function changeAccount(
  { store, tableName }: FinanceContext,
  io: FinanceIO,
  change: AccountChange,
): Promise<number> {
  const result = await store.updateState(change.authId, change.apply);
  if (result.kind === 'unknown') {
    throw new ConfigError(`unknown account ${change.authId}: no sweep has recorded it in table ${tableName}`);
  }
  if (result.kind === 'unchanged') {
    io.stdout(change.unchanged(result.state));
    return 0;
  }
  await store.appendAudit(
    auditEntry(
      change.action,
      change.authId,
      change.value(result.before),
      change.value(result.after),
      change.by,
    ),
  );
  io.stdout(change.done(result.before, result.after));
  return 0;
}

// ---------------------------------------------------------------- thresholds

export async function thresholdsCommand(argv: string[], io: FinanceIO): Promise<number> {
  return runCommand('thresholds', io, async () => {
    const { values, positionals } = parseCommandArgs(argv, {
      ...CHANGE_OPTIONS,
      low: { type: 'string' },
      critical: { type: 'string' },
      currency: { type: 'string' },
      unset: { type: 'boolean' },
      format: { type: 'string' },
      now: { type: 'string' },
    });
    const [sub, ...rest] = positionals;
    if (values.help || sub === 'help') {
      io.stdout(THRESHOLDS_USAGE);
      return 0;
    }
    switch (sub) {
      case 'set':
        return thresholdsSet(values, rest, io);
      case 'unset':
        return thresholdsUnset(values, rest, io);
      case 'default':
        return thresholdsDefault(values, rest, io);
      case 'list':
        return thresholdsList(values, rest, io);
      case undefined:
        throw new ConfigError('a subcommand is required: set, unset, default or list (see --help)');
      default:
        throw new ConfigError(
          `unknown subcommand ${JSON.stringify(sub)} (set, unset, default or list; see --help)`,
        );
    }
  });
}

function refuse(values: Values, flags: string[], sub: string): void {
  for (const flag of flags) {
    if (values[flag] !== undefined) throw new ConfigError(`--${flag} does not apply to thresholds ${sub}`);
  }
}

async function thresholdsSet(values: Values, args: string[], io: FinanceIO): Promise<number> {
  refuse(values, ['currency', 'unset', 'format', 'now'], 'set');
  const authId = parseAuthId(args[0], 'thresholds set <auth_id> --low X [--critical Y]');
  noExtraPositionals(args, 1);
  const override = parseThresholdPair(str(values, 'low'), str(values, 'critical'));
  const by = parseBy(str(values, 'by'), io.env.USER);
  return withFinanceStore(values, io, 'UTC', (context) =>
    changeAccount(context, io, {
      authId,
      action: 'threshold.set',
      by,
      apply: (s) => (sameOverride(s.override, override) ? null : { ...s, override }),
      value: (s) => overrideValue(s.override),
      done: (before, after) =>
        `${who(after)}: thresholds ${describeValue(overrideValue(after.override))} (was ${describeValue(overrideValue(before.override))}); the next sweep uses them`,
      unchanged: (s) =>
        `${who(s)}: thresholds already ${describeValue(overrideValue(s.override))}; nothing changed`,
    }),
  );
}

async function thresholdsUnset(values: Values, args: string[], io: FinanceIO): Promise<number> {
  refuse(values, ['low', 'critical', 'currency', 'unset', 'format', 'now'], 'unset');
  const authId = parseAuthId(args[0], 'thresholds unset <auth_id>');
  noExtraPositionals(args, 1);
  const by = parseBy(str(values, 'by'), io.env.USER);
  return withFinanceStore(values, io, 'UTC', (context) =>
    changeAccount(context, io, {
      authId,
      action: 'threshold.unset',
      by,
      apply: (s) => (s.override ? { ...s, override: null } : null),
      value: (s) => overrideValue(s.override),
      done: (before, after) =>
        `${who(after)}: own thresholds removed (were ${describeValue(overrideValue(before.override))}); the defaults apply from the next sweep`,
      unchanged: (s) => `${who(s)}: has no own thresholds; nothing changed`,
    }),
  );
}

async function thresholdsDefault(values: Values, args: string[], io: FinanceIO): Promise<number> {
  refuse(values, ['format', 'now'], 'default');
  noExtraPositionals(args, 0);
  const currencyText = str(values, 'currency');
  const key = currencyText === undefined ? GLOBAL_DEFAULT_KEY : parseCurrency(currencyText);
  const unset = values.unset === true;
  if (unset && (values.low !== undefined || values.critical !== undefined)) {
    throw new ConfigError('--unset removes the default: give it without --low and --critical');
  }
  const pair = unset ? null : parseThresholdPair(str(values, 'low'), str(values, 'critical'));
  const by = parseBy(str(values, 'by'), io.env.USER);
  const scope = key === GLOBAL_DEFAULT_KEY ? 'the global default' : `the ${key} default`;
  return withFinanceStore(values, io, 'UTC', async ({ store }) => {
    const result = await store.updateDefaults((defaults) => {
      const current = defaults[key];
      if (pair === null) {
        if (!current) return null;
        const { [key]: _removed, ...rest } = defaults;
        return rest;
      }
      return sameOverride(current, pair) ? null : { ...defaults, [key]: pair };
    });
    if (result.kind === 'unchanged') {
      io.stdout(`${scope} is already ${describeValue(overrideValue(result.defaults[key]))}; nothing changed`);
      return 0;
    }
    const before = overrideValue(result.before[key]);
    const after = overrideValue(result.after[key]);
    await store.appendAudit(
      auditEntry(unset ? 'default.unset' : 'default.set', defaultTarget(key), before, after, by),
    );
    io.stdout(`${scope}: ${describeValue(after)} (was ${describeValue(before)}); the next sweep uses it`);
    return 0;
  });
}

interface ListRow {
  authId: string;
  name: string;
  currency: string;
  override: ThresholdOverride | null;
  mute: Mute | null;
  muteActive: boolean;
}

async function thresholdsList(values: Values, args: string[], io: FinanceIO): Promise<number> {
  refuse(values, ['low', 'critical', 'currency', 'unset', 'by'], 'list');
  noExtraPositionals(args, 0);
  const format = parseFormat(str(values, 'format'), ['table', 'json']);
  const now = parseNow(str(values, 'now'));
  return withFinanceStore(values, io, 'UTC', async ({ store }) => {
    const [defaults, targets] = await Promise.all([store.loadDefaults(), store.auditTargets()]);
    // Overrides and mutes live on the state items; the audit names every account one was set on.
    const accountIds = [...targets].filter((t) => !t.startsWith('default:'));
    const states = await store.base.loadStates(accountIds);
    const rows: ListRow[] = [...states.values()]
      .filter((s) => s.override || s.mute)
      .sort((a, b) => (a.authId < b.authId ? -1 : 1))
      .map((s) => ({
        authId: s.authId,
        name: s.name,
        currency: s.currency,
        override: s.override,
        mute: s.mute,
        muteActive: muteIsActive(s.mute, now),
      }));
    if (format === 'json') {
      io.stdout(JSON.stringify({ defaults: sortedDefaults(defaults), accounts: rows }, null, 2));
      return 0;
    }
    io.stdout(listTable(defaults, rows));
    return 0;
  });
}

function sortedDefaults(defaults: CurrencyDefaults): Array<{ scope: string } & ThresholdOverride> {
  return Object.entries(defaults)
    .sort(([a], [b]) => (a === GLOBAL_DEFAULT_KEY ? -1 : b === GLOBAL_DEFAULT_KEY ? 1 : a < b ? -1 : 1))
    .map(([scope, pair]) => ({ scope, ...pair }));
}

function listTable(defaults: CurrencyDefaults, rows: readonly ListRow[]): string {
  const parts: string[] = [];
  const entries = sortedDefaults(defaults);
  parts.push(
    entries.length === 0
      ? 'Defaults in the table: none (the sweep uses its --threshold / --critical settings)'
      : `Defaults in the table (over the sweep's own --threshold / --critical):\n${textTable(
          ['Scope', 'Low', 'Critical'],
          entries.map((d) => [
            d.scope === GLOBAL_DEFAULT_KEY ? '* (global)' : d.scope,
            d.low,
            d.critical ?? '-',
          ]),
          ['left', 'right', 'right'],
        )}`,
  );
  parts.push(
    rows.length === 0
      ? 'Accounts with their own thresholds or a mute: none'
      : `Accounts with their own thresholds or a mute:\n${textTable(
          ['Auth ID', 'Name', 'Currency', 'Low', 'Critical', 'Muted until', 'Reason'],
          rows.map((r) => [
            r.authId,
            displayName(r.name, 32),
            r.currency,
            r.override?.low ?? '-',
            r.override?.critical ?? '-',
            r.mute ? `${r.mute.until}${r.muteActive ? '' : ' (ended)'}` : '-',
            r.mute ? displayName(r.mute.reason, 40) : '',
          ]),
          ['left', 'left', 'left', 'right', 'right', 'left', 'left'],
        )}`,
  );
  return parts.join('\n\n');
}

// ---------------------------------------------------------------- mute / unmute

export async function muteCommand(argv: string[], io: FinanceIO): Promise<number> {
  return runCommand('mute', io, async () => {
    const { values, positionals } = parseCommandArgs(argv, {
      ...CHANGE_OPTIONS,
      until: { type: 'string' },
      reason: { type: 'string' },
      now: { type: 'string' },
    });
    if (values.help) {
      io.stdout(MUTE_USAGE);
      return 0;
    }
    const authId = parseAuthId(positionals[0], 'mute <auth_id> --until <time> --reason <text>');
    noExtraPositionals(positionals, 1);
    const now = parseNow(str(values, 'now'));
    const mute: Mute = {
      until: parseMuteUntil(str(values, 'until'), now),
      reason: parseReason(str(values, 'reason')),
    };
    const by = parseBy(str(values, 'by'), io.env.USER);
    return withFinanceStore(values, io, 'UTC', (context) =>
      changeAccount(context, io, {
        authId,
        action: 'mute',
        by,
        apply: (s) =>
          s.mute && s.mute.until === mute.until && s.mute.reason === mute.reason ? null : { ...s, mute },
        value: (s) => muteValue(s.mute),
        done: (_before, after) =>
          `${who(after)}: muted until ${mute.until}; notifications are held back until then`,
        unchanged: (s) => `${who(s)}: already muted until ${mute.until} for that reason; nothing changed`,
      }),
    );
  });
}

export async function unmuteCommand(argv: string[], io: FinanceIO): Promise<number> {
  return runCommand('unmute', io, async () => {
    const { values, positionals } = parseCommandArgs(argv, { ...CHANGE_OPTIONS, now: { type: 'string' } });
    if (values.help) {
      io.stdout(UNMUTE_USAGE);
      return 0;
    }
    const authId = parseAuthId(positionals[0], 'unmute <auth_id>');
    noExtraPositionals(positionals, 1);
    const now = parseNow(str(values, 'now'));
    const by = parseBy(str(values, 'by'), io.env.USER);
    return withFinanceStore(values, io, 'UTC', (context) =>
      changeAccount(context, io, {
        authId,
        action: 'unmute',
        by,
        apply: (s) => (s.mute ? { ...s, mute: null } : null),
        value: (s) => muteValue(s.mute),
        done: (before) =>
          `${who(before)}: unmuted${before.mute && !muteIsActive(before.mute, now) ? ' (the mute had already ended)' : ''}; held-back notifications go out with the next sweep`,
        unchanged: (s) => `${who(s)}: is not muted; nothing changed`,
      }),
    );
  });
}

// ---------------------------------------------------------------- audit

const auditCsv = (timezone: string): CsvColumn<AuditEntry>[] => [
  { header: 'at', kind: 'text', value: (e) => e.at },
  { header: 'local_date', kind: 'text', value: (e) => localDay(e.at, timezone) },
  { header: 'action', kind: 'text', value: (e) => e.action },
  { header: 'target', kind: 'text', value: (e) => e.target },
  { header: 'before', kind: 'text', value: (e) => (e.before ? JSON.stringify(e.before) : '') },
  { header: 'after', kind: 'text', value: (e) => (e.after ? JSON.stringify(e.after) : '') },
  { header: 'by', kind: 'text', value: (e) => e.by },
];

export async function auditCommand(argv: string[], io: FinanceIO): Promise<number> {
  return runCommand('audit', io, async () => {
    const { values, positionals } = parseCommandArgs(argv, {
      ...STORE_OPTIONS,
      limit: { type: 'string' },
      format: { type: 'string' },
      out: { type: 'string' },
      'no-bom': { type: 'boolean' },
      timezone: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    });
    if (values.help) {
      io.stdout(AUDIT_USAGE);
      return 0;
    }
    noExtraPositionals(positionals, 0);
    const limit = parseCount('--limit', str(values, 'limit'), 50, 1, 100_000);
    const format = parseFormat(str(values, 'format'), ['table', 'csv', 'json']);
    const timezone = parseTimezone(str(values, 'timezone'));
    return withFinanceStore(values, io, 'UTC', async ({ store }) => {
      const entries = await store.listAudit(limit);
      let text: string;
      if (format === 'json') text = `${JSON.stringify(entries, null, 2)}\n`;
      else if (format === 'csv') text = toCsv(auditCsv(timezone), entries, { bom: !values['no-bom'] });
      else
        text = entries.length === 0 ? 'No changes recorded.\n' : `${entries.map(describeAudit).join('\n')}\n`;
      await emit(io, text, str(values, 'out'));
      return 0;
    });
  });
}
