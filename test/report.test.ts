import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reportCommand } from '../functions/cli/commands/report.ts';
import type { Snapshot } from '../functions/core/types.ts';
import { escapeHtml, jsonForScript, nameHtml } from '../functions/finance/report-html.ts';
import {
  buildChart,
  byLowest,
  type ChartPoint,
  type ReportAccount,
  reportAccount,
  thin,
} from '../functions/finance/report-model.ts';
import { alertableIds, capture, type HistoryFixture, startHistory } from './support/history.ts';

const CHROMIUM = '/usr/bin/chromium';

/** Renders a page in headless Chromium and returns the DOM after its scripts ran. */
function renderInChromium(file: string, profile: string): Promise<string> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `${CHROMIUM} is missing: the report test needs Debian's chromium (apt-get install -y --no-install-recommends chromium; .ci/run does it)`,
    );
  }
  return new Promise((resolve, reject) => {
    execFile(
      CHROMIUM,
      [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        `--user-data-dir=${profile}`,
        '--dump-dom',
        `file://${file}`,
      ],
      { timeout: 60_000, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) =>
        error ? reject(new Error(`chromium failed: ${error.message} ${stderr}`)) : resolve(stdout),
    );
  });
}

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
  });

  afterAll(async () => {
    await h.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('draws a chart for each of the 50 lowest accounts, with top-ups and crossings marked, and lists every account', async () => {
    // Arrange
    const out = join(dir, 'report.html');
    const io = capture();

    // Act
    const code = await reportCommand(['--out', out, '--days', '30', '--now', NOW, ...h.storeArgs], io);
    const html = await readFile(out, 'utf8');
    const dom = await renderInChromium(out, join(dir, 'profile-1'));

    // Assert
    expect(code).toBe(0);
    expect(io.text()).toMatch(/: 74 account\(s\), 50 chart\(s\), 2026-10-28 to 2026-11-27 \(Asia\/Kolkata\)/);
    expect(dom).toMatch(/<body[^>]* data-charts-drawn="50"/);
    expect(dom.match(/<svg [^>]*class="chart-svg"/g)).toHaveLength(50);
    expect(dom).not.toContain('NaN');
    const figure = /<figure class="chart" data-chart="\d+" data-auth-id="([^"]+)">[\s\S]*?<\/figure>/g;
    const charts = new Map([...dom.matchAll(figure)].map((m) => [m[1], m[0]]));
    const moverChart = charts.get(mover) ?? '';
    expect(moverChart).toMatch(/<path d="M[\d.]+ [\d.]+(H[\d.]+V[\d.]+)+H[\d.]+" class="balance">/);
    expect(moverChart.match(/class="topup"/g)).toHaveLength(2);
    // The table counts the step into the window too: 50 + 5000 in, 160 + 4980 out.
    const moverRow =
      html.match(new RegExp(`<tr class="[A-Z]+">(?:(?!</tr>).)*${mover}(?:(?!</tr>).)*</tr>`))?.[0] ?? '';
    expect(moverRow).toContain('5,050.00 (2)');
    expect(moverRow).toContain('5,140.00');
    expect(moverChart.match(/class="crossing crossing-down"/g)).toHaveLength(2);
    expect(moverChart.match(/class="crossing crossing-up"/g)).toHaveLength(1);
    expect(html.match(/<tr class="(CRITICAL|LOW|OK)">/g)).toHaveLength(74);
    expect(html).toMatch(/<table id="totals-table">[\s\S]*<td>INR<\/td>/);
  });

  it('escapes every name: nothing injected runs, and control and direction characters show as text', async () => {
    // Arrange
    const out = join(dir, 'tricky.html');

    // Act
    await reportCommand(['--out', out, '--now', NOW, ...h.storeArgs], capture());
    const html = await readFile(out, 'utf8');
    const dom = await renderInChromium(out, join(dir, 'profile-2'));

    // Assert
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
