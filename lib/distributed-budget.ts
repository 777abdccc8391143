/**
 * Engine `distributed`: one global `maxRequestsPerSecond` decides both how many shards run at once
 * (the Distributed Map's MaxConcurrency) and each shard's own request rate, so that all shards
 * together never exceed it. A shard reads `concurrency` balances at a time; at the API latency
 * assumed here that is as many requests per second as one shard can use, so more shards at once
 * only when the global rate leaves more than one shard's worth.
 */

/** The partner API's round trip this sizing assumes (the client's observed typical latency). */
export const ASSUMED_LATENCY_MS = 200;
/** Shards at once at most, whatever the rate: Lambda's concurrency quota of a new account is 10. */
export const MAX_SHARDS_AT_ONCE = 8;

export interface ShardBudget {
  /** The Distributed Map's MaxConcurrency. */
  maxConcurrency: number;
  /** Each shard's cap: maxRequestsPerSecond / maxConcurrency, so the sum never exceeds the global rate. */
  perShardRequestsPerSecond: number;
}

export function shardBudget(maxRequestsPerSecond: number, concurrency: number): ShardBudget {
  const oneShard = (concurrency * 1000) / ASSUMED_LATENCY_MS;
  const maxConcurrency = Math.min(
    MAX_SHARDS_AT_ONCE,
    Math.max(1, Math.ceil(maxRequestsPerSecond / oneShard)),
  );
  return {
    maxConcurrency,
    perShardRequestsPerSecond: Math.floor((maxRequestsPerSecond / maxConcurrency) * 100) / 100,
  };
}
