import { formatAmount, lessThan, roundAmount, timesAmount } from '../core/money.ts';
import type { Runway } from '../core/types.ts';
import { localDateTime, localDay } from './calendar.ts';

/**
 * How the report writes amounts, runways and times: every amount of a currency with the same
 * number of decimals (as many as the most precise of them needs, so nothing is rounded),
 * runways short enough for a table cell, chart labels short enough for a chart's margin.
 */

/** Decimals an amount needs to be shown exactly. */
export function decimalsOf(amount: string): number {
  return (amount.split('.')[1] ?? '').replace(/0+$/, '').length;
}

/** Per currency, the decimals that show every amount of it exactly, and never fewer than 2. */
export class CurrencyDecimals {
  private readonly places = new Map<string, number>();

  see(currency: string, ...amounts: string[]): this {
    let places = this.places.get(currency) ?? 2;
    for (const amount of amounts) places = Math.max(places, decimalsOf(amount));
    this.places.set(currency, places);
    return this;
  }

  of(currency: string): number {
    return this.places.get(currency) ?? 2;
  }

  /** The most any of these currencies uses: a column pads to it so decimal points line up. */
  widest(currencies: Iterable<string>): number {
    let widest = 2;
    for (const currency of currencies) widest = Math.max(widest, this.of(currency));
    return widest;
  }
}

/** "1,234.50000" for places 5: grouped, exact, never shortened below what the amount needs. */
export function formatFixed(amount: string, places: number): string {
  const text = formatAmount(amount);
  const [whole, fraction = ''] = text.split('.');
  return `${whole}.${fraction.padEnd(places, '0')}`;
}

/** Figure spaces are as wide as a digit and do not break: they align a shorter fraction. */
export function alignFraction(text: string, places: number, columnPlaces: number): string {
  return text + '\u2007'.repeat(Math.max(0, columnPlaces - places));
}

/** "31 h", "4.2 d", "no spend"; the long form (describeRunway) goes in a tooltip. */
export function compactRunway(runway: Runway | null): string {
  if (!runway) return '';
  if (runway.status === 'no_spend') return 'no spend';
  if (runway.status !== 'known') return '?';
  if (runway.hours < 1) return '<1 h';
  if (runway.hours < 48) return `${Math.round(runway.hours)} h`;
  const days = runway.hours / 24;
  return days < 10 ? `${days.toFixed(1)} d` : `${Math.round(days)} d`;
}

const UNITS: ReadonlyArray<readonly [string, string, string]> = [
  ['1000000000000', '0.000000000001', 'T'],
  ['1000000000', '0.000000001', 'B'],
  ['1000000', '0.000001', 'M'],
  ['1000', '0.001', 'k'],
];

/**
 * An approximate amount for a chart's value axis ("18.3k", "-493", "2.51"): the chart places
 * it by eye; the table and the markers' tooltips hold the exact amounts.
 */
export function compactAmount(amount: string): string {
  const negative = amount.startsWith('-');
  const magnitude = negative ? amount.slice(1) : amount;
  const text = compactMagnitude(magnitude);
  return negative && text !== '0' ? `-${text}` : text;
}

function compactMagnitude(magnitude: string): string {
  for (const [unit, inverse, suffix] of UNITS) {
    if (lessThan(magnitude, unit)) continue;
    const scaled = timesAmount(magnitude, inverse);
    if (suffix === 'T' && !lessThan(scaled, '1000')) {
      // Past trillions a suffix no longer reads: the leading digits and the power of ten.
      const digits = magnitude.split('.')[0] ?? '';
      return `${digits[0]}.${digits[1] ?? '0'}e${digits.length - 1}`;
    }
    return `${threeDigits(scaled)}${suffix}`;
  }
  return threeDigits(magnitude);
}

/** About three significant digits: 2.51, 18.3, 493. */
function threeDigits(magnitude: string): string {
  const places = lessThan(magnitude, '10') ? 2 : lessThan(magnitude, '100') ? 1 : 0;
  return stripZeros(roundAmount(magnitude, places));
}

function stripZeros(text: string): string {
  return text.includes('.') ? text.replace(/\.?0+$/, '') : text;
}

/** A time-axis label in the partner's zone: the day when the chart spans days, else day and time. */
export function timeLabel(ms: number, spanMs: number, timeZone: string): string {
  const iso = new Date(ms).toISOString();
  return spanMs >= 3 * 86_400_000 ? localDay(iso, timeZone) : localDateTime(iso, timeZone);
}
