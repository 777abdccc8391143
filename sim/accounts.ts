import { moveBalance, toApiAmount } from './decimal.ts';
import { drawNameKind, generateName, type NameKind } from './names.ts';
import { Prng, uuidFrom } from './prng.ts';

/**
 * The simulator's customer accounts. Hundreds of thousands must be seeded in well under a
 * second, so a record keeps only what lists, search, balances and ordering need; the rest
 * of the account object (token, uuid, address, ...) is derived on demand from the record's
 * key, which makes it just as deterministic as if it had been stored.
 */

export interface PricingTier {
  id: string;
  name: string;
  currency: string;
  rate_per_minute: number;
  streaming_rate_per_minute: number;
  recording_rate_per_minute: number;
  whatsapp_voice_rate: number;
  transcription_rate_per_minute: number;
  pii_redaction_rate_per_minute: number;
  charge_non_connected_calls: boolean;
  non_connected_call_fee: number;
  did_release_fee: number;
  is_active: boolean;
  is_default: boolean;
  partner_id: string | null;
}

/** The full account object of the contract (§2), as list rows and GET /accounts/{id} return it. */
export interface SimAccount {
  id: string;
  auth_id: string;
  api_id: string;
  name: string;
  email: string;
  phone: string;
  company: string;
  description: string | null;
  account_type: string;
  role: string;
  country: string;
  billing_mode: string;
  cash_credits: string;
  postpaid: boolean;
  auto_recharge: boolean;
  auto_recharge_config: null;
  is_active: boolean;
  is_verified: boolean;
  is_trial_account: boolean;
  enabled: boolean;
  kyc_status: string;
  business_type: string;
  gstin: string | null;
  gst_status: string | null;
  tds_enabled: boolean;
  tds_percentage: number;
  address: string | null;
  city: string | null;
  state: string | null;
  zip_code: string | null;
  timezone: string | null;
  cps_limit: number;
  concurrent_calls_limit: number;
  base_cps_limit: null;
  base_concurrent_calls_limit: null;
  purchased_cps: null;
  purchased_concurrent_calls: null;
  pricing_tier_id: string;
  pricing_tier: PricingTier;
  partner_id: string;
  referral_code: string | null;
  referral_disabled: boolean;
  custom_referrer_reward_amount: null;
  custom_referee_reward_amount: null;
  google_id: null;
  last_login: string | null;
  resource_uri: string;
  auth_token: string;
  created_at: string;
  updated_at: string;
}

export interface BalanceBody {
  auth_id: string;
  name: string;
  cash_credits: string;
  currency: string;
  updated_at: string;
}

export type NewAccountFields = Partial<{
  name: string;
  email: string;
  cash_credits: string;
  postpaid: boolean;
  is_active: boolean;
  enabled: boolean;
  country: string;
  phone: string;
  company: string;
}>;

export const CURRENCY_BY_COUNTRY: Readonly<Record<string, string>> = {
  IN: 'INR',
  US: 'USD',
  GB: 'GBP',
  AE: 'AED',
  SG: 'SGD',
};

function currencyIndex(currency: string): number {
  return Object.values(CURRENCY_BY_COUNTRY).indexOf(currency) + 1;
}

export function currencyOf(country: string): string {
  return CURRENCY_BY_COUNTRY[country.toUpperCase()] ?? 'INR';
}

/** The two huge balances: more digits than a double holds, fewer than DynamoDB's 38. */
const HUGE_BALANCES = ['987654321098765432109876.54321', '123456789012345678901234.56789'];

/** Seeded accounts are created between these instants, oldest first. */
const SEED_START_MS = Date.UTC(2024, 0, 1);
const SEED_END_MS = Date.UTC(2026, 4, 6, 7, 12, 40, 437);

/** How a record writes its timestamps: both forms of the contract (§2, §5) appear. */
type StampStyle = 0 | 1 | 2;

class AccountRecord {
  nameLower: string | undefined;
  emailLower: string | undefined;
  /** Fields given at creation that would otherwise be derived (phone, company). */
  extra: { phone?: string; company?: string } | undefined;

  constructor(
    readonly authId: string,
    readonly seq: number,
    public name: string,
    readonly email: string,
    public cashCredits: string,
    public postpaid: boolean,
    public isActive: boolean,
    public enabled: boolean,
    readonly country: string,
    readonly createdMs: number,
    public updatedMs: number,
    readonly micros: number,
    readonly style: StampStyle,
    readonly key: number,
  ) {}
}

export type { AccountRecord };

export interface ListResult {
  records: AccountRecord[];
  total: number;
}

export class AccountStore {
  /** Oldest first, so adding or removing at the head of the list is a push or a pop. */
  private readonly rows: AccountRecord[] = [];
  private readonly byId = new Map<string, AccountRecord>();
  private readonly emails = new Set<string>();
  private readonly tiers = new Map<string, PricingTier>();
  /** Draws for accounts added after seeding; its own stream so seeding stays independent of them. */
  private readonly rng: Prng;
  private nextSeq = 0;
  readonly partnerUuid: string;

  constructor(
    private readonly seed: number,
    count: number,
  ) {
    const seeding = new Prng(seed, 1);
    this.partnerUuid = uuidFrom(new Prng(seed, 3));
    this.rng = new Prng(seed, 2);
    this.seedAccounts(seeding, count);
  }

  get size(): number {
    return this.rows.length;
  }

  get(authId: string): AccountRecord | undefined {
    return this.byId.get(authId);
  }

  /** Newest first, like the list endpoint. */
  ids(): string[] {
    const out = new Array<string>(this.rows.length);
    for (let i = 0; i < this.rows.length; i++)
      out[i] = (this.rows[this.rows.length - 1 - i] as AccountRecord).authId;
    return out;
  }

  /** One page of the list, newest first, optionally filtered by a case-insensitive substring of name or email. */
  list(page: number, perPage: number, search: string | undefined): ListResult {
    const start = (page - 1) * perPage;
    if (!search) {
      const total = this.rows.length;
      const records: AccountRecord[] = [];
      for (let k = start; k < Math.min(start + perPage, total); k++) {
        records.push(this.rows[total - 1 - k] as AccountRecord);
      }
      return { records, total };
    }
    const needle = search.toLowerCase();
    const records: AccountRecord[] = [];
    let total = 0;
    for (let i = this.rows.length - 1; i >= 0; i--) {
      const r = this.rows[i] as AccountRecord;
      r.nameLower ??= r.name.toLowerCase();
      r.emailLower ??= r.email.toLowerCase();
      if (r.nameLower.includes(needle) || r.emailLower.includes(needle)) {
        if (total >= start && total < start + perPage) records.push(r);
        total++;
      }
    }
    return { records, total };
  }

  hasEmail(email: string): boolean {
    return this.emails.has(email.toLowerCase());
  }

  /** Inserts a new account at the head of the list (the newest). */
  add(fields: NewAccountFields = {}): AccountRecord {
    const seq = this.nextSeq++;
    const authId = this.uniqueAuthId(this.rng);
    const generated = generateName(this.rng, drawNameKind(this.rng));
    const name = fields.name ?? generated.name;
    const email = fields.email ?? makeEmail(this.rng, generated.emailLocal, seq);
    if (this.emails.has(email.toLowerCase()))
      throw new Error(`an account with email ${email} already exists`);
    const country = (fields.country ?? 'IN').toUpperCase();
    const newest = this.rows[this.rows.length - 1];
    // A whole second after the current head, so even the second-precision stamps keep the order.
    const createdMs = Math.max(Date.now(), newest ? newest.createdMs + 1000 : 0);
    const record = new AccountRecord(
      authId,
      seq,
      name,
      email,
      fields.cash_credits === undefined ? '0.00000' : toApiAmount(fields.cash_credits, 'cash_credits'),
      fields.postpaid ?? false,
      fields.is_active ?? true,
      fields.enabled ?? true,
      country,
      createdMs,
      createdMs,
      this.rng.int(0, 999),
      (seq % 3) as StampStyle,
      this.rng.nextU32(),
    );
    if (fields.phone !== undefined || fields.company !== undefined) {
      record.extra = {};
      if (fields.phone !== undefined) record.extra.phone = fields.phone;
      if (fields.company !== undefined) record.extra.company = fields.company;
    }
    this.insert(record);
    return record;
  }

  remove(authId: string): boolean {
    const record = this.byId.get(authId);
    if (!record) return false;
    const last = this.rows.length - 1;
    const index = this.rows[last] === record ? last : this.rows.lastIndexOf(record);
    this.rows.splice(index, 1);
    this.forget(record);
    return true;
  }

  /** Removes up to `count` accounts from the head of the list; returns their ids. */
  removeNewest(count: number): string[] {
    const removed: string[] = [];
    for (let i = 0; i < count && this.rows.length > 0; i++) {
      const record = this.rows.pop() as AccountRecord;
      this.forget(record);
      removed.push(record.authId);
    }
    return removed;
  }

  setBalance(authId: string, cashCredits: string): AccountRecord {
    const record = this.require(authId);
    record.cashCredits = toApiAmount(cashCredits, 'cash_credits');
    record.updatedMs = Math.max(Date.now(), record.createdMs);
    return record;
  }

  adjustBalance(authId: string, delta: string): AccountRecord {
    const record = this.require(authId);
    record.cashCredits = moveBalance(record.cashCredits, delta);
    record.updatedMs = Math.max(Date.now(), record.createdMs);
    return record;
  }

  /** The customer's own secret, derived from the record's key. */
  tokenOf(record: AccountRecord): string {
    return new Prng(record.key, 11).hex(40);
  }

  balanceOf(record: AccountRecord): BalanceBody {
    return {
      auth_id: record.authId,
      name: record.name,
      cash_credits: record.cashCredits,
      currency: currencyOf(record.country),
      updated_at: stamp(record.updatedMs, record.micros, record.style),
    };
  }

  toAccount(record: AccountRecord): SimAccount {
    const d = new Prng(record.key, 7);
    const country = record.country;
    const tier = this.tierFor(currencyOf(country));
    const business = d.next() < 0.4;
    const gstin = country === 'IN' && business && d.next() < 0.7 ? gstinFrom(d) : null;
    const place = d.next() < 0.7 ? d.pick(PLACES[country] ?? PLACES.IN ?? []) : null;
    const tdsEnabled = country === 'IN' && d.next() < 0.2;
    const loginMs =
      d.next() < 0.7
        ? record.createdMs + Math.floor(d.next() * Math.max(0, SEED_END_MS - record.createdMs))
        : null;
    return {
      id: String(600001 + record.seq),
      auth_id: record.authId,
      api_id: uuidFrom(d),
      name: record.name,
      email: record.email,
      phone: record.extra?.phone ?? phoneFor(d, country),
      company: record.extra?.company ?? (business ? record.name : ''),
      description: d.next() < 0.2 ? d.pick(DESCRIPTIONS) : null,
      account_type: 'standard',
      role: 'user',
      country,
      billing_mode: record.postpaid ? 'postpaid' : 'prepaid',
      cash_credits: record.cashCredits,
      postpaid: record.postpaid,
      auto_recharge: false,
      auto_recharge_config: null,
      is_active: record.isActive,
      is_verified: d.next() < 0.8,
      is_trial_account: d.next() < 0.05,
      enabled: record.enabled,
      kyc_status: d.pick(KYC_STATUSES),
      business_type: business ? d.pick(BUSINESS_TYPES) : 'individual',
      gstin,
      gst_status: gstin ? 'active' : null,
      tds_enabled: tdsEnabled,
      tds_percentage: tdsEnabled ? 2 : 0,
      address: place ? `${d.int(1, 999)}, ${place[3]}` : null,
      city: place?.[0] ?? null,
      state: place?.[1] ?? null,
      zip_code: place ? place[2] : null,
      timezone: d.next() < 0.8 ? (TIMEZONES[country] ?? 'Asia/Kolkata') : null,
      cps_limit: d.pick([1, 2, 5, 10]),
      concurrent_calls_limit: d.pick([2, 5, 10, 20, 50]),
      base_cps_limit: null,
      base_concurrent_calls_limit: null,
      purchased_cps: null,
      purchased_concurrent_calls: null,
      pricing_tier_id: tier.id,
      pricing_tier: { ...tier },
      partner_id: this.partnerUuid,
      referral_code: d.next() < 0.5 ? `REF${d.hex(6).toUpperCase()}` : null,
      referral_disabled: d.next() < 0.1,
      custom_referrer_reward_amount: null,
      custom_referee_reward_amount: null,
      google_id: null,
      last_login:
        loginMs === null ? null : stamp(loginMs, record.micros, ((record.style + 1) % 3) as StampStyle),
      resource_uri: `/v1/Account/${record.authId}/`,
      auth_token: this.tokenOf(record),
      created_at: stamp(record.createdMs, record.micros, record.style),
      updated_at: stamp(record.updatedMs, record.micros, record.style),
    };
  }

  tierId(currency: string): string {
    return this.tierFor(currency).id;
  }

  private tierFor(currency: string): PricingTier {
    let tier = this.tiers.get(currency);
    if (!tier) {
      const rates = RATES[currency] ?? RATES.INR ?? [0.45, 0.1];
      tier = {
        // A stream per currency, so the id does not depend on which currency was asked for first.
        id: uuidFrom(new Prng(this.seed, 100 + currencyIndex(currency))),
        name: `Standard ${currency}`,
        currency,
        rate_per_minute: rates[0] ?? 0,
        streaming_rate_per_minute: rates[1] ?? 0,
        recording_rate_per_minute: rates[1] ?? 0,
        whatsapp_voice_rate: rates[0] ?? 0,
        transcription_rate_per_minute: rates[1] ?? 0,
        pii_redaction_rate_per_minute: rates[1] ?? 0,
        charge_non_connected_calls: false,
        non_connected_call_fee: 0,
        did_release_fee: 0,
        is_active: true,
        is_default: true,
        partner_id: null,
      };
      this.tiers.set(currency, tier);
    }
    return tier;
  }

  private require(authId: string): AccountRecord {
    const record = this.byId.get(authId);
    if (!record) throw new Error(`no account ${authId}`);
    return record;
  }

  private insert(record: AccountRecord): void {
    this.rows.push(record);
    this.byId.set(record.authId, record);
    this.emails.add(record.email.toLowerCase());
  }

  private forget(record: AccountRecord): void {
    this.byId.delete(record.authId);
    this.emails.delete(record.email.toLowerCase());
  }

  private uniqueAuthId(rng: Prng): string {
    for (;;) {
      let id = 'MA_';
      for (let i = 0; i < 8; i++) id += ALNUM.charAt(rng.nextU32() % 36);
      if (!this.byId.has(id)) return id;
    }
  }

  private seedAccounts(rng: Prng, count: number): void {
    const forced = forcedTraits(rng, count);
    const step = Math.max(2000, Math.floor((SEED_END_MS - SEED_START_MS) / Math.max(count, 1)));
    for (let i = 0; i < count; i++) {
      const traits = forced.get(i);
      const authId = this.uniqueAuthId(rng);
      const kind = traits?.name ?? drawNameKind(rng);
      const generated = generateName(rng, kind);
      const seq = this.nextSeq++;
      const createdMs = SEED_START_MS + i * step + rng.int(0, Math.floor(step / 2) - 1);
      const updatedMs = createdMs + Math.floor(rng.next() * Math.max(0, SEED_END_MS - createdMs));
      const r = rng.next();
      // Always drawn, forced or not, so one forced trait does not reshuffle every later account.
      const postpaid = rng.next() < 0.03;
      const inactive = rng.next() < 0.03;
      const disabled = rng.next() < 0.02;
      const record = new AccountRecord(
        authId,
        seq,
        generated.name,
        makeEmail(rng, generated.emailLocal, seq),
        traits?.balance ? balanceOfKind(rng, traits.balance) : balanceOfKind(rng, drawBalanceKind(rng)),
        traits?.flag === 'postpaid' || postpaid,
        !(traits?.flag === 'inactive' || inactive),
        !(traits?.flag === 'disabled' || disabled),
        r < 0.8 ? 'IN' : r < 0.87 ? 'US' : r < 0.92 ? 'GB' : r < 0.96 ? 'AE' : 'SG',
        createdMs,
        updatedMs,
        rng.int(0, 999),
        rng.int(0, 2) as StampStyle,
        rng.nextU32(),
      );
      this.insert(record);
    }
  }
}

type BalanceKind = 'healthy' | 'low' | 'zero' | 'negative' | 'huge0' | 'huge1';

interface Traits {
  name?: NameKind;
  balance?: BalanceKind;
  flag?: 'postpaid' | 'inactive' | 'disabled';
}

/**
 * Rare cases are drawn by chance, which leaves a 50-account seed without some of them;
 * these are placed on distinct random accounts so every list has at least one of each.
 */
function forcedTraits(rng: Prng, count: number): Map<number, Traits> {
  const wanted: Traits[] = [
    { balance: 'huge0' },
    { balance: 'zero' },
    { balance: 'negative' },
    { balance: 'low' },
    { flag: 'postpaid' },
    { flag: 'inactive' },
    { flag: 'disabled' },
    { name: 'control' },
    { name: 'long' },
    { name: 'devanagari' },
    { name: 'tamil' },
    { name: 'chinese' },
    { name: 'arabic' },
    { name: 'emoji' },
    { name: 'combining' },
    { name: 'tricky' },
  ];
  if (count >= 1000) wanted.push({ balance: 'huge1' });
  const out = new Map<number, Traits>();
  for (const traits of wanted.slice(0, count)) {
    let index: number;
    do index = rng.int(0, count - 1);
    while (out.has(index));
    out.set(index, traits);
  }
  return out;
}

function drawBalanceKind(rng: Prng): BalanceKind {
  const r = rng.next();
  return r < 0.01 ? 'negative' : r < 0.03 ? 'zero' : r < 0.09 ? 'low' : 'healthy';
}

/** Built from integer draws, so no float ever becomes an amount. */
function balanceOfKind(rng: Prng, kind: BalanceKind): string {
  switch (kind) {
    case 'healthy': {
      const whole = rng.int(500, 49_999);
      const shape = rng.next();
      // Round top-ups, 2-dp amounts and per-second call debits with 5 digits all occur.
      const fraction =
        shape < 0.3
          ? '00000'
          : shape < 0.6
            ? `${String(rng.int(0, 99)).padStart(2, '0')}000`
            : String(rng.int(0, 99_999)).padStart(5, '0');
      return `${whole}.${fraction}`;
    }
    case 'low':
      return cents(rng.int(1, 9_999));
    case 'zero':
      return '0.00000';
    case 'negative':
      return `-${cents(rng.int(1, 50_000))}`;
    case 'huge0':
      return HUGE_BALANCES[0] as string;
    case 'huge1':
      return HUGE_BALANCES[1] as string;
  }
}

function cents(value: number): string {
  return `${Math.floor(value / 100)}.${String(value % 100).padStart(2, '0')}000`;
}

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const DOMAINS = ['example.com', 'example.in', 'example.org', 'mail.example.net'];

function makeEmail(rng: Prng, local: string, seq: number): string {
  const domain = rng.pick(DOMAINS);
  const email = `${local}${seq}@${domain}`;
  // Some people type their address with capitals; search must still find them.
  return rng.next() < 0.1 ? email.replace(/^./, (c) => c.toUpperCase()) : email.toLowerCase();
}

/** `2026-03-25T10:00:00Z`, `2026-05-06T07:12:40.437143+00:00` or `2026-01-19T18:39:14.529435Z`. */
export function stamp(ms: number, micros: number, style: StampStyle): string {
  const iso = new Date(ms).toISOString();
  const base = iso.slice(0, 19);
  if (style === 0) return `${base}Z`;
  const fraction = `${iso.slice(20, 23)}${String(micros).padStart(3, '0')}`;
  return style === 1 ? `${base}.${fraction}+00:00` : `${base}.${fraction}Z`;
}

function phoneFor(rng: Prng, country: string): string {
  const digits = (n: number) => String(rng.int(0, 10 ** n - 1)).padStart(n, '0');
  switch (country) {
    case 'US':
      return `+1555${digits(7)}`;
    case 'GB':
      return `+447700900${digits(3)}`;
    case 'AE':
      return `+97150${digits(7)}`;
    case 'SG':
      return `+658${digits(7)}`;
    default:
      return `+91${rng.int(6, 9)}${digits(9)}`;
  }
}

function gstinFrom(rng: Prng): string {
  const letters = () => String.fromCharCode(65 + rng.int(0, 25));
  const pan = `${letters()}${letters()}${letters()}${letters()}${letters()}${rng.int(1000, 9999)}${letters()}`;
  return `${String(rng.int(1, 37)).padStart(2, '0')}${pan}1Z${rng.int(0, 9)}`;
}

const KYC_STATUSES = ['pending', 'verified', 'verified', 'verified', 'rejected'];
const BUSINESS_TYPES = ['proprietorship', 'private_limited', 'llp', 'partnership'];
const DESCRIPTIONS = ['Migrated from legacy platform', 'Reseller account', 'Pilot customer — review in Q3'];
const PLACES: Record<string, Array<[city: string, state: string, zip: string, street: string]>> = {
  IN: [
    ['Mumbai', 'Maharashtra', '400001', 'Linking Road'],
    ['Bengaluru', 'Karnataka', '560001', 'MG Road'],
    ['Chennai', 'Tamil Nadu', '600001', 'Anna Salai'],
    ['New Delhi', 'Delhi', '110001', 'Janpath'],
    ['Kolkata', 'West Bengal', '700001', 'Park Street'],
  ],
  US: [['New York', 'NY', '10001', 'Main Street']],
  GB: [['London', 'England', 'EC1A 1BB', 'High Street']],
  AE: [['Dubai', 'Dubai', '00000', 'Sheikh Zayed Road']],
  SG: [['Singapore', 'Singapore', '018956', 'Orchard Road']],
};
const TIMEZONES: Record<string, string> = {
  IN: 'Asia/Kolkata',
  US: 'America/New_York',
  GB: 'Europe/London',
  AE: 'Asia/Dubai',
  SG: 'Asia/Singapore',
};
/** [per minute, add-on per minute] in the tier's currency. */
const RATES: Record<string, [number, number]> = {
  INR: [0.45, 0.1],
  USD: [0.012, 0.003],
  GBP: [0.01, 0.002],
  AED: [0.05, 0.01],
  SGD: [0.02, 0.004],
};
