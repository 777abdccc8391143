import { describe, expect, it } from 'vitest';
import type { Runway } from '../functions/core/types.ts';
import {
  alignFraction,
  CurrencyDecimals,
  compactAmount,
  compactRunway,
  formatFixed,
  timeLabel,
} from '../functions/finance/report-format.ts';

const known = (hours: number): Runway => ({
  status: 'known',
  hours,
  ratePerHour: '1.0000000000',
  basis: '24h',
  depletionAt: '2026-12-01T00:00:00.000Z',
  computedAt: '2026-11-27T00:00:00.000Z',
});

describe('how the report writes amounts, runways and times', () => {
  it('gives every amount of a currency the decimals its most precise amount needs, never rounding', () => {
    // Arrange
    const decimals = new CurrencyDecimals()
      .see('INR', '100.00000', '185.08079', '-12.50000')
      .see('USD', '10.50000', '3.25000')
      .see('GBP', '2561.28700');

    // Act
    const written = [
      formatFixed('100.00000', decimals.of('INR')),
      formatFixed('-12.50000', decimals.of('INR')),
      formatFixed('3.25000', decimals.of('USD')),
      formatFixed('2561.28700', decimals.of('GBP')),
      formatFixed('987654321098765432109876.54321', 5),
    ];

    // Assert
    expect(written).toEqual([
      '100.00000',
      '-12.50000',
      '3.25',
      '2,561.287',
      '987,654,321,098,765,432,109,876.54321',
    ]);
    expect(decimals.of('AED')).toBe(2);
    expect(decimals.widest(['USD', 'GBP'])).toBe(3);
  });

  it('pads a shorter fraction with figure spaces so decimal points line up in a column', () => {
    // Act
    const padded = alignFraction('3.25', 2, 5);

    // Assert
    expect(padded).toBe('3.25\u2007\u2007\u2007');
    expect(alignFraction('185.08079', 5, 5)).toBe('185.08079');
  });

  it('writes a runway in hours below two days and in days above, short enough for a table cell', () => {
    // Act
    const written = [0.4, 31.4, 47.6, 100.8, 500].map((h) => compactRunway(known(h)));

    // Assert
    expect(written).toEqual(['<1 h', '31 h', '48 h', '4.2 d', '21 d']);
    expect(compactRunway({ status: 'no_spend', computedAt: '2026-11-27T00:00:00.000Z' })).toBe('no spend');
    expect(compactRunway({ status: 'insufficient_history', computedAt: '2026-11-27T00:00:00.000Z' })).toBe(
      '?',
    );
    expect(compactRunway(null)).toBe('');
  });

  it('abbreviates amounts for a chart axis to about three digits', () => {
    // Act
    const written = [
      '0.00000',
      '-0.00100',
      '2.51234',
      '-493.20000',
      '18288.00000',
      '-1250000.00000',
      '3400000000.00000',
      '987654321098765432109876.54321',
    ].map(compactAmount);

    // Assert
    expect(written).toEqual(['0', '0', '2.51', '-493', '18.3k', '-1.25M', '3.4B', '9.8e23']);
  });

  it('labels a time axis with days when it spans days, and with day and time when shorter', () => {
    // Arrange
    const at = Date.parse('2026-11-27T06:00:00.000Z');

    // Act
    const long = timeLabel(at, 10 * 86_400_000, 'Asia/Kolkata');
    const short = timeLabel(at, 86_400_000, 'Asia/Kolkata');

    // Assert
    expect(long).toBe('2026-11-27');
    expect(short).toBe('2026-11-27 11:30');
  });
});
