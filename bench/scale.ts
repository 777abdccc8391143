/**
 * Issue 10 §5: a partner's size is a setting. The sharded sweep keeps to the partner API's rate with
 * nothing lost or read twice; list mode reads 200,000 accounts with a few thousand requests; a sweep
 * cut short by its deadline starves no account.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createDynamoStore } from '../functions/adapters/dynamodb/store.ts';
import {
  cpuPerAccount,
  round,
  type SweepResult,
  startSim,
  startStore,
  sweep,
  withActors,
} from './children.ts';
import { seeded } from './fixtures.ts';

const LATENCY_MS = 50;

/** The simulator answers 429 above this many requests per second; the sweep is told to keep under it. */
const SIM_RATE_LIMIT = 500;
const SWEEP_RPS = 490;
const SHARD_ACCOUNTS = 50_000;
/** Enough reads in flight for the rate: 490 rps x 50 ms is 25, plus room for the store's latency. */
const SHARD_CONCURRENCY = 32;
const SHARD_WALL_BOUND = 1.15;

export function shardFixture() {
  return seeded({
    name: 'shards',
    accounts: SHARD_ACCOUNTS,
    latencyMs: LATENCY_MS,
    rateLimit: SIM_RATE_LIMIT,
    concurrency: SHARD_CONCURRENCY,
    flags: ['--rps', String(SWEEP_RPS)],
  });
}

let shardRepeat: Promise<{
  result: SweepResult & { load: number[] };
  requests: number;
  stats: unknown;
}> | null = null;

/** The repeat sweep of 50,000 accounts, once it ran in this bench run (the CPU part reports its cold cost). */
export function shardRepeatIfRun() {
  return shardRepeat;
}

/** The repeat sweep of 50,000 accounts in a fresh process. */
export function shardRepeatSweep() {
  shardRepeat ??= (async () => {
    const f = await shardFixture();
    await f.sim.resetStats();
    const result = await sweep({
      sim: f.sim,
      store: f.store,
      table: f.table,
      concurrency: SHARD_CONCURRENCY,
      flags: ['--rps', String(SWEEP_RPS)],
    });
    const stats = await f.sim.stats();
    return { result, requests: stats.total, stats };
  })();
  return shardRepeat;
}

export async function shards() {
  const f = await shardFixture();
  const { result: repeat, requests, stats } = await shardRepeatSweep();
  const s = stats as Awaited<ReturnType<typeof f.sim.stats>>;
  const idealMs = (requests / SWEEP_RPS) * 1000;
  const ratio = repeat.durationMs / idealMs;
  const balanceReads = s.byRoute.balance ?? 0;
  return {
    shards: {
      accounts: SHARD_ACCOUNTS,
      latencyMs: LATENCY_MS,
      simulatorRateLimit: SIM_RATE_LIMIT,
      sweepRps: SWEEP_RPS,
      concurrency: SHARD_CONCURRENCY,
      repeat: {
        requests,
        balanceReads,
        idealMs: Math.round(idealMs),
        idealFormula: 'API requests of the sweep (list pages + balances) / --rps',
        wallMs: repeat.durationMs,
        wallToIdeal: round(ratio),
        bound: SHARD_WALL_BOUND,
        ratioToBound: round(ratio / SHARD_WALL_BOUND),
        // Counts whose bound is 0: no ratio, the count itself beside it.
        unreached: { measured: repeat.unreached, bound: 0 },
        duplicateReads: { measured: repeat.duplicateReads, bound: 0 },
        balanceReadsBeyondAccounts: { measured: balanceReads - SHARD_ACCOUNTS, bound: 0 },
        rateLimited429: { measured: s.rateLimited, bound: 0 },
        cpuMsPerAccount: round(cpuPerAccount(repeat.cpuRuns[0] as SweepResult['cpuRuns'][number]), 4),
        load: repeat.load,
      },
      firstSweep: {
        wallMs: f.first.durationMs,
        itemsWritten: f.first.itemsWritten,
        stateWrites: f.first.stateWrites,
        snapshotsWritten: f.first.snapshotsWritten,
        notifications: f.first.notifications,
        load: f.first.load,
      },
      pass:
        ratio <= SHARD_WALL_BOUND &&
        repeat.unreached === 0 &&
        repeat.duplicateReads === 0 &&
        balanceReads === SHARD_ACCOUNTS &&
        s.rateLimited === 0,
    },
  };
}

const LIST_ACCOUNTS = 200_000;
const LIST_CONCURRENCY = 16;
const PER_PAGE = 100;
/** At the default 15-minute period, a day is 96 sweeps: 1/96 of the accounts are confirmed each. */
const CONFIRMATION_CYCLE = 96;
/**
 * The issue sets no number for list mode beyond "~4,000 requests instead of 202,000" and "wall time
 * against its own ideal": both are held to the shards' 1.15.
 */
const LIST_BOUND = 1.15;
/** The memory part sweeps the large partner at this concurrency too, as it does the small one. */
export const LARGE_CONCURRENCY = 16;

/** 200,000 accounts, seeded with latency 0 (the first sweep reads every balance once). */
export function largeFixture() {
  return seeded({ name: 'large', accounts: LIST_ACCOUNTS, latencyMs: 0, concurrency: LARGE_CONCURRENCY });
}

/**
 * A repeat sweep with `--balance-source list`: the listed balances decide, and 1/96 of the accounts
 * (plus any whose level would change) are confirmed with the balance endpoint.
 */
export async function listSource() {
  const f = await largeFixture();
  await f.sim.setLatency(LATENCY_MS);
  await f.sim.resetStats();
  try {
    const r = await sweep({
      sim: f.sim,
      store: f.store,
      table: f.table,
      concurrency: LIST_CONCURRENCY,
      flags: ['--balance-source', 'list'],
    });
    const stats = await f.sim.stats();
    const pages = stats.byRoute.list ?? 0;
    const balances = stats.byRoute.balance ?? 0;
    // In-process the list is paged in order, one page ahead of the reads: the pages follow one another.
    const listingMs = pages * LATENCY_MS;
    const readsMs = (balances * LATENCY_MS) / LIST_CONCURRENCY;
    const idealMs = Math.max(listingMs, readsMs);
    const wallToIdeal = r.durationMs / idealMs;
    // Every page once, and the accounts whose turn it is to be confirmed (nothing moved: no level changes).
    const idealRequests = Math.ceil(LIST_ACCOUNTS / PER_PAGE) + Math.ceil(LIST_ACCOUNTS / CONFIRMATION_CYCLE);
    const requestsToIdeal = stats.total / idealRequests;
    return {
      listSource: {
        accounts: LIST_ACCOUNTS,
        latencyMs: LATENCY_MS,
        concurrency: LIST_CONCURRENCY,
        requests: {
          measured: stats.total,
          listPages: pages,
          balanceReads: balances,
          ideal: idealRequests,
          idealFormula: 'accounts / 100 per page + accounts / 96 confirmations',
          toIdeal: round(requestsToIdeal),
          bound: LIST_BOUND,
          ratioToBound: round(requestsToIdeal / LIST_BOUND),
          ifEndpoint: LIST_ACCOUNTS + Math.ceil(LIST_ACCOUNTS / PER_PAGE),
        },
        wall: {
          ms: r.durationMs,
          idealMs,
          idealFormula:
            'max(list pages x latency, balance reads x latency / concurrency): pages are read one after another',
          toIdeal: round(wallToIdeal),
          bound: LIST_BOUND,
          ratioToBound: round(wallToIdeal / LIST_BOUND),
        },
        balancesFetched: r.balancesFetched,
        listConfirmations: r.listConfirmations,
        listDisagreements: r.listDisagreements,
        cpuMsPerAccount: round(cpuPerAccount(r.cpuRuns[0] as SweepResult['cpuRuns'][number]), 4),
        peakRssMiB: round(r.maxRssBytes / 2 ** 20, 1),
        unreached: r.unreached,
        load: r.load,
        pass:
          r.complete &&
          r.unreached === 0 &&
          r.balancesFetched === LIST_ACCOUNTS &&
          requestsToIdeal <= LIST_BOUND &&
          wallToIdeal <= LIST_BOUND,
      },
    };
  } finally {
    await f.sim.setLatency(0);
  }
}

const STARVE_ACCOUNTS = 2_500;
/**
 * A rate cap makes the reads per second, and so the share a deadline allows, predictable, as long as
 * the store keeps up: every account is new to these sweeps (two items written each), and on a loaded
 * machine dynalite managed 55 to 120 such accounts a second at 200 rps. At 40 rps the rate binds.
 */
const STARVE_RPS = 40;
const STARVE_SHARE = 0.4;
const STARVE_BOUND_SWEEPS = 3;
const STARVE_MAX_SWEEPS = 6;

/**
 * Sweeps cut short by a deadline that allows about 40% of the accounts each, on a fresh store, until
 * every account has been read once (the store registers an account at its first read).
 */
export async function starvation() {
  const store = await startStore();
  const sim = await startSim(STARVE_ACCOUNTS, LATENCY_MS);
  return withActors([store, sim], async () => {
    // The read window is the deadline less the publish reserve (a tenth of it, at these sizes).
    const readSeconds = (STARVE_ACCOUNTS * STARVE_SHARE) / STARVE_RPS;
    const deadlineSeconds = round(readSeconds / 0.9, 1);
    const tableName = 'bench-starvation';
    const client = new DynamoDBClient({
      endpoint: store.endpoint,
      region: 'local',
      credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
    });
    const registry = createDynamoStore({ client, tableName, retentionDays: 30, timezone: 'UTC' });
    const sweeps: Array<Record<string, unknown>> = [];
    let everRead = 0;
    try {
      for (let n = 1; n <= STARVE_MAX_SWEEPS && everRead < STARVE_ACCOUNTS; n++) {
        const r = await sweep({
          sim,
          store,
          table: tableName,
          concurrency: 16,
          flags: ['--rps', String(STARVE_RPS), '--deadline-seconds', String(deadlineSeconds)],
          mayBeIncomplete: true,
        });
        everRead = (await registry.registeredAccounts()).length;
        sweeps.push({
          sweep: n,
          read: r.balancesFetched,
          shareRead: round(r.balancesFetched / STARVE_ACCOUNTS),
          unreached: r.unreached,
          everRead,
          complete: r.complete,
          load: r.load,
        });
      }
    } finally {
      client.destroy();
    }
    const needed = everRead === STARVE_ACCOUNTS ? sweeps.length : null;
    return {
      starvation: {
        accounts: STARVE_ACCOUNTS,
        latencyMs: LATENCY_MS,
        rps: STARVE_RPS,
        deadlineSeconds,
        targetShare: STARVE_SHARE,
        sweeps,
        sweepsNeeded: needed,
        bound: STARVE_BOUND_SWEEPS,
        ratioToBound: needed === null ? null : round(needed / STARVE_BOUND_SWEEPS),
        pass: needed !== null && needed <= STARVE_BOUND_SWEEPS,
      },
    };
  });
}
