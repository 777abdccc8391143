import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { PublishBatchCommand, type PublishBatchCommandInput, SNSClient } from '@aws-sdk/client-sns';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createDynamoStore, ensureTable } from '../functions/adapters/dynamodb/store.ts';
import { type EmbeddedDynamo, startEmbeddedDynamo } from '../functions/adapters/local/embedded-dynamo.ts';
import { ENV, SWEEP_HANDLER } from '../functions/contract/handler.ts';
import type { Notification } from '../functions/core/types.ts';
import type { HandlerResult } from '../functions/handler/sweep-handler.ts';
import { type Simulator, startSimulator } from '../sim/server.ts';
import { captureStdout, type StdoutCapture } from './support/stdout-capture.ts';

/**
 * The Lambda entry run in-process, as Lambda would import and call it: real DynamoDB semantics
 * (dynalite), the simulator over HTTP; SNS and Secrets Manager mocked, having no local twin.
 */

const sns = mockClient(SNSClient);
const secrets = mockClient(SecretsManagerClient);
const TABLE = 'handler-test';
const SECRET = 'vobiz-balance/partner';
const TOPIC = 'arn:aws:sns:ap-south-1:123456789012:alerts';

let sim: Simulator;
let dynamo: EmbeddedDynamo;
let handler: (event: unknown, context: Context) => Promise<HandlerResult>;
let published: PublishBatchCommandInput[] = [];
let snsDown = false;
let secretValue: string;
let requestCounter = 0;
/** What the handler writes (logs, EMF): kept out of the test output, and read by the token test. */
let stdout: StdoutCapture;

function context(remainingMs = 120_000): Context {
  return {
    awsRequestId: `req-${++requestCounter}`,
    getRemainingTimeInMillis: () => remainingMs,
  } as unknown as Context;
}

function publishedNotifications(): Notification[] {
  return published
    .flatMap((batch) => batch.PublishBatchRequestEntries ?? [])
    .map((entry) => JSON.parse(JSON.parse(entry.Message ?? '{}').default) as Notification);
}

let slotCounter = 0;

/** A distinct schedule slot each call (a few seconds apart, all within the period), as Scheduler sends them. */
function scheduled(offsetMs = 0): { scheduledTime: string } {
  const slot = Date.now() - offsetMs - 60_000 + ++slotCounter * 1000;
  return { scheduledTime: new Date(slot).toISOString().replace(/\.\d+Z$/, 'Z') };
}

beforeAll(async () => {
  sim = await startSimulator({ accounts: 40, seed: 3, partnerBalance: '500.00000' });
  dynamo = await startEmbeddedDynamo({ dataDir: null });
  await ensureTable(dynamo.client, TABLE);
  secretValue = JSON.stringify({ authId: sim.partner.authId, authToken: sim.partner.authToken });
  Object.assign(process.env, {
    AWS_REGION: 'ap-south-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    POWERTOOLS_LOG_LEVEL: 'WARN',
    [ENV.tableName]: TABLE,
    [ENV.secretId]: SECRET,
    [ENV.alertTopicArn]: TOPIC,
    [ENV.apiBaseUrl]: sim.url,
    [ENV.sweepConfig]: JSON.stringify({ threshold: '100', concurrency: 4 }),
    [ENV.partnerThreshold]: '1000',
    [ENV.digestSize]: '100',
    [ENV.schedulePeriodMinutes]: '15',
  });
  const entry = (await import(/* @vite-ignore */ `../${SWEEP_HANDLER.entry}`)) as Record<
    string,
    typeof handler
  >;
  handler = entry[SWEEP_HANDLER.export] as typeof handler;
});

afterAll(async () => {
  await sim.close();
  await dynamo.close();
});

beforeEach(() => {
  stdout = captureStdout();
  published = [];
  snsDown = false;
  sns.reset();
  secrets.reset();
  sns.on(PublishBatchCommand).callsFake((input: PublishBatchCommandInput) => {
    if (snsDown) throw new Error('SNS is unavailable');
    published.push(input);
    return {
      Successful: (input.PublishBatchRequestEntries ?? []).map((e) => ({ Id: e.Id, MessageId: 'm' })),
      Failed: [],
    };
  });
  secrets.on(GetSecretValueCommand).callsFake(() => ({ SecretString: secretValue }));
});

afterEach(() => {
  stdout.restore();
});

describe('the Lambda entry', () => {
  it('exports the handler the stack points at', () => {
    expect(typeof handler).toBe('function');
  });

  it('runs a full sweep: snapshots every account and publishes the alerts in batches of ten', async () => {
    // Act
    const result = await handler(scheduled(), context());

    // Assert
    expect(result).toMatchObject({
      status: 'swept',
      accountsListed: 40,
      balancesFetched: 40,
      complete: true,
    });
    if (result.status !== 'swept') throw new Error('not swept');
    // Every customer; the partner's own wallet has a state but no snapshot (not a customer's history).
    expect(result.snapshotsWritten).toBe(40);
    const sent = publishedNotifications();
    expect(sent).toHaveLength(result.notificationCount);
    expect(sent.some((n) => n.type === 'partner_low')).toBe(true);
    expect(published.every((b) => (b.PublishBatchRequestEntries?.length ?? 0) <= 10)).toBe(true);
    expect(secrets.commandCalls(GetSecretValueCommand)[0]?.args[0].input).toEqual({ SecretId: SECRET });
    const store = createDynamoStore({
      client: dynamo.client,
      tableName: TABLE,
      retentionDays: 30,
      timezone: 'Asia/Kolkata',
    });
    expect(await store.history(sim.accountIds()[0] as string)).toHaveLength(1);
  });

  it('sends nothing twice when one schedule slot is delivered twice', async () => {
    // Arrange
    const event = scheduled();
    const id = sim.accountIds()[1] as string;
    sim.setBalance(id, '1.00000');

    // Act
    const first = await handler(event, context());
    const again = await handler(event, context());

    // Assert
    expect(first.status).toBe('swept');
    expect(again).toMatchObject({ status: 'skipped', reason: 'duplicate' });
    expect(publishedNotifications().filter((n) => n.authId === id)).toHaveLength(1);
  });

  it('skips a delivery older than one schedule period', async () => {
    // Act
    const result = await handler(scheduled(16 * 60_000), context());

    // Assert
    expect(result).toMatchObject({ status: 'skipped', reason: 'stale' });
    expect(published).toEqual([]);
  });

  it('keeps a notification pending when SNS fails, and the next run delivers it', async () => {
    // Arrange
    const id = sim.accountIds()[2] as string;
    sim.setBalance(id, '-5.00000');
    snsDown = true;

    // Act
    const failed = await handler(scheduled(), context());
    snsDown = false;
    const next = await handler(scheduled(), context());

    // Assert
    expect(failed).toMatchObject({ status: 'swept', pendingNotifications: 1 });
    expect(next).toMatchObject({ status: 'swept', pendingNotifications: 0 });
    expect(
      publishedNotifications()
        .filter((n) => n.authId === id)
        .map((n) => n.type),
    ).toEqual(['critical']);
  });

  it('refreshes the secret exactly once on a 401 and goes on with the rotated token', async () => {
    // Arrange: the function holds the current token in its cache; then the partner rotates it
    // in the Vobiz console and in the secret.
    await handler(scheduled(), context());
    sim.rotatePartnerToken('rotated-token');
    secretValue = JSON.stringify({ authId: sim.partner.authId, authToken: 'rotated-token' });
    secrets.resetHistory();

    // Act
    const result = await handler(scheduled(), context());

    // Assert
    expect(result).toMatchObject({ status: 'swept', complete: true });
    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(1);
  });

  it('fails the invocation after one refresh when the secret itself is wrong', async () => {
    // Arrange: the token is revoked and the secret was not updated.
    sim.rotatePartnerToken('revoked-and-replaced');
    secrets.resetHistory();

    // Act
    const failing = handler(scheduled(), context());

    // Assert
    await expect(failing).rejects.toThrow(/partner credentials were rejected/);
    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(1);
    sim.rotatePartnerToken(JSON.parse(secretValue).authToken);
  });

  it('never writes a customer auth_token to its logs, metrics or messages', async () => {
    // Arrange
    sim.setBalance(sim.accountIds()[5] as string, '3.00000');

    // Act
    await handler(scheduled(), context());

    // Assert
    const everything = [JSON.stringify(stdout.records()), JSON.stringify(published)].join('\n');
    expect(stdout.metrics().map((m) => m.name)).toContain('UnreadShare');
    for (const id of sim.accountIds()) {
      expect(everything).not.toContain(sim.getAccount(id)?.auth_token as string);
    }
  });
});
