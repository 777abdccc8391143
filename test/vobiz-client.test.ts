import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { type AddressInfo, createServer as createTcpServer } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  createVobizClient,
  parseRetryAfter,
  type VobizClientOptions,
} from '../functions/adapters/vobiz/client.ts';
import {
  ApiError,
  ConfigError,
  CredentialsError,
  DeadlineError,
  FatalError,
} from '../functions/core/errors.ts';
import type { Account, AccountPage } from '../functions/core/types.ts';
import { startSimulator } from '../sim/server.ts';

type Sim = Awaited<ReturnType<typeof startSimulator>>;

/** A sleep that returns at once and remembers what it was asked to wait. */
function recordingSleep() {
  const waits: number[] = [];
  const sleep = async (ms: number) => {
    waits.push(ms);
  };
  return { waits, sleep };
}

function clientFor(sim: Sim, overrides: Partial<VobizClientOptions> = {}) {
  return createVobizClient({
    baseUrl: sim.url,
    authId: sim.partner.authId,
    authToken: sim.partner.authToken,
    timeoutMs: 1_000,
    sleep: recordingSleep().sleep,
    ...overrides,
  });
}

async function collect(pages: AsyncIterable<AccountPage>): Promise<AccountPage[]> {
  const out: AccountPage[] = [];
  for await (const page of pages) out.push(page);
  return out;
}

async function caught(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

const ids = (accounts: Account[]) => accounts.map((a) => a.authId);

function rawAccount(sim: Sim, id: string) {
  const account = sim.getAccount(id);
  if (!account) throw new Error(`the simulator has no account ${id}`);
  return account;
}

/** A simulator of its own, for tests that change the account list. */
async function withOwnSim<T>(work: (sim: Sim) => Promise<T>): Promise<T> {
  const sim = await startSimulator({ accounts: 250, seed: 11, latencyMs: 0 });
  try {
    return await work(sim);
  } finally {
    await sim.close();
  }
}

describe('parseRetryAfter', () => {
  const now = Date.parse('2026-11-27T08:00:00.000Z');

  it('reads delta-seconds as milliseconds', () => {
    expect(parseRetryAfter('3', now)).toBe(3_000);
    expect(parseRetryAfter(' 0 ', now)).toBe(0);
  });

  it('reads an HTTP-date as the time left until it', () => {
    expect(parseRetryAfter('Fri, 27 Nov 2026 08:00:05 GMT', now)).toBe(5_000);
  });

  it('reads the obsolete RFC 850 and asctime date forms as GMT', () => {
    expect(parseRetryAfter('Friday, 27-Nov-26 08:00:02 GMT', now)).toBe(2_000);
    expect(parseRetryAfter('Fri Nov 27 08:00:07 2026', now)).toBe(7_000);
  });

  it('treats a date in the past as no wait', () => {
    expect(parseRetryAfter('Fri, 27 Nov 2026 07:59:00 GMT', now)).toBe(0);
  });

  it('returns null for an absent or unusable header', () => {
    for (const header of [null, '', '-1', '1.5', 'soon', '12abc', 'Fri, 99 Nov 2026 08:00:05 GMT']) {
      expect(parseRetryAfter(header, now), String(header)).toBeNull();
    }
  });
});

describe('createVobizClient options', () => {
  const good = { baseUrl: 'http://127.0.0.1:9', authId: 'PA_X', authToken: 'secret' };

  it('accepts an origin with a trailing slash', () => {
    expect(() => createVobizClient({ ...good, baseUrl: 'https://api.vobiz.ai/' })).not.toThrow();
  });

  it('rejects a base URL with a path, a non-http scheme or garbage, naming --base-url and the value', () => {
    for (const baseUrl of ['https://api.vobiz.ai/api/v1/partner', 'ftp://api.vobiz.ai', 'not a url', '']) {
      const error = (() => {
        try {
          createVobizClient({ ...good, baseUrl });
        } catch (e) {
          return e;
        }
      })();
      expect(error, baseUrl).toBeInstanceOf(ConfigError);
      expect((error as Error).message).toContain('--base-url');
      expect((error as Error).message).toContain(JSON.stringify(baseUrl));
    }
  });

  it('rejects empty partner credentials', () => {
    expect(() => createVobizClient({ ...good, authId: '' })).toThrow(ConfigError);
    expect(() => createVobizClient({ ...good, authToken: ' ' })).toThrow(ConfigError);
  });
});

describe('the client against a scripted server', () => {
  let server: Server;
  let url: string;
  const seen: IncomingHttpHeaders[] = [];
  type Reply = { status: number; body: unknown; headers?: Record<string, string> };
  let reply: Reply | ((url: URL) => Reply) = { status: 200, body: {} };

  beforeAll(async () => {
    server = createServer((req, res) => {
      seen.push(req.headers);
      const current = typeof reply === 'function' ? reply(new URL(req.url ?? '/', 'http://x')) : reply;
      res.writeHead(current.status, { 'content-type': 'application/json', ...current.headers });
      res.end(JSON.stringify(current.body));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const client = (overrides: Partial<VobizClientOptions> = {}) =>
    createVobizClient({
      baseUrl: `${url}/`,
      authId: 'PA_SCRIPT',
      authToken: 'partner-secret-42',
      ...overrides,
    });
  const balanceBody = {
    auth_id: 'MA_SCRIPT01',
    name: 'Scripted',
    cash_credits: '10.50000',
    currency: 'INR',
    updated_at: '2026-05-07T11:54:13.620089+00:00',
  };

  it('sends both auth headers, Accept: application/json and a User-Agent naming the tool', async () => {
    reply = {
      status: 200,
      body: { auth_id: 'PA_SCRIPT', name: 'Partner', balance: '1.00000', account_count: 0 },
    };

    await client().getPartner();

    const headers = seen.at(-1);
    expect(headers?.['x-auth-id']).toBe('PA_SCRIPT');
    expect(headers?.['x-auth-token']).toBe('partner-secret-42');
    expect(headers?.accept).toBe('application/json');
    expect(headers?.['user-agent']).toMatch(/^vobiz-balance-monitor\//);
  });

  it('quotes at most ~200 characters of an error body, with token-like strings redacted', async () => {
    const message = `customer token 9f8e7d6c5b4a39281706f5e4d3c2b1a0 and partner-secret-42 rejected ${'x'.repeat(400)}`;
    reply = { status: 400, body: { error: 'bad_request', message } };

    const error = await caught(client().getBalance('MA_SCRIPT01'));

    expect(error).toBeInstanceOf(ApiError);
    const text = (error as Error).message;
    expect(text).toContain('HTTP 400: bad_request: customer token');
    expect(text).not.toContain('9f8e7d6c5b4a39281706f5e4d3c2b1a0');
    expect(text).not.toContain('partner-secret-42');
    expect(text.length).toBeLessThan(320);
  });

  it('reads a /me balance given as an exact JSON integer and a missing currency as null', async () => {
    reply = { status: 200, body: { auth_id: 'PA_SCRIPT', name: null, balance: 50000, account_count: 3 } };

    const me = await client().getPartner();

    expect(me).toEqual({
      authId: 'PA_SCRIPT',
      name: 'PA_SCRIPT',
      balance: '50000.00000',
      currency: null,
      accountCount: 3,
    });
  });

  it('rejects a /me balance given as a fractional JSON number', async () => {
    reply = { status: 200, body: { auth_id: 'PA_SCRIPT', name: 'P', balance: 12.5 } };

    const error = await caught(client({ retries: 0 }).getPartner());

    expect((error as Error).message).toContain('partner profile: balance must be');
  });

  it('falls back to the auth_id for a missing name and normalises the timestamp', async () => {
    const { name: _dropped, ...body } = balanceBody;
    reply = { status: 200, body };

    const result = await client().getBalance('MA_SCRIPT01');

    expect(result).toEqual({
      kind: 'ok',
      balance: {
        authId: 'MA_SCRIPT01',
        name: 'MA_SCRIPT01',
        cashCredits: '10.50000',
        currency: 'INR',
        updatedAt: '2026-05-07T11:54:13.620Z',
      },
    });
  });

  it('rejects a balance without a currency or with a lower-case one', async () => {
    for (const currency of [undefined, 'inr']) {
      reply = { status: 200, body: { ...balanceBody, currency } };

      const error = await caught(client({ retries: 0 }).getBalance('MA_SCRIPT01'));

      expect(error).toBeInstanceOf(ApiError);
      expect((error as Error).message).toContain('balance of MA_SCRIPT01: currency');
    }
  });

  it('rejects a cash_credits of more than 38 significant digits', async () => {
    reply = { status: 200, body: { ...balanceBody, cash_credits: `${'9'.repeat(35)}.12345` } };

    const error = await caught(client({ retries: 0 }).getBalance('MA_SCRIPT01'));

    expect((error as Error).message).toContain(
      'balance of MA_SCRIPT01: cash_credits must be a decimal string',
    );
    expect((error as Error).message).not.toContain('9'.repeat(35));
  });

  it('rejects a balance that answers for another account', async () => {
    reply = { status: 200, body: { ...balanceBody, auth_id: 'MA_OTHER' } };

    const error = await caught(client({ retries: 0 }).getBalance('MA_SCRIPT01'));

    expect((error as Error).message).toContain('balance of MA_SCRIPT01: auth_id');
  });

  it('keeps paging when the API clamps per_page but echoes the size it was asked for', async () => {
    const row = (n: number) => ({
      auth_id: `MA_CLAMP${n}`,
      name: `Clamp ${n}`,
      postpaid: false,
      is_active: true,
      enabled: true,
      cash_credits: '1.00000',
    });
    // Five accounts, two a page, while every answer claims a page size of 100.
    reply = (requested) => {
      const page = Number(requested.searchParams.get('page'));
      const rows = [1, 2, 3, 4, 5].slice((page - 1) * 2, page * 2).map(row);
      return { status: 200, body: { accounts: rows, total: 5, page, size: 100 } };
    };

    const pages = await collect(client().listAccounts());

    expect(pages.flatMap((p) => p.accounts.map((a) => a.authId))).toEqual(
      [1, 2, 3, 4, 5].map((n) => `MA_CLAMP${n}`),
    );
  });

  /** A list row as the API writes it, with the customer's own auth_token. */
  const row = (n: number) => ({
    auth_id: `MA_ROW${n}`,
    name: `Row ${n}`,
    postpaid: false,
    is_active: true,
    enabled: true,
    cash_credits: '-0.00001',
    created_at: '2026-03-25T10:00:00Z',
    auth_token: `tok${n}`,
  });

  it('reports a malformed row on its own and keeps the rest of the page', async () => {
    const bad = { ...row(2), postpaid: 'yes', auth_token: 'tok-secret-row2' };
    reply = { status: 200, body: { accounts: [row(1), bad, row(3)], total: 3, page: 1, size: 3 } };

    const pages = await collect(client({ perPage: 3 }).listAccounts());

    expect(pages[0]?.accounts.map((a) => a.authId)).toEqual(['MA_ROW1', 'MA_ROW3']);
    expect(pages[0]?.rejected).toEqual([
      { authId: 'MA_ROW2', reason: 'account MA_ROW2 on list page 1: postpaid must be a boolean, got string' },
    ]);
    expect(JSON.stringify(pages)).not.toContain('tok-secret-row2');
  });

  it('ends paging when page * size reaches total even if the last page is full', async () => {
    reply = { status: 200, body: { accounts: [row(1), row(2)], total: 2, page: 1, size: 2 } };

    const pages = await collect(client({ perPage: 2 }).listAccounts());

    expect(pages).toEqual([
      {
        page: 1,
        total: 2,
        rejected: [],
        accounts: [1, 2].map((n) => ({
          authId: `MA_ROW${n}`,
          name: `Row ${n}`,
          email: null,
          country: null,
          postpaid: false,
          isActive: true,
          enabled: true,
          listedBalance: '-0.00001',
          createdAt: '2026-03-25T10:00:00.000Z',
        })),
      },
    ]);
  });

  it('does not follow redirects, which would carry the token elsewhere', async () => {
    const seenBefore = seen.length;
    // Were the redirect followed, this very server would answer it with the same valid profile.
    const profile = { auth_id: 'PA_SCRIPT', name: 'Partner', balance: '1.00000' };
    reply = { status: 302, body: profile, headers: { location: `${url}/api/v1/partner/me?redirected=1` } };

    const error = await caught(client({ retries: 0 }).getPartner());

    expect(error).toBeInstanceOf(ApiError);
    expect(seen).toHaveLength(seenBefore + 1);
  });
});

describe('the client against a server that stalls mid-body', () => {
  let server: Server;
  let url: string;

  beforeAll(async () => {
    server = createServer((_req, res) => {
      // Headers and the first half of the body, then nothing: the budget must still run out.
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '200' });
      res.write('{"auth_id":"PA_STALL","name":');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('times the whole exchange out, reading the body included, and says so', async () => {
    const client = createVobizClient({
      baseUrl: url,
      authId: 'PA_STALL',
      authToken: 'stall-token',
      timeoutMs: 150,
      retries: 1,
      sleep: recordingSleep().sleep,
    });

    const error = await caught(client.getPartner());

    expect(error).toBeInstanceOf(ApiError);
    expect((error as Error).message).toBe(
      'timed out after 150 ms (GET /api/v1/partner/me, gave up after 2 attempts)',
    );
    expect(client.stats()).toEqual({ requests: 2, retries: 1 });
  });
});

describe('the Vobiz client against the simulator', () => {
  let sim: Sim;

  beforeAll(async () => {
    sim = await startSimulator({ accounts: 250, seed: 7, latencyMs: 0 });
  });
  afterAll(async () => {
    await sim.close();
  });
  afterEach(() => {
    sim.clearFaults();
    sim.resetStats();
  });

  describe('listing accounts', () => {
    it('pages 250 accounts in 3 pages of 100 and yields every account exactly once', async () => {
      const client = clientFor(sim);

      const pages = await collect(client.listAccounts());

      expect(pages.map((p) => p.page)).toEqual([1, 2, 3]);
      expect(pages.map((p) => p.accounts.length)).toEqual([100, 100, 50]);
      expect(pages.every((p) => p.total === 250)).toBe(true);
      const listed = ids(pages.flatMap((p) => p.accounts));
      expect(new Set(listed).size).toBe(250);
      expect([...listed].sort()).toEqual([...sim.accountIds()].sort());
      expect(sim.stats().byRoute.list).toBe(3);
    });

    it('maps each row exactly: names (unicode and control characters included), email, flags and balance', async () => {
      const client = clientFor(sim);

      const accounts = (await collect(client.listAccounts())).flatMap((p) => p.accounts);

      for (const account of accounts) {
        const raw = rawAccount(sim, account.authId);
        expect(account.name).toBe(raw.name ?? raw.auth_id);
        expect(account.email).toBe(raw.email ?? null);
        expect(account.postpaid).toBe(raw.postpaid);
        expect(account.isActive).toBe(raw.is_active);
        expect(account.enabled).toBe(raw.enabled);
        expect(account.listedBalance).toBe(raw.cash_credits);
        expect(account.createdAt).toBe(new Date(raw.created_at).toISOString());
      }
      // biome-ignore lint/suspicious/noControlCharactersInRegex: the point is names with control characters
      expect(accounts.some((a) => /[\u0000-\u001f]/.test(a.name))).toBe(true);
      expect(accounts.some((a) => /\p{Script=Devanagari}/u.test(a.name))).toBe(true);
      expect(accounts.some((a) => /\p{Extended_Pictographic}/u.test(a.name))).toBe(true);
      expect(accounts.some((a) => /\p{M}/u.test(a.name) && a.name !== a.name.normalize('NFC'))).toBe(true);
    });

    it('loses no account and repeats none when accounts are inserted while paging', async () => {
      await withOwnSim(async (own) => {
        const before = own.accountIds();
        own.addFault({ kind: 'insert-while-paging', count: 30, times: 2 });
        const client = clientFor(own);

        const listed = ids((await collect(client.listAccounts())).flatMap((p) => p.accounts));

        expect(own.accountIds()).toHaveLength(before.length + 60);
        expect(new Set(listed).size).toBe(listed.length);
        expect(listed).toEqual(expect.arrayContaining(before));
      });
    });

    it('loses no surviving account and repeats none when accounts are removed while paging', async () => {
      await withOwnSim(async (own) => {
        own.addFault({ kind: 'remove-while-paging', count: 7, times: 2 });
        const client = clientFor(own);

        const listed = ids((await collect(client.listAccounts())).flatMap((p) => p.accounts));

        expect(own.accountIds()).toHaveLength(250 - 14);
        expect(new Set(listed).size).toBe(listed.length);
        expect(listed).toEqual(expect.arrayContaining(own.accountIds()));
      });
    });

    it('follows the page size the API echoes when it clamps per_page', async () => {
      const client = clientFor(sim, { perPage: 150 });

      const pages = await collect(client.listAccounts());

      expect(pages.map((p) => p.accounts.length)).toEqual([100, 100, 50]);
    });

    it('stops on a short page when the list ends early', async () => {
      const client = clientFor(sim, { perPage: 60 });

      const pages = await collect(client.listAccounts());

      expect(pages.map((p) => p.accounts.length)).toEqual([60, 60, 60, 60, 10]);
    });

    it('throws an ApiError when paging does not end within maxPages', async () => {
      const client = clientFor(sim, { perPage: 10, maxPages: 2 });
      const pages: AccountPage[] = [];

      const error = await caught(
        (async () => {
          for await (const page of client.listAccounts()) pages.push(page);
        })(),
      );

      expect(error).toBeInstanceOf(ApiError);
      expect((error as Error).message).toMatch(/paging did not end/);
      expect(pages).toHaveLength(2);
    });
  });

  describe('reading balances', () => {
    it('returns negative and 5-dp balances exactly', async () => {
      const [a, b] = sim.accountIds();
      sim.setBalance(a as string, '-12.34567');
      sim.setBalance(b as string, '98765432109876543210.00001');
      const client = clientFor(sim);

      const first = await client.getBalance(a as string);
      const second = await client.getBalance(b as string);

      expect(first).toMatchObject({ kind: 'ok', balance: { authId: a, cashCredits: '-12.34567' } });
      expect(second).toMatchObject({ kind: 'ok', balance: { cashCredits: '98765432109876543210.00001' } });
    });

    it('reports a removed account as gone', async () => {
      await withOwnSim(async (own) => {
        const id = own.accountIds()[5] as string;
        own.removeAccount(id);
        const client = clientFor(own);

        expect(await client.getBalance(id)).toEqual({ kind: 'gone' });
        expect(await client.getBalance('MA_NOSUCH00')).toEqual({ kind: 'gone' });
      });
    });

    it('normalises updated_at to canonical UTC and keeps the currency', async () => {
      const id = sim.accountIds()[3] as string;
      const client = clientFor(sim);

      const result = await client.getBalance(id);

      expect(result.kind).toBe('ok');
      if (result.kind !== 'ok') return;
      expect(result.balance.currency).toMatch(/^[A-Z]{3}$/);
      expect(result.balance.updatedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    });
  });

  describe('the partner profile', () => {
    it('treats a 404 on /me as no partner API at that base URL', async () => {
      sim.addFault({ kind: 'server-error', route: 'me', status: 404 });

      const error = await caught(clientFor(sim).getPartner());

      expect(error).toBeInstanceOf(ConfigError);
      expect((error as Error).message).toMatch(/no partner API at http:\/\/127\.0\.0\.1:\d+/);
    });

    it('is read from /me', async () => {
      const client = clientFor(sim);

      const me = await client.getPartner();

      expect(me.authId).toBe(sim.partner.authId);
      expect(me.balance).toMatch(/^-?\d+\.\d{5,}$/);
    });
  });

  describe('credentials', () => {
    it('throws CredentialsError on 401 without echoing the token', async () => {
      const client = clientFor(sim, { authToken: 'wrong-token-value' });

      const error = await caught(client.getPartner());

      expect(error).toBeInstanceOf(CredentialsError);
      expect((error as CredentialsError).status).toBe(401);
      expect((error as Error).message).toMatch(/401.*\/api\/v1\/partner\/me.*rejected|rejected.*\/me.*401/);
      expect((error as Error).message).not.toContain('wrong-token-value');
      expect((error as Error).message).not.toContain('\n');
    });

    it('throws CredentialsError on 403 (customer credentials on a partner path) without retrying', async () => {
      const customer = rawAccount(sim, sim.accountIds()[0] as string);
      const client = clientFor(sim, { authId: customer.auth_id, authToken: customer.auth_token });

      const error = await caught(collect(client.listAccounts()));

      expect(error).toBeInstanceOf(CredentialsError);
      expect((error as CredentialsError).status).toBe(403);
      expect((error as Error).message).not.toContain(customer.auth_token);
      expect(client.stats()).toEqual({ requests: 1, retries: 0 });
    });
  });

  describe('faults', () => {
    it('retries a 5xx and then succeeds, with full-jitter backoff', async () => {
      sim.addFault({ kind: 'server-error', route: 'balance', times: 2, status: 503 });
      const { waits, sleep } = recordingSleep();
      const client = clientFor(sim, { sleep, random: () => 0.5, backoffBaseMs: 100, backoffCapMs: 150 });

      const result = await client.getBalance(sim.accountIds()[0] as string);

      expect(result.kind).toBe('ok');
      expect(waits).toEqual([50, 75]);
      expect(client.stats()).toEqual({ requests: 3, retries: 2 });
    });

    it('gives up with an ApiError naming the status once retries are used up', async () => {
      sim.addFault({ kind: 'server-error', route: 'balance', status: 500 });
      const retried: number[] = [];
      const client = clientFor(sim, { retries: 2, onRetry: (info) => retried.push(info.attempt) });

      const error = await caught(client.getBalance(sim.accountIds()[0] as string));

      expect(error).toBeInstanceOf(ApiError);
      expect((error as ApiError).status).toBe(500);
      expect((error as Error).message).toMatch(
        /^HTTP 500: 500 Internal Server Error .*gave up after 3 attempts\)$/,
      );
      expect((error as Error).message).not.toMatch(/[<>\n]/);
      expect(retried).toEqual([2, 3]);
    });

    it('does not retry another 4xx', async () => {
      sim.addFault({ kind: 'server-error', route: 'balance', status: 400 });
      const client = clientFor(sim);

      const error = await caught(client.getBalance(sim.accountIds()[0] as string));

      expect(error).toBeInstanceOf(ApiError);
      expect((error as ApiError).status).toBe(400);
      expect(client.stats().requests).toBe(1);
    });

    it('treats a 404 on the list as no partner API at that base URL', async () => {
      sim.addFault({ kind: 'server-error', route: 'list', status: 404 });
      const client = clientFor(sim);

      const error = await caught(collect(client.listAccounts()));

      expect(error).toBeInstanceOf(ConfigError);
      expect((error as Error).message).toContain('no partner API');
      expect((error as Error).message).toContain(sim.url.replace(/\/$/, ''));
    });

    it('honours Retry-After in delta-seconds', async () => {
      sim.addFault({
        kind: 'rate-limit',
        route: 'balance',
        times: 1,
        retryAfter: 'seconds',
        retryAfterSeconds: 7,
      });
      const { waits, sleep } = recordingSleep();
      const client = clientFor(sim, { sleep });

      const result = await client.getBalance(sim.accountIds()[0] as string);

      expect(result.kind).toBe('ok');
      expect(waits).toEqual([7_000]);
    });

    it('honours Retry-After as an HTTP-date', async () => {
      sim.addFault({
        kind: 'rate-limit',
        route: 'list',
        times: 1,
        retryAfter: 'http-date',
        retryAfterSeconds: 5,
      });
      const { waits, sleep } = recordingSleep();
      const client = clientFor(sim, { sleep });

      const pages = await collect(client.listAccounts());

      expect(pages).toHaveLength(3);
      expect(waits).toHaveLength(1);
      // HTTP dates have whole seconds, so up to a second is lost to rounding.
      expect(waits[0]).toBeGreaterThan(3_500);
      expect(waits[0]).toBeLessThanOrEqual(5_000);
    });

    it('backs off exponentially on a 429 without Retry-After', async () => {
      sim.addFault({ kind: 'rate-limit', route: 'me', times: 3, retryAfter: 'none' });
      const { waits, sleep } = recordingSleep();
      const client = clientFor(sim, { sleep, random: () => 0.999, backoffBaseMs: 100, backoffCapMs: 10_000 });

      await client.getPartner();

      expect(waits).toEqual([99, 199, 399]);
    });

    it('fails at once when Retry-After asks for longer than retryAfterCapMs', async () => {
      sim.addFault({
        kind: 'rate-limit',
        route: 'me',
        times: 1,
        retryAfter: 'seconds',
        retryAfterSeconds: 120,
      });
      const { waits, sleep } = recordingSleep();
      const client = clientFor(sim, { sleep, retryAfterCapMs: 60_000 });

      const error = await caught(client.getPartner());

      expect(error).toBeInstanceOf(ApiError);
      expect((error as ApiError).status).toBe(429);
      expect(waits).toEqual([]);
    });

    it('retries after a connection reset', async () => {
      sim.addFault({ kind: 'reset', route: 'balance', times: 2 });
      const client = clientFor(sim);

      const result = await client.getBalance(sim.accountIds()[0] as string);

      expect(result.kind).toBe('ok');
      expect(client.stats().retries).toBe(2);
    });

    it('reports the network cause when resets never stop on an API that has answered before', async () => {
      const client = clientFor(sim, { retries: 1 });
      await client.getPartner();
      sim.addFault({ kind: 'reset', route: 'balance' });

      const error = await caught(client.getBalance(sim.accountIds()[0] as string));

      expect(error).toBeInstanceOf(ApiError);
      expect((error as ApiError).status).toBeNull();
      expect((error as Error).message).toMatch(/network error/);
    });

    it('times out a hung request and retries it', async () => {
      sim.addFault({ kind: 'hang', route: 'balance', times: 1 });
      const client = clientFor(sim, { timeoutMs: 150 });

      const result = await client.getBalance(sim.accountIds()[0] as string);

      expect(result.kind).toBe('ok');
      expect(client.stats()).toEqual({ requests: 2, retries: 1 });
    });

    it('retries a truncated body and then succeeds', async () => {
      sim.addFault({ kind: 'truncated', route: 'list', times: 1 });
      const client = clientFor(sim);

      const pages = await collect(client.listAccounts());

      expect(ids(pages.flatMap((p) => p.accounts))).toHaveLength(sim.accountIds().length);
      expect(client.stats().retries).toBe(1);
    });

    it('gives up on a body that is never valid JSON', async () => {
      sim.addFault({ kind: 'truncated', route: 'me' });
      const client = clientFor(sim, { retries: 1 });

      const error = await caught(client.getPartner());

      expect(error).toBeInstanceOf(ApiError);
      expect((error as Error).message).toMatch(/malformed|network error/);
    });
  });

  describe('schema drift', () => {
    it('tolerates extra fields', async () => {
      sim.addFault({ kind: 'drift', drift: 'extra-fields' });
      const client = clientFor(sim);

      const pages = await collect(client.listAccounts());
      const balance = await client.getBalance(sim.accountIds()[0] as string);

      expect(pages.flatMap((p) => p.accounts)).toHaveLength(sim.accountIds().length);
      expect(balance.kind).toBe('ok');
      expect(client.stats().retries).toBe(0);
    });

    it('tolerates missing optional fields: missing email becomes null, a missing name falls back to the auth_id', async () => {
      sim.addFault({ kind: 'drift', drift: 'missing-optional' });
      const client = clientFor(sim);

      const accounts = (await collect(client.listAccounts())).flatMap((p) => p.accounts);
      const balance = await client.getBalance(sim.accountIds()[0] as string);

      expect(accounts).toHaveLength(sim.accountIds().length);
      expect(accounts.every((a) => a.name.length > 0)).toBe(true);
      expect(accounts.some((a) => a.email === null || a.country === null || a.name === a.authId)).toBe(true);
      expect(balance.kind).toBe('ok');
      expect(client.stats().retries).toBe(0);
    });

    it('rejects a numeric cash_credits with a one-line message naming the account and field', async () => {
      const id = sim.accountIds()[0] as string;
      sim.addFault({ kind: 'drift', drift: 'number-balance', route: 'balance' });
      const client = clientFor(sim, { retries: 1 });

      const error = await caught(client.getBalance(id));

      expect(error).toBeInstanceOf(ApiError);
      expect((error as Error).message).toContain(
        `balance of ${id}: cash_credits must be a decimal string, got number`,
      );
      expect((error as Error).message).not.toContain('\n');
    });

    it('rejects a missing cash_credits', async () => {
      const id = sim.accountIds()[0] as string;
      sim.addFault({ kind: 'drift', drift: 'missing-balance', route: 'balance' });
      const client = clientFor(sim, { retries: 0 });

      const error = await caught(client.getBalance(id));

      expect(error).toBeInstanceOf(ApiError);
      expect((error as Error).message).toContain(`balance of ${id}: cash_credits`);
    });

    it('retries a drifted body once and accepts the good one that follows', async () => {
      sim.addFault({ kind: 'drift', drift: 'number-balance', route: 'balance', times: 1 });
      const client = clientFor(sim);

      const result = await client.getBalance(sim.accountIds()[0] as string);

      expect(result.kind).toBe('ok');
      expect(client.stats().retries).toBe(1);
    });

    it('rejects a list in the wrong envelope', async () => {
      sim.addFault({ kind: 'drift', drift: 'wrong-envelope', route: 'list' });
      const client = clientFor(sim, { retries: 1 });

      const error = await caught(collect(client.listAccounts()));

      expect(error).toBeInstanceOf(ApiError);
      expect((error as Error).message).toMatch(/account list page 1/);
    });
  });

  describe('deadlines', () => {
    it('makes no request once the deadline has passed', async () => {
      const now = Date.parse('2026-11-27T00:00:00Z');
      const client = clientFor(sim, { now: () => now });

      const error = await caught(client.getBalance(sim.accountIds()[0] as string, { deadline: now - 1 }));

      expect(error).toBeInstanceOf(DeadlineError);
      expect(sim.stats().total).toBe(0);
    });

    it('cuts a request that hangs at the deadline, not at its own much longer timeout', async () => {
      // The clock stands still until the request is out, then reads past the deadline.
      sim.addFault({ kind: 'hang', route: 'balance' });
      const start = Date.parse('2026-11-27T00:00:00Z');
      const client = createVobizClient({
        baseUrl: sim.url,
        authId: sim.partner.authId,
        authToken: sim.partner.authToken,
        timeoutMs: 60_000,
        now: () => (sim.stats().total === 0 ? start : start + 301),
      });

      const error = await caught(client.getBalance(sim.accountIds()[0] as string, { deadline: start + 300 }));

      expect(error).toBeInstanceOf(DeadlineError);
      expect((error as Error).message).toContain('timed out after 300 ms');
    });

    it('does not sleep through a Retry-After that would end after the deadline', async () => {
      sim.addFault({ kind: 'rate-limit', route: 'balance', retryAfter: 'seconds', retryAfterSeconds: 30 });
      const { waits, sleep } = recordingSleep();
      const now = Date.parse('2026-11-27T00:00:00Z');
      const client = clientFor(sim, { sleep, now: () => now });

      const error = await caught(client.getBalance(sim.accountIds()[0] as string, { deadline: now + 5_000 }));

      expect(error).toBeInstanceOf(DeadlineError);
      expect(waits).toEqual([]);
    });

    it('stops when the caller aborts', async () => {
      sim.addFault({ kind: 'hang', route: 'me' });
      const client = clientFor(sim, { timeoutMs: 10_000 });
      const controller = new AbortController();
      setTimeout(() => controller.abort(new Error('stop')), 100);

      const error = await caught(client.getPartner({ signal: controller.signal }));

      expect((error as Error).message).toBe('stop');
    });
  });

  describe('customer tokens', () => {
    it('never appear in anything the client returns or throws', async () => {
      const tokens = sim.accountIds().map((id) => rawAccount(sim, id).auth_token);
      expect(tokens.every((t) => typeof t === 'string' && t.length >= 8)).toBe(true);
      const client = clientFor(sim, { retries: 1 });
      const outputs: unknown[] = [];
      const record = async (work: Promise<unknown>) => {
        try {
          outputs.push(await work);
        } catch (error) {
          outputs.push({ error: String(error), stack: (error as Error).stack, ...(error as object) });
        }
      };

      await record(collect(client.listAccounts()));
      for (const id of sim.accountIds().slice(0, 20)) await record(client.getBalance(id));
      await record(client.getPartner());
      for (const drift of ['number-balance', 'missing-balance', 'wrong-envelope'] as const) {
        sim.addFault({ kind: 'drift', drift });
        await record(collect(client.listAccounts()));
        await record(client.getBalance(sim.accountIds()[1] as string));
        sim.clearFaults();
      }
      sim.addFault({ kind: 'server-error', status: 422 });
      await record(collect(client.listAccounts()));
      sim.clearFaults();

      const text = JSON.stringify(outputs);
      expect(text.length).toBeGreaterThan(10_000);
      for (const token of tokens) expect(text).not.toContain(token);
      expect(text).not.toContain('auth_token');
    });
  });
});

/** A port on 127.0.0.1 that nothing listens on. */
async function refusedPort(): Promise<number> {
  const server = createTcpServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('an API that cannot be reached at all', () => {
  const options = { authId: 'PA_X', authToken: 'token', retries: 2, sleep: recordingSleep().sleep };

  it('is a fatal error naming the origin and ECONNREFUSED when every attempt is refused', async () => {
    const port = await refusedPort();
    const client = createVobizClient({ ...options, baseUrl: `http://127.0.0.1:${port}` });

    const error = await caught(client.listPage(1));

    expect(error).toBeInstanceOf(FatalError);
    expect((error as Error).message).toBe(`cannot reach http://127.0.0.1:${port}: ECONNREFUSED`);
    expect(client.stats().requests).toBe(3);
  });

  it('is a fatal error naming the host and ENOTFOUND when the name does not resolve', async () => {
    // .invalid never resolves (RFC 6761): nothing leaves this machine.
    const client = createVobizClient({ ...options, baseUrl: 'https://vobiz-monitor-test.invalid' });

    const error = await caught(client.getPartner());

    expect(error).toBeInstanceOf(FatalError);
    expect((error as Error).message).toMatch(
      /^cannot reach https:\/\/vobiz-monitor-test\.invalid: (ENOTFOUND|EAI_AGAIN)$/,
    );
  });

  it("is one account's failure, not fatal, once the API has answered this client", async () => {
    const sim = await startSimulator({ accounts: 3, seed: 3 });
    try {
      const client = clientFor(sim, { retries: 1 });
      await client.listPage(1);
      await sim.close();

      const error = await caught(client.getBalance(sim.accountIds()[0] as string));

      expect(error).toBeInstanceOf(ApiError);
      expect((error as Error).message).toMatch(/network error: ECONNREFUSED/);
    } finally {
      await sim.close();
    }
  });
});
