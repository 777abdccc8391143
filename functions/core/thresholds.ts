import { addAmounts, isNegative, lessThan, parseAmount, percentOf, subtractAmounts } from './money.ts';
import type { ThresholdOverride, Thresholds } from './types.ts';

/**
 * Which thresholds apply to an account, and where a LOW account counts as recovered.
 * Pure: the caller merges configuration and store defaults and passes them in.
 */

/**
 * The per-account override wins, else the currency's default, else the global pair.
 * A layer without its own critical borrows the critical of the next layer down, and a
 * critical above low is clamped to low: a stored override is set without a redeploy and
 * may never have been validated against the layers below it, so the result is made sane here.
 * Amounts are canonicalised; an override that is not a decimal throws AmountError.
 */
export function resolveThresholds(
  override: ThresholdOverride | null,
  currency: string,
  currencyDefaults: Record<string, ThresholdOverride>,
  global: Thresholds,
): Thresholds {
  const currencyDefault = currencyDefaults[currency] ?? currencyDefaults[currency.toUpperCase()] ?? null;
  const layers: Array<{ pair: ThresholdOverride; what: string }> = [];
  if (override) layers.push({ pair: override, what: 'account threshold override' });
  if (currencyDefault) layers.push({ pair: currencyDefault, what: `${currency} threshold default` });
  layers.push({ pair: global, what: 'global threshold' });

  const top = layers[0] as (typeof layers)[number];
  const low = parseAmount(top.pair.low, `${top.what} low`);
  const withCritical = layers.find((layer) => layer.pair.critical !== undefined);
  // The global layer always carries a critical, so `withCritical` is only undefined for a malformed global.
  const critical = parseAmount(
    withCritical?.pair.critical ?? '0',
    `${withCritical?.what ?? 'global threshold'} critical`,
  );
  return { low, critical: lessThan(low, critical) ? low : critical };
}

/**
 * The balance a LOW or CRITICAL account must rise above to be OK again:
 * low + low * percent / 100. The margin is never negative (a negative low or percent
 * would otherwise put the recovery line below low and let the account flap).
 */
export function recoveryLevel(thresholds: Thresholds, hysteresisPercent: string): string {
  const margin = percentOf(thresholds.low, hysteresisPercent);
  return isNegative(margin) ? parseAmount(thresholds.low) : addAmounts(thresholds.low, margin);
}

/**
 * The balance a CRITICAL account must rise above to be merely LOW:
 * critical + (low - critical) * percent / 100. Without it a wallet hovering around the
 * critical level (zero by default) would alternate critical and low notices every sweep.
 */
export function criticalRecoveryLevel(thresholds: Thresholds, hysteresisPercent: string): string {
  const margin = percentOf(subtractAmounts(thresholds.low, thresholds.critical), hysteresisPercent);
  return isNegative(margin) ? parseAmount(thresholds.critical) : addAmounts(thresholds.critical, margin);
}
