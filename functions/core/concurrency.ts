/** Small scheduling primitives for the sweep: a counting semaphore and a request-rate cap. */

export class Semaphore {
  private active = 0;
  private readonly waiters: Array<() => void> = [];

  constructor(private readonly limit: number) {}

  async acquire(): Promise<void> {
    if (this.active < this.limit) {
      this.active++;
      return;
    }
    await new Promise<void>((resolve) => this.waiters.push(resolve));
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

/**
 * Spaces request starts at least 1/rps apart (no bursts): the partner API documents no
 * limits, so the cap is the partner's own politeness setting.
 */
export function createRateLimiter(
  requestsPerSecond: number | null,
  now: () => number,
  sleep: Sleep = realSleep,
) {
  if (requestsPerSecond === null) return { take: async () => {} };
  const interval = 1000 / requestsPerSecond;
  let nextStart = 0;
  return {
    async take(): Promise<void> {
      const t = now();
      const start = Math.max(t, nextStart);
      nextStart = start + interval;
      if (start > t) await sleep(start - t);
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
