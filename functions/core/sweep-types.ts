import type { Sleep } from './concurrency.ts';
import type { SweepConfig } from './config.ts';
import type { NotifierPort, StorePort, VobizPort } from './ports.ts';
import type { Notification } from './types.ts';

/** What a sweep is given, and what it reports while it runs. */

export interface SweepDeps {
  vobiz: VobizPort;
  store: StorePort;
  notifier: NotifierPort;
  /** Epoch ms; injected so tests and replays control time. */
  clock?: () => number;
  sleep?: Sleep;
  /** Progress and problems, for the CLI or the Lambda logger. Never receives secrets. */
  log?: (event: SweepEvent) => void;
}

/** What became of one account in a sweep: `skipped` when another part of the sweep already took it. */
export type AccountOutcome = 'read' | 'failed' | 'gone' | 'skipped';

export type SweepEvent =
  /** A list page read: `total` is the API's count of accounts. */
  | { type: 'page'; page: number; newAccounts: number; total: number }
  /** One per account taken by the sweep, with the notifications its step decided (not yet delivered). */
  | { type: 'account'; authId: string; outcome: AccountOutcome; notifications: Notification[] }
  | { type: 'read-failed'; authId: string; reason: string }
  | { type: 'conflict'; authId: string; attempt: number }
  | { type: 'analysis-failed'; authId: string; reason: string }
  /** One per channel that refused something: how many notifications wait for it, and why. */
  | { type: 'delivery-refused'; channel: string; pending: number; reason: string }
  | { type: 'stopping'; reason: string };

export interface SweepOptions {
  config: SweepConfig;
  sweepId: string;
  /** Treat this as the current time for every observation (replays and tests). */
  now?: string;
  /** Epoch ms by which the sweep must have finished, publishing included. */
  deadline?: number;
  /** Time kept back from the deadline for publishing and recording. Default 5 s. */
  publishReserveMs?: number;
  /** Watch the partner's own wallet (`/me`) too: below this it raises `partner_low`. */
  partnerThreshold?: string | null;
  /**
   * Aborting it interrupts the sweep: no new account is taken, reads in flight are abandoned, what
   * the sweep claimed is published if there is time or released at once, and the summary says
   * `interrupted`.
   */
  signal?: AbortSignal;
  /** The schedule's period (default 15): list mode confirms 1/(24 h / period) of the accounts each sweep. */
  periodMinutes?: number;
  /** Accounts per shard of the list (default 1,000): the unit of resuming and of Step Functions' fan-out. */
  shardSize?: number;
}
