import { describe, expect, it } from 'vitest';
import { parseSweepConfig } from '../functions/core/config.ts';
import { customerContext, customerObservation, partnerObservation } from '../functions/core/step-context.ts';
import type { Account } from '../functions/core/types.ts';

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

describe('customerObservation', () => {
  const account: Account = {
    authId: 'MA_C',
    name: 'Listed Name',
    email: null,
    country: 'IN',
    postpaid: false,
    isActive: true,
    enabled: true,
    listedBalance: '1.00000',
    createdAt: null,
  };
  const balance = { authId: 'MA_C', name: '', cashCredits: '42.00000', currency: 'INR', updatedAt: null };

  it('takes the balance from the balance endpoint and the listed name when that endpoint gives none', () => {
    // Arrange, Act
    const observed = customerObservation(account, balance, '2026-11-27T00:00:00.000Z', config);

    // Assert
    expect(observed).toEqual({
      authId: 'MA_C',
      name: 'Listed Name',
      currency: 'INR',
      balance: '42.00000',
      observedAt: '2026-11-27T00:00:00.000Z',
      alertable: true,
    });
  });

  it('does not alert postpaid, inactive or disabled accounts unless configured to', () => {
    // Arrange
    const kinds = [{ postpaid: true }, { isActive: false }, { enabled: false }];
    const alertAll = parseSweepConfig({ alertPostpaid: true, alertInactive: true });

    // Act
    const byDefault = kinds.map(
      (k) => customerObservation({ ...account, ...k }, balance, 'x', config).alertable,
    );
    const configured = kinds.map(
      (k) => customerObservation({ ...account, ...k }, balance, 'x', alertAll).alertable,
    );

    // Assert
    expect(byDefault).toEqual([false, false, false]);
    expect(configured).toEqual([true, true, true]);
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
