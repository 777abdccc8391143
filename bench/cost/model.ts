import { SWEEP_TIME_BUDGET } from '../../functions/contract/handler.ts';
import { DEFAULT_SHARD_SIZE, FALLBACK_PAGE_SIZE } from '../../functions/core/sweep-plan.ts';
import type { MeterReading } from './capacity-meter.ts';
import { READ_UNIT_BYTES, STORAGE_OVERHEAD_BYTES } from './item-size.ts';
import type { Measurement, SweepKind } from './measure.ts';
import { cost, PRICES, type PriceName } from './prices.ts';
import type { DistributedFacts, TemplateFacts } from './template.ts';

/**
 * The monthly bill, line by line, from a recorded measurement (measure.ts), the synthesized
 * template's facts (template.ts) and list prices (prices.ts). Pure: nothing runs, nothing is read.
 *
 * How a measured sweep at N₀ accounts becomes a sweep at N accounts with M = moved × N of them moved:
 * every measured quantity q (a request count, units of one use, CPU time) is split into
 *   q_quiet = fixed + perAccount × N₀          (the quiet sweep: nothing moved)
 *   q_moved = q_quiet + perMoved × M₀          (the same, M₀ balances moved before it)
 *   q_dayFirst = q_quiet + perDayAccount × N₀  (the first sweep of a partner day: a snapshot each)
 * where `fixed` holds what does not grow with accounts (the lease, the run slot, the sweep record,
 * the partner's own wallet) and everything else is per account. A month has 730 hours: S sweeps, of
 * which one a day is a day's first and the rest are regular sweeps with M accounts moved.
 */

export type Basis = 'measured' | 'computed' | 'template' | 'assumed';

export interface CostLine {
  service: string;
  what: string;
  quantity: number;
  unit: string;
  price: PriceName;
  usd: number;
  basis: Basis;
}

export interface ModelOptions {
  accounts: number;
  periodMinutes: number;
  movedFraction: number;
  /**
   * Which accounts move: `same` (the same ones every sweep: customers with traffic, the telephony
   * pattern, whose 7-day history the runway reads is then long) or `spread` (a fresh random share).
   */
  movers: 'same' | 'spread';
  /**
   * What-ifs the product does not do (bench/cost/levers.ts sets them): `changed` reads the states of
   * moved accounts only in a regular sweep (a cache of last balances in S3 says which changed);
   * `perAccount` has the nightly export query each account's day instead of the byDay index.
   */
  stateReads?: 'every' | 'changed';
  exportPath?: 'byDay' | 'perAccount';
}

export interface SweepEstimate {
  /** Seconds one sweep takes at N accounts: regular, and the first of a day. */
  regularSeconds: number;
  dayFirstSeconds: number;
  /** How it was reached, in words. */
  how: string;
}

export interface Estimate {
  options: ModelOptions;
  /** Which accounts move, in one line: the assumption the runway line rests on. */
  movers: string;
  lines: CostLine[];
  total: number;
  sweep: SweepEstimate;
  notes: string[];
}

export const HOURS_PER_MONTH = 730;
const DAYS_PER_MONTH = HOURS_PER_MONTH / 24;
const GB = 1024 ** 3;
/** One vCPU at 1,769 MB (Lambda developer guide, "Memory and computing power"). */
const MB_PER_VCPU = 1769;
/** Lambda platform lines per invocation (START, END, REPORT), about this long; CloudWatch counts 26 bytes more per event. */
const PLATFORM_LOG_BYTES = 3 * 26 + 90 + 60 + 250;
const LOG_EVENT_OVERHEAD = 26;
/** TLS 1.3 record overhead per request and TCP/IP headers: the request's packet and about one ACK per two answer segments. */
const TLS_RECORD_BYTES = 22;
const TCP_IP_HEADER_BYTES = 52;
const TCP_SEGMENT_BYTES = 1448;
/** The runway reads this much history (functions/core/spend-history.ts). */
const RUNWAY_DAYS = 7;
/** A balance cache entry (account id, exact balance, level, next reminder): assumed, not measured. */
const BALANCE_CACHE_ENTRY_BYTES = 64;
/** S3's minimum billable object size in Standard-IA and Glacier Instant Retrieval. */
const S3_MIN_OBJECT_BYTES = 128 * 1024;

/** Table item classes that do not grow with the number of accounts. */
const FIXED_CLASSES = new Set(['lease', 'run', 'sweep', 'config', 'audit']);

export function estimate(m: Measurement, t: TemplateFacts, o: ModelOptions): Estimate {
  const s = new Scale(m, o);
  const lines: CostLine[] = [];
  const notes: string[] = [];
  const add = (line: Omit<CostLine, 'usd'>) => lines.push({ ...line, usd: cost(line.price, line.quantity) });
  const fmt = new Intl.NumberFormat('en-US', { maximumFractionDigits: 1 });
  const n = (x: number) => fmt.format(x);

  // ---- Lambda (and Step Functions for engine `distributed`): the sweep
  const work = sweepWork(m, s);
  const run = t.distributed ? distributedSweep(m, s, t.distributed, work) : singleSweep(m, s, t, work);
  for (const line of run.lines) add(line);
  notes.push(...run.notes);
  const exportFn = t.archiveFunction;
  const exportSnapshots = s.snapshotsPerDay;
  const exportSeconds = exportFn
    ? (m.archive.wallMs / 1000 / m.archive.snapshots) * exportSnapshots +
      m.initMs / 1000 / vcpuShare(exportFn.memoryMb)
    : 0;
  if (exportFn) {
    add({
      service: 'Lambda',
      what: `nightly archive export: ${n(exportSnapshots)} snapshots in ${n(exportSeconds)} s at ${exportFn.memoryMb} MB`,
      quantity: DAYS_PER_MONTH * exportSeconds * (exportFn.memoryMb / 1024),
      unit: 'GB-s',
      price: 'lambdaArmGbSecond',
      basis: 'measured',
    });
  }
  const scheduled = t.schedules.reduce((sum, sc) => sum + sc.perMonth, 0);
  add({
    service: 'Lambda',
    what: `invocations: ${t.schedules.map((sc) => `${sc.expression} ${n(sc.perMonth)}`).join(', ')}${run.invocationsPerSweep > 0 ? `, + ${n(run.invocationsPerSweep)} a sweep by the workflow` : ''}`,
    quantity: scheduled + run.invocationsPerSweep * s.sweeps,
    unit: 'requests',
    price: 'lambdaRequest',
    basis: 'template',
  });

  // ---- DynamoDB writes
  const writes = writeParts(m, s);
  add({
    service: 'DynamoDB',
    what: `writes of moved accounts: ${n(s.moved)} a sweep x ${n(writes.perMoved)} WRU (snapshot + state) x ${n(s.regularSweeps)} sweeps`,
    quantity: writes.perMoved * s.moved * s.regularSweeps,
    unit: 'WRU',
    price: 'dynamoWrite',
    basis: 'measured',
  });
  add({
    service: 'DynamoDB',
    what: `index writes of moved accounts: ${n(writes.indexPerMoved)} WRU each (byDay copy of the snapshot)`,
    quantity: writes.indexPerMoved * s.moved * s.regularSweeps,
    unit: 'WRU',
    price: 'dynamoWrite',
    basis: 'computed',
  });
  add({
    service: 'DynamoDB',
    what: `a day's first snapshot of every account: ${n(writes.perDayAccount)} WRU each (snapshot + state) x ${n(DAYS_PER_MONTH)} days`,
    quantity: writes.perDayAccount * s.accounts * s.dayFirstSweeps,
    unit: 'WRU',
    price: 'dynamoWrite',
    basis: 'measured',
  });
  add({
    service: 'DynamoDB',
    what: `index writes of a day's first snapshots: ${n(writes.indexPerDayAccount)} WRU each (byDay)`,
    quantity: writes.indexPerDayAccount * s.accounts * s.dayFirstSweeps,
    unit: 'WRU',
    price: 'dynamoWrite',
    basis: 'computed',
  });
  add({
    service: 'DynamoDB',
    what: `every sweep's own items: ${n(writes.fixed)} WRU (lease, run slot, sweep record) + ${n(writes.perAccount * s.accounts)} WRU of unmoved accounts`,
    quantity: (writes.fixed + writes.perAccount * s.accounts) * s.sweeps,
    unit: 'WRU',
    price: 'dynamoWrite',
    basis: 'measured',
  });

  // ---- DynamoDB reads
  const reads = readParts(m, s);
  if (o.stateReads === 'changed') {
    add({
      service: 'DynamoDB',
      what: `state reads of moved accounts only (every account on a day's first sweep): ${n(reads.states)} RRU per account (BatchGetItem, eventually consistent)`,
      quantity: reads.states * (s.moved * s.regularSweeps + s.accounts * s.dayFirstSweeps),
      unit: 'RRU',
      price: 'dynamoRead',
      basis: 'computed',
    });
    const cacheBytes = s.accounts * BALANCE_CACHE_ENTRY_BYTES;
    add({
      service: 'S3',
      what: `balance cache: one GET and one PUT of ${n(cacheBytes / 1024)} KB a sweep (${BALANCE_CACHE_ENTRY_BYTES} bytes an account, assumed)`,
      quantity: s.sweeps,
      unit: 'requests',
      price: 's3Put',
      basis: 'assumed',
    });
    add({
      service: 'S3',
      what: 'balance cache: its GET a sweep',
      quantity: s.sweeps,
      unit: 'requests',
      price: 's3Get',
      basis: 'assumed',
    });
  } else {
    add({
      service: 'DynamoDB',
      what: `state reads of every account, every sweep: ${n(reads.states)} RRU per account (BatchGetItem, eventually consistent)`,
      quantity: reads.states * s.accounts * s.sweeps,
      unit: 'RRU',
      price: 'dynamoRead',
      basis: 'measured',
    });
  }
  const registry = registryReads(m, s);
  add({
    service: 'DynamoDB',
    what: `registry of known accounts, every sweep: ${registry.queries} queries of the known index, ${n(registry.entryBytes)} bytes an entry: ${n(registry.units)} RRU`,
    quantity: registry.units * s.sweeps,
    unit: 'RRU',
    price: 'dynamoRead',
    basis: 'computed',
  });
  const runway = runwayReads(m, s, o);
  add({
    service: 'DynamoDB',
    what: `runway history of moved accounts: ${n(runway.queriesPerMoved)} queries each over ${RUNWAY_DAYS} days = ${n(runway.snapshotsRead)} snapshots (${o.movers} movers): ${n(runway.unitsPerMoved)} RRU`,
    quantity: runway.unitsPerMoved * s.moved * s.regularSweeps,
    unit: 'RRU',
    price: 'dynamoRead',
    basis: 'computed',
  });
  add({
    service: 'DynamoDB',
    what: `every sweep's own reads: ${n(reads.fixed)} RRU (run slot, currency defaults, previous sweep) + ${n(reads.other)} RRU other`,
    quantity: (reads.fixed + reads.other) * s.sweeps,
    unit: 'RRU',
    price: 'dynamoRead',
    basis: 'measured',
  });
  if (exportFn && o.exportPath === 'perAccount') {
    add({
      service: 'DynamoDB',
      what: `nightly export: the registry, then a query of each account's day (${n(exportSnapshots)} snapshots)`,
      quantity: (registry.units + perAccountExportUnits(m, s, o)) * DAYS_PER_MONTH,
      unit: 'RRU',
      price: 'dynamoRead',
      basis: 'computed',
    });
  } else if (exportFn) {
    add({
      service: 'DynamoDB',
      what: `nightly export: the day's ${n(exportSnapshots)} snapshots from the byDay index`,
      quantity: (units(m.archive.dynamo) / m.archive.snapshots) * exportSnapshots * DAYS_PER_MONTH,
      unit: 'RRU',
      price: 'dynamoRead',
      basis: 'measured',
    });
  }

  // ---- DynamoDB storage
  const storage = tableStorage(m, s);
  add({
    service: 'DynamoDB',
    what: `storage: ${storage.describe}`,
    quantity: storage.tableBytes / GB + storage.indexBytes / GB,
    unit: 'GB-month',
    price: 'dynamoStorage',
    basis: 'computed',
  });
  if (t.table.pointInTimeRecovery) {
    add({
      service: 'DynamoDB',
      what: 'point-in-time recovery of the table data (indexes not included)',
      quantity: storage.tableBytes / GB,
      unit: 'GB-month',
      price: 'dynamoPitr',
      basis: 'computed',
    });
  }

  // ---- S3 archive, Glue, Athena
  const bucket = t.buckets.find((b) => b.transitions.length > 0) ?? t.buckets[0];
  if (bucket && exportFn) {
    const archive = archiveStorage(m, s, bucket);
    for (const tier of archive.tiers) {
      add({
        service: 'S3',
        what: `archive: ${n(tier.files)} day files of ${n(tier.fileBytes / 1024)} KB (${tier.days})`,
        quantity: tier.gb,
        unit: 'GB-month',
        price: tier.price,
        basis: 'computed',
      });
    }
    add({
      service: 'S3',
      what: `archive index: ${n(archive.indexBytes / 1024)} KB, with ${archive.indexVersions} noncurrent versions kept`,
      quantity: (archive.indexBytes * (1 + archive.indexVersions)) / GB,
      unit: 'GB-month',
      price: 's3Standard',
      basis: 'measured',
    });
    add({
      service: 'S3',
      what: `export requests: ${m.archive.requests.put} PUT + ${m.archive.requests.list} LIST a night`,
      quantity: (m.archive.requests.put + m.archive.requests.list) * DAYS_PER_MONTH,
      unit: 'requests',
      price: 's3Put',
      basis: 'measured',
    });
    add({
      service: 'S3',
      what: `export requests: ${m.archive.requests.get} GET a night`,
      quantity: m.archive.requests.get * DAYS_PER_MONTH,
      unit: 'requests',
      price: 's3Get',
      basis: 'measured',
    });
    for (const transition of bucket.transitions) {
      const price: PriceName =
        transition.storageClass === 'STANDARD_IA' ? 's3TransitionIa' : 's3TransitionGlacierInstant';
      add({
        service: 'S3',
        what: `lifecycle: each day file to ${transition.storageClass} after ${transition.days} days`,
        quantity: DAYS_PER_MONTH,
        unit: 'transitions',
        price,
        basis: 'template',
      });
    }
    add({
      service: 'Athena',
      what: `per query (not counted): a month of history scans ${n((archive.dayBytes * DAYS_PER_MONTH) / 1e6)} MB (10 MB minimum): $${((Math.max(archive.dayBytes * DAYS_PER_MONTH, 10e6) / 1e12) * PRICES.athenaScan.usd).toFixed(5)}`,
      quantity: 0,
      unit: 'TB',
      price: 'athenaScan',
      basis: 'assumed',
    });
  }
  if (t.glueObjects > 0) {
    add({
      service: 'Glue',
      what: `Data Catalog: ${t.glueObjects} objects (database, table; partition projection stores no partitions)`,
      quantity: t.glueObjects,
      unit: 'objects',
      price: 'glueObject',
      basis: 'template',
    });
  }

  // ---- CloudWatch
  const emitted = new Set(Object.values(m.sweeps).flatMap((sw) => sw.metrics));
  const read = new Set(t.alarms.flatMap((a) => a.customMetrics));
  add({
    service: 'CloudWatch',
    what: `custom metrics emitted by the measured sweeps (EMF): ${emitted.size}; the alarms read ${read.size} custom metric names`,
    quantity: emitted.size,
    unit: 'metrics',
    price: 'customMetric',
    basis: 'measured',
  });
  const standard = t.alarms.filter((a) => !a.highResolution).reduce((sum, a) => sum + a.metrics, 0);
  const high = t.alarms.filter((a) => a.highResolution).reduce((sum, a) => sum + a.metrics, 0);
  add({
    service: 'CloudWatch',
    what: `alarms: ${t.alarms.length} on ${standard} standard-resolution metrics`,
    quantity: standard,
    unit: 'alarm metrics',
    price: 'alarmMetric',
    basis: 'template',
  });
  if (high > 0) {
    add({
      service: 'CloudWatch',
      what: 'high-resolution alarm metrics',
      quantity: high,
      unit: 'alarm metrics',
      price: 'highResolutionAlarmMetric',
      basis: 'template',
    });
  }
  add({
    service: 'CloudWatch',
    what: 'dashboards',
    quantity: t.dashboards,
    unit: 'dashboards',
    price: 'dashboard',
    basis: 'template',
  });
  const logs = logVolume(m, s);
  const exportLogBytes = exportFn ? DAYS_PER_MONTH * (PLATFORM_LOG_BYTES + 400) : 0;
  const logGb = (logs.perMonth + exportLogBytes) / GB;
  add({
    service: 'CloudWatch',
    what: `Logs ingestion: ${n(logs.perSweep / 1024)} KB a sweep (${n(logs.linesPerSweep)} lines of the handler, measured, + Lambda's START/END/REPORT)`,
    quantity: logGb,
    unit: 'GB',
    price: 'logsIngestion',
    basis: 'measured',
  });
  const retention = Math.max(0, ...t.logGroups.map((g) => g.retentionDays));
  add({
    service: 'CloudWatch',
    what: `Logs storage: ${retention} days kept (uncompressed size, an upper bound)`,
    quantity: (logGb * retention) / DAYS_PER_MONTH,
    unit: 'GB-month',
    price: 'logsStorage',
    basis: 'computed',
  });
  if (t.queryDefinitions > 0) {
    add({
      service: 'CloudWatch',
      what: `Logs Insights (${t.queryDefinitions} saved queries; per run over a month: ${n((logs.perMonth / GB) * 1000)} MB scanned; not counted)`,
      quantity: 0,
      unit: 'GB',
      price: 'logsInsights',
      basis: 'assumed',
    });
  }

  // ---- SNS, KMS, Secrets Manager, Scheduler, SQS
  const alerts = alertVolume(m, s);
  add({
    service: 'SNS',
    what: `alert publishes: ${n(alerts.messagesPerDay)} a day (the first sweep's alerts repeated as reminders every ${alerts.reminderHours} h, digested as measured)`,
    quantity: alerts.messagesPerDay * DAYS_PER_MONTH,
    unit: 'publishes',
    price: 'snsPublish',
    basis: 'computed',
  });
  const emails = Object.values(t.emailSubscriptions).reduce((sum, c) => sum + c, 0);
  add({
    service: 'SNS',
    what: `email deliveries: ${emails} subscribed addresses (each address adds $${cost('snsEmail', alerts.messagesPerDay * DAYS_PER_MONTH).toFixed(2)})`,
    quantity: alerts.messagesPerDay * DAYS_PER_MONTH * emails,
    unit: 'emails',
    price: 'snsEmail',
    basis: 'template',
  });
  const rotating = t.kmsKeys.filter((k) => k.rotation).length;
  add({
    service: 'KMS',
    what: `customer managed keys: ${t.kmsKeys.length}${rotating ? ` (${rotating} rotating yearly: +$1 a month after each of the first two rotations)` : ''}; topics: ${t.topics.map((tp) => `${tp.id} ${tp.key}`).join(', ')}`,
    quantity: t.kmsKeys.length,
    unit: 'keys',
    price: 'kmsKey',
    basis: 'template',
  });
  const encryptedTopicPublishes = t.topics.some((tp) => tp.key === 'customer managed')
    ? alerts.messagesPerDay * DAYS_PER_MONTH * (1 + emails)
    : 0;
  add({
    service: 'KMS',
    what: 'requests: at most one data key per publish and one decrypt per delivery to a topic under a customer key',
    quantity: encryptedTopicPublishes,
    unit: 'requests',
    price: 'kmsRequest',
    basis: 'computed',
  });
  add({
    service: 'Secrets Manager',
    what: `secrets: ${t.secrets}`,
    quantity: t.secrets,
    unit: 'secrets',
    price: 'secret',
    basis: 'template',
  });
  add({
    service: 'Secrets Manager',
    what: `GetSecretValue: ${n(m.sweeps.moved.secretsCalls)} a sweep (cached 5 minutes; sweeps are ${o.periodMinutes} apart)`,
    quantity: m.sweeps.moved.secretsCalls * s.sweeps,
    unit: 'API calls',
    price: 'secretsApi',
    basis: 'measured',
  });
  add({
    service: 'EventBridge Scheduler',
    what: `${t.schedules.length} schedules`,
    quantity: scheduled,
    unit: 'invocations',
    price: 'scheduler',
    basis: 'template',
  });
  add({
    service: 'SQS',
    what: `${t.queues} dead-letter queue: messages only when a slot fails (its alarm reads SQS's own, free metrics)`,
    quantity: 0,
    unit: 'requests',
    price: 'sqsRequest',
    basis: 'template',
  });

  // ---- Data transfer out: the requests to the partner API
  const transfer = transferOut(m, s, run.extraRequestsPerSweep);
  add({
    service: 'Data transfer',
    what: `out to the partner API: ${n(transfer.requestsPerSweep)} requests a sweep x ${n(transfer.bytesPerRequest)} bytes (${n(transfer.measuredBytes)} measured HTTP + TLS and TCP/IP overhead)`,
    quantity: (transfer.requestsPerMonth * transfer.bytesPerRequest) / GB,
    unit: 'GB',
    price: 'transferOut',
    basis: 'measured',
  });

  if (run.extraStateReadsPerSweep > 0) {
    add({
      service: 'DynamoDB',
      what: `overlap pages read twice by neighbouring shards: ${n(run.extraStateReadsPerSweep)} more state reads a sweep (upper bound)`,
      quantity: run.extraStateReadsPerSweep * reads.states * s.sweeps,
      unit: 'RRU',
      price: 'dynamoRead',
      basis: 'computed',
    });
  }

  const other = o.movers === 'same' ? 'spread' : 'same';
  const otherRunway = runwayReads(m, s, { ...o, movers: other });
  const runwayUsd = (r: { unitsPerMoved: number }) =>
    cost('dynamoRead', r.unitsPerMoved * s.moved * s.regularSweeps).toFixed(2);
  notes.push(
    `movers: \`same\` is the default because it is the pessimistic case and nothing measured argues against it: the measured run moves balances by hand, so it cannot say which accounts move, and a prepaid customer with traffic is debited call by call (it moves every sweep) while most others do not move for days. With \`--movers ${other}\` the runway line would be $${runwayUsd(otherRunway)} instead of $${runwayUsd(runway)} (${n(otherRunway.snapshotsRead)} snapshots a query instead of ${n(runway.snapshotsRead)})`,
    `measured ${m.measuredOn} on ${m.machine.cpu} (${m.machine.cpus} cores, Node ${m.machine.node}): ${m.accounts.toLocaleString('en-US')} accounts, the simulator at ${m.latencyMs} ms a request, concurrency ${m.concurrency}, ${(m.movedFraction * 100).toFixed(1)}% moved; scaled to ${s.accounts.toLocaleString('en-US')} accounts per account, per moved account and per sweep`,
    `sweep time: ${run.sweep.how}`,
    `one-off, not in the month: the very first sweep writes every state and registry entry (${n(firstSweepWrites(m) * s.accounts)} WRU, $${cost('dynamoWrite', firstSweepWrites(m) * s.accounts).toFixed(2)})`,
  );
  const total = lines.reduce((sum, l) => sum + l.usd, 0);
  return {
    options: o,
    movers: moversAssumption(s, o, runway.snapshotsRead),
    lines,
    total,
    sweep: run.sweep,
    notes,
  };
}

/** The target's counts, and how the measured ones scale to it. */
export class Scale {
  readonly accounts: number;
  readonly moved: number;
  readonly sweepsPerDay: number;
  readonly sweeps: number;
  readonly dayFirstSweeps: number;
  readonly regularSweeps: number;
  readonly snapshotsPerDay: number;
  readonly periodMinutes: number;

  constructor(
    private readonly m: Measurement,
    o: ModelOptions,
  ) {
    this.accounts = o.accounts;
    this.periodMinutes = o.periodMinutes;
    this.moved = o.movedFraction * o.accounts;
    this.sweepsPerDay = (24 * 60) / o.periodMinutes;
    this.sweeps = (HOURS_PER_MONTH * 60) / o.periodMinutes;
    this.dayFirstSweeps = DAYS_PER_MONTH;
    this.regularSweeps = this.sweeps - this.dayFirstSweeps;
    const created = (kind: SweepKind) => m.sweeps[kind].dynamo.uses['PutItem snapshot']?.created ?? 0;
    this.snapshotsPerDay =
      this.split(created, false).dayFirst + (this.sweepsPerDay - 1) * this.split(created, false).regular;
  }

  get measuredMoved(): number {
    return this.m.sweeps.moved.moved;
  }

  /**
   * A measured quantity at the target: one regular sweep (M moved) and one day's first sweep,
   * with `fixed` saying whether its quiet-sweep value stays as it is or grows per account.
   */
  split(q: (kind: SweepKind) => number, fixed: boolean) {
    const { accounts: n0 } = this.m;
    const quiet = q('quiet');
    const base = fixed ? quiet : (quiet / n0) * this.accounts;
    const perMoved = this.measuredMoved > 0 ? Math.max(0, q('moved') - quiet) / this.measuredMoved : 0;
    const perDayAccount = Math.max(0, q('dayFirst') - quiet) / n0;
    return {
      base,
      perMoved,
      perDayAccount,
      regular: base + perMoved * this.moved,
      dayFirst: base + perDayAccount * this.accounts,
    };
  }
}

function units(reading: MeterReading, filter: (use: string) => boolean = () => true): number {
  return Object.entries(reading.uses)
    .filter(([use]) => filter(use))
    .reduce((sum, [, u]) => sum + u.measuredUnits + u.unreportedUnits, 0);
}

const classOfUse = (use: string) => use.slice(use.indexOf(' ') + 1);
const isWrite = (use: string) => /^(PutItem|DeleteItem|UpdateItem|BatchWriteItem) /.test(use);

function writeParts(m: Measurement, s: Scale) {
  const fixedWrites = (kind: SweepKind) =>
    units(m.sweeps[kind].dynamo, (u) => isWrite(u) && FIXED_CLASSES.has(classOfUse(u)));
  const accountWrites = (kind: SweepKind) =>
    units(m.sweeps[kind].dynamo, (u) => isWrite(u) && !FIXED_CLASSES.has(classOfUse(u)));
  const indexWrites = (kind: SweepKind) =>
    Object.values(m.sweeps[kind].dynamo.indexWrites).reduce((sum, w) => sum + w.units, 0);
  const account = s.split(accountWrites, false);
  const index = s.split(indexWrites, false);
  return {
    fixed: s.split(fixedWrites, true).base,
    perAccount: account.base / s.accounts,
    perMoved: account.perMoved,
    perDayAccount: account.perDayAccount,
    indexPerMoved: index.perMoved,
    indexPerDayAccount: index.perDayAccount,
  };
}

function readParts(m: Measurement, s: Scale) {
  const reads = (kind: SweepKind, use: (u: string) => boolean) =>
    units(m.sweeps[kind].dynamo, (u) => !isWrite(u) && use(u));
  const states = s.split((k) => reads(k, (u) => u === 'BatchGetItem state'), false);
  const fixed = s.split((k) => reads(k, (u) => FIXED_CLASSES.has(classOfUse(u))), true);
  // Everything else but the runway's history queries, which runwayReads() prices for a steady state.
  const other = s.split(
    (k) =>
      reads(
        k,
        (u) =>
          u !== 'BatchGetItem state' &&
          !u.startsWith('Query index ') &&
          !FIXED_CLASSES.has(classOfUse(u)) &&
          u !== 'Query snapshot',
      ),
    false,
  );
  return {
    states: states.base / s.accounts,
    fixed: fixed.base,
    other: other.regular,
  };
}

/**
 * The registry query of every sweep: one query per partition of the KEYS_ONLY `known` index, each
 * reading its share of the index entries (rounded up to 4 KB, eventually consistent). Computed from
 * the measured entry size: at the measured account count every partition rounds up to one unit,
 * which scaled per account would overstate it.
 */
function registryReads(m: Measurement, s: Scale) {
  const queries = m.sweeps.quiet.dynamo.uses['Query index known']?.requests ?? 0;
  const known = m.stored.state?.indexes.known;
  const entryBytes = known && known.entries > 0 ? known.bytes / known.entries : 0;
  if (queries === 0) return { queries, entryBytes, units: 0 };
  const perQuery = Math.max(1, Math.ceil(((s.accounts / queries) * entryBytes) / READ_UNIT_BYTES)) / 2;
  return { queries, entryBytes, units: queries * perQuery };
}

/**
 * The runway's reads (core/spend-history.ts): for each moved, alertable account, the last 7 days of
 * its snapshots and the one before them. The measured run has a day of history at most, so the
 * count of queries is measured and their size computed for a table in its steady state: a mover
 * that moves every sweep (`same`) has a snapshot per sweep; a random one, its share of them.
 */
function runwayReads(m: Measurement, s: Scale, o: ModelOptions) {
  const queries = (kind: SweepKind) => m.sweeps[kind].dynamo.uses['Query snapshot']?.requests ?? 0;
  const queriesPerMoved = s.split(queries, false).perMoved;
  const snapshotBytes = meanBytes(m, 'snapshot');
  const perDay = o.movers === 'same' ? s.sweepsPerDay : 1 + o.movedFraction * (s.sweepsPerDay - 1);
  const snapshotsRead = RUNWAY_DAYS * perDay;
  // Two queries: the window (every snapshot in it, rounded up to 4 KB) and the one before (Limit 1).
  const windowUnits = Math.max(1, Math.ceil((snapshotsRead * snapshotBytes) / READ_UNIT_BYTES)) / 2;
  const beforeUnits = 0.5;
  return {
    queriesPerMoved,
    snapshotsRead,
    unitsPerMoved: (queriesPerMoved / 2) * (windowUnits + beforeUnits),
  };
}

/** The movers assumption as the output states it. */
function moversAssumption(s: Scale, o: ModelOptions, snapshotsRead: number): string {
  const share = `${(o.movedFraction * 100).toFixed(1)}% of accounts (${Math.round(s.moved).toLocaleString('en-US')})`;
  const window = `${Math.round(snapshotsRead).toLocaleString('en-US')} snapshots`;
  return o.movers === 'same'
    ? `Movers (--movers same): the same ${share} move every sweep, ${Math.round(s.sweepsPerDay)} times a day each, so a mover's ${RUNWAY_DAYS}-day runway history holds ${window}; the other accounts never move.`
    : `Movers (--movers spread): a fresh random ${share} move each sweep, so every account moves about ${(o.movedFraction * (s.sweepsPerDay - 1)).toFixed(1)} times a day and a ${RUNWAY_DAYS}-day runway history holds about ${window}.`;
}

/**
 * The nightly export without the byDay index: one eventually consistent query per account over its
 * day (rounded up to 4 KB each): a mover's day holds a snapshot per sweep under `same` movers, every
 * account's its share under `spread`; an unmoved account's day holds its one snapshot.
 */
function perAccountExportUnits(m: Measurement, s: Scale, o: ModelOptions): number {
  const bytes = meanBytes(m, 'snapshot');
  const query = (snapshots: number) => Math.max(1, Math.ceil((snapshots * bytes) / READ_UNIT_BYTES)) / 2;
  if (o.movers === 'spread') return s.accounts * query(1 + o.movedFraction * (s.sweepsPerDay - 1));
  return s.moved * query(s.sweepsPerDay) + (s.accounts - s.moved) * query(1);
}

function meanBytes(m: Measurement, cls: string): number {
  const stored = m.stored[cls];
  return stored && stored.items > 0 ? stored.bytes / stored.items : 0;
}

/**
 * What the table holds in its steady state: items that expire (TTL) as many days of them as they
 * live, the others (states) one per account; each item and index entry with DynamoDB's 100 bytes.
 */
function tableStorage(m: Measurement, s: Scale) {
  let tableBytes = 0;
  let indexBytes = 0;
  const parts: string[] = [];
  for (const [cls, stored] of Object.entries(m.stored)) {
    if (stored.items === 0) continue;
    let items: number;
    if (stored.ttlDays !== null) {
      const created = (kind: SweepKind) => m.sweeps[kind].dynamo.uses[`PutItem ${cls}`]?.created ?? 0;
      const split = s.split(created, FIXED_CLASSES.has(cls));
      items = (split.dayFirst + (s.sweepsPerDay - 1) * split.regular) * Math.round(stored.ttlDays);
    } else items = FIXED_CLASSES.has(cls) ? stored.items : (stored.items / m.accounts) * s.accounts;
    const itemBytes = stored.bytes / stored.items + STORAGE_OVERHEAD_BYTES;
    tableBytes += items * itemBytes;
    for (const index of Object.values(stored.indexes)) {
      indexBytes +=
        (index.entries / stored.items) * items * (index.bytes / index.entries + STORAGE_OVERHEAD_BYTES);
    }
    if (items >= 1) {
      const ttl = stored.ttlDays === null ? '' : ` (${Math.round(stored.ttlDays)} days)`;
      parts.push(`${Math.round(items).toLocaleString('en-US')} ${cls}${ttl}`);
    }
  }
  return { tableBytes, indexBytes, describe: `${parts.join(', ')}, with their index entries` };
}

/**
 * The archive after `retentionDays`: one gzip'd day file a day, moving through the bucket's
 * lifecycle (read from the template); Standard-IA and Glacier Instant Retrieval bill at least 128 KB
 * an object. Bytes per snapshot as measured on the exported day.
 */
function archiveStorage(m: Measurement, s: Scale, bucket: TemplateFacts['buckets'][number]) {
  const dayBytes = (m.archive.bytes / m.archive.snapshots) * s.snapshotsPerDay;
  const expire = bucket.expireDays ?? 400;
  const stages = [{ days: 0, storageClass: 'STANDARD' }, ...bucket.transitions].sort(
    (a, b) => a.days - b.days,
  );
  const tiers = stages.map((stage, i) => {
    const until = Math.min(stages[i + 1]?.days ?? expire, expire);
    const files = Math.max(0, until - stage.days);
    const billed = stage.storageClass === 'STANDARD' ? dayBytes : Math.max(dayBytes, S3_MIN_OBJECT_BYTES);
    const price: PriceName =
      stage.storageClass === 'STANDARD'
        ? 's3Standard'
        : stage.storageClass === 'STANDARD_IA'
          ? 's3InfrequentAccess'
          : 's3GlacierInstant';
    return {
      files,
      fileBytes: dayBytes,
      gb: (files * billed) / GB,
      price,
      days: `days ${stage.days}-${until}, ${stage.storageClass}`,
    };
  });
  return {
    tiers,
    dayBytes,
    indexBytes: (m.archive.indexBytes / m.accounts) * s.accounts,
    // The index is rewritten every night; each replaced version stays as long as the bucket keeps them.
    indexVersions: bucket.noncurrentDays ?? 0,
  };
}

function logVolume(m: Measurement, s: Scale) {
  const bytes = (kind: SweepKind) =>
    m.sweeps[kind].logs.bytes + m.sweeps[kind].logs.lines * LOG_EVENT_OVERHEAD;
  const lines = (kind: SweepKind) => m.sweeps[kind].logs.lines;
  const b = s.split(bytes, true);
  const perSweep = b.regular + PLATFORM_LOG_BYTES;
  return {
    perSweep,
    linesPerSweep: s.split(lines, true).regular,
    perMonth: s.regularSweeps * perSweep + s.dayFirstSweeps * (b.dayFirst + PLATFORM_LOG_BYTES),
  };
}

/**
 * Alerts: the accounts the first sweep found low or critical (the simulator seeds them) are reminded
 * every `reminderHours` while they stay so; the first sweep's messages per notification (digests)
 * hold for those reminders, which fall due together. Transitions beyond that are not modelled.
 */
function alertVolume(m: Measurement, s: Scale) {
  const reminderHours = 24;
  const first = m.sweeps.first;
  const messages = first.summary.notifications > 0 ? (first.snsMessages / m.accounts) * s.accounts : 0;
  return { messagesPerDay: messages * (24 / reminderHours), reminderHours };
}

function transferOut(m: Measurement, s: Scale, extraPerSweep: number) {
  const requests = s.split((k) => m.sweeps[k].api.requests, false);
  const regular = requests.regular + extraPerSweep;
  const sample = m.sweeps.moved.api;
  const measuredBytes = sample.bytesSent / sample.requests;
  const answerSegments = Math.ceil(sample.bytesReceived / sample.requests / TCP_SEGMENT_BYTES);
  const bytesPerRequest =
    measuredBytes + TLS_RECORD_BYTES + TCP_IP_HEADER_BYTES * (1 + Math.ceil(answerSegments / 2));
  return {
    measuredBytes,
    bytesPerRequest,
    requestsPerSweep: regular,
    requestsPerMonth: s.regularSweeps * regular + s.dayFirstSweeps * (requests.dayFirst + extraPerSweep),
  };
}

/** The first sweep's writes beyond a day's first sweep, per account: creating states and registry entries. */
function firstSweepWrites(m: Measurement): number {
  const all = (kind: SweepKind) =>
    units(m.sweeps[kind].dynamo, isWrite) +
    Object.values(m.sweeps[kind].dynamo.indexWrites).reduce((sum, w) => sum + w.units, 0);
  return Math.max(0, all('first') - all('dayFirst')) / m.accounts;
}

function vcpuShare(memoryMb: number): number {
  return Math.min(1, memoryMb / MB_PER_VCPU);
}

/** The partner API requests and the CPU time of one sweep at N accounts, and how fast requests went here. */
function sweepWork(m: Measurement, s: Scale) {
  const requests = s.split((k) => m.sweeps[k].api.requests, false);
  const cpu = s.split((k) => m.sweeps[k].cpuMs, false);
  const byLatencyMs = (count: number) => (count * m.latencyMs) / m.concurrency;
  const efficiency = (kind: SweepKind) =>
    Math.min(1, byLatencyMs(m.sweeps[kind].api.requests) / m.sweeps[kind].wallMs);
  return {
    requests,
    cpu,
    efficiency: { regular: efficiency('moved'), dayFirst: efficiency('dayFirst') },
    /**
     * Seconds of a run of `count` requests and `cpuMs` of CPU on `memoryMb`. It waits on the partner
     * API and computes in between, so it takes the longer of: the API-bound time (count × latency ÷
     * concurrency, divided by the efficiency measured for that kind of sweep; or count ÷ the rate cap,
     * if slower), and the CPU-bound time (the CPU measured here ÷ the vCPU share of the memory, this
     * machine's core taken as fast as a Graviton core).
     */
    seconds(
      kind: 'regular' | 'dayFirst',
      count: number,
      cpuMs: number,
      memoryMb: number,
      rps: number | null,
    ) {
      const api = Math.max(byLatencyMs(count) / this.efficiency[kind], rps ? (count / rps) * 1000 : 0) / 1000;
      const compute = cpuMs / vcpuShare(memoryMb) / 1000;
      return { api, compute, seconds: Math.max(api, compute) };
    },
  };
}

type Work = ReturnType<typeof sweepWork>;

interface SweepRun {
  lines: Array<Omit<CostLine, 'usd'>>;
  notes: string[];
  sweep: SweepEstimate;
  /** Lambda invocations a sweep beyond the scheduled ones. */
  invocationsPerSweep: number;
  /** Partner API requests and state reads a sweep beyond the in-process sweep's. */
  extraRequestsPerSweep: number;
  extraStateReadsPerSweep: number;
}

const f1 = (x: number) => x.toFixed(1);

/** Engine `single`: one invocation runs the whole sweep. */
function singleSweep(m: Measurement, s: Scale, t: TemplateFacts, work: Work): SweepRun {
  const fn = t.sweepFunction;
  const regular = work.seconds(
    'regular',
    work.requests.regular,
    work.cpu.regular,
    fn.memoryMb,
    m.requestsPerSecond,
  );
  const dayFirst = work.seconds(
    'dayFirst',
    work.requests.dayFirst,
    work.cpu.dayFirst,
    fn.memoryMb,
    m.requestsPerSecond,
  );
  const init = initSeconds(m, fn.memoryMb);
  const gbSeconds =
    (s.regularSweeps * regular.seconds + s.dayFirstSweeps * dayFirst.seconds + s.sweeps * init) *
    (fn.memoryMb / 1024);
  const notes: string[] = [];
  const limit = fn.timeoutSeconds - SWEEP_TIME_BUDGET.deadlineMarginMs / 1000;
  if (Math.max(regular.seconds, dayFirst.seconds) > limit) {
    notes.push(
      `DOES NOT FIT: a sweep needs ${f1(Math.max(regular.seconds, dayFirst.seconds))} s but the function stops reading at ${limit} s (timeout ${fn.timeoutSeconds} s): every sweep would end incomplete. Raise concurrency, use the list as balance source, or the distributed engine`,
    );
  }
  return {
    lines: [
      {
        service: 'Lambda',
        what: `sweep: ${f1(s.sweepsPerDay - 1)} a day of ${f1(regular.seconds)} s and 1 of ${f1(dayFirst.seconds)} s (a day's first), each + ${f1(init)} s init, at ${fn.memoryMb} MB`,
        quantity: gbSeconds,
        unit: 'GB-s',
        price: 'lambdaArmGbSecond',
        basis: 'measured',
      },
    ],
    notes,
    sweep: {
      regularSeconds: regular.seconds,
      dayFirstSeconds: dayFirst.seconds,
      how: describeTime(m, work, fn.memoryMb, regular, dayFirst),
    },
    invocationsPerSweep: 0,
    extraRequestsPerSweep: 0,
    extraStateReadsPerSweep: 0,
  };
}

/**
 * Engine `distributed`: a Standard execution a sweep (the starter starts it), Lambda steps for the
 * lease, plan, unlisted accounts, finalize and release, and one Express child a shard invoking the
 * shard function under its share of the global rate. The shards do the measured sweep's work; what
 * is computed on top: each shard lists one page more than it owns (the overlap with the next), and
 * with per-account reads may read that page's balances again (an upper bound: a whole page); each
 * writes its result to the scratch prefix and Finalize reads them all. The parent steps' own
 * durations are assumed (they were not measured): lease and release 0.1 s, plan three requests and
 * 0.5 s, unlisted 0.5 s, finalize 1 s; the starter 0.3 s with its init.
 */
function distributedSweep(m: Measurement, s: Scale, d: DistributedFacts, work: Work): SweepRun {
  const shards = Math.max(1, Math.ceil(s.accounts / DEFAULT_SHARD_SIZE));
  const perShard = s.accounts / shards;
  const duplicates = m.balanceSource === 'endpoint' ? FALLBACK_PAGE_SIZE : 0;
  const extraPerShard = 1 + duplicates;
  const shardFn = d.shardFunction;
  const shard = (kind: 'regular' | 'dayFirst') =>
    work.seconds(
      kind,
      work.requests[kind] / shards + extraPerShard,
      (work.cpu[kind] / s.accounts) * (perShard + duplicates),
      shardFn.memoryMb,
      d.shardRequestsPerSecond,
    );
  const regular = shard('regular');
  const dayFirst = shard('dayFirst');
  const waves = Math.ceil(shards / Math.max(1, d.mapConcurrency));
  const shardInits = Math.min(shards, d.mapConcurrency) * initSeconds(m, shardFn.memoryMb);
  const shardGbSeconds =
    (shards * (s.regularSweeps * regular.seconds + s.dayFirstSweeps * dayFirst.seconds) +
      s.sweeps * shardInits) *
    (shardFn.memoryMb / 1024);
  const planSeconds = (3 * m.latencyMs) / 1000 + 0.5;
  const stepSeconds = 0.1 + planSeconds + 1 + 0.1 + initSeconds(m, d.stepFunction.memoryMb);
  const unlistedSeconds = 0.5;
  const starterSeconds = 0.3 + initSeconds(m, d.starterFunction.memoryMb) / 4;
  const transitions = d.happyPath.length + shards;
  const childSeconds = (x: number) => Math.ceil(x * 10) / 10;
  const expressGbSeconds =
    shards *
    (s.regularSweeps * childSeconds(regular.seconds) + s.dayFirstSweeps * childSeconds(dayFirst.seconds)) *
    (64 / 1024);
  const notes: string[] = [];
  const wallRegular = planSeconds + waves * regular.seconds + unlistedSeconds + 1;
  const budget = s.periodMinutes * 60 - SWEEP_TIME_BUDGET.finalizeReserveMs / 1000;
  if (waves * Math.max(regular.seconds, dayFirst.seconds) > budget) {
    notes.push(
      `DOES NOT FIT: ${shards} shards, ${d.mapConcurrency} at once, of ${f1(regular.seconds)} s (${f1(dayFirst.seconds)} s a day's first) need ${f1(waves * Math.max(regular.seconds, dayFirst.seconds))} s, more than the ${budget} s the execution leaves them: raise maxRequestsPerSecond (if the partner API allows it) or use the list as balance source`,
    );
  }
  if (Math.max(regular.seconds, dayFirst.seconds) > shardFn.timeoutSeconds - 10) {
    notes.push(
      `DOES NOT FIT: a shard needs ${f1(Math.max(regular.seconds, dayFirst.seconds))} s, its function times out at ${shardFn.timeoutSeconds} s`,
    );
  }
  const monthly = (perSweep: number) => perSweep * s.sweeps;
  return {
    lines: [
      {
        service: 'Lambda',
        what: `shards: ${shards} a sweep of ${f1(regular.seconds)} s (${f1(dayFirst.seconds)} s a day's first) at ${shardFn.memoryMb} MB, ${d.shardRequestsPerSecond ?? 'no'} requests/s each, ${d.mapConcurrency} at once (${Math.min(shards, d.mapConcurrency)} cold starts)`,
        quantity: shardGbSeconds,
        unit: 'GB-s',
        price: 'lambdaArmGbSecond',
        basis: 'measured',
      },
      {
        service: 'Lambda',
        what: `workflow steps (lease, plan, unlisted, finalize, release; durations assumed) and the starter, ${d.stepFunction.memoryMb} and ${d.starterFunction.memoryMb} MB`,
        quantity: monthly(
          stepSeconds * (d.stepFunction.memoryMb / 1024) +
            unlistedSeconds * (shardFn.memoryMb / 1024) +
            starterSeconds * (d.starterFunction.memoryMb / 1024),
        ),
        unit: 'GB-s',
        price: 'lambdaArmGbSecond',
        basis: 'assumed',
      },
      {
        service: 'Step Functions',
        what: `Standard transitions: ${d.happyPath.length} states (${d.happyPath.join(', ')}) + 1 a child started (${shards})`,
        quantity: monthly(transitions),
        unit: 'transitions',
        price: 'stepFunctionsTransition',
        basis: 'template',
      },
      {
        service: 'Step Functions',
        what: `${d.childType} children: ${shards} a sweep`,
        quantity: monthly(shards),
        unit: 'requests',
        price: 'expressRequest',
        basis: 'template',
      },
      {
        service: 'Step Functions',
        what: `${d.childType} children's duration: each as long as its shard, billed per 100 ms at 64 MB`,
        quantity: expressGbSeconds,
        unit: 'GB-s',
        price: 'expressGbSecond',
        basis: 'computed',
      },
      {
        service: 'S3',
        what: `scratch: a result per shard and one for the unlisted accounts, then Finalize lists them`,
        quantity: monthly(shards + 1 + Math.ceil((shards + 1) / 1000)),
        unit: 'requests',
        price: 's3Put',
        basis: 'computed',
      },
      {
        service: 'S3',
        what: 'scratch: Finalize reads every result',
        quantity: monthly(shards + 1),
        unit: 'requests',
        price: 's3Get',
        basis: 'computed',
      },
    ],
    notes: [
      ...notes,
      `a distributed sweep takes about ${f1(wallRegular)} s: plan, ${waves} wave(s) of shards, the unlisted accounts, finalize`,
    ],
    sweep: {
      regularSeconds: wallRegular,
      dayFirstSeconds: planSeconds + waves * dayFirst.seconds + unlistedSeconds + 1,
      how: describeTime(m, work, shardFn.memoryMb, regular, dayFirst),
    },
    invocationsPerSweep: d.parentTasks.length + shards,
    extraRequestsPerSweep: shards * extraPerShard,
    extraStateReadsPerSweep: shards * duplicates,
  };
}

function initSeconds(m: Measurement, memoryMb: number): number {
  return m.initMs / 1000 / vcpuShare(memoryMb);
}

function describeTime(
  m: Measurement,
  work: Work,
  memoryMb: number,
  regular: { api: number; compute: number },
  dayFirst: { api: number; compute: number },
): string {
  return (
    `the longer of API-bound and CPU-bound time. API-bound: requests x ${m.latencyMs} ms / concurrency ${m.concurrency}, ` +
    `divided by the efficiency measured (${work.efficiency.regular.toFixed(2)} regular, ${work.efficiency.dayFirst.toFixed(2)} a day's first), ` +
    `or requests / the rate cap if slower: ${f1(regular.api)} s and ${f1(dayFirst.api)} s. CPU-bound: the CPU time measured here ` +
    `on ${vcpuShare(memoryMb).toFixed(3)} vCPU at ${memoryMb} MB: ${f1(regular.compute)} s and ${f1(dayFirst.compute)} s ` +
    `(this machine's core taken as fast as a Graviton core). Init: the bundle's import time here (${m.initMs.toFixed(0)} ms) ` +
    `on the same share, every invocation assumed cold (15 minutes apart)`
  );
}
