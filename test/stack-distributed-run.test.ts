import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import './support/promise-with-resolvers.ts';
import { StateMachine } from 'aws-local-stepfunctions';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createDynamoStore } from '../functions/adapters/dynamodb/store.ts';
import { ensureTable } from '../functions/adapters/dynamodb/table.ts';
import { type EmbeddedDynamo, startEmbeddedDynamo } from '../functions/adapters/local/embedded-dynamo.ts';
import { createFileChannel } from '../functions/adapters/local/file-channel.ts';
import { createFolderScratch } from '../functions/adapters/scratch/folder-scratch.ts';
import { createVobizClient } from '../functions/adapters/vobiz/client.ts';
import { ENV, type ExecutionInput } from '../functions/contract/handler.ts';
import { METRICS } from '../functions/contract/metrics.ts';
import { lessThan } from '../functions/core/money.ts';
import { createNotifier } from '../functions/core/notifier.ts';
import type { SweepPlan } from '../functions/core/sweep-plan.ts';
import { parseHandlerEnv } from '../functions/handler/handler-env.ts';
import { createRunGuard } from '../functions/handler/run-guard.ts';
import { createStepHandlers, type ShardsEvent, type StepsEvent } from '../functions/handler/sweep-steps.ts';
import { type Simulator, startSimulator } from '../sim/server.ts';
import { synthesize } from './support/stack-app.ts';
import type { StateMachineDefinition } from './support/state-machine.ts';
import { stateMachineDefinition } from './support/state-machine.ts';
import { captureStdout, type StdoutCapture } from './support/stdout-capture.ts';
import type { Json } from './support/template-json.ts';
import { metricsRead, unemitted } from './support/template-reads.ts';

/*
 * The workflow run, not just synthesized: the definition the stack synthesizes, interpreted by
 * aws-local-stepfunctions, each Task state overridden with the handler its function runs
 * (createStepHandlers, the same the Lambda entries export), in-process against the simulator over
 * HTTP and dynalite. aws-local-stepfunctions runs inline Maps only, so the Distributed Map runs
 * here as an inline Map: the variant changes the Shards state's ProcessorConfig to INLINE, drops
 * what only a Distributed Map has (ToleratedFailurePercentage), and runs one shard at a time so
 * that which shards ran before an injected failure stopped the map does not depend on timing.
 * Every other state, path, retry and catch is the synthesized one.
 */

const TABLE = 'distributed-run';
/** Three shards of one page each, as 300 accounts in pages of 100 have them, at a tenth of the requests. */
const ACCOUNTS = 30;
const PER_PAGE = 10;
const SHARD_SIZE = 10;

let definition: StateMachineDefinition;
/** The distributed stack's template: what its alarms read. */
let template: Record<string, unknown>;
let sim: Simulator;
let dynamo: EmbeddedDynamo;
let dir: string;
let stdout: StdoutCapture;

/** The inline variant of the synthesized definition (see above). */
function inlineVariant(synthesized: StateMachineDefinition): StateMachineDefinition {
  const variant = structuredClone(synthesized);
  const shards = variant.States.Shards as Json;
  (shards.ItemProcessor as Json).ProcessorConfig = { Mode: 'INLINE' };
  delete shards.ToleratedFailurePercentage;
  shards.MaxConcurrency = 1;
  return variant;
}

function handlers() {
  const env = parseHandlerEnv({
    [ENV.tableName]: TABLE,
    [ENV.secretId]: 'vobiz/partner',
    [ENV.alertTopicArn]: 'arn:aws:sns:ap-south-1:123456789012:alerts',
    [ENV.apiBaseUrl]: sim.url,
    [ENV.sweepConfig]: JSON.stringify({ threshold: '100', concurrency: 4 }),
    [ENV.partnerThreshold]: '',
    [ENV.schedulePeriodMinutes]: '15',
  });
  return createStepHandlers({
    env,
    store: createDynamoStore({
      client: dynamo.client,
      tableName: TABLE,
      retentionDays: 400,
      tableWindowDays: 90,
      timezone: 'Asia/Kolkata',
    }),
    notifier: createNotifier([createFileChannel({ alertsFile: join(dir, 'alerts.jsonl'), print: () => {} })]),
    guard: createRunGuard({ client: dynamo.client, tableName: TABLE }),
    credentials: { get: async () => ({ authId: sim.partner.authId, authToken: sim.partner.authToken }) },
    vobizFor: ({ authId, authToken }) =>
      createVobizClient({
        baseUrl: sim.url,
        authId,
        authToken,
        perPage: PER_PAGE,
        backoffBaseMs: 1,
        backoffCapMs: 5,
      }),
    scratch: createFolderScratch(join(dir, 'scratch')),
    shardRequestsPerSecond: null,
    shardSize: SHARD_SIZE,
    logger: new Logger({ serviceName: METRICS.service }),
    metrics: new Metrics({ namespace: METRICS.namespace, serviceName: METRICS.service }),
  });
}

const lambdaContext = { getRemainingTimeInMillis: () => 240_000 } as unknown as Context;

/** Runs one execution of the variant; `failShard` makes that shard's Lambda fail as a timeout would. */
async function execute(slot: string, failShard: number | null = null) {
  const h = handlers();
  // The interpreter hands each task its effective input (Parameters applied) and takes its answer
  // as the result, as Step Functions does with the function ARN as Resource (payloadResponseOnly).
  const local = (run: (event: unknown) => Promise<unknown>) => async (input: unknown) =>
    (await run(input)) as never;
  const steps = local((input) => h.steps(input as StepsEvent));
  const shards = local((input) => h.shards(input as ShardsEvent, lambdaContext));
  const machine = new StateMachine(inlineVariant(definition) as never, {
    validationOptions: { checkArn: true },
  });
  const input: ExecutionInput = { slot, sweepId: `sweep-${slot.replace(/:/g, '-')}` };
  const ran: number[] = [];
  const execution = machine.run(
    { ...input },
    {
      overrides: {
        taskResourceLocalHandlers: {
          TakeLease: steps,
          Plan: steps,
          RunShard: local(async (event) => {
            const index = (event as { shard: { index: number } }).shard.index;
            ran.push(index);
            if (index === failShard) throw new Error('Task timed out after 240.00 seconds (injected)');
            return shards(event);
          }),
          ReadUnlisted: shards,
          Finalize: steps,
          Release: steps,
          ReleaseAfterFailure: steps,
        },
        // The synthesized retries wait seconds between attempts: here they need not.
        retryIntervalOverrides: {
          RunShard: 0,
          TakeLease: 0,
          Plan: 0,
          ReadUnlisted: 0,
          Finalize: 0,
          Release: 0,
        },
      },
    },
  );
  const output = (await execution.result) as Json & { plan: SweepPlan; summary: Json };
  return { output, ran };
}

beforeAll(async () => {
  const synthesized = synthesize({ engine: 'distributed' }).template;
  definition = stateMachineDefinition(synthesized);
  template = synthesized.toJSON();
  sim = await startSimulator({ accounts: ACCOUNTS, seed: 17 });
  dynamo = await startEmbeddedDynamo({ dataDir: null });
  await ensureTable(dynamo.client, TABLE);
  dir = mkdtempSync(join(tmpdir(), 'vobiz-distributed-'));
});

afterAll(async () => {
  await sim?.close();
  await dynamo?.close();
  rmSync(dir, { recursive: true, force: true });
});

beforeEach(() => {
  stdout = captureStdout();
});

afterEach(() => stdout.restore());

describe('the workflow, run through the handlers its definition names', () => {
  it('ends a sweep with a failed shard as an incomplete sweep naming that shard, and the next sweep reads it first', async () => {
    // Act: the last shard's Lambda fails; then the next slot runs with nothing injected.
    const failed = await execute('2026-03-15T12:00:00.000Z', 2);
    const next = await execute('2026-03-15T12:15:00.000Z');

    // Assert
    expect(failed.output.plan.shards.map((s) => s.index)).toEqual([0, 1, 2]);
    expect(failed.ran).toEqual([0, 1, 2]);
    expect(failed.output.failure).toMatchObject({ Cause: expect.stringMatching(/injected/) });
    expect(failed.output.summary).toMatchObject({ complete: false });
    const lastShard = failed.output.plan.shards[2];
    expect(String(failed.output.summary.stoppedReason)).toMatch(
      new RegExp(
        `^shard 2 \\(pages ${lastShard?.from}-end\\) failed: no result \\(.*Task timed out after 240\\.00 seconds \\(injected\\)`,
      ),
    );
    const [firstLine, nextLine] = stdout.logs('sweep finished');
    expect(firstLine).toMatchObject({ complete: false, known: ACCOUNTS });
    expect(Number(firstLine?.unreadShare)).toBeGreaterThan(0);
    // What the failed shard did not reach is where the next sweep starts.
    expect(next.output.plan.shards[0]).toMatchObject({ phase: 0, from: lastShard?.from });
    expect(next.output.summary).toMatchObject({ complete: true, unreached: 0, failed: 0 });
    expect(nextLine).toMatchObject({ complete: true, unreadShare: 0, known: ACCOUNTS });
    const emitted = stdout.metrics().filter((m) => m.name === METRICS.unreadShare);
    expect(emitted.map((m) => m.value)).toEqual([firstLine?.unreadShare, 0]);
    // Finalize emits every metric this stack's alarms read: the metric contract of engine distributed.
    expect(unemitted(metricsRead(template as never), stdout.metrics())).toEqual([]);
  });

  it('reads every account, counts the overlap pages read twice as duplicates, notifies each alert once across shards, and releases the lease', async () => {
    // Arrange
    const alertsBefore = readAlerts().length;
    // An alertable account that was healthy, in the last shard: it goes critical.
    const id = sim
      .accountIds()
      .slice(20)
      .find((candidate) => {
        const a = sim.getAccount(candidate);
        return a && !a.postpaid && a.is_active && a.enabled && !lessThan(a.cash_credits, '200');
      }) as string;
    sim.setBalance(id, '-7.00000');

    // Act
    const { output, ran } = await execute('2026-03-15T12:30:00.000Z');

    // Assert
    expect(ran).toEqual([0, 1, 2]);
    expect(output.summary).toMatchObject({ complete: true, known: ACCOUNTS, failed: 0, unreached: 0 });
    const line = stdout.logs('sweep finished').at(-1);
    expect(line).toMatchObject({ balancesFetched: ACCOUNTS, accountsListed: ACCOUNTS });
    expect(Number(line?.duplicateReads)).toBeGreaterThan(0);
    const alerts = readAlerts().slice(alertsBefore);
    expect(alerts.filter((a) => a.authId === id).map((a) => a.type)).toEqual(['critical']);
    // The lease is free again: anyone takes it at once.
    const guard = createRunGuard({ client: dynamo.client, tableName: TABLE });
    expect(await guard.acquire('probe', 1_000)).toBe(true);
    await guard.release('probe');
  });

  it('skips a slot while another sweep holds the lease, without planning or reading anything', async () => {
    // Arrange
    const guard = createRunGuard({ client: dynamo.client, tableName: TABLE });
    expect(await guard.acquire('sweep-still-running', 60_000)).toBe(true);

    // Act
    const { output, ran } = await execute('2026-03-15T13:00:00.000Z');
    await guard.release('sweep-still-running');

    // Assert
    expect(output.lease).toEqual({ acquired: false });
    expect(output.plan).toBeNull();
    expect(ran).toEqual([]);
  });
});

function readAlerts(): Array<{ authId: string; type: string }> {
  try {
    return readFileSync(join(dir, 'alerts.jsonl'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line));
  } catch {
    return [];
  }
}
