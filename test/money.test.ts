import Big from 'big.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  AmountError,
  addAmounts,
  compareAmounts,
  formatAmount,
  isAmount,
  lessThan,
  parseAmount,
  percentOf,
  subtractAmounts,
} from '../functions/core/money.ts';

describe('parseAmount', () => {
  it('keeps the API form of a 5-dp balance', () => {
    expect(parseAmount('1300.00000')).toBe('1300.00000');
  });

  it('pads short fractions to five places and keeps longer ones whole', () => {
    expect(parseAmount('12.5')).toBe('12.50000');
    expect(parseAmount('0.1234567')).toBe('0.1234567');
    expect(parseAmount('7')).toBe('7.00000');
  });

  it('accepts negative balances and writes zero without a sign', () => {
    expect(parseAmount('-12.34567')).toBe('-12.34567');
    expect(parseAmount('-0.00000')).toBe('0.00000');
  });

  it('keeps a 38-digit amount exact where a float would round it', () => {
    const huge = '987654321098765432109876543210123.45678';
    expect(parseAmount(huge)).toBe(huge);
    expect(String(Number(huge))).not.toBe(huge);
  });

  it('refuses more significant digits than DynamoDB stores', () => {
    expect(() => parseAmount('1234567890123456789012345678901234567890', 'cash_credits of MA_X')).toThrow(
      /cash_credits of MA_X has 40 significant digits/,
    );
  });

  it.each(['', ' ', 'abc', '1e3', '1,000.00', 'NaN', 'Infinity', '--1', '1.', '.5', '0x10'])(
    'refuses %j with a message naming the field',
    (text) => {
      expect(() => parseAmount(text, 'threshold')).toThrow(AmountError);
      expect(() => parseAmount(text, 'threshold')).toThrow(/^threshold is not a decimal number/);
    },
  );

  it('refuses a JS number so no float can sneak in', () => {
    expect(isAmount(12.5)).toBe(false);
  });

  it('gives what big.js gives for any decimal text, plain or not', () => {
    // The reference: the value as big.js reads it, written with at least five decimals, -0 as 0.
    const reference = (text: string) => {
      const value = new Big(text.trim());
      const fraction = Math.max(5, value.c.length - value.e - 1);
      return (value.eq(0) ? value.abs() : value).toFixed(fraction);
    };
    const decimals = fc
      .tuple(
        fc.constantFrom('', '-', '+', ' '),
        fc.stringMatching(/^\d{1,36}$/),
        fc.option(fc.stringMatching(/^\d{1,8}$/), { nil: undefined }),
      )
      .map(([sign, whole, fraction]) => `${sign}${whole}${fraction === undefined ? '' : `.${fraction}`}`);

    fc.assert(
      fc.property(decimals, (text) => {
        let expected: string | null;
        try {
          expected = reference(text);
          const big = new Big(text.trim());
          if (Math.max(big.c.length, big.e + 1) > 38) expected = null;
        } catch {
          expected = null;
        }
        if (expected === null) expect(() => parseAmount(text)).toThrow(AmountError);
        else expect(parseAmount(text)).toBe(expected);
      }),
      { numRuns: 5_000 },
    );
  });
});

describe('exact arithmetic', () => {
  it('adds where binary floats drift', () => {
    expect(0.1 + 0.2).not.toBe(0.3);
    expect(addAmounts('0.1', '0.2')).toBe('0.30000');
  });

  it('compares by value, not by text', () => {
    expect(compareAmounts('100', '100.00000')).toBe(0);
    expect(lessThan('99.99999', '100')).toBe(true);
    expect(lessThan('-1', '-0.5')).toBe(true);
  });

  it('subtracts and takes percentages exactly', () => {
    expect(subtractAmounts('100.00001', '0.00002')).toBe('99.99999');
    expect(percentOf('100', '10')).toBe('10.00000');
    expect(percentOf('0.00001', '10')).toBe('0.000001');
  });

  it('adds back what it subtracted, for any amounts', () => {
    const amount = fc
      .tuple(fc.bigInt({ min: -(10n ** 20n), max: 10n ** 20n }), fc.integer({ min: 0, max: 99999 }))
      .map(([whole, frac]) => `${whole}.${String(frac).padStart(5, '0')}`);
    fc.assert(
      fc.property(amount, amount, (a, b) => {
        expect(compareAmounts(addAmounts(subtractAmounts(a, b), b), a)).toBe(0);
      }),
    );
  });
});

describe('addAmounts', () => {
  it('gives what big.js gives for any amounts, plain or not', () => {
    const amount = fc.oneof(
      fc
        .tuple(
          fc.bigInt({ min: -(10n ** 34n), max: 10n ** 34n }),
          fc.nat(99_999),
          fc.integer({ min: 0, max: 5 }),
        )
        .map(([whole, fraction, places]) =>
          places === 0 ? String(whole) : `${whole}.${String(fraction).padStart(5, '0').slice(0, places)}`,
        ),
      fc.constantFrom(
        '0.1234567',
        '007.5',
        '-0.00000',
        '1.',
        '.5',
        '1e3',
        '12345678901234567890123456789012345.5',
      ),
    );
    const reference = (amounts: string[]) => {
      const sum = amounts.reduce((s, a) => s.plus(new Big(a)), new Big(0));
      const fraction = Math.max(5, sum.c.length - sum.e - 1);
      return (sum.eq(0) ? sum.abs() : sum).toFixed(fraction);
    };

    fc.assert(
      fc.property(fc.array(amount, { maxLength: 4 }), (amounts) => {
        expect(addAmounts(...amounts)).toBe(reference(amounts));
      }),
      { numRuns: 5_000 },
    );
  });
});

describe('formatAmount', () => {
  it('groups thousands and keeps every significant digit', () => {
    expect(formatAmount('1234567.50000', 'INR')).toBe('1,234,567.50 INR');
    expect(formatAmount('-0.00001')).toBe('-0.00001');
  });
});
