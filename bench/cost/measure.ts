import { mkdtemp, rm, stat } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { PublishBatchCommand, SNSClient } from '@aws-sdk/client-sns';
import type { Context } from 'aws-lambda';
import { createFolderArchive } from '../../functions/adapters/archive/folder-archive.ts';
import { createFinanceStore } from '../../functions/adapters/dynamodb/finance-store.ts';
import { createDynamoStore, ensureTable } from '../../functions/adapters/dynamodb/store.ts';
import { localDynamoClient } from '../../functions/adapters/local/embedded-dynamo.ts';
import { createSecretCredentials } from '../../functions/adapters/secrets/secret-credentials.ts';
import { createSnsChannel } from '../../functions/adapters/sns/sns-channel.ts';
import { createVobizClient } from '../../functions/adapters/vobiz/client.ts';
import { ENV } from '../../functions/contract/handler.ts';
import { METRICS } from '../../functions/contract/metrics.ts';
import { TABLE_SCHEMA } from '../../functions/contract/table-schema.ts';
import type { ArchivePort } from '../../functions/core/archive.ts';
import { exportArchive } from '../../functions/core/archive-export.ts';
import { tableWindowDays } from '../../functions/core/config.ts';
import { createNotifier } from '../../functions/core/notifier.ts';
import { localDay } from '../../functions/core/time.ts';
import { parseHandlerEnv } from '../../functions/handler/handler-env.ts';
import { createRunGuard } from '../../functions/handler/run-guard.ts';
import { createSweepHandler, type HandlerResult } from '../../functions/handler/sweep-handler.ts';
import { type Sim, startSim, startStore } from '../children.ts';
import { handlerBundle } from '../handler-bundle.ts';
import { type MeterReading, meterCapacity, type StoredClass } from './capacity-meter.ts';
import { startRelay } from './relay.ts';
import type { FunctionFacts } from './template.ts';

/**
 * One real run of the Lambda's sweep handler, in this process, wired as functions/sweep-balances.ts
 * wires it (same factories, the environment the synthesized template gives the function), against
 * the simulator at a stated latency and dynalite (each in a process of its own), with a clock that
 * steps one schedule period between sweeps:
 * 1. `first`: every account seen for the first time (one-off: states and registry entries created);
 * 2. `quiet`: nothing moved;
 * 3. `moved`: `moved` of the balances changed since the last sweep (the simulator's control surface);
 * 4. `dayFirst`: the first sweep of the next partner-local day (a snapshot of every account);
 * 5. the nightly export of the first day to a folder archive (gzip JSON Lines, as in S3).
 * SNS and Secrets Manager, which have no local twin, are counting fakes. Everything is recorded as
 * plain JSON (`Measurement`), which the model (model.ts) prices without running anything.
 */

export const SWEEP_KINDS = ['first', 'quiet', 'moved', 'dayFirst'] as const;
export type SweepKind = (typeof SWEEP_KINDS)[number];

export interface SweepMeasurement {
  /** Balances moved (in the simulator) since the previous sweep. */
  moved: number;
  wallMs: number;
  /** CPU time of this process (user + system) during the sweep, the meter's own work taken out. */
  cpuMs: number;
  summary: {
    complete: boolean;
    accountsListed: number;
    balancesFetched: number;
    balanceRequests: number;
    listConfirmations: number;
    snapshotsWritten: number;
    stateWrites: number;
    notifications: number;
  };
  /** Partner API requests as the simulator counted them, by route; bytes through the relay. */
  api: { byRoute: Record<string, number>; requests: number; bytesSent: number; bytesReceived: number };
  dynamo: MeterReading;
  secretsCalls: number;
  snsPublishCalls: number;
  snsMessages: number;
  /** What the handler wrote to stdout and stderr: Lambda ships each line to CloudWatch Logs. */
  logs: { lines: number; bytes: number };
  /** Custom metrics in the EMF blobs written: `namespace/name {dimension=value,...}`. */
  metrics: string[];
}

export interface ArchiveMeasurement {
  day: string;
  snapshots: number;
  /** The day file, gzip'd JSON Lines. */
  bytes: number;
  indexBytes: number;
  wallMs: number;
  dynamo: MeterReading;
  /** Archive calls, as S3 requests: GET (index), LIST (days), PUT (day file, index). */
  requests: { get: number; list: number; put: number };
}

export interface Measurement {
  measuredOn: string;
  machine: { cpu: string; cpus: number; node: string };
  accounts: number;
  latencyMs: number;
  movedFraction: number;
  periodMinutes: number;
  balanceSource: string;
  concurrency: number;
  requestsPerSecond: number | null;
  /** The function's memory in the template the run took its environment from. */
  memoryMb: number;
  sweeps: Record<SweepKind, SweepMeasurement>;
  /** What the table held after the four sweeps, by item class. */
  stored: Record<string, StoredClass>;
  archive: ArchiveMeasurement;
  /** Median time to import the esbuild bundle of the Lambda entry in a fresh Node process here. */
  initMs: number;
}

export interface MeasureOptions {
  accounts: number;
  latencyMs: number;
  movedFraction: number;
  periodMinutes: number;
  sweepFunction: FunctionFacts;
  seed?: number;
  progress?: (line: string) => void;
}

/** The cost run's own partner, so its request bytes are those it recorded. */
const COST_PARTNER = { authId: 'PA_COST00001', authToken: 'cost-model-partner-token' };

const TABLE = 'cost-model';
const LOCAL = {
  [ENV.tableName]: TABLE,
  [ENV.secretId]: 'vobiz-balance/partner',
  [ENV.alertTopicArn]: 'arn:aws:sns:us-east-1:123456789012:alerts',
};
/** Lambda's awsRequestId-based sweep ids are this long. */
const REQUEST_ID = '00000000-0000-4000-8000-000000000000';

export async function measure(o: MeasureOptions): Promise<Measurement> {
  const say = o.progress ?? (() => {});
  const store = await startStore();
  const sim = await startSim(o.accounts, o.latencyMs, null, { seed: o.seed ?? 42, partner: COST_PARTNER });
  const relay = await startRelay(sim.url);
  const archiveDir = await mkdtemp(join(tmpdir(), 'vobiz-cost-'));
  try {
    const client = localDynamoClient(store.endpoint);
    await ensureTable(client, TABLE);
    const env = parseHandlerEnv(environmentOf(o.sweepFunction, { ...LOCAL, [ENV.apiBaseUrl]: relay.url }));
    const clock = steppedClock(env.sweep.timezone, o.periodMinutes * 60_000);
    const meter = meterCapacity(client, TABLE_SCHEMA, clock);
    const counts = { secrets: 0, snsCalls: 0, snsMessages: 0 };
    const handler = sweepHandler({ client, env, clock, counts, partner: sim.partner });
    const timeoutMs = o.sweepFunction.timeoutSeconds * 1000;

    const sweeps = {} as Record<SweepKind, SweepMeasurement>;
    for (const kind of SWEEP_KINDS) {
      const moved = kind === 'moved' ? await moveBalances(sim, o.movedFraction) : 0;
      if (kind === 'dayFirst') clock.nextDay();
      else if (kind !== 'first') clock.step();
      await sim.control('/stats', undefined, 'DELETE');
      relay.reset();
      meter.take();
      Object.assign(counts, { secrets: 0, snsCalls: 0, snsMessages: 0 });
      say(`cost: ${kind} sweep of ${o.accounts} accounts at ${o.latencyMs} ms...`);
      const output = captureOutput();
      const cpuBefore = process.cpuUsage();
      const started = performance.now();
      let result: HandlerResult;
      try {
        result = await handler({ scheduledTime: new Date(clock()).toISOString() }, context(timeoutMs, clock));
      } finally {
        output.restore();
      }
      const wallMs = performance.now() - started;
      const cpu = process.cpuUsage(cpuBefore);
      if (result.status !== 'swept') throw new Error(`the ${kind} sweep was skipped: ${result.reason}`);
      if (!result.complete) throw new Error(`the ${kind} sweep was incomplete: ${JSON.stringify(result)}`);
      const stats = (await sim.control('/stats')) as { total: number; byRoute: Record<string, number> };
      const dynamo = meter.take();
      sweeps[kind] = {
        moved,
        wallMs,
        cpuMs: (cpu.user + cpu.system) / 1000 - dynamo.meterMs,
        summary: {
          complete: result.complete,
          accountsListed: result.accountsListed,
          balancesFetched: result.balancesFetched,
          balanceRequests: result.balanceRequests,
          listConfirmations: result.listConfirmations,
          snapshotsWritten: result.snapshotsWritten,
          stateWrites: result.stateWrites,
          notifications: result.notificationCount,
        },
        api: {
          byRoute: stats.byRoute,
          requests: stats.total,
          bytesSent: relay.bytes().sent,
          bytesReceived: relay.bytes().received,
        },
        dynamo,
        secretsCalls: counts.secrets,
        snsPublishCalls: counts.snsCalls,
        snsMessages: counts.snsMessages,
        logs: output.logs(),
        metrics: output.metrics(),
      };
      say(
        `cost: ${kind}: ${Math.round(wallMs)} ms, ${result.balancesFetched} read, ${stats.total} API requests`,
      );
    }
    const stored = meter.stored();

    say('cost: nightly export of the first day...');
    const archive = await measureExport(client, meter, env.sweep, clock, archiveDir);
    say('cost: Lambda bundle init...');
    const { bundle } = await handlerBundle();
    return {
      measuredOn: new Date().toISOString().slice(0, 10),
      machine: { cpu: cpus()[0]?.model ?? 'unknown', cpus: cpus().length, node: process.version },
      accounts: o.accounts,
      latencyMs: o.latencyMs,
      movedFraction: o.movedFraction,
      periodMinutes: o.periodMinutes,
      balanceSource: env.sweep.balanceSource,
      concurrency: env.sweep.concurrency,
      requestsPerSecond: env.sweep.requestsPerSecond,
      memoryMb: o.sweepFunction.memoryMb,
      sweeps,
      stored,
      archive,
      initMs: bundle.initMsMedian,
    };
  } finally {
    await relay.close();
    await sim.stop();
    await store.stop();
    await rm(archiveDir, { recursive: true, force: true });
  }
}

/** The function's environment as the template writes it, with local stand-ins for the references. */
export function environmentOf(fn: FunctionFacts, local: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(fn.environment)) {
    if (typeof value === 'string') env[name] = value;
    else if (name in local) env[name] = local[name] as string;
    else throw new Error(`the cost model has no local stand-in for ${name} (${JSON.stringify(value)})`);
  }
  return { ...env, ...local };
}

interface HandlerWiring {
  client: ReturnType<typeof localDynamoClient>;
  env: ReturnType<typeof parseHandlerEnv>;
  clock: () => number;
  counts: { secrets: number; snsCalls: number; snsMessages: number };
  partner: { authId: string; authToken: string };
}

/** As functions/sweep-balances.ts builds it; SNS and Secrets Manager are counting fakes. */
function sweepHandler({ client, env, clock, counts, partner }: HandlerWiring) {
  const secrets = {
    send: async () => {
      counts.secrets += 1;
      return { SecretString: JSON.stringify(partner) };
    },
  } as unknown as SecretsManagerClient;
  const sns = {
    send: async (command: PublishBatchCommand) => {
      const entries = command.input.PublishBatchRequestEntries ?? [];
      counts.snsCalls += 1;
      counts.snsMessages += entries.length;
      return { Successful: entries.map((e) => ({ Id: e.Id, MessageId: `m-${e.Id}` })), Failed: [] };
    },
  } as unknown as SNSClient;
  return createSweepHandler({
    env,
    store: createDynamoStore({
      client,
      tableName: env.tableName,
      retentionDays: env.sweep.retentionDays,
      tableWindowDays: tableWindowDays(env.sweep),
      timezone: env.sweep.timezone,
    }),
    notifier: createNotifier([
      createSnsChannel({ client: sns, topicArn: env.alertTopicArn, digestSize: env.digestSize }),
    ]),
    guard: createRunGuard({ client, tableName: env.tableName, now: clock }),
    credentials: createSecretCredentials({ client: secrets, secretId: env.secretId, now: clock }),
    vobizFor: ({ authId, authToken }) => createVobizClient({ baseUrl: env.apiBaseUrl, authId, authToken }),
    logger: new Logger({ serviceName: METRICS.service }),
    metrics: new Metrics({ namespace: METRICS.namespace, serviceName: METRICS.service }),
    now: clock,
  });
}

function context(timeoutMs: number, clock: () => number): Context {
  const started = clock();
  return {
    awsRequestId: REQUEST_ID.replace(/0{12}$/, String(started).padStart(12, '0').slice(-12)),
    getRemainingTimeInMillis: () => timeoutMs - (clock() - started),
  } as unknown as Context;
}

/**
 * Real time, shifted: sweeps start at schedule slots one period apart (the first at 10:00 partner
 * time, so three fit in its day), and `nextDay()` jumps to the first slot of the next partner day.
 */
function steppedClock(timezone: string, periodMs: number) {
  const now = Date.now();
  let target = Math.floor(now / 86_400_000) * 86_400_000 + 10 * 3_600_000;
  while (Number(localHour(target, timezone)) !== 10) target += 1_800_000;
  let offset = target - now;
  const clock = () => Date.now() + offset;
  return Object.assign(clock, {
    step() {
      offset += periodMs;
    },
    nextDay() {
      const today = localDay(clock(), timezone);
      let slot = clock();
      while (localDay(slot, timezone) === today) slot += periodMs;
      offset += slot - clock();
    },
  });
}

function localHour(at: number, timezone: string): string {
  return new Intl.DateTimeFormat('en-GB', { timeZone: timezone, hour: '2-digit', hourCycle: 'h23' }).format(
    at,
  );
}

/** Tops up `fraction` of the accounts by 0.01 (never across a threshold), spread evenly over the list. */
async function moveBalances(sim: Sim, fraction: number): Promise<number> {
  const ids = (await sim.control('/accounts')) as string[];
  const chosen = ids.filter((_, i) => Math.floor((i + 1) * fraction) > Math.floor(i * fraction));
  for (const authId of chosen) await sim.control('/balance', { auth_id: authId, delta: '0.01000' });
  return chosen.length;
}

/** The nightly export of the sweeps' first day, as the export Lambda runs it, into a folder archive. */
async function measureExport(
  client: ReturnType<typeof localDynamoClient>,
  meter: ReturnType<typeof meterCapacity>,
  sweep: ReturnType<typeof parseHandlerEnv>['sweep'],
  clock: () => number,
  dir: string,
): Promise<ArchiveMeasurement> {
  const requests = { get: 0, list: 0, put: 0 };
  const folder = createFolderArchive(dir);
  const counted = <T>(kind: keyof typeof requests, call: () => T): T => {
    requests[kind] += 1;
    return call();
  };
  const archive: ArchivePort = {
    location: folder.location,
    days: () => counted('list', () => folder.days()),
    writeDay: (day, fill) => counted('put', () => folder.writeDay(day, fill)),
    readDay: (day, visit) => counted('get', () => folder.readDay(day, visit)),
    readIndex: () => counted('get', () => folder.readIndex()),
    writeIndex: (index) => counted('put', () => folder.writeIndex(index)),
  };
  const source = createFinanceStore({
    client,
    tableName: TABLE,
    timezone: sweep.timezone,
    retentionDays: sweep.retentionDays,
  });
  // The night after the first day: 03:00 the next partner day, when the schedule runs it.
  const now = clock() + 3 * 3_600_000;
  meter.take();
  const started = performance.now();
  const result = await exportArchive(
    { source, archive },
    { now, timezone: sweep.timezone, tableWindowDays: tableWindowDays(sweep) },
  );
  const wallMs = performance.now() - started;
  const day = result.exported[0];
  if (!day) throw new Error(`the export wrote no day: ${JSON.stringify(result)}`);
  const index = await stat(join(dir, 'index.json.gz')).catch(() => null);
  return {
    day: day.day,
    snapshots: day.snapshots,
    bytes: day.bytes,
    indexBytes: index?.size ?? 0,
    wallMs,
    dynamo: meter.take(),
    requests,
  };
}

interface Output {
  restore(): void;
  logs(): { lines: number; bytes: number };
  metrics(): string[];
}

/** Takes what the handler writes (Powertools log lines and EMF blobs) instead of printing it. */
function captureOutput(): Output {
  const written: string[] = [];
  const originals = [process.stdout.write, process.stderr.write] as const;
  const take = (chunk: string | Uint8Array) => {
    written.push(typeof chunk === 'string' ? chunk : new TextDecoder().decode(chunk));
    return true;
  };
  process.stdout.write = take as typeof process.stdout.write;
  process.stderr.write = take as typeof process.stderr.write;
  const lines = () =>
    written
      .join('')
      .split('\n')
      .filter((line) => line.length > 0);
  return {
    restore() {
      [process.stdout.write, process.stderr.write] = originals;
    },
    logs: () => ({ lines: lines().length, bytes: lines().reduce((sum, l) => sum + Buffer.byteLength(l), 0) }),
    metrics: () => [...new Set(lines().flatMap(emfMetrics))].sort(),
  };
}

/** The metric identities in one EMF line: `namespace/name {dimension=value,...}`. */
function emfMetrics(line: string): string[] {
  if (!line.startsWith('{')) return [];
  const record = JSON.parse(line) as Record<string, unknown> & {
    _aws?: {
      CloudWatchMetrics?: Array<{
        Namespace: string;
        Dimensions: string[][];
        Metrics: Array<{ Name: string }>;
      }>;
    };
  };
  return (record._aws?.CloudWatchMetrics ?? []).flatMap((directive) =>
    directive.Dimensions.flatMap((dims) =>
      directive.Metrics.map((m) => {
        const dimensions = dims.map((d) => `${d}=${String(record[d])}`).join(',');
        return `${directive.Namespace}/${m.Name} {${dimensions}}`;
      }),
    ),
  );
}
