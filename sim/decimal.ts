/**
 * The simulator's own exact decimals, so a bug in the product's money parsing cannot hide behind
 * a shared helper. The API writes balances as strings with five decimal places; here they are
 * whole numbers of 10^-5 (BigInt), which add exactly at any size. Unlike the product, the simulator
 * sets no limit on the number of digits: it must be able to serve a balance the monitor refuses.
 */

export const PLACES = 5;

const DECIMAL = /^(-?)(\d+)(?:\.(\d+))?$/;

export class DecimalError extends Error {
  override name = 'DecimalError';
}

/** Parses "12.5", "-0.00001" or "1300" exactly; more than five places, exponents or signs like "+" are refused. */
export function toUnits(text: string, what: string): bigint {
  const match = typeof text === 'string' ? DECIMAL.exec(text.trim()) : null;
  if (!match) throw new DecimalError(`${what} is not a decimal string: ${JSON.stringify(text)}`);
  const [, sign, whole, fraction = ''] = match;
  if (fraction.length > PLACES) {
    throw new DecimalError(
      `${what} has more than ${PLACES} decimal places (the API writes ${PLACES}): ${JSON.stringify(text)}`,
    );
  }
  return BigInt(`${sign}${whole}${fraction.padEnd(PLACES, '0')}`);
}

/** The API's form: at least one integer digit, exactly five places, no sign on zero. */
export function formatUnits(units: bigint): string {
  const negative = units < 0n;
  const digits = (negative ? -units : units).toString().padStart(PLACES + 1, '0');
  return `${negative ? '-' : ''}${digits.slice(0, -PLACES)}.${digits.slice(-PLACES)}`;
}

/** `text` in the API's form: "12.5" becomes "12.50000". */
export function toApiAmount(text: string, what: string): string {
  return formatUnits(toUnits(text, what));
}

/** `balance` moved by `delta` (either sign), in the API's form. */
export function moveBalance(balance: string, delta: string): string {
  return formatUnits(toUnits(balance, 'balance') + toUnits(delta, 'delta'));
}
