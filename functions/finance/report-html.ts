import { createHash } from 'node:crypto';
import { describeRunway, displayName } from '../core/display.ts';
import { formatAmount, greaterThan, lessThan } from '../core/money.ts';
import { localDateTime, localDay } from './calendar.ts';
import type { Chart, CurrencySummary, ReportAccount } from './report-model.ts';
import { REPORT_SCRIPT } from './report-script.ts';

/**
 * The HTML report as one self-contained string: inline CSS, one inline script, the data as
 * JSON in a non-executable script block, no URL anywhere. A Content-Security-Policy allows
 * exactly that style and that script (by hash) and no fetches, so even a name that slipped
 * through escaping could neither run nor load anything.
 */

export interface ReportModel {
  generatedAt: string;
  timezone: string;
  days: number;
  windowStart: string;
  windowEnd: string;
  /** Lowest first. */
  accounts: readonly ReportAccount[];
  charts: readonly Chart[];
  totals: readonly CurrencySummary[];
  /** Where the thresholds shown come from, in a sentence. */
  thresholdNote: string;
}

const STYLE = `
:root { color-scheme: light; --low: #b45309; --critical: #b91c1c; --ok: #15803d; --ink: #1f2937; --muted: #6b7280; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", "Noto Sans", sans-serif; color: var(--ink); margin: 0 auto; max-width: 1200px; padding: 16px 20px 48px; }
h1 { font-size: 22px; margin: 8px 0 4px; }
h2 { font-size: 17px; margin: 28px 0 8px; border-bottom: 1px solid #e5e7eb; padding-bottom: 4px; }
p.meta, p.note { color: var(--muted); margin: 2px 0; }
table { border-collapse: collapse; width: 100%; }
th, td { padding: 4px 8px; border-bottom: 1px solid #eef0f3; text-align: left; vertical-align: top; }
th { background: #f9fafb; position: sticky; top: 0; font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.name { min-width: 16em; max-width: 28em; overflow-wrap: anywhere; }
tr.CRITICAL td.standing { color: var(--critical); font-weight: 600; }
tr.LOW td.standing { color: var(--low); font-weight: 600; }
tr.OK td.standing { color: var(--ok); }
.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(460px, 1fr)); gap: 14px; }
figure.chart { margin: 0; border: 1px solid #e5e7eb; border-radius: 6px; padding: 8px 10px; }
figure.chart figcaption { font-weight: 600; overflow-wrap: anywhere; }
figure.chart .sub { color: var(--muted); font-weight: 400; font-size: 12px; }
.chart-svg { width: 100%; height: auto; display: block; }
.chart-svg .frame { fill: #fcfcfd; stroke: #e5e7eb; }
.chart-svg .balance { fill: none; stroke: #2563eb; stroke-width: 1.8; }
.chart-svg .threshold { stroke: var(--low); stroke-dasharray: 5 4; stroke-width: 1.2; }
.chart-svg .axis { font-size: 11px; fill: var(--muted); paint-order: stroke; stroke: #fcfcfd; stroke-width: 3px; }
.chart-svg .threshold-label { fill: var(--low); }
.chart-svg .topup { fill: var(--ok); }
.chart-svg .crossing { stroke: #fff; stroke-width: 1.5; }
.chart-svg .crossing-down { fill: var(--critical); }
.chart-svg .crossing-up { fill: var(--ok); }
.scroll { overflow-x: auto; }
.legend span { margin-right: 14px; color: var(--muted); }
.legend .t { color: var(--ok); } .legend .c { color: var(--critical); } .legend .l { color: var(--low); }
`;

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

/** A customer name for the page: control and bidi characters made visible, then escaped, isolated. */
export function nameHtml(name: string, maxLength = 80): string {
  return `<bdi>${escapeHtml(displayName(name, maxLength))}</bdi>`;
}

/** JSON that can sit inside <script type="application/json"> whatever the strings hold. */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value)
    .replaceAll('<', '\\u003c')
    .replaceAll('>', '\\u003e')
    .replaceAll('&', '\\u0026')
    .replaceAll('\u2028', '\\u2028')
    .replaceAll('\u2029', '\\u2029');
}

function sha256(text: string): string {
  return `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;
}

function amount(value: string, currency?: string): string {
  return escapeHtml(formatAmount(value, currency));
}

function chartData(chart: Chart) {
  let min = chart.points[0]?.balance ?? chart.low;
  let max = min;
  for (const p of chart.points) {
    if (lessThan(p.balance, min)) min = p.balance;
    if (greaterThan(p.balance, max)) max = p.balance;
  }
  return {
    label: `${displayName(chart.name, 60)} (${chart.authId})`,
    low: chart.low,
    critical: chart.critical,
    lowLabel: formatAmount(chart.low),
    hiLabel: `max ${formatAmount(max)}`,
    loLabel: `min ${formatAmount(min)}`,
    start: chart.start,
    end: chart.end,
    points: chart.points.map((p) =>
      p.topUp || p.crossing
        ? {
            t: p.t,
            balance: p.balance,
            topUp: p.topUp,
            crossing: p.crossing,
            label: formatAmount(p.balance, chart.currency),
          }
        : { t: p.t, balance: p.balance },
    ),
  };
}

function totalsTable(totals: readonly CurrencySummary[]): string {
  const rows = totals
    .map(
      (t) =>
        `<tr><td>${escapeHtml(t.currency)}</td><td class="num">${t.accounts}</td><td class="num">${amount(t.total)}</td>` +
        `<td class="num">${t.low}</td><td class="num">${t.critical}</td><td class="num">${amount(t.topUps)}</td><td class="num">${amount(t.spend)}</td></tr>`,
    )
    .join('\n');
  return `<table id="totals-table"><thead><tr><th>Currency</th><th class="num">Accounts</th><th class="num">Total balance</th><th class="num">Below low</th><th class="num">Critical</th><th class="num">Top-ups in window</th><th class="num">Spend in window</th></tr></thead>
<tbody>
${rows}
</tbody></table>`;
}

function accountsTable(accounts: readonly ReportAccount[], timezone: string): string {
  const rows = accounts
    .map(
      (a, i) =>
        `<tr class="${a.standing}"><td class="num">${i + 1}</td><td class="name">${nameHtml(a.name)}</td><td>${escapeHtml(a.authId)}</td>` +
        `<td>${escapeHtml(a.currency)}</td><td class="num">${amount(a.balance)}</td><td class="num">${amount(a.thresholds.low)}</td>` +
        `<td class="num">${amount(a.headroom)}</td><td class="standing">${a.standing}</td><td>${a.alertLevel === 'UNKNOWN' ? 'not alerted' : a.alertLevel}</td>` +
        `<td>${a.mute ? `until ${escapeHtml(localDateTime(a.mute.until, timezone))}: ${escapeHtml(displayName(a.mute.reason, 60))}` : ''}</td>` +
        `<td class="num">${amount(a.topUps)}${a.topUpCount ? ` (${a.topUpCount})` : ''}</td><td class="num">${amount(a.spend)}</td>` +
        `<td class="runway">${escapeHtml(describeRunway(a.runway))}</td>` +
        `<td>${escapeHtml(localDateTime(a.observedAt, timezone))}</td></tr>`,
    )
    .join('\n');
  return `<table id="accounts-table"><thead><tr><th class="num">#</th><th>Name</th><th>Auth ID</th><th>Currency</th><th class="num">Balance</th><th class="num">Low threshold</th><th class="num">Headroom</th><th>Standing</th><th>Alert level</th><th>Muted</th><th class="num">Top-ups (count)</th><th class="num">Spend</th><th>Runway</th><th>Last observed</th></tr></thead>
<tbody>
${rows}
</tbody></table>`;
}

function chartFigures(charts: readonly Chart[]): string {
  return charts
    .map(
      (c, i) =>
        `<figure class="chart" data-chart="${i}" data-auth-id="${escapeHtml(c.authId)}"><figcaption>${nameHtml(c.name, 60)} <span class="sub">${escapeHtml(c.authId)} · ` +
        `low ${amount(c.low, c.currency)} · ${c.topUps} top-up(s), ${c.crossings} crossing(s)${c.thinned ? ' · thinned to fit' : ''}</span></figcaption>` +
        `<div class="plot"></div><noscript>Charts need JavaScript; the table below has every account.</noscript></figure>`,
    )
    .join('\n');
}

export function renderReport(model: ReportModel): string {
  const script = REPORT_SCRIPT;
  const csp = `default-src 'none'; style-src ${sha256(STYLE)}; script-src ${sha256(script)}; img-src data:; base-uri 'none'; form-action 'none'`;
  const from = localDay(model.windowStart, model.timezone);
  const to = localDay(model.windowEnd, model.timezone);
  const title = `Vobiz wallet balances, ${from} to ${to}`;
  const data = jsonForScript({ charts: model.charts.map(chartData) });
  const empty = model.accounts.length === 0;
  const body = empty
    ? `<p class="empty" id="no-data">No balance observations between ${escapeHtml(localDateTime(model.windowStart, model.timezone))} and ${escapeHtml(localDateTime(model.windowEnd, model.timezone))} (${escapeHtml(model.timezone)}): nothing to chart.</p>`
    : `<h2>Totals per currency</h2>
${totalsTable(model.totals)}
<h2>${model.charts.length === 0 ? 'Balance over time: no charts requested' : `Balance over time: the ${model.charts.length} lowest of ${model.accounts.length} account(s)`}</h2>
<p class="legend"><span class="l">- - - low threshold</span><span class="t">&#9650; top-up</span><span class="c">&#9679; crossed the low threshold</span></p>
<div class="charts">
${chartFigures(model.charts)}
</div>
<h2>All accounts, lowest first</h2>
<p class="note">Standing: CRITICAL at or below the critical level, LOW below the low threshold. Sorted by standing, then by headroom (balance minus low threshold, in the account's own currency).</p>
<div class="scroll">${accountsTable(model.accounts, model.timezone)}</div>`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>${escapeHtml(title)}</h1>
<p class="meta">Generated ${escapeHtml(model.generatedAt)} · last ${model.days} day(s) in ${escapeHtml(model.timezone)} · ${model.accounts.length} account(s) observed in the window</p>
<p class="meta">${escapeHtml(model.thresholdNote)}</p>
${body}
<script type="application/json" id="report-data">${data}</script>
<script>${script}</script>
</body>
</html>
`;
}
