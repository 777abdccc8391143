import { ApiError, ConfigError, CredentialsError, DeadlineError, FatalError } from '../../core/errors.ts';
import { walkPages } from '../../core/page-walk.ts';
import type { BalanceResult, RequestOptions, VobizPort } from '../../core/ports.ts';
import type { AccountPage, ListPage, PartnerProfile } from '../../core/types.ts';
import { HttpNetworkError, HttpTimeout, httpGet } from './http.ts';
import { quoteErrorBody } from './redact.ts';
import { backoffDelay, sleep as defaultSleep, parseRetryAfter } from './retry.ts';
import { MalformedResponse, parseAccountPage, parseBalance, parsePartnerProfile } from './schemas.ts';

/**
 * The Vobiz Partner API client (shared/vobiz-api/CONTRACT.md): the monitor's only way to the API.
 *
 * Every request carries both auth headers and a timeout, and respects the caller's deadline and
 * signal. Reads are retried: 5xx, 429, resets, timeouts and malformed bodies, with capped exponential
 * backoff and full jitter, or the server's Retry-After. 401/403 throw CredentialsError at once, other
 * 4xx throw ApiError at once. Customer `auth_token`s are dropped by the schemas, and bodies of
 * successful responses are never quoted into errors. While the API has not answered a single request
 * since the client was made, a request whose every attempt failed before any response (DNS, refused,
 * reset, TLS) throws FatalError `cannot reach <origin>: <code>`: a wrong host or a dead network is
 * not an account's failure.
 */

export { parseRetryAfter } from './retry.ts';

const API_PREFIX = '/api/v1/partner';
export const USER_AGENT = `vobiz-balance-monitor/0.1 (node ${process.versions.node})`;

export interface RetryInfo {
  method: string;
  path: string;
  /** The attempt about to be made after the wait (2 for the first retry). */
  attempt: number;
  delayMs: number;
  reason: string;
}

export interface VobizClientOptions {
  /** API origin, e.g. 'https://api.vobiz.ai'; '/api/v1/partner/...' is appended. */
  baseUrl: string;
  authId: string;
  authToken: string;
  /** Per request, default 10 000. */
  timeoutMs?: number;
  /** Retries after the first attempt, default 4. */
  retries?: number;
  backoffBaseMs?: number;
  backoffCapMs?: number;
  /** The longest Retry-After honoured, default 60 000; a longer one fails the request at once. */
  retryAfterCapMs?: number;
  /** Default 100, the documented maximum. */
  perPage?: number;
  /** Hard guard against endless paging, default 20 000. */
  maxPages?: number;
  random?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  now?: () => number;
  onRetry?: (info: RetryInfo) => void;
}

export interface VobizClientStats {
  /** HTTP attempts made (retries included). */
  requests: number;
  /** Waits before a retry. */
  retries: number;
}

type Route = 'list' | 'balance' | 'me';

interface Call<T> {
  route: Route;
  path: string;
  parse: (body: unknown) => T;
}

/** How one attempt ended when it did not produce a value. */
interface Failure {
  reason: string;
  status: number | null;
  retry: boolean;
  /** The low-level code when the attempt failed before any response arrived. */
  unreachable?: string;
  /** Server-requested wait, when it sent a usable Retry-After. */
  retryAfterMs: number | null;
}

export type VobizClient = VobizPort & {
  /** Pages through every customer account; stops on its own at the end of the list. */
  listAccounts(options?: RequestOptions): AsyncIterable<AccountPage>;
  stats(): VobizClientStats;
};

export function createVobizClient(options: VobizClientOptions): VobizClient {
  const origin = parseBaseUrl(options.baseUrl);
  const authId = credential('partner auth id (X-Auth-ID)', options.authId);
  const authToken = credential('partner auth token (X-Auth-Token)', options.authToken);
  const timeoutMs = whole('timeoutMs', options.timeoutMs, 10_000, 1);
  const retries = whole('retries', options.retries, 4, 0);
  const backoffBaseMs = whole('backoffBaseMs', options.backoffBaseMs, 250, 0);
  const backoffCapMs = whole('backoffCapMs', options.backoffCapMs, 8_000, 0);
  const retryAfterCapMs = whole('retryAfterCapMs', options.retryAfterCapMs, 60_000, 0);
  const perPage = whole('perPage', options.perPage, 100, 1);
  const maxPages = whole('maxPages', options.maxPages, 20_000, 1);
  const random = options.random ?? Math.random;
  const wait = options.sleep ?? defaultSleep;
  const now = options.now ?? Date.now;
  const secrets = [authToken];
  const headers = {
    'X-Auth-ID': authId,
    'X-Auth-Token': authToken,
    Accept: 'application/json',
    'User-Agent': USER_AGENT,
  };
  const counters: VobizClientStats = { requests: 0, retries: 0 };
  /** The API has sent at least one HTTP response: from then on a network failure is a request's, not the host's. */
  let answered = false;

  async function request<T>(call: Call<T>, opts: RequestOptions = {}): Promise<T | 'not-found'> {
    const { deadline, signal } = opts;
    const label = `GET ${call.path}`;
    let unreachable = true;
    for (let attempt = 0; ; attempt++) {
      signal?.throwIfAborted();
      let budget = timeoutMs;
      if (deadline !== undefined) {
        const left = deadline - now();
        if (left <= 0) throw new DeadlineError(`deadline passed before ${label} could be attempted`);
        budget = Math.min(budget, Math.ceil(left));
      }
      counters.requests++;
      const outcome = await attemptOnce(call, budget, signal);
      if (!('reason' in outcome)) return outcome.value;
      if (outcome.unreachable === undefined) unreachable = false;
      if (!outcome.retry || attempt >= retries) {
        if (unreachable && !answered && outcome.unreachable !== undefined) {
          throw new FatalError(`cannot reach ${origin}: ${outcome.unreachable}`);
        }
        const tries = attempt + 1;
        const suffix = outcome.retry
          ? `${label}, gave up after ${tries} attempt${tries === 1 ? '' : 's'}`
          : label;
        throw new ApiError(oneLine(`${outcome.reason} (${suffix})`), outcome.status);
      }
      let delayMs = backoffDelay(attempt, backoffBaseMs, backoffCapMs, random);
      if (outcome.retryAfterMs !== null) {
        if (outcome.retryAfterMs > retryAfterCapMs) {
          // Waiting less than asked would only earn another 429; the next sweep tries again.
          throw new ApiError(
            oneLine(
              `${outcome.reason}: the server asked to wait ${Math.ceil(outcome.retryAfterMs / 1000)} s, ` +
                `longer than the ${Math.ceil(retryAfterCapMs / 1000)} s this client waits (${label})`,
            ),
            outcome.status,
          );
        }
        delayMs = outcome.retryAfterMs;
      }
      if (deadline !== undefined && now() + delayMs > deadline) {
        throw new DeadlineError(
          oneLine(
            `deadline would pass during a ${delayMs} ms wait before retrying ${label} (${outcome.reason})`,
          ),
        );
      }
      counters.retries++;
      options.onRetry?.({
        method: 'GET',
        path: call.path,
        attempt: attempt + 2,
        delayMs,
        reason: outcome.reason,
      });
      try {
        await wait(delayMs, signal);
      } catch (error) {
        // An aborted sleep throws a generic AbortError; callers expect their own reason back.
        if (signal?.aborted) throw signal.reason;
        throw error;
      }
    }
  }

  async function attemptOnce<T>(
    call: Call<T>,
    budgetMs: number,
    signal: AbortSignal | undefined,
  ): Promise<{ value: T | 'not-found' } | Failure> {
    let status: number;
    let text: string;
    let retryAfter: string | null;
    try {
      // The budget covers the whole exchange, reading the body included, so a server that stalls
      // mid-body times out too.
      ({ status, text, retryAfter } = await httpGet(origin, call.path, headers, budgetMs, signal));
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      if (error instanceof HttpTimeout) {
        return { reason: `timed out after ${budgetMs} ms`, status: null, retry: true, retryAfterMs: null };
      }
      const cause = networkCause(error);
      const failure: Failure = {
        reason: `network error: ${cause}`,
        status: null,
        retry: true,
        retryAfterMs: null,
      };
      if (error instanceof HttpNetworkError && !error.responded) failure.unreachable = cause;
      else answered = true;
      return failure;
    }
    answered = true;

    if (status >= 200 && status < 300) {
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        return {
          reason: `malformed response: body of HTTP ${status} is not JSON`,
          status: null,
          retry: true,
          retryAfterMs: null,
        };
      }
      try {
        return { value: call.parse(json) };
      } catch (error) {
        if (!(error instanceof MalformedResponse)) throw error;
        return { reason: error.message, status: null, retry: true, retryAfterMs: null };
      }
    }

    const quoted = quoteErrorBody(text, secrets);
    const statusReason = `HTTP ${status}${quoted ? `: ${quoted}` : ''}`;
    if (status === 401 || status === 403) {
      const why = status === 401 ? 'missing, wrong or revoked' : 'valid but not allowed to do this';
      throw new CredentialsError(
        `the partner credentials were rejected: GET ${call.path} returned HTTP ${status} (credentials ${why}; ` +
          'check the partner auth id and token)',
        status,
      );
    }
    if (status === 404) {
      if (call.route === 'balance') return { value: 'not-found' };
      throw new ConfigError(
        `no partner API at ${origin}: GET ${call.path} returned HTTP 404 (check --base-url)`,
      );
    }
    if (status === 429 || status === 503) {
      return { reason: statusReason, status, retry: true, retryAfterMs: parseRetryAfter(retryAfter, now()) };
    }
    if (status >= 500) return { reason: statusReason, status, retry: true, retryAfterMs: null };
    return { reason: statusReason, status, retry: false, retryAfterMs: null };
  }

  // Quoted bodies are already redacted; here only the partner token is scrubbed, so paths and ids stay readable.
  function oneLine(text: string): string {
    let line = text.replace(/\s+/g, ' ').trim();
    for (const secret of secrets) line = line.split(secret).join('[redacted]');
    return line;
  }

  async function listPage(page: number, opts: RequestOptions = {}): Promise<ListPage> {
    const path = `${API_PREFIX}/accounts?page=${page}&per_page=${perPage}`;
    const result = await request(
      { route: 'list', path, parse: (body) => parseAccountPage(body, page) },
      opts,
    );
    if (result === 'not-found') throw new Error('unreachable: a 404 on the list is a ConfigError');
    return { page, ...result };
  }

  /** Every page from the first until the list ends (core/page-walk.ts: shifts while paging lose nothing). */
  async function* listAccounts(opts: RequestOptions = {}): AsyncGenerator<AccountPage> {
    for await (const { listEnded: _ended, ...page } of walkPages((p) => listPage(p, opts), {
      from: 1,
      to: null,
      perPage,
      maxPages,
    })) {
      yield page;
    }
  }

  async function getBalance(id: string, opts?: RequestOptions): Promise<BalanceResult> {
    const path = `${API_PREFIX}/accounts/${encodeURIComponent(id)}/balance`;
    const result = await request({ route: 'balance', path, parse: (body) => parseBalance(body, id) }, opts);
    return result === 'not-found' ? { kind: 'gone' } : { kind: 'ok', balance: result };
  }

  async function getPartner(opts?: RequestOptions): Promise<PartnerProfile> {
    const result = await request({ route: 'me', path: `${API_PREFIX}/me`, parse: parsePartnerProfile }, opts);
    if (result === 'not-found') throw new Error('unreachable: 404 on /me is a ConfigError');
    return result;
  }

  return {
    listPage,
    listAccounts,
    getBalance,
    getPartner,
    stats: () => ({ ...counters }),
  };
}

function parseBaseUrl(value: string): string {
  let url: URL | null = null;
  try {
    url = new URL(value);
  } catch {
    // Reported below with the value.
  }
  const ok =
    url !== null &&
    (url.protocol === 'http:' || url.protocol === 'https:') &&
    url.pathname === '/' &&
    url.search === '' &&
    url.hash === '' &&
    url.username === '' &&
    url.password === '';
  if (ok && url) return url.origin;
  // Never echo a password someone put into the URL.
  const shown = url?.password ? value.replace(url.password, '***') : value;
  throw new ConfigError(
    `--base-url must be an http(s) origin without a path, such as https://api.vobiz.ai, got ${JSON.stringify(
      String(shown).slice(0, 200),
    )}`,
  );
}

function credential(what: string, value: string): string {
  if (typeof value !== 'string' || value.trim() === '') throw new ConfigError(`${what} is empty`);
  // A header value cannot carry control characters; the request would fail later with a vaguer message.
  // biome-ignore lint/suspicious/noControlCharactersInRegex: that is exactly what is looked for
  if (/[\u0000-\u001f\u007f]/.test(value)) throw new ConfigError(`${what} contains control characters`);
  return value.trim();
}

function whole(name: string, value: number | undefined, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < min) {
    throw new ConfigError(`Vobiz client option ${name} must be an integer of at least ${min}, got ${value}`);
  }
  return value;
}

/** The low-level cause of a network failure (ECONNRESET, UND_ERR_SOCKET, ...), never a body. */
function networkCause(error: unknown): string {
  const own = (error as { code?: unknown } | null)?.code;
  if (typeof own === 'string') return own;
  const cause = (error as { cause?: { code?: unknown; message?: unknown } } | null)?.cause;
  if (typeof cause?.code === 'string') return cause.code;
  const message =
    typeof cause?.message === 'string' ? cause.message : error instanceof Error ? error.message : 'unknown';
  return message.slice(0, 120);
}
