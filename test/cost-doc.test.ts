import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  blockIn,
  deployCostBlock,
  docSettings,
  type Engine,
  type Source,
} from '../bench/cost/deploy-block.ts';
import type { Measurement } from '../bench/cost/measure.ts';
import { readTemplate, synthesize } from '../bench/cost/template.ts';

/**
 * docs/DEPLOY.md's cost section is the model's output: regenerated here from the recorded
 * measurements and the synthesized stack, it must be what the document shows. When it is not,
 * run `npm run cost -- --markdown --measured bench/cost/recorded` and paste the block.
 */

const recorded = (source: Source) =>
  JSON.parse(readFileSync(`bench/cost/recorded/measurement-${source}.json`, 'utf8')) as Measurement;

function generated(): string {
  return deployCostBlock(
    {
      measurements: { endpoint: recorded('endpoint'), list: recorded('list') },
      facts: (source: Source, engine: Engine, rate?: number) =>
        readTemplate(synthesize(docSettings(source, engine, 15, rate))),
    },
    { periodMinutes: 15, movedFraction: 0.05, movers: 'same' },
  );
}

describe("DEPLOY.md's cost section", () => {
  let block: string;

  beforeAll(() => {
    block = generated();
  });

  it('shows the cost block exactly as the model prints it from the recorded measurements', () => {
    const document = readFileSync('docs/DEPLOY.md', 'utf8');

    expect(blockIn(document), 'no cost block in docs/DEPLOY.md').toBeDefined();
    expect(blockIn(document)).toBe(block);
  });

  it('covers 1,000, 10,000 and 200,000 accounts in both balance sources, and says which sweeps do not fit', () => {
    const header = block.split('\n').find((l) => l.startsWith('| line |')) ?? '';

    for (const column of ['1,000, endpoint', '1,000, list', '10,000, endpoint', '10,000, list'])
      expect(header).toContain(`| ${column} |`);
    for (const column of ['200,000, endpoint, distributed', '200,000, list, distributed'])
      expect(header).toContain(column);
    expect(block).toMatch(/\| fits its time\? \|.*no: incomplete sweeps/);
    expect(block).toMatch(/\| 200,000, endpoint, single \| \d+ s \(\d+ s\) \| no \|/);
  });

  it('judges each target of issue 11 and prices the levers', () => {
    const targets = block.split('\n').filter((l) => /^\| [\d,]+ accounts.*at most \$/.test(l));
    const levers = block.split('\n').filter((l) => /^\| `[a-z-0-9]+`/.test(l));

    expect(targets).toHaveLength(3);
    for (const t of targets) expect(t).toMatch(/\| (yes|no) \|/);
    expect(levers.map((l) => /^\| `([a-z-0-9]+)`/.exec(l)?.[1])).toEqual(
      expect.arrayContaining(['ledger', 'no-byday', 'balance-cache', 'window-30']),
    );
  });
});
