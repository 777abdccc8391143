import { displayName } from '../../core/display.ts';
import { ConfigError } from '../../core/errors.ts';
import {
  addDays,
  daysOfMonth,
  endOfDay,
  isMonth,
  localDateTime,
  localDay,
  startOfDay,
} from '../../finance/calendar.ts';
import { LatestByAccount } from '../../finance/closing.ts';
import type { CsvColumn } from '../../finance/csv.ts';
import { StatementBuilder, type StatementRow, statementTotals } from '../../finance/statement.ts';
import { textTable } from '../../finance/text-table.ts';
import { NOW_OPTION, resolveNow, resolveTimezone } from '../args.ts';
import { defineCommand } from '../command.ts';
import {
  assertSameTimezone,
  forEachDayInOrder,
  HISTORY_SOURCE_OPTIONS,
  readDay,
  unknownAccount,
  withHistoryStore,
} from '../finance-reads.ts';
import { clockOf } from '../io.ts';
import { FILE_OUTPUT_OPTIONS, formatOptions, resolveFormat, writeOutput } from '../output.ts';

/**
 * `statement`: per account, opening + top-ups - spend = closing for a month, exact. Reads the
 * byDay partitions of the month and the day before; one account reads its own key range.
 */
export const statement = defineCommand({
  name: 'statement',
  summary: 'per account: opening, top-ups, spend, closing, and the check',
  usage: 'statement --month YYYY-MM [--account <auth_id>] [options]',
  description: `Per account: opening balance, top-ups (increases between observations), spend (decreases),
closing balance, and the check opening + top-ups - spend = closing, exact. Exit 1 if a check fails.`,
  options: {
    month: { type: 'string', value: '<YYYY-MM>', help: 'the month (partner time)' },
    account: { type: 'string', value: '<auth_id>', help: 'only this account' },
    ...NOW_OPTION,
    ...formatOptions(['table', 'csv', 'json']),
    ...FILE_OUTPUT_OPTIONS,
    ...HISTORY_SOURCE_OPTIONS,
  },
  async run({ values, io }) {
    const format = resolveFormat(values, ['table', 'csv', 'json']);
    const timezone = resolveTimezone(values.timezone);
    const now = resolveNow(values.now, clockOf(io));
    const month = values.month;
    if (month === undefined) throw new ConfigError('--month YYYY-MM is required');
    if (!isMonth(month))
      throw new ConfigError(`--month must be a month written YYYY-MM, got ${JSON.stringify(month)}`);
    const account = values.account;
    if (account !== undefined && account.trim() === '') throw new ConfigError('--account needs an auth_id');

    const days = daysOfMonth(month);
    const first = days[0] as string;
    const last = days.at(-1) as string;
    const start = startOfDay(first, timezone);
    const end = endOfDay(last, timezone);
    const beforeStart = new Date(Date.parse(start) - 1).toISOString();
    const previousDay = addDays(first, -1);

    return withHistoryStore('statement', values, io, timezone, async ({ store, history, tableName }) => {
      const builder = new StatementBuilder();
      if (account !== undefined) {
        // One account: its own key range holds everything, no partition to read.
        const inMonth = await history.history(account, { from: start, to: end });
        const opening = await history.lastAtOrBefore(account, beforeStart);
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
        for (const s of await readDay(history, previousDay, timezone)) openings.offer(s);
        for (const s of openings.values()) builder.setOpening(s, 'previous-day');
        await forEachDayInOrder(history, days, timezone, (snapshots) => {
          for (const s of snapshots) builder.observe(s);
        });
        // Seen in the month but not the day before: the opening is their last snapshot before it.
        const earlier = await history.latestAtOrBefore(builder.withoutOpening(), beforeStart);
        for (const opening of earlier.values()) builder.setOpening(opening, 'earlier');
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

      await writeOutput(
        io,
        format,
        {
          json: () => ({ month, timezone, start, end, rows, totals, notes }),
          csv: { columns: statementCsv(month, timezone), rows },
          table: () => statementTable(month, timezone, start, end, rows, totals, notes),
        },
        { out: values.out, bom: !values['no-bom'] },
      );
      if (unbalanced.length > 0) {
        const row = unbalanced[0] as StatementRow;
        io.stderr(
          `vobiz-balance statement: ${unbalanced.length} account(s) do not balance (first: ${row.authId}: ${row.opening} + ${row.topUps} - ${row.spend} = ${row.expectedClosing}, closing ${row.closing})`,
        );
        return 1;
      }
      return 0;
    });
  },
});

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
