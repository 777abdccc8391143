import { CHART_SCRIPT } from './report-chart-script.ts';
import { TABLE_SCRIPT } from './report-table-script.ts';

/**
 * The report page's only script (its hash is in the page's Content-Security-Policy): reads
 * the embedded JSON once, makes the accounts table searchable, then draws the charts, and
 * marks <body> with `data-charts-drawn` so a headless browser can tell it finished.
 */
export const REPORT_SCRIPT = `(function () {
  'use strict';
${CHART_SCRIPT}
${TABLE_SCRIPT}
  var source = document.getElementById('report-data');
  var data = JSON.parse(source ? source.textContent : '{"charts":[]}');
  if (data.table) tableView(data.table);
  document.body.setAttribute('data-charts-drawn', String(drawCharts(data.charts)));
})();
`;
