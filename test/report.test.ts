import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reportCommand } from '../functions/cli/commands/report.ts';
import type { Snapshot } from '../functions/core/types.ts';
import { escapeHtml, jsonForScript, nameHtml } from '../functions/finance/report-markup.ts';
import {
  buildChart,
  byLowest,
  type ChartPoint,
  currencySummaries,
  MIN_CHART_SPAN_MS,
  type ReportAccount,
  reportAccount,
  thin,
} from '../functions/finance/report-model.ts';
import { launchChromium, type ReportBrowser } from './support/chromium.ts';
import { alertableIds, capture, type HistoryFixture, startHistory } from './support/history.ts';

function snap(observedAt: string, balance: string): Snapshot {
  return {
    authId: 'MA_1',
    name: 'Acme',
    currency: 'INR',
    balance,
    observedAt,
    localDay: observedAt.slice(0, 10),
    level: 'OK',
    sweepId: 's',
  };
}

function account(overrides: Partial<ReportAccount> = {}): ReportAccount {
  const base = reportAccount(
    snap('2026-11-20T00:00:00.000Z', '50.00000'),
    undefined,
    { low: '100.00000', critical: '0.00000' },
    undefined,
    '2026-11-27T00:00:00.000Z',
  );
  return { ...base, ...overrides };
}

describe('the report model', () => {
  it('marks top-ups and both crossings of the low threshold, starting from the balance before the window', () => {
    // Arrange
    const start = Date.parse('2026-11-01T00:00:00.000Z');
    const end = Date.parse('2026-11-30T00:00:00.000Z');
    const history = [
      snap('2026-10-15T00:00:00.000Z', '150.00000'),
      snap('2026-11-03T00:00:00.000Z', '99.99999'),
      snap('2026-11-04T00:00:00.000Z', '80.00000'),
      snap('2026-11-05T00:00:00.000Z', '90.00000'),
      snap('2026-11-06T00:00:00.000Z', '100.00000'),
    ];

    // Act
    const chart = buildChart(account(), history, start, end);

    // Assert
    expect(chart.points.map((p) => [p.t === start, p.balance, p.topUp, p.crossing])).toEqual([
      [true, '150.00000', false, null],
      [false, '99.99999', false, 'down'],
      [false, '80.00000', false, null],
      [false, '90.00000', true, null],
      [false, '100.00000', true, 'up'],
    ]);
    expect(chart).toMatchObject({ topUps: 2, crossings: 2, thinned: false });
  });

  it('thins a long series to its budget but keeps every marked point and the extremes', () => {
    // Arrange
    const points: ChartPoint[] = Array.from({ length: 5000 }, (_, i) => ({
      t: i * 60_000,
      balance: `${1000 + ((i * 7919) % 500)}.00000`,
      topUp: i % 997 === 0 && i > 0,
      crossing: i === 4321 ? 'down' : null,
    }));
    points[2500] = { ...points[2500], balance: '-50.00000' } as ChartPoint;

    // Act
    const kept = thin(points, 600);

    // Assert
    expect(kept.length).toBeLessThanOrEqual(600);
    expect(kept[0]).toBe(points[0]);
    expect(kept.at(-1)).toBe(points.at(-1));
    expect(kept.filter((p) => p.topUp)).toHaveLength(points.filter((p) => p.topUp).length);
    expect(kept.some((p) => p.crossing === 'down')).toBe(true);
    expect(kept.some((p) => p.balance === '-50.00000')).toBe(true);
    expect(kept.map((p) => p.t)).toEqual([...kept.map((p) => p.t)].sort((a, b) => a - b));
  });

  it('orders accounts critical first, then low, then by headroom below the threshold', () => {
    // Arrange
    const accounts = [
      account({ authId: 'OK', standing: 'OK', headroom: '5.00000' }),
      account({ authId: 'LOW_FAR', standing: 'LOW', headroom: '-90.00000' }),
      account({ authId: 'CRIT', standing: 'CRITICAL', headroom: '-100.00000' }),
      account({ authId: 'LOW_NEAR', standing: 'LOW', headroom: '-0.00001' }),
    ];

    // Act
    const order = [...accounts].sort(byLowest).map((a) => a.authId);

    // Assert
    expect(order).toEqual(['CRIT', 'LOW_FAR', 'LOW_NEAR', 'OK']);
  });

  it('lists accounts that are never alerted on after every alerted one, and counts them apart', () => {
    // Arrange
    const accounts = [
      account({ authId: 'OK', standing: 'OK', headroom: '5.00000' }),
      account({ authId: 'POSTPAID', standing: 'CRITICAL', headroom: '-593.00000', alerted: false }),
      account({ authId: 'LOW', standing: 'LOW', headroom: '-50.00000' }),
    ];

    // Act
    const order = [...accounts].sort(byLowest).map((a) => a.authId);
    const [inr] = currencySummaries(accounts);

    // Assert
    expect(order).toEqual(['LOW', 'OK', 'POSTPAID']);
    expect(inr).toMatchObject({ accounts: 3, critical: 0, low: 1, notAlerted: 1 });
  });

  it('starts the time axis at the first observation when the history is shorter than the window', () => {
    // Arrange
    const start = Date.parse('2026-11-01T00:00:00.000Z');
    const end = Date.parse('2026-11-30T00:00:00.000Z');
    const short = [
      snap('2026-11-28T06:00:00.000Z', '120.00000'),
      snap('2026-11-29T06:00:00.000Z', '80.00000'),
    ];
    const long = [snap('2026-10-15T00:00:00.000Z', '150.00000'), ...short];

    // Act
    const shortChart = buildChart(account(), short, start, end);
    const longChart = buildChart(account(), long, start, end);
    const atEnd = buildChart(account(), [snap('2026-11-30T00:00:00.000Z', '80.00000')], start, end);

    // Assert
    expect(shortChart.from).toBe(Date.parse('2026-11-28T06:00:00.000Z'));
    expect(longChart.from).toBe(start);
    expect(atEnd.from).toBe(end - MIN_CHART_SPAN_MS);
  });

  it('escapes names for markup and for the embedded JSON', () => {
    // Act
    const html = nameHtml('</script><img src=x onerror=alert(1)>\u202e\u0007');
    const json = jsonForScript({ name: '</script><script>alert(1)</script>\u2028' });

    // Assert
    expect(html).toBe('<bdi>&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;\\u202e\\u0007</bdi>');
    expect(json).not.toMatch(/[<>\u2028]/);
    expect(JSON.parse(json)).toEqual({ name: '</script><script>alert(1)</script>\u2028' });
    expect(escapeHtml(`"'&`)).toBe('&quot;&#39;&amp;');
  });
});

describe('the HTML report in headless Chromium', () => {
  let h: HistoryFixture;
  let browser: ReportBrowser;
  let dir: string;
  let mover: string;
  const NOW = '2026-11-27T12:00:00.000Z';
  const tricky = [
    `</script><script>document.body.setAttribute('data-pwned','1')</script>`,
    `<img src=x onerror="document.body.setAttribute('data-pwned','2')">`,
    '\u202eevil RTL override Co',
    'Bell\u0007Ringers',
  ];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vobiz-report-'));
    browser = await launchChromium();
    h = await startHistory({ accounts: 70 });
    mover = alertableIds(h.sim)[0] as string;
    for (const name of tricky) h.sim.addAccount({ name, cash_credits: '3.00000', country: 'IN' });
    h.sim.setBalance(mover, '150.00000');
    await h.sweepAt('2026-10-20T06:00:00.000Z');
    // A top-up between the last observation before the window and the first inside it.
    h.sim.setBalance(mover, '200.00000');
    await h.sweepAt('2026-11-01T06:00:00.000Z');
    h.sim.setBalance(mover, '40.00000');
    await h.sweepAt('2026-11-05T06:00:00.000Z');
    h.sim.setBalance(mover, '5040.00000');
    await h.sweepAt('2026-11-10T06:00:00.000Z');
    h.sim.setBalance(mover, '60.00000');
    await h.sweepAt('2026-11-20T06:00:00.000Z');
    await h.sweepAt('2026-11-27T11:00:00.000Z');
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await h?.close();
    await rm(dir, { recursive: true, force: true });
  });

  /** The page after its script ran, serialized, and every request it made. */
  async function render(file: string): Promise<{ dom: string; requests: string[] }> {
    const { page, requests } = await browser.open(file);
    await page.waitForSelector('body[data-charts-drawn]');
    const dom = await page.content();
    await page.close();
    return { dom, requests };
  }

  it('draws a chart for each of the 50 lowest accounts, with top-ups and crossings marked, and lists every account', async () => {
    // Arrange
    const out = join(dir, 'report.html');
    const io = capture();

    // Act
    const code = await reportCommand(['--out', out, '--days', '30', '--now', NOW, ...h.storeArgs], io);
    const html = await readFile(out, 'utf8');
    const { dom, requests } = await render(out);

    // Assert
    expect(code).toBe(0);
    expect(io.text()).toMatch(/: 74 account\(s\), 50 chart\(s\), 2026-10-28 to 2026-11-27 \(Asia\/Kolkata\)/);
    expect(requests).toEqual([pathToFileURL(out).href]);
    expect(dom).toMatch(/<body[^>]* data-charts-drawn="50"/);
    expect(dom.match(/<svg [^>]*class="chart-svg"/g)).toHaveLength(50);
    expect(dom).not.toContain('NaN');
    const figure = /<figure class="chart" data-chart="\d+" data-auth-id="([^"]+)"[^>]*>[\s\S]*?<\/figure>/g;
    const charts = new Map([...dom.matchAll(figure)].map((m) => [m[1], m[0]]));
    const moverChart = charts.get(mover) ?? '';
    expect(moverChart).toMatch(/<path d="M[\d.]+ [\d.]+(H[\d.]+V[\d.]+)+H[\d.]+" class="balance">/);
    expect(moverChart.match(/class="topup"/g)).toHaveLength(2);
    expect(moverChart).toMatch(/<line [^>]*class="zero">/);
    expect(moverChart).toMatch(/<line [^>]*class="critical">/);
    expect(moverChart).toMatch(/<line [^>]*class="low">/);
    // The table counts the step into the window too: 50 + 5000 in, 160 + 4980 out.
    const moverRow = html.match(new RegExp(`<tr class="[A-Z]+" data-auth-id="${mover}">.*</tr>`))?.[0] ?? '';
    expect(moverRow).toContain('>5,050.00000<span class="sub">2 top-ups</span>');
    expect(moverRow).toContain('>5,140.00000<');
    expect(moverChart.match(/class="crossing crossing-down"/g)).toHaveLength(2);
    expect(moverChart.match(/class="crossing crossing-up"/g)).toHaveLength(1);
    expect(html.match(/<tr class="(CRITICAL|LOW|OK|NA)" data-auth-id=/g)).toHaveLength(74);
    expect(html).toMatch(/<table id="totals-table">[\s\S]*<td>INR<\/td>/);
  });

  it('counts postpaid, inactive and disabled accounts as not alerted, apart from the low and critical ones', async () => {
    // Arrange
    const out = join(dir, 'not-alerted.html');
    const notAlerted = h.sim.accountIds().length - alertableIds(h.sim).length;

    // Act
    await reportCommand(['--out', out, '--now', NOW, ...h.storeArgs], capture());
    const html = await readFile(out, 'utf8');

    // Assert
    expect(notAlerted).toBeGreaterThan(0);
    expect(html.match(/<tr class="NA" data-auth-id=/g)).toHaveLength(notAlerted);
    const totals = [...html.matchAll(/<tr><td>[A-Z]{3}<\/td>(.*)<\/tr>/g)].map((row) =>
      [...(row[1] ?? '').matchAll(/<td class="num">([^<]*)<\/td>/g)].map((cell) => cell[1]),
    );
    // Accounts, total, critical, low, not alerted, ...: the column of not-alerted accounts adds up.
    expect(totals.reduce((sum, cells) => sum + Number(cells[4]), 0)).toBe(notAlerted);
    // Lowest first means alerted accounts first: every not-alerted row comes after the last alerted one.
    const levels = [...html.matchAll(/<tr class="([A-Z]+)" data-auth-id=/g)].map((m) => m[1]);
    expect(levels.slice(levels.indexOf('NA')).every((level) => level === 'NA')).toBe(true);
  });

  it('escapes every name: nothing injected runs, and control and direction characters show as text', async () => {
    // Arrange
    const out = join(dir, 'tricky.html');

    // Act
    await reportCommand(['--out', out, '--now', NOW, ...h.storeArgs], capture());
    const html = await readFile(out, 'utf8');
    const { dom, requests } = await render(out);

    // Assert
    expect(requests).toEqual([pathToFileURL(out).href]);
    expect(dom).toContain('data-charts-drawn="50"');
    expect(dom).not.toMatch(/<body[^>]*data-pwned/);
    expect(dom).not.toMatch(/<img/i);
    // Only the data block and the page's own script: a name never becomes an element.
    expect(dom.match(/<script/g)).toHaveLength(2);
    expect(dom).toContain('&lt;/script&gt;&lt;script&gt;document.body.setAttribute(');
    expect(dom).toContain('\\u202eevil RTL override Co');
    expect(dom).toContain('Bell\\u0007Ringers');
    expect(html).not.toContain('\u0007');
    expect(html).not.toContain('\u202e');
  });

  it('runs only its own script: the browser enforces the page policy against any other', async () => {
    // Arrange
    const out = join(dir, 'policy.html');
    await reportCommand(['--out', out, '--now', NOW, ...h.storeArgs], capture());
    const html = await readFile(out, 'utf8');
    const smuggled = join(dir, 'smuggled.html');
    await writeFile(
      smuggled,
      html.replace('<body>', `<body><script>document.body.setAttribute('data-pwned','3')</script>`),
    );

    // Act
    const { dom } = await render(smuggled);

    // Assert
    expect(dom).toContain('data-charts-drawn="50"');
    expect(dom).not.toMatch(/<body[^>]*data-pwned/);
  });

  it('is self-contained: no URL to fetch, and a policy that forbids fetching', async () => {
    // Arrange
    const out = join(dir, 'offline.html');

    // Act
    await reportCommand(['--out', out, '--now', NOW, ...h.storeArgs], capture());
    const html = await readFile(out, 'utf8');

    // Assert
    expect(html).toMatch(
      /<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'sha256-[^']+'; script-src 'sha256-[^']+';/,
    );
    expect(html).not.toMatch(/<[a-z][^>]*\s(src|href|srcset|action|poster|data)=/i);
    expect(html).not.toMatch(/url\(|@import|fetch\(|XMLHttpRequest|WebSocket|EventSource/);
    expect(html.replaceAll('http://www.w3.org/2000/svg', '')).not.toMatch(/https?:\/\//);
  });

  it('says plainly when the window holds no observations', async () => {
    // Arrange
    const out = join(dir, 'empty.html');
    const io = capture();

    // Act
    const code = await reportCommand(
      ['--out', out, '--days', '5', '--now', '2026-09-01T00:00:00Z', ...h.storeArgs],
      io,
    );

    // Assert
    expect(code).toBe(0);
    expect(io.text()).toContain('No balance observations in the last 5 day(s) (Asia/Kolkata)');
    expect(await readFile(out, 'utf8')).toContain(
      'id="no-data">No balance observations between 2026-08-27 05:30 and 2026-09-01 05:30',
    );
  });
});
