import type { AccountObservation, CustomerContext, PartnerContext } from './account-step.ts';
import type { SweepConfig } from './config.ts';
import type { ForecastSettings } from './forecast.ts';
import type { Observation, PolicySettings } from './policy.ts';
import { type CurrencyDefaults, GLOBAL_DEFAULT_KEY } from './ports.ts';
import type { Account, AccountState, Balance, PartnerProfile } from './types.ts';

/** From the sweep's configuration to what the per-account step is given. */

function policySettings(config: SweepConfig): PolicySettings {
  return {
    hysteresisPercent: config.hysteresisPercent,
    reminderIntervalMs: config.reminderHours * 3_600_000,
    claimLeaseMs: config.claimLeaseMinutes * 60_000,
  };
}

function forecastSettings(config: SweepConfig): ForecastSettings {
  return {
    horizonHours: config.forecastHorizonHours,
    minHistoryHours: config.minHistoryHours,
    spikeFactor: config.spikeFactor,
    spikeMinAmount: config.spikeMinAmount,
    spikeMinAmounts: config.spikeMinAmounts,
  };
}

/** How every customer account of one sweep is judged; `stored` are the defaults kept in the table. */
export function customerContext(
  config: SweepConfig,
  sweepId: string,
  stored: CurrencyDefaults,
): Omit<CustomerContext, 'now'> {
  // The table's `*` entry (set with `thresholds default`) replaces the configured global pair;
  // currency defaults from the table beat the configured ones.
  const { [GLOBAL_DEFAULT_KEY]: storedGlobal, ...storedCurrencies } = stored;
  return {
    kind: 'customer',
    sweepId,
    timezone: config.timezone,
    policy: policySettings(config),
    forecast: forecastSettings(config),
    currencyDefaults: { ...config.currencyThresholds, ...storedCurrencies },
    globalThresholds: storedGlobal
      ? { low: storedGlobal.low, critical: storedGlobal.critical ?? config.critical }
      : { low: config.threshold, critical: config.critical },
  };
}

/** The partner's own wallet: one fixed line, critical at zero. */
export function partnerContext(
  config: SweepConfig,
  sweepId: string,
  threshold: string,
): Omit<PartnerContext, 'now'> {
  return {
    kind: 'partner',
    sweepId,
    policy: policySettings(config),
    thresholds: { low: threshold, critical: '0' },
  };
}

function isAlertable(account: Account, config: SweepConfig): boolean {
  if (account.postpaid && !config.alertPostpaid) return false;
  if ((!account.isActive || !account.enabled) && !config.alertInactive) return false;
  return true;
}

export function customerObservation(
  account: Account,
  balance: Balance,
  observedAt: string,
  config: SweepConfig,
): AccountObservation {
  return {
    authId: account.authId,
    name: balance.name || account.name,
    currency: balance.currency,
    balance: balance.cashCredits,
    observedAt,
    alertable: isAlertable(account, config),
  };
}

/**
 * List mode: the balance as listed, in the currency already stored for the account (a list row does
 * not carry one for sure, so an account is never judged from the list before its first balance read).
 */
export function listedObservation(
  account: Account,
  stored: AccountState,
  listedBalance: string,
  observedAt: string,
  config: SweepConfig,
): AccountObservation {
  return {
    authId: account.authId,
    name: account.name,
    currency: stored.currency,
    balance: listedBalance,
    observedAt,
    alertable: isAlertable(account, config),
  };
}

/** An account the listing did not show, read by id: alerted as it was when last listed. */
export function unlistedObservation(
  stored: AccountState | undefined,
  balance: Balance,
  observedAt: string,
): AccountObservation {
  return {
    authId: balance.authId,
    name: balance.name || stored?.name || balance.authId,
    currency: balance.currency,
    balance: balance.cashCredits,
    observedAt,
    alertable: stored?.alertable ?? true,
  };
}

/** Null when the profile carries no balance. */
export function partnerObservation(profile: PartnerProfile, observedAt: string): Observation | null {
  if (profile.balance === null) return null;
  return {
    authId: profile.authId,
    name: profile.name,
    // /me documents no currency; the partner API is INR-first (see CONTRACT.md §5).
    currency: profile.currency ?? 'INR',
    balance: profile.balance,
    observedAt,
    alertable: true,
  };
}
