import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { sha256Base64 } from '../../adapters/local/sha256.ts';
import { ConfigError } from '../../core/errors.ts';
import { parseAmount } from '../../core/money.ts';
import { resolveThresholds } from '../../core/thresholds.ts';
import type { Snapshot, Thresholds } from '../../core/types.ts';
import { addDays, daysBetween, localDay } from '../../finance/calendar.ts';
import { GLOBAL_DEFAULT_KEY, parseThresholdAmount } from '../../finance/changes.ts';
import { LatestByAccount } from '../../finance/closing.ts';
import { renderReport } from '../../finance/report-html.ts';
import {
  buildChart,
  byLowest,
  type Chart,
  currencySummaries,
  DEFAULT_CHART_LIMIT,
  type ReportAccount,
  reportAccount,
} from '../../finance/report-model.ts';
import { StatementBuilder } from '../../finance/statement.ts';
import { NOW_OPTION, resolveNow, resolveTimezone, wholeNumber } from '../args.ts';
import { defineCommand } from '../command.ts';
import { assertSameTimezone, HISTORY_SOURCE_OPTIONS, withHistoryStore } from '../finance-reads.ts';
import { type CliIO, clockOf } from '../io.ts';

/**
 * `report`: one self-contained HTML page. Primary course:
 * 1. read the window's byDay partitions day by day, keeping per account only its latest
 *    snapshot and its running top-ups and spend (memory per account, not per snapshot);
 * 2. read the accounts' states (override, mute, alert level) and the table's defaults;
 * 3. order accounts by how low they are and chart the lowest few from their own histories;
 * 4. render and write the page.
 */

const MAX_CHARTS = 500;

export const report = defineCommand({
  name: 'report',
  summary: 'one self-contained HTML page: charts, totals, every account',
  usage: 'report --out <file.html> [options]',
  description: `One self-contained HTML page: totals per currency, a balance chart for each of the lowest
accounts (top-ups and threshold crossings marked) and a table of every account, lowest first.`,
  options: {
    out: { type: 'string', value: '<file>', help: 'where to write the page (required)' },
    days: { type: 'string', value: '<n>', help: 'the window, ending now (default 30)' },
    charts: {
      type: 'string',
      value: '<n>',
      help: `chart this many of the lowest accounts (default ${DEFAULT_CHART_LIMIT}; the table has all)`,
    },
    threshold: {
      type: 'string',
      value: '<amount>',
      help: 'low threshold where the table sets none (default 100)',
    },
    critical: {
      type: 'string',
      value: '<amount>',
      help: 'critical level where the table sets none (default 0)',
    },
    ...NOW_OPTION,
    ...HISTORY_SOURCE_OPTIONS,
  },
  async run({ values, io }) {
    const out = values.out;
    if (!out) throw new ConfigError('--out <file.html> is required');
    const days = wholeNumber('--days', values.days, { min: 1, max: 400, fallback: 30 });
    const chartLimit = wholeNumber('--charts', values.charts, {
      min: 0,
      max: MAX_CHARTS,
      fallback: DEFAULT_CHART_LIMIT,
    });
    const timezone = resolveTimezone(values.timezone);
    const now = resolveNow(values.now, clockOf(io));
    const flagLow = parseThresholdAmount('--threshold', values.threshold ?? '100');
    const flagCritical = parseThresholdAmount('--critical', values.critical ?? '0');
    const windowStart = new Date(Date.parse(now) - days * 86_400_000).toISOString();

    return withHistoryStore('report', values, io, timezone, async ({ store, history }) => {
      // 1. The window's partitions, in order, reduced as they stream in. Snapshots just before the
      //    window are openings: the step from them into the window is a top-up or spend of the window.
      const latest = new LatestByAccount();
      const openings = new LatestByAccount();
      const movement = new StatementBuilder();
      const firstDay = localDay(windowStart, timezone);
      for (const day of daysBetween(addDays(firstDay, -1), localDay(now, timezone))) {
        await history.forEachOfDay(day, (page) => {
          for (const s of page) {
            if (s.observedAt > now) continue;
            assertSameTimezone(s, timezone);
            if (s.observedAt < windowStart) {
              openings.offer(s);
              continue;
            }
            latest.offer(s);
            movement.observe(s);
          }
        });
      }
      const beforeStart = new Date(Date.parse(windowStart) - 1).toISOString();
      const inWindow = new Set(latest.values().map((s) => s.authId));
      for (const s of openings.values()) if (inWindow.has(s.authId)) movement.setOpening(s, 'earlier');
      // Seen in the window but not in the day before it: the opening is their last snapshot before it.
      const earlier = await history.latestAtOrBefore(movement.withoutOpening(), beforeStart);
      for (const opening of earlier.values()) movement.setOpening(opening, 'earlier');
      // 2. States and defaults.
      const ids = latest.values().map((s) => s.authId);
      const [states, stored] = await Promise.all([store.base.loadStates(ids), store.loadDefaults()]);
      const { [GLOBAL_DEFAULT_KEY]: storedGlobal, ...currencyDefaults } = stored;
      const global: Thresholds = {
        low: storedGlobal ? parseAmount(storedGlobal.low) : flagLow,
        critical: storedGlobal?.critical !== undefined ? parseAmount(storedGlobal.critical) : flagCritical,
      };
      const rowsById = new Map(movement.rows().map((r) => [r.authId, r]));
      // 3. Lowest first, then the charts of the lowest.
      const accounts: ReportAccount[] = latest
        .values()
        .map((s) => {
          const state = states.get(s.authId);
          const thresholds = resolveThresholds(state?.override ?? null, s.currency, currencyDefaults, global);
          return reportAccount(s, state, thresholds, rowsById.get(s.authId), now);
        })
        .sort(byLowest);
      const charted = accounts.slice(0, chartLimit);
      const start = Date.parse(windowStart);
      const end = Date.parse(now);
      const chartedIds = charted.map((account) => account.authId);
      const [series, before] = await Promise.all([
        history.histories(chartedIds, { from: windowStart, to: now }),
        history.latestAtOrBefore(chartedIds, new Date(start - 1).toISOString()),
      ]);
      const charts: Chart[] = charted.map((account) => {
        const opening = before.get(account.authId);
        const points: Snapshot[] = [
          ...(opening ? [opening] : []),
          ...(series.get(account.authId) ?? []).reverse(),
        ];
        return buildChart(account, points, start, end);
      });
      // 4. The page.
      const html = renderReport(
        {
          generatedAt: now,
          timezone,
          days,
          windowStart,
          windowEnd: now,
          accounts,
          charts,
          totals: currencySummaries(accounts),
          thresholdNote:
            `Thresholds: the account's own, else the table's default for its currency, else ` +
            (storedGlobal
              ? `the table's global default`
              : `--threshold ${flagLow} / --critical ${flagCritical}`) +
            `. Crossings are marked against the low threshold that applies now.`,
        },
        sha256Base64,
      );
      const path = resolve(out);
      await writeFile(path, html, 'utf8');
      if (accounts.length === 0) {
        io.stdout(
          `No balance observations in the last ${days} day(s) (${timezone}); wrote ${path} saying so`,
        );
      } else {
        io.stdout(
          `wrote ${path}: ${accounts.length} account(s), ${charts.length} chart(s), ${localDay(windowStart, timezone)} to ${localDay(now, timezone)} (${timezone})`,
        );
      }
      return 0;
    });
  },
});

/** The report as a function of its arguments, as test/report.test.ts calls it. */
export function reportCommand(argv: readonly string[], io: CliIO): Promise<number> {
  return report.run(argv, io);
}
