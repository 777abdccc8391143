/**
 * Issue 10 §5: peak RSS of a sweep at 200,000 accounts against the same sweep at 10,000. The first
 * sweep of a partner and a repeat sweep are measured apart: the first writes every account and
 * claims a notification for each one already low; a repeat sweep is what runs every period.
 *
 * Each repeat sweep runs under the heap limits the stack's sweep function runs with
 * (lambda-heap.ts), at the stack's default memory size and at the 512 MB docs/DEPLOY.md advises
 * above 5,000 accounts, and with Node's defaults, as the CLI runs on a workstation. What the sweep
 * keeps alive does not grow with the partner (a full collection leaves about 25 MiB at any size);
 * the rest of a peak is garbage V8 has not yet collected. With Node's defaults on a machine with
 * gigabytes free, V8 lets the old space grow to up to 4 times what is live before a full
 * collection, so a long sweep's peak depends on where its last collection fell. The bound is
 * judged under the function's limits, at both sizes; the defaults' figure is reported beside it.
 */
import { DEFAULT_MEMORY_MB } from '../lib/config.ts';
import { round, type SweepResult, sweep } from './children.ts';
import { type Seeded, seeded } from './fixtures.ts';
import { lambdaHeapFlags } from './lambda-heap.ts';
import { LARGE_CONCURRENCY, largeFixture } from './scale.ts';

const SMALL = 10_000;
const LARGE = 200_000;
const BOUND = 1.2;
/** The stack's default, and what docs/DEPLOY.md ("Sizing the function") advises above 5,000 accounts. */
const LAMBDA_SIZES = [DEFAULT_MEMORY_MB, 512];

type Measured = SweepResult & { load: number[] };

function repeatOf(f: Seeded, nodeFlags: string[] = []): Promise<Measured> {
  return sweep({ sim: f.sim, store: f.store, table: f.table, concurrency: LARGE_CONCURRENCY, nodeFlags });
}

const mib = (r: SweepResult) => round(r.maxRssBytes / 2 ** 20, 1);

function figure(s: Measured, l: Measured) {
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
}

export async function memory() {
  const small = await seeded({
    name: 'memory-small',
    accounts: SMALL,
    latencyMs: 0,
    concurrency: LARGE_CONCURRENCY,
  });
  // Both sizes under each heap: the small partner's sweeps first, then the large one's.
  const heaps = [...LAMBDA_SIZES.map((mb) => lambdaHeapFlags(mb)), []];
  const smallRuns: Measured[] = [];
  for (const flags of heaps) smallRuns.push(await repeatOf(small, flags));
  const large = await largeFixture();
  const largeRuns: Measured[] = [];
  for (const flags of heaps) largeRuns.push(await repeatOf(large, flags));
  const at = (i: number) => figure(smallRuns[i] as Measured, largeRuns[i] as Measured);
  const lambdaHeap = LAMBDA_SIZES.map((memoryMb, i) => ({ memoryMb, nodeFlags: heaps[i], ...at(i) }));
  return {
    memory: {
      concurrency: LARGE_CONCURRENCY,
      latencyMs: 0,
      repeatSweep: { lambdaHeap, nodeDefaults: at(LAMBDA_SIZES.length) },
      firstSweep: figure(small.first, large.first),
      boundAppliesTo: 'repeatSweep.lambdaHeap (every size)',
      pass: lambdaHeap.every((f) => f.pass),
    },
  };
}
