import { describe, expect, it } from 'vitest';
import { parseSweepConfig, tableWindowDays } from '../functions/core/config.ts';
import { ConfigError } from '../functions/core/errors.ts';

describe('sweep configuration', () => {
  it('fills every setting with its stated default', () => {
    const config = parseSweepConfig({});
    expect(config).toMatchObject({
      timezone: 'Asia/Kolkata',
      threshold: '100.00000',
      critical: '0.00000',
      hysteresisPercent: '10.00000',
      reminderHours: 24,
      concurrency: 8,
      requestsPerSecond: null,
      alertPostpaid: false,
      alertInactive: false,
    });
  });

  it('keeps snapshots in the table for 90 days by default, or the whole retention when that is shorter', () => {
    expect(tableWindowDays(parseSweepConfig({}))).toBe(90);
    expect(parseSweepConfig({}).retentionDays).toBe(400);
    expect(tableWindowDays(parseSweepConfig({ retentionDays: 30 }))).toBe(30);
    expect(tableWindowDays(parseSweepConfig({ tableWindowDays: 120 }))).toBe(120);
  });

  it('turns amounts given as numbers or strings into exact decimals', () => {
    const config = parseSweepConfig({
      threshold: '250.5',
      critical: 10,
      currencyThresholds: { USD: { low: '5' } },
    });
    expect(config.threshold).toBe('250.50000');
    expect(config.critical).toBe('10.00000');
    expect(config.currencyThresholds.USD).toEqual({ low: '5.00000' });
  });

  it.each([
    [{ threshold: 'lots' }, /^options: threshold must be a decimal amount/],
    [{ timezone: 'Mars/Olympus' }, /^options: timezone must be an IANA time zone/],
    [{ concurrency: 0 }, /^options: concurrency /],
    [{ threshold: '10', critical: '20' }, /^options: critical must not be above the low threshold/],
    [
      { currencyThresholds: { usd: { low: '5' } } },
      /^options: currencyThresholds\.usd .*three capital letters/,
    ],
    [
      { currencyThresholds: { USD: { low: '5', critical: '9' } } },
      /^options: currencyThresholds\.USD critical must not be above low/,
    ],
    [{ thresold: '5' }, /^options: unknown setting thresold/],
    [{ tableWindowDays: 7 }, /^options: tableWindowDays must be a whole number of days from 14 to 3650/],
    [
      { retentionDays: 60, tableWindowDays: 90 },
      /^options: tableWindowDays must not be above retentionDays \(the archive keeps what the table lets go\)/,
    ],
  ])('refuses %j with one line naming the setting', (input, message) => {
    let caught: unknown;
    try {
      parseSweepConfig(input, 'options');
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as Error).message).toMatch(message);
    expect((caught as Error).message).not.toContain('\n');
  });
});
