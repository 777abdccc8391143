import { z } from 'zod';
import { MAX_SIGNIFICANT_DIGITS, parseAmount } from '../../core/money.ts';
import { parseInstant } from '../../core/time.ts';
import type { Account, Balance, PartnerProfile } from '../../core/types.ts';

/**
 * Zod schemas of the partner API responses the monitor reads (shared/vobiz-api/CONTRACT.md §2, §4, §5).
 *
 * Strict on the fields the program uses, tolerant of everything else: unknown keys are ignored
 * (the API adds fields freely) and optional or nullable ones may be missing. Only the fields used are
 * picked, so each customer's `auth_token` is dropped here and never reaches the rest of the program.
 *
 * Issue messages never quote the offending value: a response body may hold secrets, so a message
 * says which field was wrong and what type it had, nothing more.
 */

/** What a value is, for a message that must not quote the value itself. */
export function kindOf(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'string') return value.trim() === '' ? 'an empty string' : 'string';
  return typeof value;
}

const expected = (what: string) => (issue: { input?: unknown }) =>
  `must be ${what}, got ${kindOf(issue.input)}`;

const DECIMAL = /^-?\d+(?:\.\d+)?$/;

/** `cash_credits`: a decimal string, exact, negative allowed. A JSON number would already have lost digits. */
const amountString = z.unknown().transform((value, ctx) => {
  if (typeof value !== 'string') {
    ctx.addIssue({ code: 'custom', message: `must be a decimal string, got ${kindOf(value)}` });
    return z.NEVER;
  }
  if (!DECIMAL.test(value.trim())) {
    ctx.addIssue({ code: 'custom', message: 'must be a decimal string, got a string that is not a decimal' });
    return z.NEVER;
  }
  try {
    return parseAmount(value);
  } catch {
    ctx.addIssue({
      code: 'custom',
      message: `must be a decimal string of at most ${MAX_SIGNIFICANT_DIGITS} significant digits, got more`,
    });
    return z.NEVER;
  }
});

/** `/me` balance: documented as a 5-dp string; one docs example shows a JSON number, taken only when exact. */
const profileBalance = z.unknown().transform((value, ctx) => {
  if (value === undefined || value === null) return null;
  if (typeof value === 'number') {
    if (Number.isSafeInteger(value)) return parseAmount(String(value));
    ctx.addIssue({
      code: 'custom',
      message: 'must be a decimal string or an exact integer, got an inexact number',
    });
    return z.NEVER;
  }
  const parsed = amountString.safeParse(value);
  if (parsed.success) return parsed.data;
  for (const issue of parsed.error.issues) ctx.addIssue({ code: 'custom', message: issue.message });
  return z.NEVER;
});

const CURRENCY = /^[A-Z]{3}$/;

const currency = z.string({ error: expected('a currency code') }).regex(CURRENCY, {
  error: 'must be three capital letters',
});

const authId = z.string({ error: expected('a non-empty string') }).min(1, { error: 'must not be empty' });

/** Missing or null means unknown; present means a string. */
const optionalText = z
  .string({ error: expected('a string or null') })
  .nullish()
  .transform((v) => v ?? null);

/** A timestamp in either documented form ("...Z", "...+00:00" with microseconds), as canonical UTC. */
const optionalInstant = z
  .string({ error: expected('an ISO-8601 timestamp or null') })
  .nullish()
  .transform((value, ctx) => {
    if (value === null || value === undefined) return null;
    const instant = parseInstant(value);
    if (instant === null) {
      ctx.addIssue({ code: 'custom', message: 'must be an ISO-8601 timestamp with a zone' });
      return z.NEVER;
    }
    return instant;
  });

const flag = z.boolean({ error: expected('a boolean') });

/** The zod schema of one list row; exported so a test can hold the fast path to it. */
export const accountRow = z.object({
  auth_id: authId,
  name: optionalText,
  email: optionalText,
  country: optionalText,
  postpaid: flag,
  is_active: flag,
  enabled: flag,
  // The balance endpoint is authoritative; a listed balance that does not parse is simply not used.
  cash_credits: amountString.nullish().catch(null),
  created_at: optionalInstant.catch(null),
});

const listEnvelope = z.object({
  accounts: z.array(z.unknown(), { error: expected('an array') }),
  total: z
    .number({ error: expected('an integer') })
    .int()
    .nonnegative(),
  page: z
    .number({ error: expected('an integer') })
    .int()
    .optional(),
  size: z
    .number({ error: expected('a positive integer') })
    .int()
    .positive()
    .optional(),
});

/** The zod schema of `GET /accounts/{id}/balance`; exported so a test can hold the fast path to it. */
export const balanceBody = z.object({
  auth_id: authId,
  name: optionalText,
  cash_credits: amountString,
  currency,
  updated_at: optionalInstant,
});

const profileBody = z.object({
  auth_id: authId,
  name: optionalText,
  balance: profileBalance,
  currency: currency.nullish().transform((v) => v ?? null),
  account_count: z
    .number({ error: expected('an integer or null') })
    .int()
    .nonnegative()
    .nullish()
    .transform((v) => v ?? null),
});

/** The response did not have the documented shape; the message is one line and quotes no value. */
export class MalformedResponse extends Error {
  override name = 'MalformedResponse';
}

/** Ids are echoed into messages, so only ones that look like ids (not like a body fragment) are. */
export function safeId(value: unknown): string | null {
  return typeof value === 'string' && /^[A-Za-z0-9_.:-]{1,64}$/.test(value) ? value : null;
}

function describe(error: z.ZodError, context: string): string {
  const issue = error.issues[0];
  if (!issue) return `${context}: invalid`;
  const field = issue.path.map(String).join('.');
  return `${context}: ${field ? `${field} ` : ''}${issue.message}`.replace(/\s+/g, ' ');
}

function parseWith<T>(schema: z.ZodType<T>, body: unknown, context: string): T {
  const result = schema.safeParse(body);
  if (!result.success) throw new MalformedResponse(describe(result.error, context));
  return result.data;
}

export interface ParsedListPage {
  accounts: Account[];
  /** Rows that did not have the documented shape: reported, while the rest of the page goes on. */
  rejected: Array<{ authId: string | null; reason: string }>;
  total: number;
  /** `size` as echoed by the API (the page size it used), if it sent one. */
  size: number | null;
}

/**
 * One page of `GET /accounts`. A bad envelope fails the page; a bad row is rejected on its own,
 * with a message naming the account and the field, so one odd account cannot hide the others.
 */
export function parseAccountPage(body: unknown, page: number): ParsedListPage {
  const envelope = parseWith(listEnvelope, body, `account list page ${page}`);
  const accounts: Account[] = [];
  const rejected: ParsedListPage['rejected'] = [];
  for (let index = 0; index < envelope.accounts.length; index++) {
    const row = envelope.accounts[index];
    let r = plainRow(row);
    if (r === null) {
      const parsed = accountRow.safeParse(row);
      if (!parsed.success) {
        const id = safeId((row as { auth_id?: unknown } | null)?.auth_id);
        const context = `account ${id ?? `#${index + 1}`} on list page ${page}`;
        rejected.push({ authId: id, reason: describe(parsed.error, context) });
        continue;
      }
      r = parsed.data;
    }
    accounts.push({
      authId: r.auth_id,
      name: r.name ?? r.auth_id,
      email: r.email,
      country: r.country,
      postpaid: r.postpaid,
      isActive: r.is_active,
      enabled: r.enabled,
      listedBalance: r.cash_credits ?? null,
      createdAt: r.created_at,
    });
  }
  return { accounts, rejected, total: envelope.total, size: envelope.size ?? null };
}

export type AccountRow = z.output<typeof accountRow>;

/**
 * A list row as it nearly always comes, checked by hand (a hundred a page, one per account per
 * sweep). Anything not plainly well formed returns null and goes to zod; so this path only ever
 * accepts what `accountRow` accepts, with the same result (a property test holds it to that).
 */
export function plainRow(row: unknown): AccountRow | null {
  if (typeof row !== 'object' || row === null || Array.isArray(row)) return null;
  const r = row as Record<string, unknown>;
  const { auth_id, name, email, country, postpaid, is_active, enabled } = r;
  if (typeof auth_id !== 'string' || auth_id.length === 0) return null;
  if (!isOptionalText(name) || !isOptionalText(email) || !isOptionalText(country)) return null;
  if (typeof postpaid !== 'boolean' || typeof is_active !== 'boolean' || typeof enabled !== 'boolean')
    return null;
  // Both are `.catch(null)` in the schema: a listed value that does not parse is simply not used.
  const cash = r.cash_credits;
  let listed: string | null | undefined = cash === undefined ? undefined : null;
  if (typeof cash === 'string' && DECIMAL.test(cash.trim())) {
    try {
      listed = parseAmount(cash);
    } catch {
      listed = null;
    }
  }
  const created = r.created_at;
  return {
    auth_id,
    name: name ?? null,
    email: email ?? null,
    country: country ?? null,
    postpaid,
    is_active,
    enabled,
    cash_credits: listed,
    created_at: typeof created === 'string' ? parseInstant(created) : null,
  };
}

function isOptionalText(value: unknown): value is string | null | undefined {
  return value === undefined || value === null || typeof value === 'string';
}

export type BalanceBody = z.output<typeof balanceBody>;

/**
 * The balance body as it nearly always comes, checked by hand: at one read per account per sweep,
 * zod's generality cost about as much as the request itself. Anything not plainly well formed
 * returns null and goes to zod, which accepts or rejects it with its message; so this path only
 * ever accepts what `balanceBody` accepts, with the same result (a property test holds it to that).
 */
export function plainBalance(body: unknown): BalanceBody | null {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return null;
  const { auth_id, name, cash_credits, currency, updated_at } = body as Record<string, unknown>;
  if (typeof auth_id !== 'string' || auth_id.length === 0) return null;
  if (name !== undefined && name !== null && typeof name !== 'string') return null;
  if (typeof cash_credits !== 'string' || !DECIMAL.test(cash_credits.trim())) return null;
  if (typeof currency !== 'string' || !CURRENCY.test(currency)) return null;
  let updatedAt: string | null = null;
  if (typeof updated_at === 'string') {
    updatedAt = parseInstant(updated_at);
    if (updatedAt === null) return null;
  } else if (updated_at !== undefined && updated_at !== null) {
    return null;
  }
  let amount: string;
  try {
    amount = parseAmount(cash_credits);
  } catch {
    return null;
  }
  return { auth_id, name: name ?? null, cash_credits: amount, currency, updated_at: updatedAt };
}

function balanceContext(requestedId: string): string {
  return `balance of ${safeId(requestedId) ?? 'account'}`;
}

/** `GET /accounts/{id}/balance`. The body must be about the account asked for. */
export function parseBalance(body: unknown, requestedId: string): Balance {
  const r = plainBalance(body) ?? parseWith(balanceBody, body, balanceContext(requestedId));
  if (r.auth_id !== requestedId)
    throw new MalformedResponse(`${balanceContext(requestedId)}: auth_id is for another account`);
  return {
    authId: r.auth_id,
    name: r.name ?? r.auth_id,
    cashCredits: r.cash_credits,
    currency: r.currency,
    updatedAt: r.updated_at,
  };
}

/** `GET /me`. */
export function parsePartnerProfile(body: unknown): PartnerProfile {
  const r = parseWith(profileBody, body, 'partner profile');
  return {
    authId: r.auth_id,
    name: r.name ?? r.auth_id,
    balance: r.balance,
    currency: r.currency,
    accountCount: r.account_count,
  };
}
