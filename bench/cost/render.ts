import type { CostLine, Estimate } from './model.ts';
import { PRICES, type Price, READ_ON, REGION } from './prices.ts';

/** The estimate as a person reads it: one line per item, the total, what dominates, the notes. */

const usd = (x: number) => (x >= 0.005 || x === 0 ? x.toFixed(2) : x.toFixed(4));
const count = new Intl.NumberFormat('en-US', { maximumFractionDigits: 2 });

export function unitPrice(line: CostLine): string {
  const price: Price = PRICES[line.price];
  const per = price.per === 1 ? '' : ` per ${count.format(price.per)}`;
  return `$${price.usd}${per} ${price.unit}${price.check === 'unconfirmed' ? ' (unconfirmed)' : ''}`;
}

export function describeCase(e: Estimate, balanceSource: string, engine: string): string {
  const { options: o } = e;
  return (
    `${o.accounts.toLocaleString('en-US')} accounts, a sweep every ${o.periodMinutes} minutes, ` +
    `${(o.movedFraction * 100).toFixed(1)}% of balances moving per sweep (${o.movers} movers), ` +
    `balance source ${balanceSource}, engine ${engine}`
  );
}

export function renderText(e: Estimate, balanceSource: string, engine: string): string {
  const rows = e.lines.map((l) => [
    l.service,
    l.what,
    `${count.format(l.quantity)} ${l.unit}`,
    unitPrice(l),
    usd(l.usd),
    l.basis,
  ]);
  const header = ['service', 'what', 'quantity', 'unit price', '$/month', 'basis'];
  const widths = header.map((h, i) =>
    Math.max(h.length, ...rows.map((r) => (i === 1 ? 0 : (r[i] ?? '').length))),
  );
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === 1 ? c : i === 4 ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0)))
      .filter((_, i) => i !== 1)
      .join('  ')
      .concat(`\n    ${cells[1]}`);
  const out = [
    `Monthly estimate: ${describeCase(e, balanceSource, engine)}`,
    `List prices, ${REGION}, before free tiers, as written down on ${READ_ON} (bench/cost/prices.ts: sources, and which could not be confirmed offline)`,
    e.movers,
    '',
    line(header).split('\n')[0] as string,
    ...rows.map(line),
    '',
    `Total: $${e.total.toFixed(2)} a month`,
    `Dominant lines: ${dominant(e)
      .map(
        (l) =>
          `${l.service} ${l.what.split(':')[0]} $${usd(l.usd)} (${((l.usd / e.total) * 100).toFixed(0)}%)`,
      )
      .join('; ')}`,
    '',
    'Notes:',
    ...e.notes.map((n) => `- ${n}`),
  ];
  return `${out.join('\n')}\n`;
}

/** The lines that make up most of the bill, largest first. */
export function dominant(e: Estimate, share = 0.8): CostLine[] {
  const sorted = [...e.lines].sort((a, b) => b.usd - a.usd);
  const picked: CostLine[] = [];
  let sum = 0;
  for (const l of sorted) {
    if (sum >= share * e.total || l.usd <= 0) break;
    picked.push(l);
    sum += l.usd;
  }
  return picked;
}

/** Several cases side by side, one row per line (by service and the start of its description). */
export function renderMatrix(cases: Array<{ title: string; estimate: Estimate }>): string {
  const keys: string[] = [];
  const cell = new Map<string, number>();
  for (const [i, c] of cases.entries()) {
    for (const l of c.estimate.lines) {
      const key = `${l.service}: ${l.what.split(':')[0]}`;
      if (!keys.includes(key)) keys.push(key);
      cell.set(`${i}\u0000${key}`, (cell.get(`${i}\u0000${key}`) ?? 0) + l.usd);
    }
  }
  const rows = keys
    .filter((k) => cases.some((_, i) => (cell.get(`${i}\u0000${k}`) ?? 0) >= 0.005))
    .map((k) => `| ${k} | ${cases.map((_, i) => usd(cell.get(`${i}\u0000${k}`) ?? 0)).join(' | ')} |`);
  return [
    `| line | ${cases.map((c) => c.title).join(' | ')} |`,
    `| --- | ${cases.map(() => '---:').join(' | ')} |`,
    ...rows,
    `| **total** | ${cases.map((c) => `**${c.estimate.total.toFixed(2)}**`).join(' | ')} |`,
    `| fits its time? | ${cases.map((c) => (c.estimate.notes.some((n) => n.startsWith('DOES NOT FIT')) ? 'no: incomplete sweeps' : 'yes')).join(' | ')} |`,
  ].join('\n');
}
