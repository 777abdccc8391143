/**
 * The report page's only style sheet (allowed by its hash). Sized for a 1280 px window: the
 * accounts table has fixed column widths that add up to its 1160 px box, amounts wrap only
 * when they are longer than any real balance, and a second line in a cell is small and grey.
 * No sticky header: inside the box that scrolls sideways on narrow windows it would not stick.
 */
export const REPORT_STYLE = `
:root { color-scheme: light; --low: #b45309; --critical: #b91c1c; --ok: #15803d; --ink: #1f2937; --muted: #6b7280; --zero: #6b7280; --rule: #eef0f3; }
* { box-sizing: border-box; }
[hidden] { display: none !important; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", "Noto Sans", "Open Sans", sans-serif; color: var(--ink); margin: 0 auto; max-width: 1200px; padding: 16px 20px 48px; }
h1 { font-size: 22px; margin: 8px 0 4px; }
h2 { font-size: 17px; margin: 28px 0 8px; border-bottom: 1px solid #e5e7eb; padding-bottom: 4px; }
p.meta, p.note { color: var(--muted); margin: 2px 0; }
table { border-collapse: collapse; width: 100%; }
th, td { padding: 4px 8px; border-bottom: 1px solid var(--rule); text-align: left; vertical-align: top; }
th { background: #f9fafb; font-weight: 600; }
.num { text-align: right; font-variant-numeric: tabular-nums; }
td.num { overflow-wrap: break-word; }
.sub { display: block; color: var(--muted); font-size: 12px; font-weight: 400; }
#totals-table td.num, #totals-table th.num { white-space: nowrap; }
#accounts-table { table-layout: fixed; font-size: 13px; }
#accounts-table col.rank { width: 60px; }
#accounts-table col.currency { width: 50px; }
#accounts-table col.amount { width: 134px; }
#accounts-table col.standing { width: 124px; }
#accounts-table col.runway { width: 80px; }
#accounts-table col.observed { width: 92px; }
#accounts-table td.account { overflow-wrap: break-word; }
#accounts-table th button { font: inherit; color: inherit; background: none; border: 0; padding: 0; cursor: pointer; text-align: inherit; white-space: nowrap; }
#accounts-table th button:focus-visible { outline: 2px solid #2563eb; outline-offset: 2px; }
#accounts-table th[aria-sort="ascending"] button::after { content: " \\2191"; }
#accounts-table th[aria-sort="descending"] button::after { content: " \\2193"; }
tr.CRITICAL td.standing { color: var(--critical); font-weight: 600; }
tr.LOW td.standing { color: var(--low); font-weight: 600; }
tr.OK td.standing { color: var(--ok); }
tr.NA td.standing { color: var(--muted); }
.controls { display: flex; flex-wrap: wrap; gap: 8px 16px; align-items: center; margin: 8px 0; }
.controls input, .controls select, .controls button { font: inherit; padding: 3px 6px; }
.controls input { width: 18em; }
.controls .status { color: var(--muted); margin-left: auto; }
.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(460px, 1fr)); gap: 14px; }
figure.chart { margin: 0; border: 1px solid #e5e7eb; border-radius: 6px; padding: 8px 10px; }
figure.chart figcaption { font-weight: 600; overflow-wrap: anywhere; }
figure.chart .sub { display: inline; }
figure.chart .since { white-space: nowrap; }
.chart-svg { width: 100%; height: auto; display: block; }
.chart-svg .frame { fill: #fcfcfd; stroke: #e5e7eb; }
.chart-svg .grid { stroke: #eef0f3; }
.chart-svg .balance { fill: none; stroke: #2563eb; stroke-width: 1.8; }
.chart-svg .balance-dot { fill: #2563eb; }
.chart-svg .low { stroke: var(--low); stroke-dasharray: 5 4; stroke-width: 1.2; }
.chart-svg .critical { stroke: var(--critical); stroke-dasharray: 2 3; stroke-width: 1.2; }
.chart-svg .zero { stroke: var(--zero); stroke-width: 1; }
.chart-svg .axis { font-size: 11px; fill: var(--muted); }
.chart-svg .axis.low-label { fill: var(--low); }
.chart-svg .axis.critical-label { fill: var(--critical); }
.chart-svg .topup { fill: var(--ok); }
.chart-svg .crossing { stroke: #fff; stroke-width: 1.5; }
.chart-svg .crossing-down { fill: var(--critical); }
.chart-svg .crossing-up { fill: var(--ok); }
.scroll { overflow-x: auto; }
/* Off-screen at load: the browser lays out neither the full table nor every chart until it is scrolled to. */
#accounts-box { content-visibility: auto; contain-intrinsic-size: auto 2000px; }
figure.chart { content-visibility: auto; contain-intrinsic-size: auto 260px; }
.legend { display: flex; flex-wrap: wrap; gap: 4px 16px; color: var(--muted); margin: 4px 0 10px; }
.legend svg { vertical-align: middle; margin-right: 4px; }
.legend .low { stroke: var(--low); stroke-dasharray: 5 4; stroke-width: 1.5; }
.legend .critical { stroke: var(--critical); stroke-dasharray: 2 3; stroke-width: 1.5; }
.legend .zero { stroke: var(--zero); stroke-width: 1.5; }
.legend .topup { fill: var(--ok); }
.legend .crossing-down { fill: var(--critical); }
.legend .crossing-up { fill: var(--ok); }
`;
