import type { Sleep } from './concurrency.ts';
import type { SweepConfig } from './config.ts';
import type { NotifierPort, StorePort, VobizPort } from './ports.ts';

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

export type SweepEvent =
  | { type: 'page'; page: number; newAccounts: number; total: number }
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
}
