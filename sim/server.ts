import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { AccountStore, CURRENCY_BY_COUNTRY, type NewAccountFields, type SimAccount } from './accounts.ts';
import { toApiAmount } from './decimal.ts';
import { applyDrift, serialize } from './drift.ts';
import { ErrorShapes, type ErrorSpec, type FieldError, loadBalancerPage } from './errors.ts';
import { FaultBook, type FaultKind, type FaultSpec, type RouteName, validateFault } from './faults.ts';
import { isLoopback, type ReadResult, readBody } from './http.ts';
import { RateLimit } from './rate-limit.ts';

/**
 * A local Vobiz Partner API (CONTRACT.md §14): the documented routes, auth and envelopes,
 * seeded accounts, latency, fault injection and a control surface under /__sim for tests.
 */

export type { FaultSpec, SimAccount };

export interface SimOptions {
  host?: string;
  port?: number;
  /** Seeded account count (default 50). */
  accounts?: number;
  /** Same seed, same accounts, names, balances and tokens (default 1). */
  seed?: number;
  /** Added before every API response (default 0). */
  latencyMs?: number;
  partnerAuthId?: string;
  partnerAuthToken?: string;
  /** The partner's own balance on /me, a decimal string (default '250000.00000'). */
  partnerBalance?: string;
  /** per_page above 100: clamp to 100 (default) or answer 422. */
  perPageLimit?: 'clamp' | 'reject';
  faults?: FaultSpec[];
  /** /me max_accounts; creating beyond it gives 403 (default max(1000, 1.5 x accounts)). */
  maxAccounts?: number;
  /** /me can_create_accounts; false makes POST /accounts answer 403 (default true). */
  canCreateAccounts?: boolean;
  /** Requests per second above which API requests get 429 with Retry-After (default: no limit). */
  rateLimit?: number;
  /** Epoch ms, read by the rate limit (default Date.now); tests inject one. */
  clock?: () => number;
}

export interface SimStats {
  total: number;
  byRoute: Record<string, number>;
  byStatus: Record<string, number>;
  maxInFlight: number;
  /** 429s served by the rate limit (injected rate-limit faults are not counted here). */
  rateLimited: number;
}

export interface Simulator {
  /** Origin, e.g. 'http://127.0.0.1:41234'; the API lives under /api/v1/partner. */
  url: string;
  partner: { authId: string; authToken: string };
  /** Finishes promptly even with hung requests open: their sockets are destroyed. */
  close(): Promise<void>;
  setBalance(authId: string, cashCredits: string): void;
  adjustBalance(authId: string, delta: string): void;
  /** Inserts a new account at the head of the list (the newest). */
  addAccount(fields?: AccountFields): SimAccount;
  removeAccount(authId: string): void;
  getAccount(authId: string): SimAccount | undefined;
  /** In list order, newest first. */
  accountIds(): string[];
  addFault(fault: FaultSpec): void;
  clearFaults(): void;
  setLatency(ms: number): void;
  /** The partner rotates its token in the console: from now on only the new one is accepted. */
  rotatePartnerToken(authToken: string): void;
  stats(): SimStats;
  resetStats(): void;
}

/** The fields a test or the control surface may set on a new account. */
export type AccountFields = Pick<
  NewAccountFields,
  'name' | 'email' | 'cash_credits' | 'postpaid' | 'is_active' | 'enabled' | 'country'
>;

export const API_PREFIX = '/api/v1/partner';
const DEFAULT_PER_PAGE = 20;
const MAX_PER_PAGE = 100;
const MAX_ACCOUNTS_OPTION = 1_000_000;
/** Faults that replace the whole answer; at most one fires per request. */
const GATE_FAULTS: FaultKind[] = ['rate-limit', 'server-error', 'reset', 'hang'];
const PAGING_FAULTS: FaultKind[] = ['insert-while-paging', 'remove-while-paging'];
const JSON_TYPE = 'application/json';

export async function startSimulator(options: SimOptions = {}): Promise<Simulator> {
  const sim = new VobizSimulator(options);
  await sim.listen(options.host ?? '127.0.0.1', options.port ?? 0);
  return sim;
}

type Target =
  | { kind: 'route'; route: Exclude<RouteName, 'unknown'>; authId?: string }
  | { kind: 'not-found' }
  | { kind: 'method'; allow: string };

interface Reply {
  status: number;
  body: unknown;
}

class VobizSimulator implements Simulator {
  url = '';
  readonly partner: { authId: string; authToken: string };
  private readonly server: Server;
  private readonly store: AccountStore;
  private readonly faults: FaultBook;
  private readonly shapes = new ErrorShapes();
  private readonly sockets = new Set<Socket>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly perPageLimit: 'clamp' | 'reject';
  private readonly partnerBalance: string;
  private readonly maxAccounts: number;
  private readonly canCreateAccounts: boolean;
  private readonly rateLimit: RateLimit | undefined;
  private latencyMs: number;
  private counters: SimStats = emptyStats();
  private inFlight = 0;
  private closing: Promise<void> | undefined;

  constructor(options: SimOptions) {
    const accounts = options.accounts ?? 50;
    if (!Number.isInteger(accounts) || accounts < 0 || accounts > MAX_ACCOUNTS_OPTION) {
      throw new RangeError(`accounts must be an integer from 0 to ${MAX_ACCOUNTS_OPTION}`);
    }
    const seed = options.seed ?? 1;
    if (!Number.isInteger(seed)) throw new RangeError('seed must be an integer');
    this.latencyMs = checkLatency(options.latencyMs ?? 0);
    this.partner = {
      authId: options.partnerAuthId ?? 'PA_SIM00001',
      authToken: options.partnerAuthToken ?? 'sim-partner-token',
    };
    this.partnerBalance = toApiAmount(options.partnerBalance ?? '250000.00000', 'partnerBalance');
    this.perPageLimit = options.perPageLimit ?? 'clamp';
    this.maxAccounts = options.maxAccounts ?? Math.max(1000, Math.ceil(accounts * 1.5));
    this.canCreateAccounts = options.canCreateAccounts ?? true;
    this.rateLimit =
      options.rateLimit === undefined
        ? undefined
        : new RateLimit(options.rateLimit, options.clock ?? Date.now);
    this.store = new AccountStore(seed, accounts);
    this.faults = new FaultBook(seed);
    for (const fault of options.faults ?? []) this.faults.add(fault);
    this.server = createServer((req, res) => {
      this.dispatch(req, res).catch((error: unknown) => this.crashed(res, error));
    });
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
  }

  listen(host: string, port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        const address = this.server.address();
        if (address === null || typeof address === 'string') return reject(new Error('no TCP address'));
        const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
        this.url = `http://${shownHost}:${address.port}`;
        resolve();
      });
    });
  }

  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      for (const timer of this.timers) clearTimeout(timer);
      this.timers.clear();
      this.server.close(() => resolve());
      // Hung and keep-alive connections would hold close() open; nobody waits for them.
      this.server.closeAllConnections();
      for (const socket of this.sockets) socket.destroy();
    });
    return this.closing;
  }

  setBalance(authId: string, cashCredits: string): void {
    this.store.setBalance(authId, cashCredits);
  }

  adjustBalance(authId: string, delta: string): void {
    this.store.adjustBalance(authId, delta);
  }

  addAccount(fields: AccountFields = {}): SimAccount {
    return this.store.toAccount(this.store.add(fields));
  }

  removeAccount(authId: string): void {
    if (!this.store.remove(authId)) throw new Error(`no account ${authId}`);
  }

  getAccount(authId: string): SimAccount | undefined {
    const record = this.store.get(authId);
    return record ? this.store.toAccount(record) : undefined;
  }

  accountIds(): string[] {
    return this.store.ids();
  }

  addFault(fault: FaultSpec): void {
    this.faults.add(fault);
  }

  clearFaults(): void {
    this.faults.clear();
  }

  rotatePartnerToken(authToken: string): void {
    this.partner.authToken = authToken;
  }

  setLatency(ms: number): void {
    this.latencyMs = checkLatency(ms);
  }

  stats(): SimStats {
    return {
      total: this.counters.total,
      byRoute: { ...this.counters.byRoute },
      byStatus: { ...this.counters.byStatus },
      maxInFlight: this.counters.maxInFlight,
      rateLimited: this.counters.rateLimited,
    };
  }

  resetStats(): void {
    this.counters = emptyStats();
    this.counters.maxInFlight = this.inFlight;
  }

  // ---- HTTP ----

  private async dispatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://sim.invalid');
    if (url.pathname === '/__sim' || url.pathname.startsWith('/__sim/')) return this.control(req, res, url);
    return this.api(req, res, url);
  }

  private async api(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    this.counters.total++;
    this.inFlight++;
    this.counters.maxInFlight = Math.max(this.counters.maxInFlight, this.inFlight);
    res.once('close', () => this.inFlight--);

    const target = resolve(req.method ?? 'GET', url.pathname);
    bump(this.counters.byRoute, target.kind === 'route' ? target.route : 'unknown');
    // Counted on arrival, like a gateway in front of the API, before routes and credentials.
    const retryAfter = this.rateLimit?.take() ?? null;
    const body = await readBody(req);
    await this.delay(this.latencyMs);
    if (this.closing) return;

    if (retryAfter !== null) {
      this.counters.rateLimited++;
      return this.sendError(
        res,
        {
          status: 429,
          code: 'rate_limit_exceeded',
          message: `More than ${this.rateLimit?.perSecond} requests per second; slow down`,
          extra: { retryAfter },
        },
        { 'retry-after': String(retryAfter) },
      );
    }

    if (target.kind === 'not-found') {
      return this.sendError(res, {
        status: 404,
        code: 'not_found',
        message: `No route for ${req.method} ${url.pathname}`,
      });
    }
    if (target.kind === 'method') {
      return this.sendError(
        res,
        { status: 405, code: 'method_not_allowed', message: `${req.method} is not allowed here` },
        { allow: target.allow },
      );
    }
    const denied = this.authenticate(req);
    if (denied) return this.sendError(res, denied);

    const facts = { route: target.route, ...(target.authId !== undefined ? { authId: target.authId } : {}) };
    const [gate] = this.faults.fire(GATE_FAULTS, facts, true);
    if (gate) return this.gateFault(req, res, gate);

    const reply = this.answer(target.route, target.authId, url, body);
    if ('code' in reply) return this.sendError(res, reply);
    let payload = reply.body;
    if (reply.status >= 200 && reply.status < 300) {
      for (const drift of this.faults.fire(['drift'], facts)) {
        if (drift.drift) payload = applyDrift(target.route, payload, drift.drift);
      }
      const text = serialize(payload);
      if (this.faults.fire(['truncated'], facts, true).length > 0) {
        const bytes = Buffer.from(text);
        return this.send(
          res,
          reply.status,
          bytes.subarray(0, Math.max(1, Math.floor(bytes.length / 2))),
          JSON_TYPE,
        );
      }
      return this.send(res, reply.status, text, JSON_TYPE);
    }
    return this.send(res, reply.status, serialize(payload), JSON_TYPE);
  }

  private answer(
    route: Exclude<RouteName, 'unknown'>,
    authId: string | undefined,
    url: URL,
    body: ReadResult,
  ): Reply | ErrorSpec {
    switch (route) {
      case 'list':
        return this.list(url.searchParams);
      case 'account': {
        const record = authId === undefined ? undefined : this.store.get(authId);
        if (!record) return accountNotFound(authId);
        return { status: 200, body: this.store.toAccount(record) };
      }
      case 'balance': {
        const record = authId === undefined ? undefined : this.store.get(authId);
        if (!record) return accountNotFound(authId);
        return { status: 200, body: this.store.balanceOf(record) };
      }
      case 'me':
        return { status: 200, body: this.me() };
      case 'create':
        return this.create(body);
    }
  }

  private list(query: URLSearchParams): Reply | ErrorSpec {
    const errors: FieldError[] = [];
    const page = positiveInt(query, 'page', 1, errors);
    // `size` is the older docs' name for the same parameter (§2); per_page wins when both are sent.
    const sizeKey = query.has('per_page') || !query.has('size') ? 'per_page' : 'size';
    let perPage = positiveInt(query, sizeKey, DEFAULT_PER_PAGE, errors);
    if (perPage > MAX_PER_PAGE) {
      if (this.perPageLimit === 'reject') {
        errors.push({
          field: sizeKey,
          message: `must be less than or equal to ${MAX_PER_PAGE}`,
          code: 'less_than_equal',
          value: query.get(sizeKey),
        });
      } else {
        perPage = MAX_PER_PAGE;
      }
    }
    if (errors.length > 0) return validationFailed(errors);

    if (page >= 2) {
      for (const fault of this.faults.fire(PAGING_FAULTS, { route: 'list' })) {
        const count = fault.count ?? 5;
        if (fault.kind === 'insert-while-paging') for (let i = 0; i < count; i++) this.store.add();
        else this.store.removeNewest(count);
      }
    }
    const { records, total } = this.store.list(page, perPage, query.get('search') || undefined);
    return {
      status: 200,
      body: { accounts: records.map((r) => this.store.toAccount(r)), total, page, size: perPage },
    };
  }

  private me(): Record<string, unknown> {
    return {
      id: this.store.partnerUuid,
      account_id: 500000,
      name: 'Sim Partner Networks',
      slug: 'sim-partner-networks',
      company: 'Sim Partner Networks Pvt Ltd',
      auth_id: this.partner.authId,
      email: 'partner@example.com',
      phone: '+919800000000',
      billing_model: 'direct',
      is_active: true,
      is_verified: true,
      max_accounts: this.maxAccounts,
      can_create_accounts: this.canCreateAccounts,
      can_create_pricing_tiers: true,
      can_view_cdrs: true,
      can_transfer_balance: true,
      default_pricing_tier_id: this.store.tierId('INR'),
      account_count: this.store.size,
      balance: this.partnerBalance,
      created_at: '2026-01-19T18:39:14.529435Z',
      updated_at: '2026-05-11T13:31:06.283235Z',
    };
  }

  private create(body: ReadResult): Reply | ErrorSpec {
    if (!this.canCreateAccounts) {
      return {
        status: 403,
        code: 'forbidden',
        message: 'This partner may not create accounts (can_create_accounts=false)',
      };
    }
    if (body.tooLarge)
      return { status: 413, code: 'payload_too_large', message: 'Request body is too large' };
    let input: unknown;
    try {
      input = JSON.parse(body.text);
    } catch {
      return { status: 400, code: 'invalid_json', message: 'Request body is not valid JSON' };
    }
    if (typeof input !== 'object' || input === null || Array.isArray(input)) {
      return validationFailed([
        { field: 'body', message: 'must be a JSON object', code: 'type_error', value: input },
      ]);
    }
    const fields = input as Record<string, unknown>;
    const errors: FieldError[] = [];
    const text = (field: string): string | undefined => {
      const value = fields[field];
      if (value === undefined || value === null || (typeof value === 'string' && value.trim() === '')) {
        errors.push({ field, message: 'Field required', code: 'required', value: value ?? null });
        return undefined;
      }
      if (typeof value !== 'string') {
        errors.push({ field, message: 'must be a string', code: 'type_error', value });
        return undefined;
      }
      return value;
    };
    const name = text('name');
    const email = text('email');
    const password = text('password');
    if (email !== undefined && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)) {
      errors.push({
        field: 'email',
        message: 'is not a valid email address',
        code: 'invalid_format',
        value: email,
      });
    }
    if (password !== undefined && [...password].length < 8) {
      errors.push({
        field: 'password',
        message: 'must be at least 8 characters',
        code: 'too_short',
        value: '********',
      });
    }
    const country = fields.country;
    if (
      country !== undefined &&
      (typeof country !== 'string' || !(country.toUpperCase() in CURRENCY_BY_COUNTRY))
    ) {
      errors.push({
        field: 'country',
        message: `must be one of ${Object.keys(CURRENCY_BY_COUNTRY).join(', ')}`,
        code: 'invalid_choice',
        value: country,
      });
    }
    for (const optional of ['phone', 'company']) {
      const value = fields[optional];
      if (value !== undefined && typeof value !== 'string') {
        errors.push({ field: optional, message: 'must be a string', code: 'type_error', value });
      }
    }
    if (errors.length > 0 || name === undefined || email === undefined) return validationFailed(errors);
    if (this.store.size >= this.maxAccounts) {
      return {
        status: 403,
        code: 'max_accounts_reached',
        message: `This partner already has ${this.maxAccounts} accounts`,
      };
    }
    if (this.store.hasEmail(email)) {
      return {
        status: 409,
        code: 'email_already_exists',
        message: 'An account with this email already exists',
      };
    }
    const created: NewAccountFields = { name, email };
    if (typeof country === 'string') created.country = country;
    if (typeof fields.phone === 'string') created.phone = fields.phone;
    if (typeof fields.company === 'string') created.company = fields.company;
    return { status: 201, body: this.store.toAccount(this.store.add(created)) };
  }

  private authenticate(req: IncomingMessage): ErrorSpec | undefined {
    const id = header(req, 'x-auth-id');
    const token = header(req, 'x-auth-token');
    if (!id || !token) {
      return {
        status: 401,
        code: 'unauthorized',
        message: 'X-Auth-ID and X-Auth-Token headers are required',
      };
    }
    if (id === this.partner.authId && token === this.partner.authToken) return undefined;
    const customer = this.store.get(id);
    if (customer && this.store.tokenOf(customer) === token) {
      return {
        status: 403,
        code: 'forbidden',
        message: 'Customer credentials cannot be used on partner endpoints',
      };
    }
    return { status: 401, code: 'invalid_credentials', message: 'Invalid X-Auth-ID or X-Auth-Token' };
  }

  private gateFault(req: IncomingMessage, res: ServerResponse, fault: FaultSpec): void {
    switch (fault.kind) {
      case 'rate-limit': {
        const seconds = fault.retryAfterSeconds ?? 1;
        const mode = fault.retryAfter ?? 'seconds';
        const headers: Record<string, string> = {};
        if (mode === 'seconds') headers['retry-after'] = String(seconds);
        if (mode === 'http-date')
          headers['retry-after'] = new Date(Date.now() + seconds * 1000).toUTCString();
        this.sendError(
          res,
          {
            status: 429,
            code: 'rate_limit_exceeded',
            message: 'Too many requests; slow down',
            ...(mode === 'none' ? {} : { extra: { retryAfter: seconds } }),
          },
          headers,
        );
        return;
      }
      case 'server-error': {
        const status = fault.status ?? 503;
        this.send(res, status, loadBalancerPage(status), 'text/html');
        return;
      }
      case 'reset':
        bump(this.counters.byStatus, 'reset');
        // An RST, not a polite FIN: what a crashed proxy looks like to the client.
        req.socket.resetAndDestroy();
        return;
      case 'hang':
        bump(this.counters.byStatus, 'hang');
        return;
      default:
        return;
    }
  }

  // ---- control surface ----

  private async control(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    if (!isLoopback(req.socket.remoteAddress)) {
      return sendJson(res, 403, { error: 'the control surface answers loopback clients only' });
    }
    const body = await readBody(req);
    const path = url.pathname.replace(/\/+$/, '');
    const method = req.method ?? 'GET';
    try {
      const parsed = (): Record<string, unknown> => parseObject(body);
      if (path === '/__sim/stats' && method === 'GET') return sendJson(res, 200, this.stats());
      if (path === '/__sim/stats' && method === 'DELETE') {
        this.resetStats();
        return sendJson(res, 200, this.stats());
      }
      if (path === '/__sim/faults' && method === 'POST') {
        this.addFault(validateFault(parsed()));
        return sendJson(res, 201, { faults: this.faults.size });
      }
      if (path === '/__sim/faults' && method === 'DELETE') {
        this.clearFaults();
        return sendJson(res, 200, { faults: 0 });
      }
      if (path === '/__sim/latency' && method === 'POST') {
        const { ms } = parsed();
        if (typeof ms !== 'number') throw new ControlError(400, 'ms must be a number');
        this.setLatency(ms);
        return sendJson(res, 200, { ms });
      }
      if (path === '/__sim/balance' && method === 'POST')
        return sendJson(res, 200, this.controlBalance(parsed()));
      if (path === '/__sim/accounts' && method === 'GET') return sendJson(res, 200, this.accountIds());
      if (path === '/__sim/accounts' && method === 'POST') {
        return sendJson(res, 201, this.addAccount(accountFields(parsed())));
      }
      const one = /^\/__sim\/accounts\/([^/]+)$/.exec(path);
      if (one && method === 'DELETE') {
        const authId = decode(one[1] ?? '');
        if (authId === undefined || !this.store.remove(authId))
          throw new ControlError(404, `no account ${authId}`);
        return sendJson(res, 200, { removed: authId });
      }
      return sendJson(res, 404, { error: `no control route ${method} ${path}` });
    } catch (error) {
      const status = error instanceof ControlError ? error.status : 400;
      return sendJson(res, status, { error: (error as Error).message });
    }
  }

  private controlBalance(input: Record<string, unknown>): { auth_id: string; cash_credits: string } {
    const authId = input.auth_id;
    if (typeof authId !== 'string') throw new ControlError(400, 'auth_id must be a string');
    if (!this.store.get(authId)) throw new ControlError(404, `no account ${authId}`);
    const amount = (key: string): string => {
      const value = input[key];
      // A JSON number is accepted only as the digits it was written with; 1e21 and the like are refused.
      if (typeof value === 'number' && /^-?\d+(\.\d+)?$/.test(String(value))) return String(value);
      if (typeof value === 'string') return value;
      throw new ControlError(400, `${key} must be a decimal string`);
    };
    const has = (key: string): boolean => input[key] !== undefined;
    if (has('cash_credits') === has('delta'))
      throw new ControlError(400, 'send exactly one of cash_credits or delta');
    const record = has('cash_credits')
      ? this.store.setBalance(authId, amount('cash_credits'))
      : this.store.adjustBalance(authId, amount('delta'));
    return { auth_id: authId, cash_credits: record.cashCredits };
  }

  // ---- plumbing ----

  private delay(ms: number): Promise<void> {
    if (ms <= 0) return Promise.resolve();
    return new Promise((done) => {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        done();
      }, ms);
      this.timers.add(timer);
    });
  }

  private sendError(res: ServerResponse, spec: ErrorSpec, headers: Record<string, string> = {}): void {
    this.send(res, spec.status, serialize(this.shapes.body(spec)), JSON_TYPE, headers);
  }

  private send(
    res: ServerResponse,
    status: number,
    body: string | Buffer,
    contentType: string,
    headers: Record<string, string> = {},
  ): void {
    bump(this.counters.byStatus, String(status));
    if (res.destroyed) return;
    res.writeHead(status, {
      'content-type': `${contentType}; charset=utf-8`,
      'content-length': String(Buffer.byteLength(body)),
      ...headers,
    });
    res.end(body);
  }

  private crashed(res: ServerResponse, error: unknown): void {
    // A bug in the simulator must show up as a 500 naming it, not as a hung test.
    if (res.headersSent || res.destroyed) return;
    sendJson(res, 500, { error: `simulator bug: ${(error as Error)?.message ?? String(error)}` });
  }
}

class ControlError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function resolve(method: string, pathname: string): Target {
  if (!pathname.startsWith(`${API_PREFIX}/`)) return { kind: 'not-found' };
  const parts = pathname
    .slice(API_PREFIX.length + 1)
    .replace(/\/$/, '')
    .split('/');
  const only = (allowed: string, route: Exclude<RouteName, 'unknown'>, authId?: string): Target => {
    if (method !== allowed) return { kind: 'method', allow: allowed };
    return authId === undefined ? { kind: 'route', route } : { kind: 'route', route, authId };
  };
  const [first, id, leaf, ...rest] = parts;
  if (rest.length > 0) return { kind: 'not-found' };
  if (first === 'me' && id === undefined) return only('GET', 'me');
  if (first !== 'accounts') return { kind: 'not-found' };
  if (id === undefined) {
    if (method === 'POST') return { kind: 'route', route: 'create' };
    return only('GET', 'list');
  }
  const authId = decode(id);
  if (authId === undefined || authId === '') return { kind: 'not-found' };
  if (leaf === undefined) return only('GET', 'account', authId);
  if (leaf === 'balance') return only('GET', 'balance', authId);
  return { kind: 'not-found' };
}

function decode(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

function positiveInt(query: URLSearchParams, key: string, fallback: number, errors: FieldError[]): number {
  const raw = query.get(key);
  if (raw === null) return fallback;
  if (/^\d{1,15}$/.test(raw) && Number(raw) >= 1) return Number(raw);
  errors.push({ field: key, message: 'must be a positive integer', code: 'invalid_integer', value: raw });
  return fallback;
}

function validationFailed(errors: FieldError[]): ErrorSpec {
  return { status: 422, code: 'validation_error', message: 'Request validation failed', errors };
}

function accountNotFound(authId: string | undefined): ErrorSpec {
  return { status: 404, code: 'account_not_found', message: `Account ${authId ?? ''} not found` };
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function bump(counts: Record<string, number>, key: string): void {
  counts[key] = (counts[key] ?? 0) + 1;
}

function emptyStats(): SimStats {
  return { total: 0, byRoute: {}, byStatus: {}, maxInFlight: 0, rateLimited: 0 };
}

function checkLatency(ms: number): number {
  if (!Number.isFinite(ms) || ms < 0)
    throw new RangeError('latency must be a non-negative number of milliseconds');
  return ms;
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  if (res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': `${JSON_TYPE}; charset=utf-8`,
    'content-length': String(Buffer.byteLength(text)),
  });
  res.end(text);
}

function parseObject(body: ReadResult): Record<string, unknown> {
  if (body.tooLarge) throw new ControlError(413, 'request body is too large');
  let value: unknown;
  try {
    value = JSON.parse(body.text === '' ? '{}' : body.text);
  } catch {
    throw new ControlError(400, 'request body is not valid JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ControlError(400, 'request body must be a JSON object');
  }
  return value as Record<string, unknown>;
}

const ACCOUNT_FIELD_TYPES: Record<keyof AccountFields, 'string' | 'boolean'> = {
  name: 'string',
  email: 'string',
  cash_credits: 'string',
  postpaid: 'boolean',
  is_active: 'boolean',
  enabled: 'boolean',
  country: 'string',
};

function accountFields(input: Record<string, unknown>): AccountFields {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(input)) {
    const type = ACCOUNT_FIELD_TYPES[key as keyof AccountFields];
    if (type === undefined) throw new ControlError(400, `unknown account field: ${key}`);
    if (typeof value !== type) throw new ControlError(400, `${key} must be a ${type}`);
    out[key] = value;
  }
  return out as AccountFields;
}
