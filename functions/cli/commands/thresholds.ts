import { displayName } from '../../core/display.ts';
import { ConfigError } from '../../core/errors.ts';
import type { CurrencyDefaults } from '../../core/ports.ts';
import type { Mute, ThresholdOverride } from '../../core/types.ts';
import { defaultTarget, describeValue } from '../../finance/audit.ts';
import {
  GLOBAL_DEFAULT_KEY,
  muteIsActive,
  parseAuthId,
  parseBy,
  parseCurrency,
  parseThresholdPair,
} from '../../finance/changes.ts';
import { textTable } from '../../finance/text-table.ts';
import {
  auditEntry,
  CHANGE_OPTIONS,
  changeAccount,
  overrideValue,
  sameOverride,
  who,
} from '../account-changes.ts';
import { NOW_OPTION, noExtraPositionals, resolveNow, type Values } from '../args.ts';
import { defineCommand } from '../command.ts';
import { withFinanceStore } from '../finance-reads.ts';
import { type CliIO, clockOf } from '../io.ts';
import { formatOptions, resolveFormat, writeOutput } from '../output.ts';

const OPTIONS = {
  low: { type: 'string', value: '<amount>', help: 'set, default: the low threshold (LOW below it)' },
  critical: {
    type: 'string',
    value: '<amount>',
    help: 'set, default: the critical level (CRITICAL at or below it)',
  },
  currency: {
    type: 'string',
    value: '<code>',
    help: "default: this currency's default instead of the global one",
  },
  unset: { type: 'boolean', help: 'default: remove that default' },
  ...formatOptions(['table', 'json']),
  ...NOW_OPTION,
  ...CHANGE_OPTIONS,
} as const;

type ThresholdValues = Values<typeof OPTIONS>;

/** `thresholds set|unset|default|list`: thresholds kept in the table, used by the next sweep. */
export const thresholds = defineCommand({
  name: 'thresholds',
  summary: 'thresholds kept in the table, used by the next sweep: set, unset, default, list',
  usage: 'thresholds <set|unset|default|list> [options]',
  description: `  thresholds set <auth_id> --low X [--critical Y]     this account's own thresholds (override)
  thresholds unset <auth_id>                          back to the defaults
  thresholds default [--currency C] --low X [--critical Y]
                                                      a currency's default, or without --currency the
                                                      global default (stored under key "*")
  thresholds default [--currency C] --unset           remove that default
  thresholds list [--format table|json] [--now <ISO time>]
                                                      defaults, overrides and mutes in the table
A LOW account has a balance below low; CRITICAL at or below critical. Amounts are decimals,
not negative, at most 5 decimal places; critical must not be above low.`,
  maxPositionals: 2,
  options: OPTIONS,
  async run({ values, positionals, io }) {
    const [sub, ...rest] = positionals;
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
  },
});

function refuse(values: ThresholdValues, flags: (keyof ThresholdValues)[], sub: string): void {
  for (const flag of flags) {
    if (values[flag] !== undefined) throw new ConfigError(`--${flag} does not apply to thresholds ${sub}`);
  }
}

async function thresholdsSet(values: ThresholdValues, args: string[], io: CliIO): Promise<number> {
  refuse(values, ['currency', 'unset', 'format', 'json', 'now'], 'set');
  const authId = parseAuthId(args[0], 'thresholds set <auth_id> --low X [--critical Y]');
  noExtraPositionals(args, 1);
  const override = parseThresholdPair(values.low, values.critical);
  const by = parseBy(values.by, io.env.USER);
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

async function thresholdsUnset(values: ThresholdValues, args: string[], io: CliIO): Promise<number> {
  refuse(values, ['low', 'critical', 'currency', 'unset', 'format', 'json', 'now'], 'unset');
  const authId = parseAuthId(args[0], 'thresholds unset <auth_id>');
  noExtraPositionals(args, 1);
  const by = parseBy(values.by, io.env.USER);
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

async function thresholdsDefault(values: ThresholdValues, args: string[], io: CliIO): Promise<number> {
  refuse(values, ['format', 'json', 'now'], 'default');
  noExtraPositionals(args, 0);
  const key = values.currency === undefined ? GLOBAL_DEFAULT_KEY : parseCurrency(values.currency);
  const unset = values.unset === true;
  if (unset && (values.low !== undefined || values.critical !== undefined)) {
    throw new ConfigError('--unset removes the default: give it without --low and --critical');
  }
  const pair = unset ? null : parseThresholdPair(values.low, values.critical);
  const by = parseBy(values.by, io.env.USER);
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
      auditEntry(io, unset ? 'default.unset' : 'default.set', defaultTarget(key), before, after, by),
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

async function thresholdsList(values: ThresholdValues, args: string[], io: CliIO): Promise<number> {
  refuse(values, ['low', 'critical', 'currency', 'unset', 'by'], 'list');
  noExtraPositionals(args, 0);
  const format = resolveFormat(values, ['table', 'json']);
  const now = resolveNow(values.now, clockOf(io));
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
    await writeOutput(io, format, {
      json: () => ({ defaults: sortedDefaults(defaults), accounts: rows }),
      table: () => listTable(defaults, rows),
    });
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
