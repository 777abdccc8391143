import type { Page } from 'puppeteer-core';

/**
 * Facts about a rendered report, measured inside the page. The probes are page-side source
 * text (the project compiles without DOM types); each returns plain JSON.
 */

export interface TableLayout {
  boxWidth: number;
  boxScrollWidth: number;
  tableWidth: number;
  /** Cells whose content is wider than the cell, as "authId/column". */
  overflowing: string[];
  rowHeights: number[];
}

export interface ChartLayout {
  authId: string;
  points: number;
  plotLeft: number;
  plotWidth: number;
  /** Width of the balance line's box, 0 without a line. */
  lineWidth: number;
  dot: boolean;
  lines: string[];
  /** Value labels: their right edges and vertical extents. */
  labels: Array<{ text: string; right: number; top: number; bottom: number }>;
}

export interface VisibleRow {
  authId: string;
  level: string;
  rank: number;
  name: string;
  currency: string;
  balance: string;
}

export async function tableLayout(page: Page): Promise<TableLayout> {
  return (await page.evaluate(`(() => {
    const box = document.getElementById('accounts-box');
    const table = document.getElementById('accounts-table');
    const columns = Array.from(table.tHead.rows[0].cells).map((th) => th.textContent.trim());
    const overflowing = [];
    const rows = Array.from(table.tBodies[0].rows);
    rows.forEach((row) => Array.from(row.cells).forEach((cell, i) => {
      if (cell.scrollWidth > cell.clientWidth + 0.5) overflowing.push(row.dataset.authId + '/' + columns[i]);
    }));
    return {
      boxWidth: box.clientWidth,
      boxScrollWidth: box.scrollWidth,
      tableWidth: table.getBoundingClientRect().width,
      overflowing,
      rowHeights: rows.map((row) => row.getBoundingClientRect().height),
    };
  })()`)) as TableLayout;
}

export async function chartLayouts(page: Page): Promise<ChartLayout[]> {
  return (await page.evaluate(`Array.from(document.querySelectorAll('figure.chart')).map((figure) => {
    const svg = figure.querySelector('svg.chart-svg');
    const frame = svg.querySelector('rect.frame').getBBox();
    const line = svg.querySelector('path.balance');
    return {
      authId: figure.dataset.authId,
      points: Number(figure.dataset.points),
      plotLeft: frame.x,
      plotWidth: frame.width,
      lineWidth: line ? line.getBBox().width : 0,
      dot: svg.querySelector('circle.balance-dot') !== null,
      lines: Array.from(svg.querySelectorAll('line')).map((l) => l.getAttribute('class')),
      labels: Array.from(svg.querySelectorAll('text[text-anchor="end"]'))
        .filter((t) => t.getBBox().y < frame.y + frame.height)
        .map((t) => { const b = t.getBBox(); return { text: t.textContent, right: b.x + b.width, top: b.y, bottom: b.y + b.height }; }),
    };
  })`)) as ChartLayout[];
}

export async function visibleRows(page: Page): Promise<VisibleRow[]> {
  return (await page.evaluate(`Array.from(document.querySelectorAll('#accounts-table tbody tr')).map((row) => ({
    authId: row.dataset.authId,
    level: row.className,
    rank: Number(row.cells[0].textContent),
    name: row.cells[1].querySelector('bdi').textContent,
    currency: row.cells[2].textContent,
    balance: row.cells[3].textContent.replace(/[,\\u2007]/g, ''),
  }))`)) as VisibleRow[];
}

/** How many accounts match the table's search and filters (the script writes it on <body>). */
export async function matchCount(page: Page): Promise<number> {
  return Number(await page.evaluate(`document.body.dataset.tableMatches`));
}

/** Types into the search box as a person would, one key at a time. */
export async function search(page: Page, text: string): Promise<void> {
  await page.click('#table-search', { count: 3 });
  await page.keyboard.press('Backspace');
  await page.type('#table-search', text);
}

export async function sortBy(page: Page, key: string): Promise<void> {
  await page.click(`#accounts-table th[data-sort="${key}"] button`);
}
