import { describeRunway, displayName } from '../../core/display.ts';
import { ConfigError } from '../../core/errors.ts';
import { parseInstant } from '../../core/time.ts';
import type { Snapshot } from '../../core/types.ts';
import { endOfDay, isDay, localDateTime, localDay, startOfDay } from '../../finance/calendar.ts';
import type { CsvColumn } from '../../finance/csv.ts';
import { textTable } from '../../finance/text-table.ts';
import { resolveTimezone, wholeNumber } from '../args.ts';
import { defineCommand } from '../command.ts';
import { HISTORY_SOURCE_OPTIONS, unknownAccount, withHistoryStore } from '../finance-reads.ts';
import { FILE_OUTPUT_OPTIONS, formatOptions, resolveFormat, writeOutput } from '../output.ts';

/** `history`: an account's snapshots from its own key range, newest first. */
export const history = defineCommand({
  name: 'history',
  summary: "an account's balance snapshots, newest first",
  usage: 'history <auth_id> [options]',
  description: "An account's balance snapshots, newest first.",
  maxPositionals: 1,
  options: {
    from: {
      type: 'string',
      value: '<day|ISO time>',
      help: 'from this partner-local day (YYYY-MM-DD) or instant, inclusive',
    },
    to: {
      type: 'string',
      value: '<day|ISO time>',
      help: "up to this partner-local day's end or instant, inclusive",
    },
    limit: { type: 'string', value: '<n>', help: 'at most this many snapshots' },
    ...formatOptions(['table', 'csv', 'json']),
    ...FILE_OUTPUT_OPTIONS,
    ...HISTORY_SOURCE_OPTIONS,
  },
  async run({ values, positionals, io }) {
    const authId = positionals[0];
    if (!authId)
      throw new ConfigError('an <auth_id> is required: vobiz-balance history <auth_id> (see --help)');
    const format = resolveFormat(values, ['table', 'csv', 'json']);
    const timezone = resolveTimezone(values.timezone);
    const from = parseBound('--from', values.from, timezone, false);
    const to = parseBound('--to', values.to, timezone, true);
    if (from && to && from > to) throw new ConfigError(`--from ${from} is after --to ${to}`);
    const limit =
      values.limit === undefined
        ? undefined
        : wholeNumber('--limit', values.limit, { min: 1, max: 1_000_000, fallback: 0 });

    return withHistoryStore('history', values, io, timezone, async ({ store, history, tableName }) => {
      const [snapshots, state] = await Promise.all([
        history.history(authId, { from, to, ...(limit === undefined ? {} : { limit }) }),
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
      await writeOutput(
        io,
        format,
        {
          json: () => ({ authId, timezone, from: from ?? null, to: to ?? null, runway, snapshots: rows }),
          csv: { columns: HISTORY_CSV, rows },
          table: () => {
            const first = rows[0];
            if (!first) return `No snapshots of ${authId} from ${range}.`;
            const outlook = runway ? `${describeRunway(runway)} (as of ${runway.computedAt})\n` : '';
            return `${displayName(first.name)} (${authId}), ${first.currency}, newest first, times in ${timezone}\n${outlook}${textTable(
              ['Observed', 'Balance', 'Level', 'Observed at (UTC)'],
              rows.map((r) => [localDateTime(r.observedAt, timezone), r.balance, r.level, r.observedAt]),
              ['left', 'right', 'left', 'left'],
            )}`;
          },
        },
        { out: values.out, bom: !values['no-bom'] },
      );
      return 0;
    });
  },
});

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
