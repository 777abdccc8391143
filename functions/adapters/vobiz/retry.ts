import { setTimeout as delay } from 'node:timers/promises';

/**
 * Reads a `Retry-After` header (RFC 9110 §10.2.3) as milliseconds from `nowMs`.
 * Accepts delta-seconds ("120") and an HTTP-date ("Wed, 21 Oct 2015 07:28:00 GMT", also the
 * obsolete RFC 850 and asctime forms). A date in the past means "now" (0). Anything else, including
 * an absent header, is null: the caller falls back to its own backoff.
 */
export function parseRetryAfter(header: string | null, nowMs: number): number | null {
  if (header === null) return null;
  const text = header.trim();
  if (/^\d+$/.test(text)) {
    const seconds = Number(text);
    return Number.isSafeInteger(seconds) ? seconds * 1000 : null;
  }
  // Date.parse reads almost anything ("1" is the year 2001), so insist on a leading day name.
  if (!/^[A-Za-z]{3,9},? /.test(text)) return null;
  // asctime carries no zone, and HTTP dates are always GMT; without this Date.parse would use local time.
  const at = Date.parse(/GMT$/i.test(text) ? text : `${text} GMT`);
  if (Number.isNaN(at)) return null;
  return Math.max(0, at - nowMs);
}

/** Capped exponential backoff with full jitter: random() * min(cap, base * 2^attempt), attempt from 0. */
export function backoffDelay(attempt: number, baseMs: number, capMs: number, random: () => number): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** attempt);
  return Math.floor(random() * ceiling);
}

/** Waits `ms`, or rejects as soon as `signal` aborts. */
export async function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  await delay(ms, undefined, signal ? { signal } : undefined);
}
