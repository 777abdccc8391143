/**
 * Seeded partners shared by the parts that need one: a simulator, a store and the first sweep that
 * filled the store. Made on first use in a run and stopped at its end, so `npm run bench -- list`
 * seeds 200,000 accounts once, and a full run seeds them once for the list and the memory parts.
 */
import { type Sim, type Store, type SweepResult, startSim, startStore, sweep } from './children.ts';

export interface Seeded {
  accounts: number;
  sim: Sim;
  store: Store;
  table: string;
  /** The sweep that filled the store: every account seen for the first time. */
  first: SweepResult & { load: number[] };
}

const made = new Map<string, Promise<Seeded>>();

export interface SeedSpec {
  name: string;
  accounts: number;
  /** Latency during the first sweep; the parts set their own afterwards. */
  latencyMs: number;
  rateLimit?: number;
  concurrency: number;
  flags?: string[];
}

export function seeded(spec: SeedSpec): Promise<Seeded> {
  let fixture = made.get(spec.name);
  if (!fixture) {
    fixture = seed(spec);
    made.set(spec.name, fixture);
  }
  return fixture;
}

async function seed(spec: SeedSpec): Promise<Seeded> {
  const store = await startStore();
  const sim = await startSim(spec.accounts, spec.latencyMs, spec.rateLimit ?? null);
  const table = `bench-${spec.name}`;
  try {
    const first = await sweep({ sim, store, table, concurrency: spec.concurrency, flags: spec.flags });
    return { accounts: spec.accounts, sim, store, table, first };
  } catch (error) {
    await sim.stop();
    await store.stop();
    throw error;
  }
}

export async function stopFixtures(): Promise<void> {
  for (const fixture of made.values()) {
    const f = await fixture.catch(() => null);
    if (!f) continue;
    await f.sim.stop();
    await f.store.stop();
  }
  made.clear();
}
