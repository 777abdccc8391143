import { Metrics } from '@aws-lambda-powertools/metrics';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { PublishBatchCommand, type PublishBatchCommandInput, SNSClient } from '@aws-sdk/client-sns';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ensureTable } from '../functions/adapters/dynamodb/store.ts';
import { type EmbeddedDynamo, startEmbeddedDynamo } from '../functions/adapters/local/embedded-dynamo.ts';
import { ENV, SWEEP_HANDLER } from '../functions/contract/handler.ts';
import { METRICS } from '../functions/contract/metrics.ts';
import type { HandlerResult } from '../functions/handler/sweep-handler.ts';
import { type Simulator, startSimulator } from '../sim/server.ts';
import { type Receiver, signatureValid, startReceiver } from './support/webhook-receiver.ts';

/**
 * The Lambda entry with the webhook channel on (WEBHOOK_SECRET_ID set, as the stack sets it with
 * `webhook: true`): SNS and Secrets Manager mocked, the webhook a real receiver on 127.0.0.1.
 */

const sns = mockClient(SNSClient);
const secrets = mockClient(SecretsManagerClient);
const TABLE = 'handler-webhook-test';
const CREDENTIALS = 'vobiz-balance/partner';
const WEBHOOK = 'vobiz-balance/webhook';
const SHARED = 'lambda-webhook-secret';

let sim: Simulator;
let dynamo: EmbeddedDynamo;
let receiver: Receiver;
let handler: (event: unknown, context: Context) => Promise<HandlerResult>;
const published: PublishBatchCommandInput[] = [];
let requests = 0;

function context(): Context {
  return { awsRequestId: `req-${++requests}`, getRemainingTimeInMillis: () => 120_000 } as unknown as Context;
}

beforeAll(async () => {
  sim = await startSimulator({ accounts: 30, seed: 9 });
  dynamo = await startEmbeddedDynamo({ dataDir: null });
  receiver = await startReceiver();
  await ensureTable(dynamo.client, TABLE);
  sns.on(PublishBatchCommand).callsFake((input: PublishBatchCommandInput) => {
    published.push(input);
    return {
      Successful: (input.PublishBatchRequestEntries ?? []).map((e) => ({ Id: e.Id, MessageId: 'm' })),
      Failed: [],
    };
  });
  secrets.on(GetSecretValueCommand, { SecretId: CREDENTIALS }).resolves({
    SecretString: JSON.stringify({ authId: sim.partner.authId, authToken: sim.partner.authToken }),
  });
  secrets
    .on(GetSecretValueCommand, { SecretId: WEBHOOK })
    .resolves({ SecretString: JSON.stringify({ url: receiver.url, secret: SHARED }) });
  Object.assign(process.env, {
    AWS_REGION: 'ap-south-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    POWERTOOLS_LOG_LEVEL: 'CRITICAL',
    POWERTOOLS_METRICS_DISABLED: 'true',
    [ENV.tableName]: TABLE,
    [ENV.secretId]: CREDENTIALS,
    [ENV.alertTopicArn]: 'arn:aws:sns:ap-south-1:123456789012:alerts',
    [ENV.apiBaseUrl]: sim.url,
    [ENV.sweepConfig]: JSON.stringify({ threshold: '100' }),
    [ENV.partnerThreshold]: '',
    [ENV.digestSize]: '100',
    [ENV.schedulePeriodMinutes]: '15',
    [ENV.webhookSecretId]: WEBHOOK,
  });
  const entry = (await import(/* @vite-ignore */ `../${SWEEP_HANDLER.entry}`)) as Record<
    string,
    typeof handler
  >;
  handler = entry[SWEEP_HANDLER.export] as typeof handler;
});

afterAll(async () => {
  await receiver.close();
  await sim.close();
  await dynamo.close();
});

describe('the Lambda entry with the webhook on', () => {
  it('publishes to SNS while the webhook is down, then delivers only the webhook share, each once', async () => {
    // Arrange
    let up = false;
    const accepted: string[] = [];
    receiver.respond = (request) => {
      if (!up) return { status: 503 };
      accepted.push(String(request.headers['idempotency-key']));
      return { status: 200 };
    };

    const addMetric = vi.spyOn(Metrics.prototype, 'addMetric');

    // Act
    const first = await handler({}, context());
    const pendingMetric = addMetric.mock.calls.filter(([name]) => name === METRICS.pendingNotifications);
    const snsAfterFirst = published.length;
    up = true;
    const second = await handler({}, context());

    // Assert
    if (first.status !== 'swept' || second.status !== 'swept') throw new Error('not swept');
    const decided = first.pendingNotifications;
    expect(decided).toBeGreaterThan(0);
    expect(first.delivery).toEqual([
      { channel: 'sns', accepted: decided, pending: 0, error: null },
      { channel: 'webhook', accepted: 0, pending: decided, error: expect.stringMatching(/HTTP 503/) },
    ]);
    expect(second.delivery).toEqual([
      { channel: 'sns', accepted: 0, pending: 0, error: null },
      { channel: 'webhook', accepted: decided, pending: 0, error: null },
    ]);
    expect(published.length).toBe(snsAfterFirst);
    // What the undelivered-notifications alarm watches.
    expect(pendingMetric.map(([, , value]) => value)).toEqual([decided]);
    expect(new Set(accepted).size).toBe(decided);
    expect(receiver.requests.every((r) => signatureValid(r, SHARED))).toBe(true);
    // The webhook secret is read once and cached across warm invocations, like the credentials.
    const reads = secrets
      .commandCalls(GetSecretValueCommand)
      .filter((c) => c.args[0].input.SecretId === WEBHOOK);
    expect(reads).toHaveLength(1);
  });
});
