import { forEachLimited } from '../../core/concurrency.ts';
import { displayName } from '../../core/display.ts';
import { ConfigError } from '../../core/errors.ts';
import { addDays, daysBetween, endOfDay, isDay, localDateTime, localDay } from '../../finance/calendar.ts';
import { closingRows, closingTotals, LatestByAccount } from '../../finance/closing.ts';
import type { CsvColumn } from '../../finance/csv.ts';
import { textTable } from '../../finance/text-table.ts';
import { NOW_OPTION, resolveNow, resolveTimezone, wholeNumber } from '../args.ts';
import { defineCommand } from '../command.ts';
import {
  HISTORY_SOURCE_OPTIONS,
  PARTITION_CONCURRENCY,
  readDay,
  withHistoryStore,
} from '../finance-reads.ts';
import { clockOf } from '../io.ts';
import { FILE_OUTPUT_OPTIONS, formatOptions, resolveFormat, writeOutput } from '../output.ts';

type ClosingRow = ReturnType<typeof closingRows>[number];

/** `closing`: every account's closing balance of a day, from the byDay partitions of the day and before. */
export const closing = defineCommand({
  name: 'closing',
  summary: "every account's closing balance of a partner-local day",
  usage: 'closing [--date YYYY-MM-DD] [options]',
  description: `Every account's closing balance of a partner-local day: the last observation at or before its end.
Accounts not observed that day show their latest earlier observation (and when it was).`,
  options: {
    date: { type: 'string', value: '<YYYY-MM-DD>', help: 'the day (default: yesterday, partner time)' },
    'lookback-days': {
      type: 'string',
      value: '<n>',
      help: 'how far back to look for accounts not observed that day (default 7)',
    },
    ...NOW_OPTION,
    ...formatOptions(['table', 'csv', 'json']),
    ...FILE_OUTPUT_OPTIONS,
    ...HISTORY_SOURCE_OPTIONS,
  },
  async run({ values, io }) {
    const format = resolveFormat(values, ['table', 'csv', 'json']);
    const timezone = resolveTimezone(values.timezone);
    const now = resolveNow(values.now, clockOf(io));
    const dateText = values.date;
    if (dateText !== undefined && !isDay(dateText)) {
      throw new ConfigError(`--date must be a day written YYYY-MM-DD, got ${JSON.stringify(dateText)}`);
    }
    const date = dateText ?? addDays(localDay(now, timezone), -1);
    const lookback = wholeNumber('--lookback-days', values['lookback-days'], {
      min: 0,
      max: 366,
      fallback: 7,
    });
    const end = endOfDay(date, timezone);

    return withHistoryStore('closing', values, io, timezone, async ({ history }) => {
      const latest = new LatestByAccount();
      const days = daysBetween(addDays(date, -lookback), date);
      await forEachLimited(days, PARTITION_CONCURRENCY, async (day) => {
        for (const s of await readDay(history, day, timezone)) latest.offer(s);
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

      await writeOutput(
        io,
        format,
        {
          json: () => ({ date, timezone, endOfDay: end, lookbackDays: lookback, rows, totals, notes }),
          csv: { columns: closingCsv(date), rows },
          table: () => {
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
            return parts.join('\n');
          },
        },
        { out: values.out, bom: !values['no-bom'] },
      );
      return 0;
    });
  },
});

function closingCsv(date: string): CsvColumn<ClosingRow>[] {
  return [
    { header: 'date', kind: 'text', value: () => date },
    { header: 'auth_id', kind: 'text', value: (r) => r.authId },
    { header: 'name', kind: 'text', value: (r) => r.name },
    { header: 'currency', kind: 'text', value: (r) => r.currency },
    { header: 'closing_balance', kind: 'amount', value: (r) => r.balance },
    { header: 'observed_at', kind: 'text', value: (r) => r.observedAt },
    { header: 'observed_local_date', kind: 'text', value: (r) => r.observedDay },
    { header: 'carried_forward', kind: 'text', value: (r) => (r.carriedForward ? 'yes' : 'no') },
  ];
}
