import type { FinanceStore } from '../../adapters/dynamodb/finance-store.ts';
import { forEachLimited } from '../../core/concurrency.ts';
import { describeRunway, displayName } from '../../core/display.ts';
import { ConfigError } from '../../core/errors.ts';
import { parseInstant } from '../../core/time.ts';
import type { Snapshot } from '../../core/types.ts';
import {
  addDays,
  daysBetween,
  daysOfMonth,
  endOfDay,
  isDay,
  isMonth,
  localDateTime,
  localDay,
  startOfDay,
} from '../../finance/calendar.ts';
import { closingRows, closingTotals, LatestByAccount } from '../../finance/closing.ts';
import { type CsvColumn, toCsv } from '../../finance/csv.ts';
import { StatementBuilder, type StatementRow, statementTotals } from '../../finance/statement.ts';
import { textTable } from '../../finance/text-table.ts';
import {
  assertSameTimezone,
  emit,
  type FinanceIO,
  noExtraPositionals,
  OPENING_CONCURRENCY,
  parseCommandArgs,
  parseCount,
  parseFormat,
  parseNow,
  parseTimezone,
  runCommand,
  str,
  withFinanceStore,
} from '../finance-io.ts';
import { STORE_OPTIONS, STORE_USAGE } from '../store-options.ts';

/**
 * history, closing and statement: balance history for finance, read through the table's
 * keys (an account's key range, the byDay partitions), never a scan.
 */

const OUTPUT_USAGE = `  --format table|csv|json       output format (default table)
  --out <file>                  write to this file instead of stdout
  --no-bom                      CSV without the UTF-8 byte order mark (Excel needs it; default on)
  --timezone <IANA zone>        the partner's day, as the sweep uses it (default Asia/Kolkata)
${STORE_USAGE}`;

export const HISTORY_USAGE = `Usage: vobiz-balance history <auth_id> [options]
An account's balance snapshots, newest first.
  --from <day|ISO time>         from this partner-local day (YYYY-MM-DD) or instant, inclusive
  --to <day|ISO time>           up to this partner-local day's end or instant, inclusive
  --limit <n>                   at most this many snapshots
${OUTPUT_USAGE}`;

export const CLOSING_USAGE = `Usage: vobiz-balance closing [--date YYYY-MM-DD] [options]
Every account's closing balance of a partner-local day: the last observation at or before its end.
Accounts not observed that day show their latest earlier observation (and when it was).
  --date <YYYY-MM-DD>           the day (default: yesterday, partner time)
  --lookback-days <n>           how far back to look for accounts not observed that day (default 7)
  --now <ISO time>              treat as the current time
${OUTPUT_USAGE}`;

export const STATEMENT_USAGE = `Usage: vobiz-balance statement --month YYYY-MM [--account <auth_id>] [options]
Per account: opening balance, top-ups (increases between observations), spend (decreases),
closing balance, and the check opening + top-ups - spend = closing, exact. Exit 1 if a check fails.
  --month <YYYY-MM>             the month (partner time)
  --account <auth_id>           only this account
  --now <ISO time>              treat as the current time
${OUTPUT_USAGE}`;

const OUTPUT_OPTIONS = {
  ...STORE_OPTIONS,
  format: { type: 'string' },
  out: { type: 'string' },
  'no-bom': { type: 'boolean' },
  timezone: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** Day partitions read at once when order does not matter. */
const PARTITION_CONCURRENCY = 3;

async function readDay(
  store: FinanceStore,
  day: string,
  timezone: string,
  authId?: string,
): Promise<Snapshot[]> {
  const snapshots: Snapshot[] = [];
  await store.forEachOfDay(
    day,
    (page) => {
      for (const s of page) {
        assertSameTimezone(s, timezone);
        snapshots.push(s);
      }
    },
    authId,
  );
  return snapshots;
}

/** Day by day in order, the next day read while the current one is processed. */
async function forEachDayInOrder(
  store: FinanceStore,
  days: readonly string[],
  timezone: string,
  visit: (snapshots: Snapshot[]) => void,
): Promise<void> {
  const read = (i: number) => {
    const day = days[i];
    if (day === undefined) return null;
    const pending = readDay(store, day, timezone);
    // Awaited in the next round; until then a failure must not count as unhandled.
    pending.catch(() => {});
    return pending;
  };
  let next = read(0);
  for (let i = 0; next; i++) {
    const current = await next;
    next = read(i + 1);
    visit(current);
  }
}

function unknownAccount(authId: string, tableName: string): ConfigError {
  return new ConfigError(`unknown account ${authId}: no sweep has recorded it in table ${tableName}`);
}

function yesNo(value: boolean): string {
  return value ? 'yes' : 'no';
}

// ---------------------------------------------------------------- history

function parseBound(
  flag: string,
  text: string | undefined,
  timezone: string,
  end: boolean,
): string | undefined {
  if (text === undefined) return undefined;
  if (isDay(text)) return end ? endOfDay(text, timezone) : startOfDay(text, timezone);
  const instant = parseInstant(text);
  if (!instant) {
    throw new ConfigError(
      `${flag} must be a day (YYYY-MM-DD) or an ISO time with a zone, got ${JSON.stringify(text)}`,
    );
  }
  return instant;
}

export async function historyCommand(argv: string[], io: FinanceIO): Promise<number> {
  return runCommand('history', io, async () => {
    const { values, positionals } = parseCommandArgs(argv, {
      ...OUTPUT_OPTIONS,
      from: { type: 'string' },
      to: { type: 'string' },
      limit: { type: 'string' },
    });
    if (values.help) {
      io.stdout(HISTORY_USAGE);
      return 0;
    }
    const authId = positionals[0];
    if (!authId)
      throw new ConfigError('an <auth_id> is required: vobiz-balance history <auth_id> (see --help)');
    noExtraPositionals(positionals, 1);
    const format = parseFormat(str(values, 'format'), ['table', 'csv', 'json']);
    const timezone = parseTimezone(str(values, 'timezone'));
    const from = parseBound('--from', str(values, 'from'), timezone, false);
    const to = parseBound('--to', str(values, 'to'), timezone, true);
    if (from && to && from > to) throw new ConfigError(`--from ${from} is after --to ${to}`);
    const limit =
      values.limit === undefined ? undefined : parseCount('--limit', str(values, 'limit'), 0, 1, 1_000_000);

    return withFinanceStore(values, io, timezone, async ({ store, tableName }) => {
      const [snapshots, state] = await Promise.all([
        store.base.history(authId, { from, to, limit }),
        store.base.getState(authId),
      ]);
      if (snapshots.length === 0 && !state) throw unknownAccount(authId, tableName);
      // The runway from the last spend analysis, where known (it is made when the balance moves).
      const runway = state?.runway ?? null;
      const range = `${from ?? 'the first snapshot'} to ${to ?? 'now'}`;
      if (snapshots.length === 0 && format !== 'table') {
        io.stderr(`vobiz-balance history: no snapshots of ${authId} from ${range}`);
      }
      const rows = snapshots.map((s) => ({ ...s, localDate: localDay(s.observedAt, timezone) }));
      let text: string;
      if (format === 'json') {
        text = `${JSON.stringify({ authId, timezone, from: from ?? null, to: to ?? null, runway, snapshots: rows }, null, 2)}\n`;
      } else if (format === 'csv') {
        text = toCsv(HISTORY_CSV, rows, { bom: !values['no-bom'] });
      } else if (rows.length === 0) {
        text = `No snapshots of ${authId} from ${range}.\n`;
      } else {
        const first = rows[0] as (typeof rows)[number];
        const outlook = runway ? `${describeRunway(runway)} (as of ${runway.computedAt})\n` : '';
        text = `${displayName(first.name)} (${authId}), ${first.currency}, newest first, times in ${timezone}\n${outlook}${textTable(
          ['Observed', 'Balance', 'Level', 'Observed at (UTC)'],
          rows.map((r) => [localDateTime(r.observedAt, timezone), r.balance, r.level, r.observedAt]),
          ['left', 'right', 'left', 'left'],
        )}\n`;
      }
      await emit(io, text, str(values, 'out'));
      return 0;
    });
  });
}

const HISTORY_CSV: CsvColumn<Snapshot & { localDate: string }>[] = [
  { header: 'auth_id', kind: 'text', value: (r) => r.authId },
  { header: 'name', kind: 'text', value: (r) => r.name },
  { header: 'currency', kind: 'text', value: (r) => r.currency },
  { header: 'balance', kind: 'amount', value: (r) => r.balance },
  { header: 'level', kind: 'text', value: (r) => r.level },
  { header: 'observed_at', kind: 'text', value: (r) => r.observedAt },
  { header: 'local_date', kind: 'text', value: (r) => r.localDate },
  { header: 'sweep_id', kind: 'text', value: (r) => r.sweepId },
];

// ---------------------------------------------------------------- closing

export async function closingCommand(argv: string[], io: FinanceIO): Promise<number> {
  return runCommand('closing', io, async () => {
    const { values, positionals } = parseCommandArgs(argv, {
      ...OUTPUT_OPTIONS,
      date: { type: 'string' },
      'lookback-days': { type: 'string' },
      now: { type: 'string' },
    });
    if (values.help) {
      io.stdout(CLOSING_USAGE);
      return 0;
    }
    noExtraPositionals(positionals, 0);
    const format = parseFormat(str(values, 'format'), ['table', 'csv', 'json']);
    const timezone = parseTimezone(str(values, 'timezone'));
    const now = parseNow(str(values, 'now'));
    const dateText = str(values, 'date');
    if (dateText !== undefined && !isDay(dateText)) {
      throw new ConfigError(`--date must be a day written YYYY-MM-DD, got ${JSON.stringify(dateText)}`);
    }
    const date = dateText ?? addDays(localDay(now, timezone), -1);
    const lookback = parseCount('--lookback-days', str(values, 'lookback-days'), 7, 0, 366);
    const end = endOfDay(date, timezone);

    return withFinanceStore(values, io, timezone, async ({ store }) => {
      const latest = new LatestByAccount();
      const days = daysBetween(addDays(date, -lookback), date);
      await forEachLimited(days, PARTITION_CONCURRENCY, async (day) => {
        for (const s of await readDay(store, day, timezone)) latest.offer(s);
      });
      const rows = closingRows(latest.values(), date);
      const totals = closingTotals(rows);
      const notes: string[] = [];
      if (rows.length === 0) {
        notes.push(
          `No balance observations on ${date} or in the ${lookback} day(s) before it (${timezone}).`,
        );
      }
      if (end > now) notes.push(`${date} is not over yet (${timezone}): these are the balances so far.`);
      const carried = rows.filter((r) => r.carriedForward).length;
      if (carried > 0) {
        notes.push(
          `${carried} account(s) were not observed on ${date}: their latest earlier observation is shown.`,
        );
      }
      for (const note of notes) if (format !== 'table') io.stderr(`vobiz-balance closing: ${note}`);

      let text: string;
      if (format === 'json') {
        text = `${JSON.stringify({ date, timezone, endOfDay: end, lookbackDays: lookback, rows, totals, notes }, null, 2)}\n`;
      } else if (format === 'csv') {
        text = toCsv(closingCsv(date), rows, { bom: !values['no-bom'] });
      } else {
        const parts = [`Closing balances of ${date} (${timezone}; the day ends ${end})`];
        if (rows.length > 0) {
          parts.push(
            textTable(
              ['Auth ID', 'Name', 'Currency', 'Closing', 'Observed', 'Note'],
              rows.map((r) => [
                r.authId,
                displayName(r.name, 40),
                r.currency,
                r.balance,
                localDateTime(r.observedAt, timezone),
                r.carriedForward ? `not observed on ${date}: carried from ${r.observedDay}` : '',
              ]),
              ['left', 'left', 'left', 'right', 'left', 'left'],
            ),
            '',
            textTable(
              ['Currency', 'Accounts', 'Total', 'Carried forward'],
              totals.map((t) => [t.currency, String(t.accounts), t.total, String(t.carriedForward)]),
              ['left', 'right', 'right', 'right'],
            ),
          );
        }
        parts.push(...notes);
        text = `${parts.join('\n')}\n`;
      }
      await emit(io, text, str(values, 'out'));
      return 0;
    });
  });
}

function closingCsv(date: string): CsvColumn<ReturnType<typeof closingRows>[number]>[] {
  return [
    { header: 'date', kind: 'text', value: () => date },
    { header: 'auth_id', kind: 'text', value: (r) => r.authId },
    { header: 'name', kind: 'text', value: (r) => r.name },
    { header: 'currency', kind: 'text', value: (r) => r.currency },
    { header: 'closing_balance', kind: 'amount', value: (r) => r.balance },
    { header: 'observed_at', kind: 'text', value: (r) => r.observedAt },
    { header: 'observed_local_date', kind: 'text', value: (r) => r.observedDay },
    { header: 'carried_forward', kind: 'text', value: (r) => yesNo(r.carriedForward) },
  ];
}

// ---------------------------------------------------------------- statement

export async function statementCommand(argv: string[], io: FinanceIO): Promise<number> {
  return runCommand('statement', io, async () => {
    const { values, positionals } = parseCommandArgs(argv, {
      ...OUTPUT_OPTIONS,
      month: { type: 'string' },
      account: { type: 'string' },
      now: { type: 'string' },
    });
    if (values.help) {
      io.stdout(STATEMENT_USAGE);
      return 0;
    }
    noExtraPositionals(positionals, 0);
    const format = parseFormat(str(values, 'format'), ['table', 'csv', 'json']);
    const timezone = parseTimezone(str(values, 'timezone'));
    const now = parseNow(str(values, 'now'));
    const month = str(values, 'month');
    if (month === undefined) throw new ConfigError('--month YYYY-MM is required');
    if (!isMonth(month))
      throw new ConfigError(`--month must be a month written YYYY-MM, got ${JSON.stringify(month)}`);
    const account = str(values, 'account');
    if (account !== undefined && account.trim() === '') throw new ConfigError('--account needs an auth_id');

    const days = daysOfMonth(month);
    const first = days[0] as string;
    const last = days.at(-1) as string;
    const start = startOfDay(first, timezone);
    const end = endOfDay(last, timezone);
    const beforeStart = new Date(Date.parse(start) - 1).toISOString();
    const previousDay = addDays(first, -1);

    return withFinanceStore(values, io, timezone, async ({ store, tableName }) => {
      const builder = new StatementBuilder();
      if (account !== undefined) {
        // One account: its own key range holds everything, no partition to read.
        const inMonth = await store.base.history(account, { from: start, to: end });
        const opening = await store.lastAtOrBefore(account, beforeStart);
        if (!opening && inMonth.length === 0 && !(await store.base.getState(account))) {
          throw unknownAccount(account, tableName);
        }
        if (opening)
          builder.setOpening(opening, opening.localDay === previousDay ? 'previous-day' : 'earlier');
        for (const s of inMonth.reverse()) {
          assertSameTimezone(s, timezone);
          builder.observe(s);
        }
      } else {
        const openings = new LatestByAccount();
        for (const s of await readDay(store, previousDay, timezone)) openings.offer(s);
        for (const s of openings.values()) builder.setOpening(s, 'previous-day');
        await forEachDayInOrder(store, days, timezone, (snapshots) => {
          for (const s of snapshots) builder.observe(s);
        });
        // Seen in the month but not the day before: the opening is their last snapshot before it.
        await forEachLimited(builder.withoutOpening(), OPENING_CONCURRENCY, async (authId) => {
          const opening = await store.lastAtOrBefore(authId, beforeStart);
          if (opening) builder.setOpening(opening, 'earlier');
        });
      }
      const rows = builder.rows();
      const totals = statementTotals(rows);
      const notes: string[] = [];
      if (rows.length === 0) {
        notes.push(
          account === undefined
            ? `No balance observations in ${month} or on ${previousDay} (${timezone}): nothing to state.`
            : `No balance observations of ${account} in ${month} or before it (${timezone}): nothing to state.`,
        );
      }
      if (end > now)
        notes.push(`${month} is not over yet (${timezone}): closing balances are the latest so far.`);
      const unbalanced = rows.filter((r) => !r.balanced && !r.currencyChanged);
      const switched = rows.filter((r) => r.currencyChanged).length;
      if (switched > 0) {
        notes.push(
          `${switched} account(s) changed currency in ${month}: their movements are not summed or checked.`,
        );
      }
      for (const note of notes) if (format !== 'table') io.stderr(`vobiz-balance statement: ${note}`);

      let text: string;
      if (format === 'json') {
        text = `${JSON.stringify({ month, timezone, start, end, rows, totals, notes }, null, 2)}\n`;
      } else if (format === 'csv') {
        text = toCsv(statementCsv(month, timezone), rows, { bom: !values['no-bom'] });
      } else {
        text = `${statementTable(month, timezone, start, end, rows, totals, notes)}\n`;
      }
      await emit(io, text, str(values, 'out'));
      if (unbalanced.length > 0) {
        const row = unbalanced[0] as StatementRow;
        io.stderr(
          `vobiz-balance statement: ${unbalanced.length} account(s) do not balance (first: ${row.authId}: ${row.opening} + ${row.topUps} - ${row.spend} = ${row.expectedClosing}, closing ${row.closing})`,
        );
        return 1;
      }
      return 0;
    });
  });
}

function check(row: { balanced: boolean; currencyChanged?: boolean; expectedClosing?: string }): string {
  if (row.currencyChanged) return 'n/a (currency changed)';
  return row.balanced ? 'ok' : `MISMATCH (expected ${row.expectedClosing})`;
}

function statementNote(row: StatementRow, timezone: string): string {
  const notes: string[] = [];
  if (row.openingSource === 'earlier')
    notes.push(`opening from ${localDay(row.openingObservedAt, timezone)}`);
  if (row.openingSource === 'first-observation') {
    notes.push(`first seen ${localDateTime(row.openingObservedAt, timezone)}`);
  }
  if (row.observations === 0) notes.push('not observed in the month');
  return notes.join('; ');
}

function statementTable(
  month: string,
  timezone: string,
  start: string,
  end: string,
  rows: readonly StatementRow[],
  totals: ReturnType<typeof statementTotals>,
  notes: readonly string[],
): string {
  const parts = [`Statement of ${month} (${timezone}: ${start} to ${end})`];
  if (rows.length > 0) {
    parts.push(
      textTable(
        ['Auth ID', 'Name', 'Currency', 'Opening', 'Top-ups', 'Spend', 'Closing', 'Check', 'Note'],
        rows.map((r) => [
          r.authId,
          displayName(r.name, 32),
          r.currency,
          r.opening,
          r.topUps,
          r.spend,
          r.closing,
          check(r),
          statementNote(r, timezone),
        ]),
        ['left', 'left', 'left', 'right', 'right', 'right', 'right', 'left', 'left'],
      ),
      '',
      textTable(
        ['Currency', 'Accounts', 'Opening', 'Top-ups', 'Spend', 'Closing', 'Check'],
        totals.map((t) => [
          t.currency,
          String(t.accounts),
          t.opening,
          t.topUps,
          t.spend,
          t.closing,
          check(t),
        ]),
        ['left', 'right', 'right', 'right', 'right', 'right', 'left'],
      ),
    );
  }
  parts.push(...notes);
  return parts.join('\n');
}

function statementCsv(month: string, timezone: string): CsvColumn<StatementRow>[] {
  return [
    { header: 'month', kind: 'text', value: () => month },
    { header: 'auth_id', kind: 'text', value: (r) => r.authId },
    { header: 'name', kind: 'text', value: (r) => r.name },
    { header: 'currency', kind: 'text', value: (r) => r.currency },
    { header: 'opening', kind: 'amount', value: (r) => r.opening },
    { header: 'opening_observed_at', kind: 'text', value: (r) => r.openingObservedAt },
    { header: 'opening_local_date', kind: 'text', value: (r) => localDay(r.openingObservedAt, timezone) },
    { header: 'opening_source', kind: 'text', value: (r) => r.openingSource },
    { header: 'top_ups', kind: 'amount', value: (r) => r.topUps },
    { header: 'top_up_count', kind: 'integer', value: (r) => r.topUpCount },
    { header: 'spend', kind: 'amount', value: (r) => r.spend },
    { header: 'closing', kind: 'amount', value: (r) => r.closing },
    { header: 'closing_observed_at', kind: 'text', value: (r) => r.closingObservedAt },
    { header: 'closing_local_date', kind: 'text', value: (r) => localDay(r.closingObservedAt, timezone) },
    { header: 'expected_closing', kind: 'amount', value: (r) => r.expectedClosing },
    {
      header: 'check',
      kind: 'text',
      value: (r) => (r.currencyChanged ? 'n/a' : r.balanced ? 'ok' : 'mismatch'),
    },
    { header: 'observations', kind: 'integer', value: (r) => r.observations },
  ];
}
