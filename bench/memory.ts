/**
 * Issue 10 §5: peak RSS of a sweep at 200,000 accounts against the same sweep at 10,000. The first
 * sweep of a partner and a repeat sweep are measured apart: the first writes every account and
 * claims a notification for each one already low; a repeat sweep is what runs every period.
 */
import { round, type SweepResult, sweep } from './children.ts';
import { type Seeded, seeded } from './fixtures.ts';
import { LARGE_CONCURRENCY, largeFixture } from './scale.ts';

const SMALL = 10_000;
const LARGE = 200_000;
const BOUND = 1.2;

async function repeatOf(f: Seeded) {
  return sweep({ sim: f.sim, store: f.store, table: f.table, concurrency: LARGE_CONCURRENCY });
}

export async function memory() {
  const small = await seeded({
    name: 'memory-small',
    accounts: SMALL,
    latencyMs: 0,
    concurrency: LARGE_CONCURRENCY,
  });
  const smallRepeat = await repeatOf(small);
  const large = await largeFixture();
  const largeRepeat = await repeatOf(large);
  const mib = (r: SweepResult) => round(r.maxRssBytes / 2 ** 20, 1);
  const figure = (s: SweepResult & { load: number[] }, l: SweepResult & { load: number[] }) => {
    const ratio = l.maxRssBytes / s.maxRssBytes;
    return {
      peakRssMiB: { [SMALL]: mib(s), [LARGE]: mib(l) },
      sweepMs: { [SMALL]: s.durationMs, [LARGE]: l.durationMs },
      notifications: { [SMALL]: s.notifications, [LARGE]: l.notifications },
      ratio: round(ratio),
      bound: BOUND,
      ratioToBound: round(ratio / BOUND),
      pass: ratio <= BOUND,
      load: { [SMALL]: s.load, [LARGE]: l.load },
    };
  };
  const repeat = figure(smallRepeat, largeRepeat);
  const first = figure(small.first, large.first);
  return {
    memory: {
      concurrency: LARGE_CONCURRENCY,
      latencyMs: 0,
      repeatSweep: repeat,
      firstSweep: first,
      boundAppliesTo: 'repeatSweep',
      pass: repeat.pass,
    },
  };
}
