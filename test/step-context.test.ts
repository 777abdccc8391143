import { describe, expect, it } from 'vitest';
import { parseSweepConfig } from '../functions/core/config.ts';
import { customerContext, partnerObservation } from '../functions/core/step-context.ts';

const config = parseSweepConfig({
  threshold: '100',
  critical: '10',
  currencyThresholds: { USD: { low: '5' }, EUR: { low: '4' } },
});

describe('customerContext', () => {
  it("lets the table's global default replace the configured pair, borrowing the configured critical", () => {
    // Arrange, Act
    const context = customerContext(config, 'sweep-1', { '*': { low: '5000' } });

    // Assert
    expect(context.globalThresholds).toEqual({ low: '5000', critical: '10.00000' });
  });

  it('lets a currency default kept in the table beat the configured one for that currency only', () => {
    // Arrange, Act
    const context = customerContext(config, 'sweep-1', { USD: { low: '7' } });

    // Assert
    expect(context.currencyDefaults).toEqual({ USD: { low: '7' }, EUR: { low: '4.00000' } });
    expect(context.globalThresholds).toEqual({ low: '100.00000', critical: '10.00000' });
  });
});

describe('partnerObservation', () => {
  it('reads a profile without a currency as INR, and a profile without a balance as nothing', () => {
    // Arrange
    const profile = { authId: 'MA_P', name: 'Partner', balance: '10.00000', currency: null, accountCount: 3 };

    // Act
    const observed = partnerObservation(profile, '2026-11-27T00:00:00.000Z');
    const empty = partnerObservation({ ...profile, balance: null }, '2026-11-27T00:00:00.000Z');

    // Assert
    expect(observed).toMatchObject({ authId: 'MA_P', currency: 'INR', balance: '10.00000', alertable: true });
    expect(empty).toBeNull();
  });
});
