/**
 * `npm run bench`: the speed, memory, CPU and write-cost targets, measured on loopback only.
 * Every figure is reported beside its bound, as a ratio to it, with the machine's load average
 * (1, 5, 15 minutes) when it was taken. Prints one JSON document; exit 1 when a bound is missed.
 *
 * `npm run bench -- --part <part> [--part <part>...]` (or `-- <part>...`) runs some parts only:
 * speed (and writes), shards, list, cpu, memory, starvation, bundle. Parts that need the same seeded
 * partner share it (fixtures.ts).
 * Each actor runs in a process of its own (simulator, in-memory DynamoDB, each sweep: children.ts).
 */

import { load, round } from './children.ts';
import { cpu } from './cpu.ts';
import { stopFixtures } from './fixtures.ts';
import { handlerBundle } from './handler-bundle.ts';
import { memory } from './memory.ts';
import { listSource, shards, starvation } from './scale.ts';
import { speedAndWrites } from './speed.ts';

type Figures = Record<string, { pass?: boolean }>;

const PARTS: Record<string, () => Promise<Figures>> = {
  speed: speedAndWrites,
  shards,
  list: listSource,
  cpu,
  memory,
  starvation,
};

// `-- cpu memory`, `-- --part cpu --part memory` and `-- --part=cpu,memory` all name parts.
const asked = process.argv
  .slice(2)
  .flatMap((arg) => arg.replace(/^--part=?/, '').split(','))
  .filter((part) => part !== '');
const unknown = asked.filter((p) => !(p in PARTS) && p !== 'bundle');
if (unknown.length > 0) {
  console.error(
    `bench: unknown part ${unknown.join(', ')}: use ${[...Object.keys(PARTS), 'bundle'].join(', ')}`,
  );
  process.exit(2);
}
const wanted = (part: string) => asked.length === 0 || asked.includes(part);

const started = Date.now();
const loadAtStart = load();
const results: Figures = {};
try {
  for (const [name, part] of Object.entries(PARTS)) {
    if (!wanted(name)) continue;
    const partStarted = Date.now();
    Object.assign(results, await part());
    process.stderr.write(`bench: ${name} took ${round((Date.now() - partStarted) / 1000, 0)} s\n`);
  }
} finally {
  await stopFixtures();
}
// Figures without a bound of their own: reported, not judged.
const bundle = wanted('bundle') ? await handlerBundle() : {};
const report = {
  ...results,
  ...bundle,
  pass: Object.values(results).every((r) => r.pass),
  benchSeconds: round((Date.now() - started) / 1000, 1),
  load: { atStart: loadAtStart, atEnd: load() },
  node: process.version,
};
console.log(JSON.stringify(report, null, 2));
process.exitCode = report.pass ? 0 : 1;
