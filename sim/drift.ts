import type { DriftKind, RouteName } from './faults.ts';

/**
 * Schema drift: the response a client would get if the API changed under it. Bodies are
 * fresh objects built per request, so they are changed in place.
 */

type Json = Record<string, unknown>;

/** Keys of an account object that are nullable or always null in the schema (§2). */
const OPTIONAL_ACCOUNT_KEYS = [
  'description',
  'gstin',
  'gst_status',
  'address',
  'city',
  'state',
  'zip_code',
  'timezone',
  'referral_code',
  'last_login',
  'base_cps_limit',
  'base_concurrent_calls_limit',
  'purchased_cps',
  'purchased_concurrent_calls',
  'google_id',
  'custom_referrer_reward_amount',
  'custom_referee_reward_amount',
  'auto_recharge_config',
  'pricing_tier',
  'updated_at',
];
const OPTIONAL_ME_KEYS = ['phone', 'slug', 'company', 'default_pricing_tier_id', 'updated_at'];

// JSON.stringify cannot write a number with more digits than a double holds, so a marker
// string stands in for it and serialize() splices the digits in afterwards.
const RAW_MARK = '\u0000raw-number:';
const RAW_PATTERN = /"\\u0000raw-number:(-?\d+(?:\.\d+)?)"/g;

/** The decimal as a JSON number token, written the way a float-minded server would (1300.50000 -> 1300.5). */
export function asRawNumber(decimal: string): string {
  const trimmed = decimal.includes('.') ? decimal.replace(/0+$/, '').replace(/\.$/, '') : decimal;
  return `${RAW_MARK}${trimmed === '-0' ? '0' : trimmed}`;
}

export function serialize(body: unknown): string {
  const text = JSON.stringify(body);
  return text.includes('raw-number:') ? text.replace(RAW_PATTERN, '$1') : text;
}

export function applyDrift(route: RouteName, body: unknown, drift: DriftKind): unknown {
  if (route === 'list') {
    const envelope = body as Json;
    const accounts = envelope.accounts as Json[];
    if (drift === 'wrong-envelope') {
      const { accounts: rows, ...rest } = envelope;
      return { data: rows, ...rest };
    }
    if (drift === 'extra-fields') {
      envelope.has_next = (envelope.page as number) * (envelope.size as number) < (envelope.total as number);
      envelope.request_id = 'req_sim_drift';
    }
    accounts.forEach((account, index) => {
      driftAccount(account, drift, index);
    });
    return envelope;
  }
  if (route === 'account' || route === 'create') {
    if (drift === 'wrong-envelope') return { data: body };
    driftAccount(body as Json, drift, 0);
    return body;
  }
  if (route === 'balance') {
    const balance = body as Json;
    switch (drift) {
      case 'wrong-envelope':
        return [balance];
      case 'extra-fields':
        // The customer-side balance API's keys (§12), as if the two APIs had been merged.
        balance.reserved_funds = '0.00000';
        balance.available_balance = balance.cash_credits;
        balance.low_balance_threshold = 50;
        return balance;
      case 'missing-optional':
        delete balance.updated_at;
        return balance;
      default:
        return driftBalanceKey(balance, 'cash_credits', drift);
    }
  }
  if (route === 'me') {
    const me = body as Json;
    switch (drift) {
      case 'wrong-envelope':
        return { data: me };
      case 'extra-fields':
        // PROF's key-field table lists a currency the schema lacks (§5).
        me.currency = 'INR';
        me.region = 'ap-south-1';
        return me;
      case 'missing-optional':
        for (const key of OPTIONAL_ME_KEYS) delete me[key];
        return me;
      default:
        return driftBalanceKey(me, 'balance', drift);
    }
  }
  return body;
}

/**
 * Beyond the nullable keys, the docs' single-account example leaves keys out that the
 * schema calls required (§3), so some rows also lose one of these, in turn.
 */
const SOMETIMES_MISSING = ['email', 'country', 'name'];

function driftAccount(account: Json, drift: DriftKind, index: number): void {
  switch (drift) {
    case 'extra-fields':
      account.wallet = {
        currency: (account.pricing_tier as Json | undefined)?.currency ?? 'INR',
        locked: false,
      };
      account.credit_limit = '0.00000';
      account.x_internal_score = 0.93;
      return;
    case 'missing-optional':
      for (const key of OPTIONAL_ACCOUNT_KEYS) delete account[key];
      if (index % 2 === 1)
        delete account[SOMETIMES_MISSING[((index - 1) / 2) % SOMETIMES_MISSING.length] as string];
      return;
    default:
      driftBalanceKey(account, 'cash_credits', drift);
  }
}

function driftBalanceKey(object: Json, key: string, drift: DriftKind): Json {
  if (drift === 'number-balance' && typeof object[key] === 'string')
    object[key] = asRawNumber(object[key] as string);
  if (drift === 'missing-balance') delete object[key];
  return object;
}
