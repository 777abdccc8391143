import { Agent, Dispatcher, getGlobalDispatcher } from 'undici';

/**
 * One GET on undici's keep-alive pool (the global dispatcher, so a proxy set there applies), the
 * body gathered as it arrives. A sweep makes one request per account: fetch's WHATWG streams,
 * Headers and URL objects, or even a Readable per response, cost more CPU than the rest of the
 * client. Redirects are never followed: they would carry X-Auth-Token along to wherever one points.
 */

export interface HttpReply {
  status: number;
  /** The Retry-After header, if the server sent one. */
  retryAfter: string | null;
  text: string;
}

/** The exchange (connecting, headers and body) took longer than its budget. */
export class HttpTimeout extends Error {
  override name = 'HttpTimeout';
}

/** The network failed; `responded` tells whether the server had begun to answer (a status line arrived). */
export class HttpNetworkError extends Error {
  override name = 'HttpNetworkError';
  readonly code: string | undefined;
  constructor(
    override readonly cause: unknown,
    readonly responded: boolean,
  ) {
    super(cause instanceof Error ? cause.message : String(cause));
    this.code = networkCode(cause);
  }
}

/** undici's own code, or that of the socket error under it (ECONNREFUSED, ENOTFOUND, ...). */
function networkCode(error: unknown): string | undefined {
  const own = (error as { code?: unknown } | null)?.code;
  const inner = (error as { cause?: { code?: unknown } } | null)?.cause?.code;
  // undici wraps a refused or unresolvable connection as UND_ERR_CONNECT with the socket's code beneath.
  if (typeof inner === 'string' && (typeof own !== 'string' || own.startsWith('UND_ERR'))) return inner;
  return typeof own === 'string' ? own : undefined;
}

/**
 * Rejects with HttpTimeout after `budgetMs`, with the signal's reason as soon as it aborts, and with
 * HttpNetworkError (ECONNREFUSED, ENOTFOUND, ECONNRESET, UND_ERR_SOCKET, ...) when the network fails.
 */
export function httpGet(
  origin: string,
  path: string,
  headers: Record<string, string>,
  budgetMs: number,
  signal?: AbortSignal,
): Promise<HttpReply> {
  const exchange = new Exchange(budgetMs, signal);
  dispatcher().dispatch({ origin, path, method: 'GET', headers }, exchange);
  return exchange.done;
}

let fallback: Agent | undefined;

/**
 * The global dispatcher when it is this undici's. On Node 20 a `fetch` made before this module
 * loaded leaves Node's own older undici there, whose dispatch rejects this handler's interface
 * (UND_ERR_INVALID_ARG); the pool is then one of our own.
 */
function dispatcher(): Dispatcher {
  const global = getGlobalDispatcher();
  if (global instanceof Dispatcher) return global;
  fallback ??= new Agent();
  return fallback;
}

class Exchange implements Dispatcher.DispatchHandler {
  readonly done: Promise<HttpReply>;
  private resolve!: (reply: HttpReply) => void;
  private reject!: (error: Error) => void;
  private controller: Dispatcher.DispatchController | null = null;
  private aborted: Error | null = null;
  private status = 0;
  private retryAfter: string | null = null;
  private readonly chunks: Buffer[] = [];
  private readonly timer: NodeJS.Timeout;

  constructor(
    budgetMs: number,
    private readonly signal: AbortSignal | undefined,
  ) {
    this.done = new Promise((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    this.timer = setTimeout(() => this.abort(new HttpTimeout(`timed out after ${budgetMs} ms`)), budgetMs);
    if (signal) follow(signal, this);
  }

  /** Settles at once, even while the request still waits for a connection. */
  abort(reason: Error): void {
    if (this.aborted) return;
    this.aborted = reason;
    this.controller?.abort(reason);
    this.finish();
    this.reject(reason);
  }

  private finish(): void {
    clearTimeout(this.timer);
    if (this.signal) followers.get(this.signal)?.delete(this);
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.aborted) controller.abort(this.aborted);
  }

  onResponseStart(
    _controller: Dispatcher.DispatchController,
    status: number,
    headers: Record<string, string | string[] | undefined>,
  ): void {
    this.status = status;
    const retryAfter = headers['retry-after'];
    this.retryAfter = (Array.isArray(retryAfter) ? retryAfter[0] : retryAfter) ?? null;
  }

  onResponseData(_controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.chunks.push(chunk);
  }

  onResponseEnd(): void {
    const { chunks } = this;
    // A balance arrives in one chunk: decode it where it lies.
    const text = (chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks)).toString('utf8');
    // A byte-order mark is not JSON; fetch dropped it too.
    const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
    this.finish();
    this.resolve({ status: this.status, retryAfter: this.retryAfter, text: body });
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    this.finish();
    this.reject(this.aborted ?? new HttpNetworkError(error, this.status > 0));
  }
}

/**
 * In-flight exchanges per caller signal: one listener on the caller's signal aborts them all, instead
 * of a listener per request (which would trip Node's listener-leak warning above ten in flight).
 */
const followers = new WeakMap<AbortSignal, Set<Exchange>>();

function follow(signal: AbortSignal, exchange: Exchange): void {
  let exchanges = followers.get(signal);
  if (!exchanges) {
    const set = new Set<Exchange>();
    exchanges = set;
    followers.set(signal, set);
    signal.addEventListener('abort', () => {
      for (const e of set) e.abort(signal.reason);
    });
  }
  exchanges.add(exchange);
  if (signal.aborted) exchange.abort(signal.reason);
}
