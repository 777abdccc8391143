import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { type LeverName, withLevers } from '../bench/cost/levers.ts';
import type { Measurement } from '../bench/cost/measure.ts';
import { type CostLine, type Estimate, estimate, type ModelOptions } from '../bench/cost/model.ts';
import { PRICES } from '../bench/cost/prices.ts';
import { readTemplate, runsPerMonth, synthesize, type Template } from '../bench/cost/template.ts';

/**
 * The cost model on recorded measurements (bench/cost/recorded: a real run of `npm run cost`) and the
 * stack's synthesized template: no sweep runs here. What it checks is that the model scales the way
 * the bill does: per moved account, per account, per template resource.
 */

const recorded = (source: string) =>
  JSON.parse(readFileSync(`bench/cost/recorded/measurement-${source}.json`, 'utf8')) as Measurement;

const BASE: ModelOptions = { accounts: 10_000, periodMinutes: 15, movedFraction: 0.05, movers: 'same' };

let template: Template;
let endpoint: Measurement;

beforeAll(() => {
  template = synthesize({ schedule: 'rate(15 minutes)' });
  endpoint = recorded('endpoint');
});

const run = (
  options: Partial<ModelOptions> = {},
  t: Template = template,
  m: Measurement = endpoint,
): Estimate => estimate(m, readTemplate(t), { ...BASE, ...options });

function line(e: Estimate, start: string): CostLine {
  const found = e.lines.find((l) => `${l.service} ${l.what}`.startsWith(start));
  if (!found) throw new Error(`no line starts with ${start}: ${e.lines.map((l) => l.what).join(' | ')}`);
  return found;
}

/** A copy of the template with one more resource. */
function plus(type: string, properties: Record<string, unknown>): Template {
  const copy = structuredClone(template);
  copy.Resources.AddedByTheTest = { Type: type, Properties: properties };
  return copy;
}

describe('the cost model', () => {
  it('doubles the lines of moved accounts when twice as many balances move', () => {
    const once = run();
    const twice = run({ movedFraction: 0.1 });

    for (const start of [
      'DynamoDB writes of moved accounts',
      'DynamoDB index writes of moved accounts',
      'DynamoDB runway history of moved accounts',
    ]) {
      expect(line(once, start).usd).toBeGreaterThan(0);
      expect(line(twice, start).usd).toBeCloseTo(2 * line(once, start).usd, 10);
    }
    expect(line(twice, 'DynamoDB state reads').usd).toBeCloseTo(line(once, 'DynamoDB state reads').usd, 10);
  });

  it('doubles the per-account lines and leaves the fixed ones alone when the accounts double', () => {
    const once = run();
    const twice = run({ accounts: 20_000 });

    for (const start of [
      'DynamoDB state reads',
      "DynamoDB a day's first snapshot",
      "DynamoDB index writes of a day's first",
      'DynamoDB writes of moved accounts',
    ]) {
      expect(line(twice, start).usd).toBeCloseTo(2 * line(once, start).usd, 10);
    }
    for (const start of [
      'CloudWatch custom metrics',
      'CloudWatch alarms',
      'CloudWatch dashboards',
      'KMS customer managed keys',
      'Secrets Manager secrets',
      "DynamoDB every sweep's own items",
    ]) {
      expect(line(twice, start).usd).toBe(line(once, start).usd);
    }
    expect(twice.total).toBeGreaterThan(once.total);
  });

  it('adds one alarm metric for an alarm added to the template, and prices a metric-math alarm per metric', () => {
    const before = run();
    const alarm = plus('AWS::CloudWatch::Alarm', {
      AlarmName: 'added',
      MetricName: 'Throttles',
      Namespace: 'AWS/Lambda',
      Period: 300,
    });
    const mathAlarm = plus('AWS::CloudWatch::Alarm', {
      AlarmName: 'ratio',
      Metrics: [
        { Id: 'e', Expression: 'a / b' },
        { Id: 'a', MetricStat: { Metric: { Namespace: 'AWS/Lambda', MetricName: 'Errors' }, Period: 300 } },
        {
          Id: 'b',
          MetricStat: { Metric: { Namespace: 'AWS/Lambda', MetricName: 'Invocations' }, Period: 300 },
        },
      ],
    });

    expect(run({}, alarm).total - before.total).toBeCloseTo(PRICES.alarmMetric.usd, 10);
    expect(run({}, mathAlarm).total - before.total).toBeCloseTo(2 * PRICES.alarmMetric.usd, 10);
  });

  it('prices each dashboard, customer managed key and secret the template holds', () => {
    const before = run().total;

    expect(run({}, plus('AWS::CloudWatch::Dashboard', {})).total - before).toBeCloseTo(
      PRICES.dashboard.usd,
      10,
    );
    expect(run({}, plus('AWS::KMS::Key', {})).total - before).toBeCloseTo(PRICES.kmsKey.usd, 10);
    expect(run({}, plus('AWS::SecretsManager::Secret', {})).total - before).toBeCloseTo(
      PRICES.secret.usd,
      10,
    );
  });

  it('reads the sweep function from the template: its memory sets the GB-seconds', () => {
    const facts = readTemplate(template);
    const doubled = structuredClone(template);
    const fn = doubled.Resources[facts.sweepFunction.id];
    if (!fn?.Properties) throw new Error('no sweep function');
    fn.Properties.MemorySize = facts.sweepFunction.memoryMb * 2;

    const gbSeconds = (e: Estimate) => line(e, 'Lambda sweep').quantity;
    const before = run();
    const after = run({}, doubled);

    // Twice the memory: twice the GB per second, and at most as many seconds (more CPU).
    expect(gbSeconds(after)).toBeLessThanOrEqual(2 * gbSeconds(before) + 1e-9);
    expect(after.sweep.regularSeconds).toBeLessThanOrEqual(before.sweep.regularSeconds);
  });

  it('labels every line with where its figure comes from and prices nothing negative', () => {
    const e = run();

    for (const l of e.lines) {
      expect(['measured', 'computed', 'template', 'assumed']).toContain(l.basis);
      expect(l.usd).toBeGreaterThanOrEqual(0);
      expect(Number.isFinite(l.usd)).toBe(true);
    }
    expect(e.total).toBeCloseTo(
      e.lines.reduce((sum, l) => sum + l.usd, 0),
      10,
    );
  });

  it('prices the runway for spread movers below the same movers and changes no other line', () => {
    const same = run({ movers: 'same' });
    const spread = run({ movers: 'spread' });

    expect(line(spread, 'DynamoDB runway history').usd).toBeLessThan(
      line(same, 'DynamoDB runway history').usd / 5,
    );
    const others = (e: Estimate) => e.lines.filter((l) => !l.what.startsWith('runway history'));
    expect(others(spread)).toEqual(others(same));
    expect(same.movers).toMatch(/^Movers \(--movers same\): .* 672 snapshots/);
    expect(spread.movers).toMatch(/^Movers \(--movers spread\): .* 4\.8 times a day/);
  });

  it('takes every price from the prices file: doubling one doubles exactly the lines that use it', () => {
    const before = run();
    const price = PRICES.dynamoRead as { usd: number };
    const listed = price.usd;
    price.usd = 2 * listed;
    let after: Estimate;
    try {
      after = run();
    } finally {
      price.usd = listed;
    }

    for (const [i, l] of before.lines.entries()) {
      const factor = l.price === 'dynamoRead' ? 2 : 1;
      expect(after.lines[i]?.usd).toBeCloseTo(factor * l.usd, 10);
    }
    const reads = before.lines.filter((l) => l.price === 'dynamoRead').reduce((sum, l) => sum + l.usd, 0);
    expect(reads).toBeGreaterThan(0);
    expect(after.total - before.total).toBeCloseTo(reads, 10);
  });

  it('names a source page and how far it was confirmed for every price', () => {
    for (const [name, price] of Object.entries(PRICES)) {
      expect(price.source, name).toMatch(/^https:\/\/aws\.amazon\.com\//);
      expect(['aws-page', 'third-party', 'unconfirmed'], name).toContain(price.check);
      expect(price.usd, name).toBeGreaterThan(0);
    }
  });

  it('rests on recorded measurements taken with the function the template defines', () => {
    const fn = readTemplate(template).sweepFunction;
    const settings = JSON.parse(String(fn.environment.SWEEP_CONFIG)) as {
      concurrency: number;
      balanceSource: string;
    };

    for (const source of ['endpoint', 'list']) {
      const m = recorded(source);
      expect(m.balanceSource).toBe(source);
      expect(m.memoryMb).toBe(fn.memoryMb);
      expect(m.concurrency).toBe(settings.concurrency);
      expect(m.periodMinutes).toBe(15);
      expect(m.sweeps.moved.moved / m.accounts).toBeCloseTo(m.movedFraction, 10);
    }
    expect(settings.balanceSource).toBe('endpoint');
  });

  it('prices the list balance source from its own measurement, with fewer partner API requests', () => {
    const list = run({}, template, recorded('list'));
    const perSweep = (e: Estimate) =>
      Number(/([\d,.]+) requests a sweep/.exec(line(e, 'Data transfer').what)?.[1]?.replace(/,/g, ''));

    expect(perSweep(list)).toBeLessThan(perSweep(run()) / 5);
  });
});

describe('the levers', () => {
  const withLever = (levers: LeverName[], tuning: { ledgerStateBytes?: number } = {}) => {
    const leveled = withLevers(endpoint, BASE, levers, tuning);
    return estimate(leveled.measurement, readTemplate(template), leveled.options);
  };

  it('prices the ledger as no runway query and three write units per state write of 2.5 KB', () => {
    const before = run();
    const after = withLever(['ledger']);

    expect(line(after, 'DynamoDB runway history').usd).toBe(0);
    // A moved account writes a 1-unit snapshot and a 3-unit state instead of 1 + 1.
    expect(line(after, 'DynamoDB writes of moved accounts').usd).toBeCloseTo(
      2 * line(before, 'DynamoDB writes of moved accounts').usd,
      10,
    );
    expect(line(after, 'DynamoDB state reads').usd).toBe(line(before, 'DynamoDB state reads').usd);
    expect(withLever(['ledger'], { ledgerStateBytes: 1024 }).total).toBeCloseTo(
      before.total - line(before, 'DynamoDB runway history').usd,
      2,
    );
  });

  it('prices no byDay index as no index writes and an export that queries every account', () => {
    const after = withLever(['no-byday']);

    const indexWrites = after.lines.filter((l) => l.what.startsWith('index writes'));
    expect(indexWrites).toHaveLength(2);
    for (const l of indexWrites) expect(l.usd).toBe(0);
    expect(line(after, 'DynamoDB nightly export').what).toMatch(/a query of each account's day/);
    expect(line(after, 'DynamoDB storage').usd).toBeLessThan(line(run(), 'DynamoDB storage').usd);
  });

  it('prices the balance cache as state reads of moved accounts only, plus its S3 requests', () => {
    const before = run();
    const after = withLever(['balance-cache']);

    expect(line(after, 'DynamoDB state reads of moved accounts only').usd).toBeLessThan(
      line(before, 'DynamoDB state reads').usd / 5,
    );
    expect(line(after, 'S3 balance cache').usd).toBeGreaterThan(0);
  });

  it('prices a 30-day window as a third of the snapshots in the table', () => {
    const storage = (e: Estimate) => line(e, 'DynamoDB storage').usd;

    expect(storage(withLever(['window-30']))).toBeLessThan(storage(run()) / 2);
    expect(withLever(['window-30']).total).toBeLessThan(run().total);
  });
});

describe('schedules', () => {
  it('counts the runs of a rate and of a daily cron over 730 hours', () => {
    expect(runsPerMonth('rate(15 minutes)')).toBeCloseTo(2920, 6);
    expect(runsPerMonth('rate(1 hour)')).toBeCloseTo(730, 6);
    expect(runsPerMonth('cron(0 3 * * ? *)')).toBeCloseTo(730 / 24, 6);
    expect(() => runsPerMonth('cron(0/5 * ? * MON-FRI *)')).toThrow(/cannot count/);
  });
});
