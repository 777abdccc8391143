import { localDateTime, localDay } from './calendar.ts';
import { chartData, chartFigures } from './report-charts.ts';
import { escapeHtml, jsonForScript } from './report-markup.ts';
import type { Chart, CurrencySummary, ReportAccount } from './report-model.ts';
import { REPORT_SCRIPT } from './report-script.ts';
import { REPORT_STYLE } from './report-style.ts';
import { accountsTable, reportDecimals, tableData, totalsTable } from './report-table.ts';

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

/** SHA-256 of a UTF-8 text, base64: given by the caller, so this pure module needs no node:crypto. */
export type Sha256Base64 = (text: string) => string;

/** The chart legend draws the same marks the charts do (a font may lack ▲ and ●). */
const LEGEND = `<p class="legend">
<span><svg width="26" height="10" aria-hidden="true"><line class="low" x1="0" y1="5" x2="26" y2="5"/></svg>low threshold</span>
<span><svg width="26" height="10" aria-hidden="true"><line class="critical" x1="0" y1="5" x2="26" y2="5"/></svg>critical level</span>
<span><svg width="26" height="10" aria-hidden="true"><line class="zero" x1="0" y1="5" x2="26" y2="5"/></svg>zero</span>
<span><svg width="12" height="10" aria-hidden="true"><path class="topup" d="M6 1l-5 8h10z"/></svg>top-up</span>
<span><svg width="12" height="12" aria-hidden="true"><circle class="crossing-down" cx="6" cy="6" r="5"/></svg>fell below low</span>
<span><svg width="12" height="12" aria-hidden="true"><circle class="crossing-up" cx="6" cy="6" r="5"/></svg>rose above low</span>
</p>`;

function levelOptions(totals: readonly CurrencySummary[]): string {
  const sum = (pick: (t: CurrencySummary) => number) => totals.reduce((n, t) => n + pick(t), 0);
  const ok = sum((t) => t.accounts - t.low - t.critical - t.notAlerted);
  return [
    `<option value="">all (${sum((t) => t.accounts)})</option>`,
    `<option value="CRITICAL">critical (${sum((t) => t.critical)})</option>`,
    `<option value="LOW">low (${sum((t) => t.low)})</option>`,
    `<option value="OK">OK (${ok})</option>`,
    `<option value="NA">not alerted (${sum((t) => t.notAlerted)})</option>`,
  ].join('');
}

function tableControls(totals: readonly CurrencySummary[]): string {
  const currencies = totals
    .map(
      (t) => `<option value="${escapeHtml(t.currency)}">${escapeHtml(t.currency)} (${t.accounts})</option>`,
    )
    .join('');
  return `<div class="controls" id="table-controls" hidden>
<label>Search <input type="search" id="table-search" placeholder="name or auth ID" autocomplete="off" spellcheck="false"></label>
<label>Standing <select id="table-level">${levelOptions(totals)}</select></label>
<label>Currency <select id="table-currency"><option value="">all</option>${currencies}</select></label>
<span class="status" id="table-status" role="status"></span>
<button type="button" id="table-prev">Previous</button><button type="button" id="table-next">Next</button>
</div>`;
}

export function renderReport(model: ReportModel, sha256: Sha256Base64): string {
  const script = REPORT_SCRIPT;
  const csp = `default-src 'none'; style-src 'sha256-${sha256(REPORT_STYLE)}'; script-src 'sha256-${sha256(script)}'; img-src data:; base-uri 'none'; form-action 'none'`;
  const from = localDay(model.windowStart, model.timezone);
  const to = localDay(model.windowEnd, model.timezone);
  const title = `Vobiz wallet balances, ${from} to ${to}`;
  const decimals = reportDecimals(model.accounts, model.totals);
  const data = jsonForScript({
    charts: model.charts.map((c) => chartData(c, model.timezone, decimals)),
    table: tableData(model.accounts),
  });
  const empty = model.accounts.length === 0;
  const body = empty
    ? `<p class="empty" id="no-data">No balance observations between ${escapeHtml(localDateTime(model.windowStart, model.timezone))} and ${escapeHtml(localDateTime(model.windowEnd, model.timezone))} (${escapeHtml(model.timezone)}): nothing to chart.</p>`
    : `<h2>Totals per currency</h2>
${totalsTable(model.totals, decimals)}
<h2>${model.charts.length === 0 ? 'Balance over time: no charts requested' : `Balance over time: the ${model.charts.length} lowest of ${model.accounts.length} account(s)`}</h2>
${LEGEND}
<div class="charts">
${chartFigures(model.charts, model.timezone, decimals)}
</div>
<h2>All accounts, lowest first</h2>
<p class="note">Standing: CRITICAL at or below the critical level, LOW below the low threshold; accounts not alerted on (postpaid, inactive, disabled) come last, their standing in brackets. Sorted by standing, then by headroom (balance minus low threshold, in the account's own currency). Amounts show every decimal their currency needs.</p>
${tableControls(model.totals)}
<div class="scroll" id="accounts-box">${accountsTable(model.accounts, model.timezone, decimals)}</div>`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${escapeHtml(title)}</title>
<style>${REPORT_STYLE}</style>
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
