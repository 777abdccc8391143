/**
 * `npm run cost -- --accounts 10000 --period 15 --moved 0.05 [--balance-source endpoint|list]
 *   [--engine single|distributed] [--movers same|spread] [--levers ...] [--latency-ms 100] [--json]`
 * `npm run cost -- --markdown [--measured bench/cost/recorded]`: docs/DEPLOY.md's cost block.
 *
 * Synthesizes the stack with those settings, measures a sweep run of its Lambda handler at
 * --measure-accounts accounts over the simulator and dynalite (measure.ts), and prices the month
 * line by line (model.ts). Comma-separated --accounts, --balance-source and --engine give several
 * cases at once, printed side by side as a Markdown table (what docs/DEPLOY.md shows).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseCommandLine } from '../../functions/cli/args.ts';
import { ConfigError } from '../../functions/core/errors.ts';
import { deployCostBlock, docSettings, type Engine, type Source } from './deploy-block.ts';
import { LEVER_NAMES, withLevers } from './levers.ts';
import { type Measurement, measure } from './measure.ts';
import { type Estimate, estimate } from './model.ts';
import { describeCase, renderMatrix, renderText } from './render.ts';
import { readTemplate, synthesize, type TemplateFacts } from './template.ts';

const OPTIONS = {
  accounts: { type: 'string', value: '<n[,n...]>', help: 'customer accounts (default 10000)' },
  period: { type: 'string', value: '<minutes>', help: 'minutes between sweeps (default 15)' },
  moved: {
    type: 'string',
    value: '<fraction>',
    help: 'share of balances that move per sweep (default 0.05)',
  },
  'balance-source': { type: 'string', value: '<endpoint|list>[,...]', help: 'default endpoint' },
  engine: { type: 'string', value: '<single|distributed>[,...]', help: 'default single' },
  'latency-ms': {
    type: 'string',
    value: '<ms>',
    help: 'partner API latency in the measured run (default 100)',
  },
  movers: {
    type: 'string',
    value: '<same|spread>',
    help: 'the same accounts move every sweep (default), or a random share',
  },
  'max-requests-per-second': {
    type: 'string',
    value: '<n>',
    help: 'engine distributed: the global partner API rate (the stack default if not given)',
  },
  levers: {
    type: 'string',
    value: `<${LEVER_NAMES.join('|')}>[,...]`,
    help: 'price as if these unbuilt changes were made (bench/cost/levers.ts)',
  },
  markdown: {
    type: 'boolean',
    help: "docs/DEPLOY.md's cost block (its fixed cases; --period, --moved, --movers apply)",
  },
  'measure-accounts': { type: 'string', value: '<n>', help: 'accounts in the measured run (default 2000)' },
  record: { type: 'string', value: '<dir>', help: 'also write each measurement there as JSON' },
  measured: { type: 'string', value: '<dir>', help: 'price recorded measurements instead of measuring' },
  json: { type: 'boolean', help: 'one JSON document on stdout' },
  help: { type: 'boolean', help: 'this help' },
} as const;

function number(
  flag: string,
  text: string | undefined,
  fallback: number,
  ok: (x: number) => boolean,
): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || !ok(value))
    throw new ConfigError(`--${flag}: not allowed: ${JSON.stringify(text)}`);
  return value;
}

function list<T extends string>(
  flag: string,
  text: string | undefined,
  allowed: readonly T[],
  fallback: T,
): T[] {
  const values = (text ?? fallback).split(',').map((v) => v.trim());
  for (const v of values) {
    if (!allowed.includes(v as T))
      throw new ConfigError(`--${flag} must be ${allowed.join(' or ')}, got ${JSON.stringify(v)}`);
  }
  return values as T[];
}

async function main(argv: string[]): Promise<void> {
  const { values } = parseCommandLine(argv, OPTIONS);
  if (values.help) {
    process.stdout.write(
      `${Object.entries(OPTIONS)
        .map(([name, o]) => `  --${name} ${'value' in o ? o.value : ''}`.padEnd(44) + o.help)
        .join('\n')}\n`,
    );
    return;
  }
  const accounts = (values.accounts ?? '10000')
    .split(',')
    .map((a) => number('accounts', a, 0, (x) => Number.isInteger(x) && x > 0));
  const period = number('period', values.period, 15, (x) => Number.isInteger(x) && x >= 1 && x <= 1440);
  const moved = number('moved', values.moved, 0.05, (x) => x > 0 && x <= 1);
  const latencyMs = number('latency-ms', values['latency-ms'], 100, (x) => x >= 0);
  const measureAccounts = number(
    'measure-accounts',
    values['measure-accounts'],
    2000,
    (x) => Number.isInteger(x) && x >= 100,
  );
  const sources = list('balance-source', values['balance-source'], ['endpoint', 'list'] as const, 'endpoint');
  const engines = list('engine', values.engine, ['single', 'distributed'] as const, 'single');
  const [movers] = list('movers', values.movers, ['same', 'spread'] as const, 'same');
  const progress = (line: string) => process.stderr.write(`${line}\n`);
  const levers = values.levers === undefined ? [] : list('levers', values.levers, LEVER_NAMES, 'ledger');
  const measureWith = (facts: TemplateFacts, source: string) =>
    measurementFor(facts, source, {
      accounts: measureAccounts,
      latencyMs,
      moved,
      period,
      recorded: values.measured,
      record: values.record,
      progress,
    });

  if (values.markdown) {
    const facts = (source: Source, engine: Engine, rps?: number) =>
      readTemplate(synthesize(docSettings(source, engine, period, rps)));
    const measurements = {
      endpoint: await measureWith(facts('endpoint', 'single'), 'endpoint'),
      list: await measureWith(facts('list', 'single'), 'list'),
    };
    process.stdout.write(
      deployCostBlock(
        { measurements, facts },
        { periodMinutes: period, movedFraction: moved, movers: movers ?? 'same' },
      ),
    );
    return;
  }

  const cases: Array<{ title: string; source: string; engine: string; estimate: Estimate }> = [];
  for (const source of sources) {
    const settings = { schedule: `rate(${period} minutes)`, balanceSource: source };
    const facts = readTemplate(synthesize(settings));
    const measurement = await measureWith(facts, source);
    for (const engine of engines) {
      const engineFacts: TemplateFacts =
        engine === 'single'
          ? facts
          : readTemplate(synthesize({ ...settings, engine, ...rate(values['max-requests-per-second']) }));
      for (const n of accounts) {
        const leveled = withLevers(
          measurement,
          { accounts: n, periodMinutes: period, movedFraction: moved, movers: movers ?? 'same' },
          levers,
        );
        const e = estimate(leveled.measurement, engineFacts, leveled.options);
        cases.push({
          title: `${n.toLocaleString('en-US')}, ${source}, ${engine}`,
          source,
          engine,
          estimate: e,
        });
      }
    }
  }

  if (values.json) {
    process.stdout.write(
      `${JSON.stringify(
        cases.map((c) => ({ case: describeCase(c.estimate, c.source, c.engine), ...c.estimate })),
        null,
        2,
      )}\n`,
    );
  } else if (cases.length === 1) {
    const [only] = cases;
    if (only) process.stdout.write(renderText(only.estimate, only.source, only.engine));
  } else {
    process.stdout.write(`${renderMatrix(cases)}\n`);
  }
}

function rate(text: string | undefined): { maxRequestsPerSecond?: number } {
  if (text === undefined) return {};
  return {
    maxRequestsPerSecond: number('max-requests-per-second', text, 0, (x) => Number.isInteger(x) && x >= 1),
  };
}

async function measurementFor(
  facts: TemplateFacts,
  source: string,
  o: {
    accounts: number;
    latencyMs: number;
    moved: number;
    period: number;
    recorded: string | undefined;
    record: string | undefined;
    progress: (line: string) => void;
  },
): Promise<Measurement> {
  const file = (dir: string) => join(dir, `measurement-${source}.json`);
  if (o.recorded) {
    const m = JSON.parse(readFileSync(file(o.recorded), 'utf8')) as Measurement;
    if (m.balanceSource !== source)
      throw new ConfigError(`${file(o.recorded)} holds a ${m.balanceSource} measurement`);
    if (m.latencyMs !== o.latencyMs || m.periodMinutes !== o.period) {
      throw new ConfigError(
        `${file(o.recorded)} was measured at ${m.latencyMs} ms and a ${m.periodMinutes}-minute period, not ${o.latencyMs} ms and ${o.period}: measure again without --measured`,
      );
    }
    return m;
  }
  const m = await measure({
    accounts: o.accounts,
    latencyMs: o.latencyMs,
    movedFraction: o.moved,
    periodMinutes: o.period,
    sweepFunction: facts.sweepFunction,
    progress: o.progress,
  });
  if (o.record) {
    mkdirSync(o.record, { recursive: true });
    writeFileSync(file(o.record), `${JSON.stringify(m, null, 2)}\n`);
  }
  return m;
}

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
main(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(
    `npm run cost: ${error instanceof ConfigError ? error.message : String((error as Error).stack ?? error)}\n`,
  );
  process.exitCode = error instanceof ConfigError ? 2 : 1;
});
