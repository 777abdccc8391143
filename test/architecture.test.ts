import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { importsOf, readSources, violations } from './support/import-rules.ts';

const ROOT = join(import.meta.dirname, '..');

describe("the layout's import rules", () => {
  it('hold for every file of the product, the stack and the simulator', () => {
    // Arrange
    const sources = readSources(ROOT, ['functions', 'lib', 'sim']);

    // Act
    const found = violations(sources);

    // Assert
    expect(sources.size).toBeGreaterThan(50);
    expect(found).toEqual([]);
  });

  it.each([
    ['functions/core/sweep.ts', "import { readFile } from 'node:fs/promises';", 'the domain is pure'],
    ['functions/core/sweep.ts', "import { SNSClient } from '@aws-sdk/client-sns';", 'the domain is pure'],
    [
      'functions/core/money.ts',
      "import type { X } from '../adapters/vobiz/client.ts';",
      'the domain is pure',
    ],
    ['functions/core/types.ts', "export type { Y } from '../finance/csv.ts';", 'the domain is pure'],
    ['functions/finance/csv.ts', "import { z } from '../adapters/dynamodb/store.ts';", 'finance views'],
    ['functions/finance/csv.ts', "import { createHash } from 'node:crypto';", 'finance views'],
    ['lib/alarms.ts', "import { handler } from '../functions/handler/sweep-handler.ts';", 'the stack knows'],
    ['functions/adapters/sns/x.ts', "import { main } from '../../cli/main.ts';", 'adapters serve'],
    ['functions/handler/x.ts', "const m = await import('../cli/main.ts');", 'must not pull in'],
    ['sim/accounts.ts', "import { parseAmount } from '../functions/core/money.ts';", 'the simulator'],
    ['functions/contract/metrics.ts', "import { z } from 'zod';", 'plain data'],
  ])('reports %s doing %s', (file, line, reason) => {
    // Arrange: one deliberate violation
    const files = new Map([[file, `${line}\nexport const x = 1;\n`]]);

    // Act
    const found = violations(files);

    // Assert
    expect(found).toHaveLength(1);
    expect(found[0]).toContain(reason);
  });

  it('allows what each folder may use', () => {
    const files = new Map([
      [
        'functions/core/a.ts',
        "import Big from 'big.js';\nimport { z } from 'zod';\nimport { b } from './b.ts';",
      ],
      ['functions/finance/a.ts', "import { parseAmount } from '../core/money.ts';"],
      [
        'lib/a.ts',
        "import { ENV } from '../functions/contract/handler.ts';\nimport { Stack } from 'aws-cdk-lib';",
      ],
      ['functions/adapters/a/b.ts', "import { oneLine } from '../../core/errors.ts';"],
      ['sim/a.ts', "import { createServer } from 'node:http';\nimport { b } from './b.ts';"],
    ]);

    expect(violations(files)).toEqual([]);
  });

  it('reads static, dynamic and re-exported imports', () => {
    const source = [
      "import a from './a.ts';",
      "import type { B } from './b.ts';",
      "import './side-effect.ts';",
      "export { c } from './c.ts';",
      "const d = await import('./d.ts');",
    ].join('\n');

    expect(importsOf(source)).toEqual(['./a.ts', './b.ts', './side-effect.ts', './c.ts', './d.ts']);
  });
});
