/**
 * Issue 10 §4: CPU per account on a repeat sweep (nothing moved, so nothing but the sweep record is
 * written): process.cpuUsage() in the sweep's own process around the sweep alone, user + system of
 * all its threads, divided by the balances read. The simulator and the store are other processes.
 *
 * Three repeat sweeps run in one process: the first pays the JIT's warm-up, the last is what each
 * sweep costs in a warm process. The bound applies to the warm figure: a Lambda container, like this
 * process, runs sweep after sweep, and only the first after a cold start pays the warm-up. The cold
 * figure at 50,000 accounts (a repeat sweep in a fresh process: the shards part's, when it ran in the
 * same bench run) shows how far a large partner spreads that warm-up.
 */
import { cpuPerAccount, round, startSim, startStore, sweep, withActors } from './children.ts';
import { shardRepeatIfRun } from './scale.ts';

const ACCOUNTS = 5_000;
const LATENCY_MS = 50;
const CONCURRENCY = 16;
const RUNS = 3;
const BOUND_MS = 0.4;

export async function cpu() {
  const store = await startStore();
  const sim = await startSim(ACCOUNTS, LATENCY_MS);
  const small = await withActors([store, sim], async () => {
    const table = 'bench-cpu';
    await sweep({ sim, store, table, concurrency: CONCURRENCY });
    // BENCH_CPU_PROFILE=<file>: one more sweep after these is profiled (bench/profile-top.ts reads it).
    const profile = process.env.BENCH_CPU_PROFILE;
    return sweep({
      sim,
      store,
      table,
      concurrency: CONCURRENCY,
      runs: RUNS,
      env: profile ? { BENCH_CPU_PROFILE: profile } : {},
    });
  });
  const runs = small.cpuRuns;
  const cold = runs[0] as (typeof runs)[number];
  const warm = runs.at(-1) as (typeof runs)[number];
  const perAccount = cpuPerAccount(warm);
  const large = await shardRepeatIfRun()?.then((r) => r.result);
  const largeCold = large?.cpuRuns[0];
  return {
    cpu: {
      accounts: ACCOUNTS,
      latencyMs: LATENCY_MS,
      concurrency: CONCURRENCY,
      runsMsPerAccount: runs.map((r) => round(cpuPerAccount(r), 4)),
      coldMsPerAccount: round(cpuPerAccount(cold), 4),
      warmupCpuMs: round((cpuPerAccount(cold) - perAccount) * cold.balancesFetched, 0),
      userMsPerAccount: round(warm.userMicros / 1000 / warm.balancesFetched, 4),
      systemMsPerAccount: round(warm.systemMicros / 1000 / warm.balancesFetched, 4),
      warmMsPerAccount: round(perAccount, 4),
      bound: BOUND_MS,
      ratioToBound: round(perAccount / BOUND_MS),
      boundAppliesTo: 'warm process (the last of three repeat sweeps in one process)',
      load: small.load,
      cold50k:
        large && largeCold
          ? {
              accounts: largeCold.balancesFetched,
              msPerAccount: round(cpuPerAccount(largeCold), 4),
              ratioToBound: round(cpuPerAccount(largeCold) / BOUND_MS),
              conditions: 'the shards part: a fresh process, latency 50 ms, --rps 490, concurrency 32',
              load: large.load,
            }
          : 'run with the shards part (`-- --part shards --part cpu`)',
      pass: perAccount <= BOUND_MS,
    },
  };
}
