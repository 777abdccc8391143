import { describe, expect, it } from 'vitest';
import { createRateLimiter, prefetch, Semaphore } from '../functions/core/concurrency.ts';

describe('Semaphore', () => {
  it('never admits more than its limit, however the work finishes', async () => {
    const slots = new Semaphore(3);
    let active = 0;
    let peak = 0;
    const work = Array.from({ length: 20 }, async (_, i) => {
      await slots.acquire();
      active++;
      peak = Math.max(peak, active);
      await new Promise((r) => setTimeout(r, (i * 7) % 5));
      active--;
      slots.release();
    });
    await Promise.all(work);
    expect(peak).toBe(3);
  });
});

describe('createRateLimiter', () => {
  it('spaces request starts 1/rps apart without bursts', async () => {
    let now = 1_000;
    const waits: number[] = [];
    const limiter = createRateLimiter(
      4,
      () => now,
      async (ms) => {
        waits.push(ms);
        now += ms;
      },
    );
    for (let i = 0; i < 5; i++) await limiter.take();
    expect(waits).toEqual([250, 250, 250, 250]);
  });

  it('does nothing, not even a promise, when no cap is set', () => {
    const limiter = createRateLimiter(
      null,
      () => 0,
      async () => {
        throw new Error('must not sleep');
      },
    );
    expect(limiter.take()).toBeUndefined();
  });

  it('makes no promise for a start that is already due', () => {
    let now = 0;
    const limiter = createRateLimiter(
      10,
      () => now,
      async () => {},
    );
    expect(limiter.take()).toBeUndefined();
    now = 100;
    expect(limiter.take()).toBeUndefined();
    expect(limiter.take()).toBeInstanceOf(Promise);
  });
});

describe('prefetch', () => {
  it('asks for the next item before the consumer is done with the current one', async () => {
    const log: string[] = [];
    async function* source() {
      for (let i = 1; i <= 3; i++) {
        log.push(`produce ${i}`);
        yield i;
      }
    }
    for await (const item of prefetch(source())) {
      await new Promise((r) => setTimeout(r, 1));
      log.push(`consume ${item}`);
    }
    expect(log.indexOf('produce 2')).toBeLessThan(log.indexOf('consume 1'));
    expect(log.at(-1)).toBe('consume 3');
  });

  it('passes a failure of the source on to the consumer', async () => {
    async function* source() {
      yield 1;
      throw new Error('page 2 failed');
    }
    const seen: number[] = [];
    await expect(async () => {
      for await (const item of prefetch(source())) seen.push(item);
    }).rejects.toThrow('page 2 failed');
    expect(seen).toEqual([1]);
  });
});
