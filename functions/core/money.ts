import Big from 'big.js';

/**
 * Exact decimal arithmetic for wallet amounts. Amounts travel through the program as
 * canonical decimal strings ("1300.00000") and are only ever turned into `Big`, never
 * into a JS number, so no binary float touches money.
 */

// A private constructor so strict mode (reject JS numbers) cannot leak into, or be
// undone by, other users of big.js in the same process.
const Dec = Big();
Dec.strict = true;
Dec.DP = 10;
Dec.RM = Big.roundHalfEven;
const ZERO = new Dec('0');

/** The scale the Vobiz API writes `cash_credits` with. */
export const API_SCALE = 5;
/** DynamoDB keeps at most 38 significant digits of a number. */
export const MAX_SIGNIFICANT_DIGITS = 38;

// No leading "+": big.js refuses it, and the refusal must be this module's clear message.
const DECIMAL = /^-?\d+(?:\.\d+)?$/;
/** What the API and the table nearly always hold: no leading zero, at most API_SCALE decimals, well under 38 digits. */
const PLAIN = /^(-?)(0|[1-9]\d{0,32})(?:\.(\d{1,5}))?$/;

export class AmountError extends Error {
  override name = 'AmountError';
}

/**
 * Parses a decimal string exactly. Accepts what the API writes ("-12.50000", "0", "1e3" is refused).
 * Returns the canonical form with at least API_SCALE fractional digits, keeping any extra digits.
 */
export function parseAmount(text: string, what = 'amount'): string {
  const trimmed = typeof text === 'string' ? text.trim() : text;
  // Read once per account per sweep: a plain amount is made canonical by padding, without big.js.
  const plain = typeof trimmed === 'string' ? PLAIN.exec(trimmed) : null;
  if (plain) {
    const [, sign, whole, fraction = ''] = plain;
    const digits = fraction.padEnd(API_SCALE, '0');
    // -0 and 0 are one balance (see canonical).
    return `${whole === '0' && /^0+$/.test(digits) ? '' : sign}${whole}.${digits}`;
  }
  if (typeof trimmed !== 'string' || !DECIMAL.test(trimmed)) {
    throw new AmountError(`${what} is not a decimal number: ${JSON.stringify(text)}`);
  }
  const value = new Dec(trimmed);
  const digits = significantDigits(value);
  if (digits > MAX_SIGNIFICANT_DIGITS) {
    throw new AmountError(
      `${what} has ${digits} significant digits, more than the ${MAX_SIGNIFICANT_DIGITS} that can be stored exactly`,
    );
  }
  return canonical(value);
}

/** True when `text` is a decimal string parseAmount would accept. */
export function isAmount(text: unknown): text is string {
  if (typeof text !== 'string') return false;
  try {
    parseAmount(text);
    return true;
  } catch {
    return false;
  }
}

function significantDigits(value: Big): number {
  const coefficient = value.c.length;
  // Trailing zeros of the integer part are not kept in `c`; count digits the way DynamoDB does.
  const integerDigits = value.e + 1;
  return Math.max(coefficient, integerDigits);
}

function canonical(value: Big): string {
  // -0 and 0 are one balance; never write "-0.00000".
  const v = value.eq(ZERO) ? value.abs() : value;
  const fraction = Math.max(API_SCALE, v.c.length - v.e - 1);
  return v.toFixed(fraction);
}

function dec(amount: string): Big {
  return new Dec(amount);
}

/** -1, 0 or 1, exactly. */
export function compareAmounts(a: string, b: string): -1 | 0 | 1 {
  // The same text is the same amount; most balances have not moved since the last sweep.
  if (a === b) return 0;
  return dec(a).cmp(dec(b)) as -1 | 0 | 1;
}

export const lessThan = (a: string, b: string): boolean => compareAmounts(a, b) < 0;
export const atMost = (a: string, b: string): boolean => compareAmounts(a, b) <= 0;
export const greaterThan = (a: string, b: string): boolean => compareAmounts(a, b) > 0;
export const sameAmount = (a: string, b: string): boolean => compareAmounts(a, b) === 0;

export function addAmounts(...amounts: string[]): string {
  // A sweep keeps its totals one balance at a time: plain amounts add as whole numbers of 10^-5.
  let units = 0n;
  for (const amount of amounts) {
    const plain = PLAIN.exec(amount);
    if (!plain) return canonical(amounts.reduce((sum, a) => sum.plus(dec(a)), ZERO));
    const [, sign, whole, fraction = ''] = plain;
    units += BigInt(`${sign}${whole}${fraction.padEnd(API_SCALE, '0')}`);
  }
  return fromUnits(units);
}

/**
 * Running exact totals per currency, as whole numbers of 10^-5 (BigInt), formatted once at the end:
 * adding a balance to a growing total costs the same at the 200,000th account as at the first.
 */
export class AmountSums {
  private readonly units = new Map<string, bigint>();
  /** Amounts with more than API_SCALE decimals (rare): added exactly when the totals are read. */
  private readonly odd = new Map<string, string[]>();

  add(currency: string, amount: string): void {
    const plain = PLAIN.exec(amount);
    if (!plain) {
      const list = this.odd.get(currency);
      if (list) list.push(amount);
      else this.odd.set(currency, [amount]);
      this.units.set(currency, this.units.get(currency) ?? 0n);
      return;
    }
    const [, sign, whole, fraction = ''] = plain;
    const units = BigInt(`${sign}${whole}${fraction.padEnd(API_SCALE, '0')}`);
    this.units.set(currency, (this.units.get(currency) ?? 0n) + units);
  }

  /** Canonical decimal strings per currency. */
  toRecord(): Record<string, string> {
    const record: Record<string, string> = {};
    for (const [currency, units] of this.units) {
      record[currency] = addAmounts(fromUnits(units), ...(this.odd.get(currency) ?? []));
    }
    return record;
  }
}

function fromUnits(units: bigint): string {
  const negative = units < 0n;
  const digits = (negative ? -units : units).toString().padStart(API_SCALE + 1, '0');
  return `${negative ? '-' : ''}${digits.slice(0, -API_SCALE)}.${digits.slice(-API_SCALE)}`;
}

export function subtractAmounts(a: string, b: string): string {
  return canonical(dec(a).minus(dec(b)));
}

/** `amount * percent / 100`, exact (a percentage of a 5-dp amount stays finite). */
export function percentOf(amount: string, percent: string): string {
  return canonical(dec(amount).times(dec(percent)).div(dec('100')));
}

export function isNegative(amount: string): boolean {
  return dec(amount).lt(ZERO);
}

/** For display only: groups thousands, keeps every digit. */
export function formatAmount(amount: string, currency?: string): string {
  const negative = amount.startsWith('-');
  const [whole = '0', fraction] = (negative ? amount.slice(1) : amount).split('.');
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  const trimmedFraction = (fraction ?? '').replace(/0+$/, '').padEnd(2, '0');
  return `${negative ? '-' : ''}${grouped}.${trimmedFraction}${currency ? ` ${currency}` : ''}`;
}

/** a / b to 10 decimal places (rates: money per hour). Throws on division by zero. */
export function divideAmounts(a: string, b: string): string {
  return canonical(dec(a).div(dec(b)));
}

export function timesAmount(a: string, factor: string): string {
  return canonical(dec(a).times(dec(factor)));
}

/** Rounded half-even to `places` decimals, for display (rates); stored amounts are never rounded. */
export function roundAmount(a: string, places: number): string {
  return dec(a).round(places, Big.roundHalfEven).toFixed(places);
}
