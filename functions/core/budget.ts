import { createRateLimiter, type RateLimiter, realSleep, Semaphore, type Sleep } from './concurrency.ts';
import type { SweepConfig } from './config.ts';
import { IdFlags } from './id-flags.ts';

/**
 * What the parts of a sweep share while they run. In-process (the CLI, `npm start`, the single
 * Lambda) every shard runs under one budget, so the partner API sees one concurrency and one rate
 * whatever the number of shards, no account is read twice, and list mode's trust is judged over the
 * whole sweep. In Step Functions each shard's Lambda makes its own, from its share of the rate.
 */
export interface SweepBudget {
  /** Balance reads in flight. */
  reads: Semaphore;
  /**
   * Store work in flight (history reads, commits): twice the reads, and a read hands its slot over
   * as soon as its balance is in, so a slow store never idles the API slots but still holds them back.
   */
  writes: Semaphore;
  /** Every request to the partner API (list pages and balances) takes its start from here. */
  rate: RateLimiter;
  sleep: Sleep;
  /**
   * Every account the parts under this budget listed, were told of, took, and what became of each
   * (flags as in shard-result.ts's ACCOUNT): a part skips an account another has taken.
   */
  accounts: IdFlags;
  /**
   * One budget for every part of the sweep (in-process): the parts leave their accounts in `accounts`
   * for finalizeSweep instead of copying them into their results as id lists.
   */
  shared: boolean;
  listTrust: ListTrust;
}

export interface BudgetSettings {
  concurrency: number;
  /** null: no cap. */
  requestsPerSecond: number | null;
  /** List mode: disagreements after which balances are read from the endpoint again. */
  listDisagreementLimit: number;
}

export function createSweepBudget(
  settings: BudgetSettings | SweepConfig,
  clock: () => number = Date.now,
  sleep: Sleep = realSleep,
  { shared = false }: { shared?: boolean } = {},
): SweepBudget {
  return {
    reads: new Semaphore(settings.concurrency),
    writes: new Semaphore(settings.concurrency * 2),
    rate: createRateLimiter(settings.requestsPerSecond, clock, sleep),
    sleep,
    accounts: new IdFlags(),
    shared,
    listTrust: new ListTrust(settings.listDisagreementLimit),
  };
}

/** List mode's running verdict on the listed balances. */
export class ListTrust {
  private disagreements = 0;
  /** True once more confirmations disagreed with the list than the limit allows. */
  lost = false;

  constructor(private readonly limit: number) {}

  disagreed(): void {
    this.disagreements++;
    if (this.disagreements > this.limit) this.lost = true;
  }
}
