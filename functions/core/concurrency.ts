/** Small scheduling primitives for the sweep: a counting semaphore and a request-rate cap. */

export class Semaphore {
  private active = 0;
  private readonly waiters: Array<() => void> = [];

  constructor(private readonly limit: number) {}

  async acquire(): Promise<void> {
    if (this.tryAcquire()) return;
    await new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  /** Takes a slot if one is free, without a promise: `tryAcquire() || (await acquire())`. */
  tryAcquire(): boolean {
    if (this.active >= this.limit) return false;
    this.active++;
    return true;
  }

  release(): void {
    const next = this.waiters.shift();
    // Hand the slot straight to a waiter so a burst of releases cannot over-admit.
    if (next) next();
    else this.active--;
  }
}

export type Sleep = (ms: number) => Promise<void>;

export const realSleep: Sleep = (ms) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

export interface RateLimiter {
  /** Reserves the next start; a promise to await only when that start is still to come. */
  take(): Promise<void> | undefined;
}

/**
 * Spaces request starts at least 1/rps apart (no bursts): the partner API documents no
 * limits, so the cap is the partner's own politeness setting. Uncapped, or when a start is
 * already due, it makes no promise at all: one account after another pays nothing for it.
 */
export function createRateLimiter(
  requestsPerSecond: number | null,
  now: () => number,
  sleep: Sleep = realSleep,
): RateLimiter {
  if (requestsPerSecond === null) return { take: () => undefined };
  const interval = 1000 / requestsPerSecond;
  let nextStart = 0;
  return {
    take() {
      const t = now();
      const start = Math.max(t, nextStart);
      nextStart = start + interval;
      return start > t ? sleep(start - t) : undefined;
    },
  };
}

/**
 * Runs `source` one item ahead of its consumer, so the next page is already on its way
 * (and its states loaded) while the current one is being read.
 */
export async function* prefetch<T>(source: AsyncIterable<T>): AsyncGenerator<T> {
  const iterator = source[Symbol.asyncIterator]();
  let pending = iterator.next();
  try {
    while (true) {
      const result = await pending;
      if (result.done) return;
      pending = iterator.next();
      // The consumer may stop early; a rejection of the look-ahead must not go unhandled.
      pending.catch(() => {});
      yield result.value;
    }
  } finally {
    await iterator.return?.();
  }
}

/** Runs `work` over `items` with at most `limit` at a time. */
export async function forEachLimited<T>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next++] as T;
      await work(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
