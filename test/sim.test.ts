import { readdirSync, readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { addAmounts } from '../functions/core/money.ts';
import { simCommand } from '../sim/main.ts';
import { type SimAccount, type SimOptions, type Simulator, startSimulator } from '../sim/server.ts';

const API = '/api/v1/partner';
type Json = Record<string, unknown>;

const started: Simulator[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((sim) => sim.close()));
});

async function sim(options: SimOptions = {}): Promise<Simulator> {
  const s = await startSimulator(options);
  started.push(s);
  return s;
}

function auth(s: Simulator): Record<string, string> {
  return { 'X-Auth-ID': s.partner.authId, 'X-Auth-Token': s.partner.authToken, Accept: 'application/json' };
}

function api(s: Simulator, path: string, init: RequestInit = {}): Promise<Response> {
  return fetch(`${s.url}${API}${path}`, { ...init, headers: { ...auth(s), ...(init.headers as object) } });
}

async function json(s: Simulator, path: string): Promise<Json> {
  const response = await api(s, path);
  expect(response.status).toBe(200);
  return (await response.json()) as Json;
}

function control(s: Simulator, method: string, path: string, body?: unknown): Promise<Response> {
  return fetch(`${s.url}/__sim${path}`, {
    method,
    ...(body === undefined
      ? {}
      : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
  });
}

function post(s: Simulator, path: string, body: unknown): Promise<Response> {
  return api(s, path, {
    method: 'POST',
    body: JSON.stringify(body),
    headers: { 'content-type': 'application/json' },
  });
}

/** Either documented error shape (§1, §11): the flat one or the envelope. */
function errorCode(body: Json): string {
  if (typeof body.error === 'string') return body.error;
  return ((body.error as Json).code as string).toLowerCase();
}

function account(s: Simulator, authId: string): SimAccount {
  const found = s.getAccount(authId);
  if (!found) throw new Error(`no account ${authId}`);
  return found;
}

const rows = (body: Json) => body.accounts as SimAccount[];

describe('authentication', () => {
  it('answers 401 when either header is missing or the token is wrong', async () => {
    const s = await sim();

    const none = await fetch(`${s.url}${API}/me`);
    const idOnly = await fetch(`${s.url}${API}/me`, { headers: { 'X-Auth-ID': s.partner.authId } });
    const wrong = await api(s, '/accounts', { headers: { 'X-Auth-Token': 'not-the-token' } });

    expect([none.status, idOnly.status, wrong.status]).toEqual([401, 401, 401]);
  });

  it("answers 403 to a customer's own credentials on a partner path", async () => {
    const s = await sim();
    const customer = account(s, s.accountIds()[0] as string);

    const response = await fetch(`${s.url}${API}/accounts`, {
      headers: { 'X-Auth-ID': customer.auth_id, 'X-Auth-Token': customer.auth_token },
    });

    expect(response.status).toBe(403);
  });

  it('answers 401, not 403, to a customer id with a token that is not its own', async () => {
    const s = await sim();
    const [a, b] = s.accountIds();

    const response = await fetch(`${s.url}${API}/me`, {
      headers: { 'X-Auth-ID': a as string, 'X-Auth-Token': account(s, b as string).auth_token },
    });

    expect(response.status).toBe(401);
  });

  it('alternates between the two documented error shapes', async () => {
    const s = await sim();

    const bodies = [];
    for (let i = 0; i < 4; i++) bodies.push((await (await fetch(`${s.url}${API}/me`)).json()) as Json);

    const flat = bodies.filter((b) => typeof b.error === 'string' && typeof b.message === 'string');
    const envelope = bodies.filter(
      (b) => b.status === 'error' && typeof (b.error as Json)?.code === 'string',
    );
    expect(flat).toHaveLength(2);
    expect(envelope).toHaveLength(2);
    expect(envelope[0]?.requestId).toMatch(/^req_/);
  });

  it('accepts configured partner credentials', async () => {
    const s = await sim({ partnerAuthId: 'partner-882', partnerAuthToken: 'sk_live_abc' });

    const ok = await fetch(`${s.url}${API}/me`, {
      headers: { 'X-Auth-ID': 'partner-882', 'X-Auth-Token': 'sk_live_abc' },
    });

    expect(ok.status).toBe(200);
    expect(s.partner).toEqual({ authId: 'partner-882', authToken: 'sk_live_abc' });
  });
});

describe('paths', () => {
  it('answers 404 with a JSON body for the wrong base path and unknown routes', async () => {
    const s = await sim();

    const responses = await Promise.all(
      ['/partner/v1/accounts', '/api/v1/partner/nope', '/api/v1/partner/accounts/MA_AAAAAAAA/cdrs', '/'].map(
        (p) => fetch(`${s.url}${p}`, { headers: auth(s) }),
      ),
    );

    for (const response of responses) {
      expect(response.status).toBe(404);
      expect(errorCode((await response.json()) as Json)).toMatch(/not_found/);
    }
  });

  it('answers 404 for an unknown account on both the account and the balance route', async () => {
    const s = await sim();

    const one = await api(s, '/accounts/MA_NOSUCH00');
    const balance = await api(s, '/accounts/MA_NOSUCH00/balance');

    expect([one.status, balance.status]).toEqual([404, 404]);
  });
});

describe('the account list', () => {
  it('pages newest first with {accounts,total,page,size} and a default page size of 20', async () => {
    const s = await sim({ accounts: 45 });

    const first = await json(s, '/accounts');
    const third = await json(s, '/accounts?page=3');

    expect(Object.keys(first).sort()).toEqual(['accounts', 'page', 'size', 'total']);
    expect(first).toMatchObject({ total: 45, page: 1, size: 20 });
    expect(rows(third)).toHaveLength(5);
    expect(rows(first).map((a) => a.auth_id)).toEqual(s.accountIds().slice(0, 20));
    const stamps = rows(first).map((a) => Date.parse(a.created_at));
    expect([...stamps].sort((x, y) => y - x)).toEqual(stamps);
  });

  it('echoes the effective per_page as size and accepts the legacy size parameter', async () => {
    const s = await sim({ accounts: 30 });

    const perPage = await json(s, '/accounts?per_page=7&page=2');
    const legacy = await json(s, '/accounts?size=9');

    expect(perPage).toMatchObject({ size: 7, page: 2 });
    expect(rows(perPage).map((a) => a.auth_id)).toEqual(s.accountIds().slice(7, 14));
    expect(legacy.size).toBe(9);
    expect(rows(legacy)).toHaveLength(9);
  });

  it('returns an empty page past the end, with the real total', async () => {
    const s = await sim({ accounts: 30 });

    const past = await json(s, '/accounts?page=99&per_page=20');

    expect(past).toEqual({ accounts: [], total: 30, page: 99, size: 20 });
  });

  it('clamps per_page above 100 to 100 by default', async () => {
    const s = await sim({ accounts: 150 });

    const body = await json(s, '/accounts?per_page=500');

    expect(body.size).toBe(100);
    expect(rows(body)).toHaveLength(100);
  });

  it('rejects per_page above 100 with a 422 naming the field when configured to', async () => {
    const s = await sim({ perPageLimit: 'reject' });

    const response = await api(s, '/accounts?per_page=101');
    const body = (await response.json()) as Json;

    expect(response.status).toBe(422);
    const details = (body.error as Json).details as Json;
    expect(details.errors).toEqual([expect.objectContaining({ field: 'per_page', value: '101' })]);
  });

  it('rejects a page that is not a positive integer', async () => {
    const s = await sim();

    const statuses = await Promise.all(
      ['0', '-1', 'abc', '1.5'].map(async (p) => (await api(s, `/accounts?page=${p}`)).status),
    );

    expect(statuses).toEqual([422, 422, 422, 422]);
  });

  it('searches name or email case-insensitively and counts only the matches', async () => {
    const s = await sim({ accounts: 20 });
    const a = s.addAccount({ name: 'Zanzibar Telecom', email: 'ops@zanzi.example' });
    const b = s.addAccount({ name: 'Other Co', email: 'BILLING@ZANZIBAR.example' });

    const body = await json(s, '/accounts?search=zanZIBar');

    expect(body.total).toBe(2);
    expect(rows(body).map((r) => r.auth_id)).toEqual([b.auth_id, a.auth_id]);
  });

  it('serves names with control characters and other scripts as valid JSON, unchanged', async () => {
    const s = await sim({ accounts: 100 });

    const body = await json(s, '/accounts?per_page=100');

    const names = rows(body).map((r) => r.name);
    expect(names).toEqual(s.accountIds().map((id) => account(s, id).name));
    // biome-ignore lint/suspicious/noControlCharactersInRegex: the point is names with control characters
    expect(names.some((n) => /[\u0000-\u001f]/.test(n))).toBe(true);
    expect(names.some((n) => /\p{Script=Devanagari}/u.test(n))).toBe(true);
    expect(names.some((n) => [...n].length === 300)).toBe(true);
  });
});

describe('one account, its balance and the partner profile', () => {
  it('returns the full account object, auth_token included', async () => {
    const s = await sim();
    const id = s.accountIds()[5] as string;

    const body = await json(s, `/accounts/${id}`);

    expect(body).toEqual(account(s, id));
    expect(body.auth_token).toMatch(/^[0-9a-f]{40}$/);
    expect(body.resource_uri).toBe(`/v1/Account/${id}/`);
    expect(body.auto_recharge).toBe(false);
    expect(body.auto_recharge_config).toBeNull();
  });

  it('returns the balance as {auth_id,name,cash_credits,currency,updated_at} with the currency of the country', async () => {
    const s = await sim();
    const us = s.addAccount({ country: 'US', cash_credits: '12.5' });
    const ae = s.addAccount({ country: 'AE' });

    const usd = await json(s, `/accounts/${us.auth_id}/balance`);
    const aed = await json(s, `/accounts/${ae.auth_id}/balance`);

    expect(Object.keys(usd)).toEqual(['auth_id', 'name', 'cash_credits', 'currency', 'updated_at']);
    expect(usd).toMatchObject({ auth_id: us.auth_id, cash_credits: '12.50000', currency: 'USD' });
    expect(aed).toMatchObject({ cash_credits: '0.00000', currency: 'AED' });
  });

  it('serves /me with a 5-dp balance string, the account count and capability flags', async () => {
    const s = await sim({ accounts: 12, partnerBalance: '1234.5' });

    const me = await json(s, '/me');

    expect(me).toMatchObject({
      auth_id: s.partner.authId,
      balance: '1234.50000',
      account_count: 12,
      account_id: 500000,
      can_create_accounts: true,
      can_transfer_balance: true,
    });
    expect(typeof me.max_accounts).toBe('number');
    expect(me).not.toHaveProperty('currency');
  });
});

describe('creating an account', () => {
  it('answers 201 with the new account at the head of the list', async () => {
    const s = await sim({ accounts: 3 });

    const response = await post(s, '/accounts', {
      name: 'New Co',
      email: 'new@example.com',
      password: 'long-enough',
    });
    const created = (await response.json()) as SimAccount;

    expect(response.status).toBe(201);
    expect(created).toMatchObject({ name: 'New Co', email: 'new@example.com', cash_credits: '0.00000' });
    expect(created.auth_id).toMatch(/^MA_[A-Z0-9]{8}$/);
    expect(s.accountIds()[0]).toBe(created.auth_id);
    expect((await json(s, '/me')).account_count).toBe(4);
  });

  it('answers 422 with details.errors for missing fields and a weak password', async () => {
    const s = await sim();

    const missing = await post(s, '/accounts', { email: 'x@example.com' });
    const weak = await post(s, '/accounts', { name: 'A', email: 'y@example.com', password: 'short' });

    expect([missing.status, weak.status]).toEqual([422, 422]);
    const fields = (r: Json) =>
      ((r.error as Json).details as { errors: { field: string }[] }).errors.map((e) => e.field);
    expect(fields((await missing.json()) as Json)).toEqual(['name', 'password']);
    expect(fields((await weak.json()) as Json)).toEqual(['password']);
  });

  it('answers 409 for an email already in use, whatever its case', async () => {
    const s = await sim();
    s.addAccount({ email: 'taken@example.com' });

    const response = await post(s, '/accounts', {
      name: 'B',
      email: 'TAKEN@example.com',
      password: '12345678',
    });

    expect(response.status).toBe(409);
  });

  it('answers 403 beyond max_accounts and when the partner may not create accounts', async () => {
    const full = await sim({ accounts: 2, maxAccounts: 2 });
    const barred = await sim({ canCreateAccounts: false });
    const body = { name: 'C', email: 'c@example.com', password: '12345678' };

    const atCap = await post(full, '/accounts', body);
    const noFlag = await post(barred, '/accounts', body);

    expect([atCap.status, noFlag.status]).toEqual([403, 403]);
    expect((await json(barred, '/me')).can_create_accounts).toBe(false);
  });
});

describe('seeded accounts', () => {
  it('are identical for the same seed and different for another seed', async () => {
    const [a, b, c] = await Promise.all([sim({ seed: 9 }), sim({ seed: 9 }), sim({ seed: 10 })]);

    const dump = (s: Simulator) => s.accountIds().map((id) => account(s, id));

    expect(dump(a)).toEqual(dump(b));
    expect(a.accountIds()).not.toEqual(c.accountIds());
  });

  it('have unique MA_ ids, their own tokens and both timestamp forms', async () => {
    const s = await sim({ accounts: 2000 });

    const all = s.accountIds().map((id) => account(s, id));

    expect(new Set(all.map((a) => a.auth_id)).size).toBe(2000);
    expect(all.every((a) => /^MA_[A-Z0-9]{8}$/.test(a.auth_id))).toBe(true);
    expect(new Set(all.map((a) => a.auth_token)).size).toBe(2000);
    expect(all.some((a) => /T\d\d:\d\d:\d\dZ$/.test(a.created_at))).toBe(true);
    expect(all.some((a) => /\.\d{6}\+00:00$/.test(a.created_at))).toBe(true);
  });

  it('mix healthy, low, zero, negative and huge balances, all as 5-dp strings', async () => {
    const s = await sim({ accounts: 2000 });

    const balances = s.accountIds().map((id) => account(s, id).cash_credits);
    const share = (test: (b: string) => boolean) => balances.filter(test).length / balances.length;

    expect(balances.every((b) => /^-?\d+\.\d{5}$/.test(b))).toBe(true);
    expect(share((b) => b === '0.00000')).toBeGreaterThan(0.01);
    expect(share((b) => b.startsWith('-'))).toBeGreaterThan(0.003);
    expect(share((b) => /^\d{1,2}\./.test(b) && b !== '0.00000')).toBeGreaterThan(0.03);
    expect(share((b) => /^\d{3,5}\./.test(b))).toBeGreaterThan(0.8);
    expect(balances).toContain('987654321098765432109876.54321');
  });

  it('include postpaid, inactive, disabled and non-Indian accounts even in a small seed', async () => {
    const s = await sim({ accounts: 50 });

    const all = s.accountIds().map((id) => account(s, id));

    expect(all.some((a) => a.postpaid)).toBe(true);
    expect(all.some((a) => !a.is_active)).toBe(true);
    expect(all.some((a) => !a.enabled)).toBe(true);
    expect(all.some((a) => a.cash_credits.startsWith('-'))).toBe(true);
    expect(all.some((a) => a.country !== 'IN')).toBe(true);
  });
});

describe('balances', () => {
  it('stay exact after adjustBalance, including past what a double can hold', async () => {
    const s = await sim();
    const [a, b] = s.accountIds() as [string, string];

    s.setBalance(a, '0.1');
    s.adjustBalance(a, '0.2');
    s.setBalance(b, '987654321098765432109876.54321');
    s.adjustBalance(b, '-0.00001');

    expect((await json(s, `/accounts/${a}/balance`)).cash_credits).toBe('0.30000');
    expect((await json(s, `/accounts/${b}/balance`)).cash_credits).toBe('987654321098765432109876.54320');
  });

  it('can go negative and move the updated_at stamp', async () => {
    const s = await sim();
    const id = s.accountIds()[0] as string;
    const before = account(s, id);

    s.adjustBalance(id, addAmounts('-1', `-${before.cash_credits.replace('-', '')}`));

    const after = account(s, id);
    expect(after.cash_credits.startsWith('-')).toBe(true);
    expect(Date.parse(after.updated_at)).toBeGreaterThan(Date.parse(before.updated_at));
  });

  it('refuses an amount that is not a decimal string', async () => {
    const s = await sim();
    const id = s.accountIds()[0] as string;

    expect(() => s.setBalance(id, '1e3')).toThrow();
    expect(() => s.adjustBalance('MA_NOSUCH00', '1')).toThrow(/MA_NOSUCH00/);
  });

  it('refuses more than the five places the API writes, naming the amount', async () => {
    const s = await sim();
    const id = s.accountIds()[0] as string;

    expect(() => s.setBalance(id, '0.123456')).toThrow(
      'cash_credits has more than 5 decimal places (the API writes 5): "0.123456"',
    );
    expect(() => s.adjustBalance(id, '+1')).toThrow('delta is not a decimal string: "+1"');
  });

  it('serves a balance of more digits than the monitor stores, so the monitor can be tested refusing it', async () => {
    const s = await sim();
    const id = s.accountIds()[0] as string;
    const forty = `${'9'.repeat(35)}.12345`;

    s.setBalance(id, forty);
    s.adjustBalance(id, '0.00001');

    expect((await json(s, `/accounts/${id}/balance`)).cash_credits).toBe(`${'9'.repeat(35)}.12346`);
    expect(addAmounts(forty, '0.00001')).toBe(`${'9'.repeat(35)}.12346`);
  });

  it('writes zero without a sign, however it was reached', async () => {
    const s = await sim();
    const id = s.accountIds()[0] as string;

    s.setBalance(id, '-0.00000');
    const set = account(s, id).cash_credits;
    s.setBalance(id, '-2.5');
    s.adjustBalance(id, '2.50000');

    expect([set, account(s, id).cash_credits]).toEqual(['0.00000', '0.00000']);
  });
});

describe('the simulator source', () => {
  it('imports nothing but its own files and node: modules, so no product bug can hide behind shared code', () => {
    const dir = new URL('../sim/', import.meta.url);
    const imports = readdirSync(dir)
      .filter((file) => file.endsWith('.ts'))
      .flatMap((file) =>
        [
          ...readFileSync(new URL(file, dir), 'utf8').matchAll(/\bfrom\s+'([^']+)'|\bimport\(\s*'([^']+)'/g),
        ].map((m) => `${file}: ${m[1] ?? m[2]}`),
      );

    expect(imports.length).toBeGreaterThan(10);
    expect(imports.filter((line) => !/: (\.\/[\w-]+\.ts|node:[\w/]+)$/.test(line))).toEqual([]);
  });
});

describe('the rate limit', () => {
  /** A clock that moves only when the test moves it. */
  function manualClock(start = Date.UTC(2026, 10, 27, 9)) {
    let now = start;
    return { now: () => now, advance: (ms: number) => (now += ms) };
  }

  it('answers 429 with Retry-After in seconds above N requests a second, and counts them', async () => {
    const clock = manualClock();
    const s = await sim({ rateLimit: 3, clock: clock.now });

    const within = await Promise.all([1, 2, 3].map(async () => (await api(s, '/me')).status));
    const over = await api(s, '/me');
    const body = (await over.json()) as Json;

    expect(within).toEqual([200, 200, 200]);
    expect(over.status).toBe(429);
    expect(over.headers.get('retry-after')).toBe('1');
    expect(JSON.stringify(body)).toMatch(/"retryAfter":1\b/);
    expect(s.stats()).toMatchObject({ total: 4, rateLimited: 1, byStatus: { '200': 3, '429': 1 } });
  });

  it('lets requests through again as the second goes by', async () => {
    const clock = manualClock();
    const s = await sim({ rateLimit: 2, clock: clock.now });
    for (const _ of [1, 2]) await api(s, '/me');
    const refused = (await api(s, '/me')).status;

    clock.advance(500);
    const afterHalf = [(await api(s, '/me')).status, (await api(s, '/me')).status];
    clock.advance(1_000);
    const afterOne = [(await api(s, '/me')).status, (await api(s, '/me')).status];

    expect(refused).toBe(429);
    expect(afterHalf).toEqual([200, 429]);
    expect(afterOne).toEqual([200, 200]);
  });

  it('never refuses a client that keeps to the rate', async () => {
    const clock = manualClock();
    const s = await sim({ rateLimit: 50, clock: clock.now });
    const statuses: number[] = [];

    for (let i = 0; i < 200; i++) {
      statuses.push((await api(s, `/accounts/${s.accountIds()[i % 50]}/balance`)).status);
      clock.advance(20);
    }

    expect(new Set(statuses)).toEqual(new Set([200]));
    expect(s.stats().rateLimited).toBe(0);
  });

  it('keeps refusing at one request a second until the whole second has gone by', async () => {
    const clock = manualClock();
    const s = await sim({ rateLimit: 1, clock: clock.now });
    await api(s, '/me');

    const refused = await api(s, '/me');

    expect(refused.headers.get('retry-after')).toBe('1');
    clock.advance(999);
    expect((await api(s, '/me')).status).toBe(429);
    clock.advance(1);
    expect((await api(s, '/me')).status).toBe(200);
  });

  it('refuses a rate below one request a second', async () => {
    await expect(startSimulator({ rateLimit: 0 })).rejects.toThrow(/rateLimit must be a whole number/);
  });
});

describe('latency', () => {
  it('delays every response without serialising concurrent requests', async () => {
    const s = await sim({ latencyMs: 200 });
    const t0 = Date.now();

    const statuses = await Promise.all(Array.from({ length: 10 }, async () => (await api(s, '/me')).status));

    // Ten in flight at once is what "not serialised" means; no upper bound on the time, which load stretches.
    const elapsed = Date.now() - t0;
    expect(statuses.every((x) => x === 200)).toBe(true);
    expect(elapsed).toBeGreaterThanOrEqual(190);
    expect(s.stats().maxInFlight).toBe(10);
  });
});

describe('faults', () => {
  it('rate-limit answers 429 with Retry-After in seconds, as an HTTP-date, or without it', async () => {
    const s = await sim();
    s.addFault({ kind: 'rate-limit', route: 'me', times: 1, retryAfterSeconds: 7 });
    s.addFault({ kind: 'rate-limit', route: 'me', times: 1, retryAfter: 'http-date', retryAfterSeconds: 30 });
    s.addFault({ kind: 'rate-limit', route: 'me', times: 1, retryAfter: 'none' });

    const seconds = await api(s, '/me');
    const asked = Date.now();
    const date = await api(s, '/me');
    const answered = Date.now();
    const none = await api(s, '/me');
    const after = await api(s, '/me');

    expect([seconds.status, date.status, none.status, after.status]).toEqual([429, 429, 429, 200]);
    expect(seconds.headers.get('retry-after')).toBe('7');
    // 30 s after the moment it answered, to the second an HTTP-date has, however long that took.
    const retryAt = Date.parse(date.headers.get('retry-after') ?? '');
    expect(retryAt).toBeGreaterThanOrEqual(Math.floor(asked / 1000) * 1000 + 30_000);
    expect(retryAt).toBeLessThanOrEqual(answered + 30_000);
    expect(none.headers.get('retry-after')).toBeNull();
    expect(errorCode((await none.json()) as Json)).toBe('rate_limit_exceeded');
  });

  it('server-error answers the given status with an HTML page, on the chosen route only', async () => {
    const s = await sim();
    s.addFault({ kind: 'server-error', route: 'balance', status: 502 });

    const balance = await api(s, `/accounts/${s.accountIds()[0]}/balance`);
    const me = await api(s, '/me');

    expect(balance.status).toBe(502);
    expect(balance.headers.get('content-type')).toMatch(/text\/html/);
    expect(await balance.text()).toMatch(/<html>[\s\S]*502 Bad Gateway/);
    expect(me.status).toBe(200);
  });

  it('applies only to the named account when authId is given', async () => {
    const s = await sim();
    const [target, other] = s.accountIds() as [string, string];
    s.addFault({ kind: 'server-error', authId: target });

    const hit = await api(s, `/accounts/${target}/balance`);
    const miss = await api(s, `/accounts/${other}/balance`);
    const list = await api(s, '/accounts');

    expect([hit.status, miss.status, list.status]).toEqual([503, 200, 200]);
  });

  it('reset drops the connection without an answer', async () => {
    const s = await sim();
    s.addFault({ kind: 'reset', route: 'me', times: 1 });

    const failure = await api(s, '/me').then(
      () => null,
      (error: unknown) => error,
    );
    const next = await api(s, '/me');

    expect(failure).toBeInstanceOf(TypeError);
    expect(next.status).toBe(200);
    expect(s.stats().byStatus.reset).toBe(1);
  });

  it('hang never answers until the client gives up', async () => {
    const s = await sim();
    s.addFault({ kind: 'hang', route: 'me', times: 1 });

    const failure = await api(s, '/me', { signal: AbortSignal.timeout(200) }).then(
      () => null,
      (error: unknown) => error,
    );

    expect((failure as Error).name).toBe('TimeoutError');
    expect(s.stats().byStatus.hang).toBe(1);
    expect((await api(s, '/me')).status).toBe(200);
  });

  it('truncated answers 200 with half a JSON body and a Content-Length that matches it', async () => {
    const s = await sim();
    s.addFault({ kind: 'truncated', route: 'list', times: 1 });

    const response = await api(s, '/accounts');
    const text = await response.text();

    expect(response.status).toBe(200);
    expect(Number(response.headers.get('content-length'))).toBe(Buffer.byteLength(text));
    expect(() => JSON.parse(text)).toThrow();
    expect(text.startsWith('{"accounts":[')).toBe(true);
  });

  it('drift number-balance writes cash_credits as a JSON number, on /me too', async () => {
    const s = await sim();
    const id = s.accountIds()[0] as string;
    s.setBalance(id, '1300.50000');
    s.addFault({ kind: 'drift', drift: 'number-balance' });

    const balanceText = await (await api(s, `/accounts/${id}/balance`)).text();
    const me = await json(s, '/me');

    expect(balanceText).toContain('"cash_credits":1300.5');
    expect(JSON.parse(balanceText).cash_credits).toBe(1300.5);
    expect(typeof me.balance).toBe('number');
  });

  it('drift missing-balance drops cash_credits from list rows and the balance', async () => {
    const s = await sim();
    s.addFault({ kind: 'drift', drift: 'missing-balance' });

    const list = await json(s, '/accounts');
    const balance = await json(s, `/accounts/${s.accountIds()[0]}/balance`);

    expect(rows(list).every((r) => !('cash_credits' in r))).toBe(true);
    expect(balance).not.toHaveProperty('cash_credits');
    expect(balance).toHaveProperty('auth_id');
  });

  it('drift extra-fields adds unknown keys and keeps the known ones', async () => {
    const s = await sim();
    s.addFault({ kind: 'drift', drift: 'extra-fields' });

    const list = await json(s, '/accounts');
    const balance = await json(s, `/accounts/${s.accountIds()[0]}/balance`);

    expect(list).toHaveProperty('has_next');
    expect(rows(list)[0]).toHaveProperty('x_internal_score');
    expect(Object.keys(balance).length).toBeGreaterThan(5);
    expect(typeof balance.cash_credits).toBe('string');
  });

  it('drift missing-optional removes nullable keys, and on some rows email, country or name', async () => {
    const s = await sim();
    s.addFault({ kind: 'drift', drift: 'missing-optional' });

    const list = rows(await json(s, '/accounts'));
    const balance = await json(s, `/accounts/${s.accountIds()[0]}/balance`);

    expect(
      list.every((r) => !('gstin' in r) && !('last_login' in r) && 'cash_credits' in r && 'auth_id' in r),
    ).toBe(true);
    expect(list.some((r) => !('email' in r))).toBe(true);
    expect(list.some((r) => !('name' in r))).toBe(true);
    expect(balance).not.toHaveProperty('updated_at');
  });

  it('drift wrong-envelope answers {data} on the list and an array on the balance', async () => {
    const s = await sim();
    s.addFault({ kind: 'drift', drift: 'wrong-envelope' });

    const list = await json(s, '/accounts');
    const balance = (await (await api(s, `/accounts/${s.accountIds()[0]}/balance`)).json()) as unknown;

    expect(list).not.toHaveProperty('accounts');
    expect(Array.isArray(list.data)).toBe(true);
    expect(Array.isArray(balance)).toBe(true);
  });

  it('insert-while-paging puts new accounts at the head when page 2 is asked for, so rows shift down', async () => {
    const s = await sim({ accounts: 30 });
    s.addFault({ kind: 'insert-while-paging', count: 3, times: 1 });
    const original = s.accountIds();

    const first = rows(await json(s, '/accounts?per_page=10&page=1'));
    const second = await json(s, '/accounts?per_page=10&page=2');

    expect(first.map((r) => r.auth_id)).toEqual(original.slice(0, 10));
    expect(second.total).toBe(33);
    expect(rows(second).map((r) => r.auth_id)).toEqual(original.slice(7, 17));
  });

  it('remove-while-paging takes accounts off the head when page 2 is asked for, so rows shift up', async () => {
    const s = await sim({ accounts: 30 });
    s.addFault({ kind: 'remove-while-paging', route: 'list', count: 4, times: 1 });
    const original = s.accountIds();

    await json(s, '/accounts?per_page=10&page=1');
    const second = await json(s, '/accounts?per_page=10&page=2');

    expect(second.total).toBe(26);
    expect(rows(second).map((r) => r.auth_id)).toEqual(original.slice(14, 24));
    expect(s.getAccount(original[0] as string)).toBeUndefined();
  });

  it('fires a probabilistic fault on the same requests for the same seed', async () => {
    const run = async (seed: number) => {
      const s = await sim({ seed, faults: [{ kind: 'server-error', probability: 0.5 }] });
      const statuses: number[] = [];
      for (let i = 0; i < 24; i++) statuses.push((await api(s, '/me')).status);
      return statuses;
    };

    const a = await run(3);
    const b = await run(3);

    expect(a).toEqual(b);
    expect(a).toContain(503);
    expect(a).toContain(200);
  });

  it('rejects a fault spec with an unknown kind or a drift without its variant', async () => {
    const s = await sim();

    expect(() => s.addFault({ kind: 'explode' } as never)).toThrow(/kind/);
    expect(() => s.addFault({ kind: 'drift' })).toThrow(/drift/);
    expect(() => s.addFault({ kind: 'reset', probability: 2 })).toThrow(/probability/);
  });
});

describe('the control surface', () => {
  it('moves balances, adds and removes accounts and lists ids over HTTP', async () => {
    const s = await sim({ accounts: 5 });
    const id = s.accountIds()[0] as string;

    const set = await control(s, 'POST', '/balance', { auth_id: id, cash_credits: '10.10000' });
    const moved = await control(s, 'POST', '/balance', { auth_id: id, delta: '-0.10001' });
    const added = await control(s, 'POST', '/accounts', { name: 'Ctl Co', cash_credits: '5' });
    const newId = ((await added.json()) as SimAccount).auth_id;
    const removed = await control(s, 'DELETE', `/accounts/${id}`);
    const ids = (await (await control(s, 'GET', '/accounts')).json()) as string[];

    expect(set.status).toBe(200);
    expect(await moved.json()).toEqual({ auth_id: id, cash_credits: '9.99999' });
    expect(added.status).toBe(201);
    expect(removed.status).toBe(200);
    expect(ids).toEqual(s.accountIds());
    expect(ids[0]).toBe(newId);
    expect(ids).not.toContain(id);
  });

  it('adds and clears faults, sets latency and reports stats over HTTP', async () => {
    const s = await sim();

    const added = await control(s, 'POST', '/faults', { kind: 'server-error', route: 'me', status: 500 });
    const failed = await api(s, '/me');
    await control(s, 'DELETE', '/faults');
    const ok = await api(s, '/me');
    await control(s, 'POST', '/latency', { ms: 50 });
    const t0 = Date.now();
    await api(s, '/me');
    const slow = Date.now() - t0;
    const stats = (await (await control(s, 'GET', '/stats')).json()) as Json;

    expect(added.status).toBe(201);
    expect([failed.status, ok.status]).toEqual([500, 200]);
    expect(slow).toBeGreaterThanOrEqual(45);
    expect(stats).toEqual({
      total: 3,
      byRoute: { me: 3 },
      byStatus: { '200': 2, '500': 1 },
      maxInFlight: 1,
      rateLimited: 0,
    });
  });

  it('answers 400 for a bad fault or amount and 404 for an unknown account, without latency or stats', async () => {
    const s = await sim({ latencyMs: 5_000 });

    const badFault = await control(s, 'POST', '/faults', { kind: 'nope' });
    const badAmount = await control(s, 'POST', '/balance', {
      auth_id: s.accountIds()[0],
      cash_credits: 'ten',
    });
    const unknown = await control(s, 'DELETE', '/accounts/MA_NOSUCH00');

    expect([badFault.status, badAmount.status, unknown.status]).toEqual([400, 400, 404]);
    expect(s.stats().total).toBe(0);
  });
});

describe('stats', () => {
  it('count API requests by route and status and reset on demand', async () => {
    const s = await sim();
    await api(s, '/accounts');
    await api(s, `/accounts/${s.accountIds()[0]}/balance`);
    await api(s, '/accounts/MA_NOSUCH00');
    await fetch(`${s.url}/partner/v1/me`);

    const before = s.stats();
    s.resetStats();

    expect(before.total).toBe(4);
    expect(before.byRoute).toEqual({ list: 1, balance: 1, account: 1, unknown: 1 });
    expect(before.byStatus).toEqual({ '200': 2, '404': 2 });
    expect(s.stats()).toEqual({ total: 0, byRoute: {}, byStatus: {}, maxInFlight: 0, rateLimited: 0 });
  });
});

describe('close()', () => {
  it('finishes promptly while a request hangs, and the hung request fails', async () => {
    const s = await startSimulator({ faults: [{ kind: 'hang' }] });
    const pending = api(s, '/me').then(
      () => 'answered',
      () => 'failed',
    );
    while (s.stats().byStatus.hang !== 1) await new Promise((r) => setTimeout(r, 5));

    // A close() that waited for the hung request would never return: the test would time out.
    await s.close();

    expect(await pending).toBe('failed');
  });

  it('also cuts requests still waiting out their latency', async () => {
    const s = await startSimulator({ latencyMs: 60_000 });
    const pending = api(s, '/me').then(
      () => 'answered',
      () => 'failed',
    );
    while (s.stats().total !== 1) await new Promise((r) => setTimeout(r, 5));

    await s.close();

    expect(await pending).toBe('failed');
  });
});

describe('a 200 000-account simulator', () => {
  it('starts and serves its first and last pages, with latency', async () => {
    const s = await sim({ accounts: 200_000, latencyMs: 20 });

    const first = await json(s, '/accounts?per_page=100');
    const last = await json(s, '/accounts?per_page=100&page=2000');
    const ids = s.accountIds();

    expect(first.total).toBe(200_000);
    expect(rows(first).map((r) => r.auth_id)).toEqual(ids.slice(0, 100));
    expect(rows(last).map((r) => r.auth_id)).toEqual(ids.slice(199_900));
    expect(new Set(ids).size).toBe(200_000);
    expect((await json(s, `/accounts/${ids[199_999]}/balance`)).auth_id).toBe(ids[199_999]);
  });
});

describe('the sim command', () => {
  function capture() {
    const out: string[] = [];
    const err: string[] = [];
    return { out, err, io: { stdout: (l: string) => out.push(l), stderr: (l: string) => err.push(l) } };
  }

  it('exits 2 with one line naming an unknown flag or a bad value', async () => {
    const unknown = capture();
    const badNumber = capture();
    const badFault = capture();

    const codes = [
      await simCommand(['--acounts', '5'], { io: unknown.io }),
      await simCommand(['--accounts', 'many'], { io: badNumber.io }),
      await simCommand(['--faults', 'rate-limit:balance:2'], { io: badFault.io }),
    ];

    const badRate = capture();
    codes.push(await simCommand(['--rate-limit', '0'], { io: badRate.io }));

    expect(codes).toEqual([2, 2, 2, 2]);
    expect(badRate.err).toEqual([expect.stringContaining('--rate-limit must be an integer from 1')]);
    expect(unknown.err).toEqual([expect.stringContaining('--acounts')]);
    expect(badNumber.err).toEqual([expect.stringContaining('--accounts')]);
    expect(badFault.err).toEqual([expect.stringMatching(/--faults.*probability/)]);
  });

  it('prints the URL and credentials, serves with the given faults and exits 0 when stopped', async () => {
    const { out, io } = capture();
    const stop = new AbortController();

    const running = simCommand(
      [
        '--accounts',
        '7',
        '--port',
        '0',
        '--latency-ms',
        '0',
        '--seed',
        '4',
        '--partner-id',
        'PA_CLI',
        '--partner-token',
        'tok',
        '--faults',
        'rate-limit:balance:1,server-error:list',
        '--rate-limit',
        '1000',
      ],
      { io, stop: stop.signal },
    );
    while (out.length === 0) await new Promise((r) => setTimeout(r, 5));
    const url = /http:\/\/127\.0\.0\.1:\d+/.exec(out[0] as string)?.[0];
    const headers = { 'X-Auth-ID': 'PA_CLI', 'X-Auth-Token': 'tok' };
    const me = (await (await fetch(`${url}${API}/me`, { headers })).json()) as Json;
    const list = await fetch(`${url}${API}/accounts`, { headers });
    stop.abort();

    expect(await running).toBe(0);
    expect(out).toHaveLength(1);
    expect(out[0]).toContain('PA_CLI');
    expect(out[0]).toContain('tok');
    expect(out[0]).toContain('rate limit 1000 requests/s');
    expect(me.account_count).toBe(7);
    expect(list.status).toBe(503);
  });
});
