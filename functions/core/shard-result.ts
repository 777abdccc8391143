import type { ShardPlan } from './shard-cut.ts';
import { emptyTally, type Tally } from './tally.ts';
import type { AccountState, ChannelDelivery, Notification, SummaryLevel } from './types.ts';

/**
 * What one part of a sweep (a listing shard, or the read of registered accounts the listing did not
 * show) hands to finalizeSweep. Plain JSON: it crosses Step Functions (where the id lists, which grow
 * with the shard, belong in a blob, not in the state payload). In-process the parts share one budget
 * and record their accounts in its book (`SweepBudget.accounts`, flagged as in ACCOUNT), which
 * finalizeSweep merges; their id lists and `edges` are then empty.
 */
export interface ShardResult {
  /** The shard's index in the plan; -1 for the unlisted part. */
  shard: number;
  kind: 'list' | 'unlisted';
  /**
   * Counts of this part. Levels, totals, failures and `fetched` leave out the accounts in `edges`
   * (which a neighbouring part may also have read); writes and requests count everything.
   */
  tally: Tally;
  /** Unique ids this part listed (rows rejected with a readable id included). */
  listed: string[];
  /** Registered ids the listing did not show (the unlisted part only): its share of `known`. */
  known: string[];
  /** What became of each account this part took. */
  read: string[];
  failed: string[];
  gone: string[];
  /** Failures that are no account's (a list row without a readable id, the store while delivering). */
  unnamedFailures: number;
  /**
   * Outcomes this part recorded for accounts another part had already read, found gone or failed on
   * (in-process, in the shared book; across processes finalize finds them in the id lists).
   */
  duplicates: number;
  /** Accounts taken on an edge page (see shard-cut.ts), counted by finalizeSweep once per account. */
  edges: EdgeAccount[];
  /** Its whole stretch was read (a part that did not run, or stopped early, is not finished). */
  finished: boolean;
  /** Where it stopped when not finished: the first page it did not complete. */
  resumePage: number | null;
  /** The account list ended inside it. */
  listEnded: boolean;
  stoppedReason: string | null;
  interrupted: boolean;
  /** List mode: this part's share of the sweep lost trust in the listed balances. */
  listFallback: boolean;
  /** States owning notifications this part did not deliver itself (handed to one delivery at the end). */
  claimed: AccountState[];
  /** What this part delivered itself. */
  delivered: Notification[];
  pending: number;
  channels: ChannelDelivery[];
}

/** The flags an account gets in a sweep's book (id-flags.ts). */
export const ACCOUNT = {
  listed: 1,
  /** Registered, and read by id because no part listed it. */
  known: 2,
  read: 4,
  gone: 8,
  failed: 16,
  /** Taken by a part: no other part of the sweep takes it. */
  taken: 32,
  /** Taken by some part off its edge pages (finalize's merge of id lists). */
  offEdge: 64,
} as const;

/** Read, found gone or failed on: reached by the sweep. */
export const REACHED = ACCOUNT.read | ACCOUNT.gone | ACCOUNT.failed;

export interface EdgeAccount {
  authId: string;
  outcome: 'read' | 'failed' | 'gone';
  /** When read. */
  currency?: string;
  balance?: string;
  level?: SummaryLevel;
  /** When failed. */
  reason?: string;
}

/**
 * The result of a shard that did not run or did not return (a Lambda that failed or timed out, or one
 * an interrupted sweep never started): it read nothing, and the next sweep starts with it.
 */
export function shardNotRun(shard: ShardPlan, reason: string | null = null): ShardResult {
  return {
    ...emptyResult(shard.index, 'list'),
    resumePage: shard.from,
    stoppedReason: reason === null ? null : `shard ${describeShard(shard)} failed: ${reason}`,
  };
}

export function emptyResult(shard: number, kind: ShardResult['kind']): ShardResult {
  return {
    shard,
    kind,
    tally: emptyTally(),
    listed: [],
    known: [],
    read: [],
    failed: [],
    gone: [],
    unnamedFailures: 0,
    duplicates: 0,
    edges: [],
    finished: false,
    resumePage: null,
    listEnded: false,
    stoppedReason: null,
    interrupted: false,
    listFallback: false,
    claimed: [],
    delivered: [],
    pending: 0,
    channels: [],
  };
}

/** "3 (pages 21-31)", as a person reads it in a stop reason. */
export function describeShard(shard: ShardPlan): string {
  const last = shard.to === null ? 'end' : String(shard.to + (shard.overlap ? 1 : 0));
  return `${shard.index} (pages ${shard.from}-${last})`;
}
