/**
 * An optional server-side rate limit: a token bucket that holds one second's worth of requests
 * and refills at `perSecond`. A client that keeps under the rate never sees a 429, even with some
 * jitter in its timing; one that goes above it gets 429s until it slows down.
 */
export class RateLimit {
  private tokens: number;
  private last: number;

  constructor(
    readonly perSecond: number,
    private readonly now: () => number,
  ) {
    if (!Number.isInteger(perSecond) || perSecond < 1) {
      throw new RangeError('rateLimit must be a whole number of requests per second, at least 1');
    }
    this.tokens = perSecond;
    this.last = now();
  }

  /** Null when the request may go ahead; otherwise the whole seconds until it may (at least 1), for Retry-After. */
  take(): number | null {
    const t = this.now();
    // A clock that steps back refills nothing.
    this.tokens = Math.min(
      this.perSecond,
      this.tokens + (Math.max(0, t - this.last) / 1000) * this.perSecond,
    );
    this.last = t;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return null;
    }
    return Math.max(1, Math.ceil((1 - this.tokens) / this.perSecond));
  }
}
