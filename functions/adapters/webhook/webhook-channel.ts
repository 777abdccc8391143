import { setTimeout as delay } from 'node:timers/promises';
import { type Message, planMessages } from '../../core/digest.ts';
import { ConfigError, oneLine } from '../../core/errors.ts';
import type { ChannelPort, PublishOutcome } from '../../core/ports.ts';
import { quoteErrorBody } from '../vobiz/redact.ts';
import { backoffDelay, parseRetryAfter } from '../vobiz/retry.ts';
import { IDEMPOTENCY_HEADER, SIGNATURE_HEADER, signature, TIMESTAMP_HEADER } from './signature.ts';

/**
 * Posts notifications to an HTTPS webhook: a Slack incoming webhook as it is, or any receiver that
 * checks the signature. Primary course:
 * 1. the messages planned by core/digest.ts, one POST each, JSON with a Slack-compatible `text`;
 * 2. each POST signed (signature.ts) and carrying the message id as `Idempotency-Key`;
 * 3. network errors, timeouts, 429 and 5xx retried with backoff (or the receiver's Retry-After);
 *    other answers are final. When the receiver is down (retries spent) the rest of the messages wait
 *    for the next sweep rather than each spending its own retries.
 */

export interface WebhookTarget {
  url: URL;
  secret: string;
}

export interface WebhookChannelOptions {
  /** Where to post and what to sign with; asked once per publish, so a rotated secret is picked up. */
  target: () => Promise<WebhookTarget>;
  /** More notifications than this in one sweep are summarised in one digest. */
  digestSize: number;
  /** Per request, default 5 000. */
  timeoutMs?: number;
  /** Attempts per message, default 3. */
  attempts?: number;
  backoffBaseMs?: number;
  backoffCapMs?: number;
  /** The longest Retry-After honoured, default 30 000; a longer one leaves the message for the next sweep. */
  retryAfterCapMs?: number;
  /** Epoch ms: the signature's timestamp. */
  now?: () => number;
  random?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

/** Slack shows at most 40,000 characters of `text`; a digest part stays well below with its document. */
const MAX_DIGEST_BYTES = 64 * 1024;
const USER_AGENT = 'vobiz-balance-monitor (webhook)';
const OUT_OF_TIME = 'not sent: the sweep ran out of time; the next sweep sends it';

type Failure = { reason: string; retry: boolean };
type Attempt = { ok: true } | { ok: false; reason: string; retry: boolean; retryAfterMs: number | null };

export function createWebhookChannel(options: WebhookChannelOptions): ChannelPort {
  const timeoutMs = options.timeoutMs ?? 5_000;
  const attempts = options.attempts ?? 3;
  const backoffBaseMs = options.backoffBaseMs ?? 500;
  const backoffCapMs = options.backoffCapMs ?? 4_000;
  const retryAfterCapMs = options.retryAfterCapMs ?? 30_000;
  const now = options.now ?? Date.now;
  const random = options.random ?? Math.random;
  const sleep = options.sleep ?? ((ms: number) => delay(ms));

  return {
    name: 'webhook',
    async publish(notifications, { onAccepted, timeLeft = () => Number.POSITIVE_INFINITY } = {}) {
      if (notifications.length === 0) return [];
      let target: WebhookTarget;
      try {
        target = await options.target();
      } catch (error) {
        return notifications.map((n) => ({ id: n.id, ok: false, error: oneLine(error) }));
      }
      const messages = planMessages(notifications, {
        digestSize: options.digestSize,
        maxDigestBytes: MAX_DIGEST_BYTES,
        measure: (m) => Buffer.byteLength(body(m)),
      });
      const accepted = new Set<string>();
      const failures = new Map<string, string>();
      /** Set when the receiver is down: the messages after it are not tried this time. */
      let down: Failure | null = null;
      for (const message of messages) {
        const failure: Failure | null = down ?? (await post(target, message, timeLeft));
        if (failure === null) {
          const fresh = message.ids.filter((id) => !accepted.has(id));
          for (const id of fresh) accepted.add(id);
          if (fresh.length > 0) await onAccepted?.(fresh);
          continue;
        }
        for (const id of message.ids) failures.set(id, failure.reason);
        if (failure.retry) down = failure;
      }
      return notifications.map(
        (n): PublishOutcome =>
          accepted.has(n.id)
            ? { id: n.id, ok: true }
            : { id: n.id, ok: false, error: failures.get(n.id) ?? 'not sent' },
      );
    },
  };

  /** One message, retried as it deserves; null once the receiver accepted it. */
  async function post(
    target: WebhookTarget,
    message: Message,
    timeLeft: () => number,
  ): Promise<Failure | null> {
    const label = `webhook ${target.url.host}`;
    const text = body(message);
    for (let attempt = 1; ; attempt++) {
      const left = timeLeft();
      if (left <= 0) return { reason: OUT_OF_TIME, retry: true };
      const outcome = await once(target, message.id, text, Math.min(timeoutMs, Math.ceil(left)));
      if (outcome.ok) return null;
      const reason = `${label}: ${outcome.reason}`;
      if (!outcome.retry) return { reason, retry: false };
      if (attempt >= attempts)
        return { reason: `${reason} (gave up after ${attempt} attempts)`, retry: true };
      let wait = backoffDelay(attempt - 1, backoffBaseMs, backoffCapMs, random);
      if (outcome.retryAfterMs !== null) {
        if (outcome.retryAfterMs > retryAfterCapMs) {
          const seconds = Math.ceil(outcome.retryAfterMs / 1000);
          return {
            reason: `${reason}; it asked to wait ${seconds} s, so the next sweep sends it`,
            retry: true,
          };
        }
        wait = outcome.retryAfterMs;
      }
      if (wait >= timeLeft()) return { reason: `${reason}; no time left to retry`, retry: true };
      await sleep(wait);
    }
  }

  async function once(target: WebhookTarget, id: string, text: string, budgetMs: number): Promise<Attempt> {
    const timestamp = Math.floor(now() / 1000);
    const timeout = AbortSignal.timeout(budgetMs);
    let status: number;
    let answer: string;
    let retryAfter: string | null;
    try {
      // No redirects: a signed alert goes where it was configured to, or nowhere.
      const response = await fetch(target.url, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json; charset=utf-8',
          'User-Agent': USER_AGENT,
          [IDEMPOTENCY_HEADER]: id,
          [TIMESTAMP_HEADER]: String(timestamp),
          [SIGNATURE_HEADER]: signature(target.secret, timestamp, text),
        },
        body: text,
        signal: timeout,
        redirect: 'manual',
      });
      status = response.status;
      retryAfter = response.headers.get('retry-after');
      // Read to the end, under the same timeout, so the connection can be reused.
      answer = await response.text();
    } catch (error) {
      const reason = timeout.aborted ? `timed out after ${budgetMs} ms` : `network error: ${cause(error)}`;
      return { ok: false, reason, retry: true, retryAfterMs: null };
    }
    if (status >= 200 && status < 300) return { ok: true };
    const quoted = quoteErrorBody(answer, [target.secret]);
    const reason = `HTTP ${status}${quoted ? `: ${quoted}` : ''}`;
    if (status >= 300 && status < 400)
      return {
        ok: false,
        reason: `${reason} (redirects are not followed)`,
        retry: false,
        retryAfterMs: null,
      };
    if (status === 429 || status >= 500) {
      return { ok: false, reason, retry: true, retryAfterMs: parseRetryAfter(retryAfter, now()) };
    }
    return { ok: false, reason, retry: false, retryAfterMs: null };
  }
}

/**
 * The JSON body. `text` is what Slack shows (its three control characters escaped, so a customer
 * named "<!channel>" pings nobody); the rest is for receivers that act on alerts.
 */
function body(m: Message): string {
  return JSON.stringify({
    text: m.text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;'),
    id: m.id,
    kind: m.kind,
    event_type: m.eventType,
    severity: m.severity,
    subject: m.subject,
    document: m.document,
  });
}

function cause(error: unknown): string {
  const inner = (error as { cause?: { code?: unknown; message?: unknown } }).cause;
  if (typeof inner?.code === 'string') return inner.code;
  return oneLine(inner?.message ?? error);
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|\[::1\]|localhost)$/;

/**
 * The webhook URL as configured: https, or http on a loopback host (tests, a local relay). Errors
 * name the host only: a Slack webhook URL carries its credential in the path.
 */
export function parseWebhookUrl(text: string, source: string): URL {
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch {
    throw new ConfigError(`${source} must be an https URL such as https://hooks.slack.com/services/...`);
  }
  const loopback = LOOPBACK.test(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    throw new ConfigError(
      `${source} must be https (plain http only to 127.0.0.1 or localhost), got ${url.protocol}//${url.host}`,
    );
  }
  if (url.username || url.password) throw new ConfigError(`${source} must not carry a user or password`);
  return url;
}
