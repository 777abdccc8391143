/**
 * A sweep of 10,000 accounts against its latency-bound ideal, and the items a repeat sweep writes
 * when 5% of the balances moved.
 */
import { load, round, type Sim, startSim, startStore, sweep, withActors } from './children.ts';

const ACCOUNTS = 10_000;
const LATENCY_MS = 50;
const CONCURRENCY = 16;
const CHANGED_FRACTION = 0.05;

/** Moves 5% of the balances by a little (never across a threshold, so no notification writes). */
async function moveBalances(sim: Sim, fraction: number): Promise<number> {
  const ids = (await sim.control('/accounts')) as string[];
  const step = Math.round(1 / fraction);
  const chosen = ids.filter((_, i) => i % step === 0);
  for (const authId of chosen) await sim.control('/balance', { auth_id: authId, delta: '0.01000' });
  return chosen.length;
}

export async function speedAndWrites() {
  const store = await startStore();
  const sim = await startSim(ACCOUNTS, LATENCY_MS);
  return withActors([store, sim], async () => {
    const table = 'bench-speed';
    const first = await sweep({ sim, store, table, concurrency: CONCURRENCY });
    // The ideal: every balance read back to back on every slot, plus one page of listing.
    const idealMs = (ACCOUNTS * LATENCY_MS) / CONCURRENCY + LATENCY_MS;
    const quiet = await sweep({ sim, store, table, concurrency: CONCURRENCY });
    const moved = await moveBalances(sim, CHANGED_FRACTION);
    const repeat = await sweep({ sim, store, table, concurrency: CONCURRENCY });
    return {
      speed: {
        accounts: ACCOUNTS,
        latencyMs: LATENCY_MS,
        concurrency: CONCURRENCY,
        idealMs,
        firstSweepMs: first.durationMs,
        firstSweepEfficiency: round(idealMs / first.durationMs),
        repeatSweepMs: quiet.durationMs,
        repeatSweepEfficiency: round(idealMs / quiet.durationMs),
        target: '>= 0.85',
        pass: idealMs / first.durationMs >= 0.85 && idealMs / quiet.durationMs >= 0.85,
        load: quiet.load,
      },
      writes: {
        accounts: ACCOUNTS,
        firstSweepItems: first.itemsWritten,
        unchangedRepeatItems: quiet.itemsWritten,
        balancesMoved: moved,
        repeatWithMovesItems: repeat.itemsWritten,
        repeatWithMovesFraction: round(repeat.itemsWritten / ACCOUNTS, 4),
        bound: 0.1,
        ratioToBound: round(repeat.itemsWritten / ACCOUNTS / 0.1),
        pass: repeat.itemsWritten / ACCOUNTS <= 0.1 * 1.01,
        load: load(),
      },
    };
  });
}
