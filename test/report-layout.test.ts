import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256Base64 } from '../functions/adapters/local/sha256.ts';
import { displayName } from '../functions/core/display.ts';
import { compareAmounts } from '../functions/core/money.ts';
import { type ReportModel, renderReport } from '../functions/finance/report-html.ts';
import { levelOf } from '../functions/finance/report-table.ts';
import { launchChromium, type ReportBrowser } from './support/chromium.ts';
import { syntheticReport } from './support/report-fixture.ts';
import { chartLayouts, matchCount, search, sortBy, tableLayout, visibleRows } from './support/report-page.ts';

/**
 * The report as an operator sees it: 3,000 accounts in a 1280x800 window of headless
 * Chromium. Screenshots land in <tmpdir>/vobiz-report-screenshots (replaced on every run) for
 * a person to look at; the assertions are facts measured in the page.
 */

const SHOTS = join(tmpdir(), 'vobiz-report-screenshots');
const ACCOUNTS = 3000;
const PAGE_ROWS = 100;

describe('the HTML report at 1280 px with 3,000 accounts', () => {
  let model: ReportModel;
  let browser: ReportBrowser;
  let dir: string;
  let file: string;
  let html: string;
  let page: Page;
  let requests: string[];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vobiz-report-layout-'));
    await rm(SHOTS, { recursive: true, force: true });
    await mkdir(SHOTS, { recursive: true });
    model = syntheticReport({
      accounts: ACCOUNTS,
      names: ['W'.repeat(120), 'Zeta Voice Solutions International Private Limited, Bengaluru North'],
    });
    html = renderReport(model, sha256Base64);
    file = join(dir, 'report.html');
    await writeFile(file, html);
    browser = await launchChromium();
    ({ page, requests } = await browser.open(file));
    await page.waitForSelector('body[data-charts-drawn]');
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function shot(name: string, selector?: string): Promise<void> {
    if (selector) {
      await page.$eval(selector, (el) => el.scrollIntoView());
      // On a loaded machine a screenshot taken at once may show tiles not yet painted at the new
      // scroll position: wait until a frame after the scroll has been drawn.
      await page.evaluate('new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))');
    }
    const path = join(SHOTS, `${name}.png`);
    await page.screenshot({ path });
    expect((await stat(path)).size).toBeGreaterThan(10_000);
  }

  async function resetTable(): Promise<void> {
    await search(page, '');
    await page.select('#table-level', '');
    await page.select('#table-currency', '');
  }

  it('fits the accounts table in its box: every column on screen, no cell overflowing, rows a few lines tall', async () => {
    // Act
    await shot('1-top');
    await shot('2-table', '#table-controls');
    const first = await tableLayout(page);
    // MA_00000000 has a 120-letter name without a space, MA_00000007 a 24-digit balance.
    await search(page, 'ma_0000000');
    const extremes = await tableLayout(page);
    await shot('2b-extremes', '#table-controls');
    await search(page, '');

    // Assert
    for (const layout of [first, extremes]) {
      expect(layout.boxWidth).toBeGreaterThan(1100);
      expect(layout.tableWidth).toBeLessThanOrEqual(layout.boxWidth);
      expect(layout.boxScrollWidth).toBeLessThanOrEqual(layout.boxWidth);
      expect(layout.overflowing).toEqual([]);
    }
    expect(extremes.rowHeights).toHaveLength(10);
    expect(first.rowHeights).toHaveLength(PAGE_ROWS);
    const sorted = [...first.rowHeights].sort((a, b) => a - b);
    expect(sorted[PAGE_ROWS / 2]).toBeLessThanOrEqual(50);
    expect(sorted.at(-1)).toBeLessThanOrEqual(100);
  });

  it('draws a line across every chart whose account has history, with zero, critical and low lines, labels clear of them', async () => {
    // Act
    await shot('3-charts', '.charts');
    const charts = await chartLayouts(page);

    // Assert
    expect(charts).toHaveLength(model.charts.length);
    for (const chart of charts) {
      expect(chart.points, chart.authId).toBeGreaterThan(0);
      // The axis starts at the first observation, so the line spans the plot, not a sliver of it.
      expect(chart.lineWidth, chart.authId).toBeGreaterThanOrEqual(0.9 * chart.plotWidth);
      expect(chart.lines, chart.authId).toEqual(expect.arrayContaining(['zero', 'critical', 'low']));
      const labels = [...chart.labels].sort((a, b) => a.top - b.top);
      expect(labels.map((l) => l.text)).toEqual(
        expect.arrayContaining([expect.stringMatching(/^low /), expect.stringMatching(/^crit /)]),
      );
      for (const [i, label] of labels.entries()) {
        expect(label.right, `${chart.authId} ${label.text}`).toBeLessThanOrEqual(chart.plotLeft);
        const next = labels[i + 1];
        if (next)
          expect(next.top, `${chart.authId} ${label.text} / ${next.text}`).toBeGreaterThanOrEqual(
            label.bottom - 1,
          );
      }
    }
  });

  it('writes every amount of a currency with the same number of decimals in each column', () => {
    // Arrange
    const rows = [...html.matchAll(/<tr class="[A-Z]+" data-auth-id="[^"]+">(.*)<\/tr>/g)].map(
      (m) => m[1] ?? '',
    );
    const decimals = new Map<string, Set<number>>();

    // Act
    for (const row of rows) {
      const cells = [...row.matchAll(/<td[^>]*>(.*?)<\/td>/g)].map((m) => m[1] ?? '');
      const currency = cells[2] ?? '';
      for (const column of [3, 4, 6, 7]) {
        const amount = (cells[column] ?? '').split('<')[0] ?? '';
        const places = amount.replace(/\u2007/g, '').split('.')[1]?.length ?? 0;
        const key = `${currency} column ${column}`;
        decimals.set(key, (decimals.get(key) ?? new Set()).add(places));
      }
    }

    // Assert
    expect(rows).toHaveLength(ACCOUNTS);
    for (const [key, places] of decimals) expect([key, [...places]]).toEqual([key, [5]]);
  });

  it('finds accounts by auth ID or by part of a name as the user types', async () => {
    // Arrange
    const target = model.accounts[1234]?.authId ?? '';
    const fragment = 'zoya';
    const expected = model.accounts.filter((a) =>
      `${displayName(a.name, 80)} ${a.authId}`.toLowerCase().includes(fragment),
    );

    // Act
    await resetTable();
    await search(page, target.toLowerCase());
    const byId = await visibleRows(page);
    await search(page, 'ZoYa');
    const byName = await visibleRows(page);
    const byNameCount = await matchCount(page);
    await shot('4-search', '#table-controls');

    // Assert
    expect(byId.map((r) => r.authId)).toEqual([target]);
    expect(byNameCount).toBe(expected.length);
    expect(byName.length).toBe(Math.min(PAGE_ROWS, expected.length));
    expect(byName.every((r) => r.name.toLowerCase().includes(fragment))).toBe(true);
    // Lowest first still: the matches in the table's own order.
    expect(byName.map((r) => r.authId)).toEqual(expected.slice(0, PAGE_ROWS).map((a) => a.authId));
  });

  it('sorts by a column, ascending on the first click and descending on the second', async () => {
    // Arrange
    const balances = model.accounts.map((a) => a.balance).sort(compareAmounts);
    await resetTable();

    // Act
    await sortBy(page, 'balance');
    const ascending = await visibleRows(page);
    const ascendingSort = await page.$eval('th[data-sort="balance"]', (th) => th.getAttribute('aria-sort'));
    await sortBy(page, 'balance');
    const descending = await visibleRows(page);
    await shot('5-sorted-descending', '#table-controls');
    await sortBy(page, 'rank');
    const restored = await visibleRows(page);

    // Assert
    expect(ascendingSort).toBe('ascending');
    expect(ascending.map((r) => r.balance)).toEqual(balances.slice(0, PAGE_ROWS));
    expect(descending.map((r) => r.balance)).toEqual(balances.slice(-PAGE_ROWS).reverse());
    expect(restored.map((r) => r.rank)).toEqual(Array.from({ length: PAGE_ROWS }, (_, i) => i + 1));
  });

  it('filters by standing and by currency, and pages through the matches', async () => {
    // Arrange
    const critical = model.accounts.filter((a) => levelOf(a) === 'CRITICAL');
    const usdNotAlerted = model.accounts.filter((a) => a.currency === 'USD' && !a.alerted);
    const usd = model.accounts.filter((a) => a.currency === 'USD');
    await resetTable();

    // Act
    await page.select('#table-level', 'CRITICAL');
    const criticalRows = await visibleRows(page);
    const criticalCount = await matchCount(page);
    await page.select('#table-currency', 'USD');
    await page.select('#table-level', 'NA');
    const usdNotAlertedRows = await visibleRows(page);
    await shot('6-filtered', '#table-controls');
    await page.select('#table-level', '');
    await page.click('#table-next');
    const secondPage = await visibleRows(page);
    const status = await page.$eval('#table-status', (el) => el.textContent);

    // Assert
    expect(criticalCount).toBe(critical.length);
    expect(criticalRows.map((r) => r.authId)).toEqual(critical.slice(0, PAGE_ROWS).map((a) => a.authId));
    expect(usdNotAlertedRows.map((r) => r.authId)).toEqual(usdNotAlerted.map((a) => a.authId));
    expect(usdNotAlertedRows.every((r) => r.currency === 'USD' && r.level === 'NA')).toBe(true);
    expect(secondPage.map((r) => r.authId)).toEqual(usd.slice(PAGE_ROWS, 2 * PAGE_ROWS).map((a) => a.authId));
    expect(status).toBe(`Rows 101\u2013200 of ${usd.length} matching (3,000 in all)`);
  });

  it('makes no request but for the page itself', () => {
    // Assert
    expect(requests).toEqual([pathToFileURL(file).href]);
  });

  it('keeps every account in the table when scripts are off', async () => {
    // Act
    const { page: plain } = await browser.open(file, { javascript: false });
    const rows = await plain.$$eval('#accounts-table tbody tr', (trs) => trs.length);
    const controlsShown = await plain.$eval('#table-controls', (el) => el.checkVisibility());
    await plain.close();

    // Assert
    expect(rows).toBe(ACCOUNTS);
    expect(controlsShown).toBe(false);
  });

  it('logs and refuses any request other than the page itself, so the check above can fail', async () => {
    // Arrange
    const fetching = join(dir, 'fetches.html');
    await writeFile(fetching, '<!doctype html><img src="http://127.0.0.1:9/pixel.png"><img src="data:,x">');

    // Act
    const opened = await browser.open(fetching);
    const failed = await opened.page.$eval('img', (img) => img.complete && img.naturalWidth === 0);
    await opened.page.close();

    // Assert
    expect(opened.requests).toEqual(
      expect.arrayContaining([pathToFileURL(fetching).href, 'http://127.0.0.1:9/pixel.png']),
    );
    expect(failed).toBe(true);
  });
});
