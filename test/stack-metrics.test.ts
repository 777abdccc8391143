import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { PublishBatchCommand, type PublishBatchCommandInput, SNSClient } from '@aws-sdk/client-sns';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureTable } from '../functions/adapters/dynamodb/store.ts';
import { type EmbeddedDynamo, startEmbeddedDynamo } from '../functions/adapters/local/embedded-dynamo.ts';
import { ENV, SWEEP_HANDLER } from '../functions/contract/handler.ts';
import { METRICS, SWEEP_LOG } from '../functions/contract/metrics.ts';
import type { HandlerResult } from '../functions/handler/sweep-handler.ts';
import { SWEEP_QUERIES } from '../lib/log-queries.ts';
import { type Simulator, startSimulator } from '../sim/server.ts';
import { synthesize } from './support/stack-app.ts';
import { captureStdout, type StdoutCapture } from './support/stdout-capture.ts';
import { joined, logWidgetQueries, metricsRead, unemitted } from './support/template-reads.ts';

/*
 * The metric contract: every metric an alarm or a dashboard widget of the template reads must be
 * one the handler really emits (same namespace, name and dimensions), and every log field a saved
 * query reads must be in the log line the handler really writes. The handler runs in-process as
 * Lambda runs it (simulator over HTTP, dynalite); its stdout, where Lambda picks up EMF and logs,
 * is captured.
 */

type Json = Record<string, unknown>;

const sns = mockClient(SNSClient);
const secrets = mockClient(SecretsManagerClient);
let template: { Resources: Record<string, Json> };
let sim: Simulator;
let dynamo: EmbeddedDynamo;
let stdout: StdoutCapture;
let runs: HandlerResult[];

beforeAll(async () => {
  // The template with every reader on: alarms, saved queries and the optional dashboard.
  template = synthesize({ dashboard: true }).template.toJSON() as typeof template;

  sim = await startSimulator({ accounts: 30, seed: 5, partnerBalance: '500.00000' });
  dynamo = await startEmbeddedDynamo({ dataDir: null });
  await ensureTable(dynamo.client, 'metrics-contract');
  secrets.on(GetSecretValueCommand).resolves({
    SecretString: JSON.stringify({ authId: sim.partner.authId, authToken: sim.partner.authToken }),
  });
  let snsDown = false;
  sns.on(PublishBatchCommand).callsFake((input: PublishBatchCommandInput) => {
    if (snsDown) throw new Error('SNS is unavailable');
    return {
      Successful: (input.PublishBatchRequestEntries ?? []).map((e) => ({ Id: e.Id, MessageId: 'm' })),
      Failed: [],
    };
  });
  Object.assign(process.env, {
    AWS_REGION: 'ap-south-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    POWERTOOLS_LOG_LEVEL: 'INFO',
    [ENV.tableName]: 'metrics-contract',
    [ENV.secretId]: 'vobiz-balance/partner',
    [ENV.alertTopicArn]: 'arn:aws:sns:ap-south-1:123456789012:alerts',
    [ENV.apiBaseUrl]: sim.url,
    [ENV.sweepConfig]: JSON.stringify({ threshold: '100' }),
    [ENV.partnerThreshold]: '1000',
    [ENV.digestSize]: '100',
    [ENV.schedulePeriodMinutes]: '15',
  });
  const entry = (await import(/* @vite-ignore */ `../${SWEEP_HANDLER.entry}`)) as Record<
    string,
    (event: unknown, context: Context) => Promise<HandlerResult>
  >;
  const handler = entry[SWEEP_HANDLER.export];
  if (!handler) throw new Error('the entry exports no handler');
  const context = (id: string) =>
    ({ awsRequestId: id, getRemainingTimeInMillis: () => 120_000 }) as unknown as Context;

  // One sweep with an account whose balance cannot be read, one with SNS refusing delivery:
  // between them every line the saved queries read is written.
  stdout = captureStdout();
  try {
    const broken = sim.accountIds()[4] as string;
    sim.addFault({ kind: 'drift', drift: 'missing-balance', route: 'balance', authId: broken });
    runs = [await handler({}, context('contract-1'))];
    sim.clearFaults();
    snsDown = true;
    sim.setBalance(sim.accountIds()[7] as string, '-3.00000');
    runs.push(await handler({}, context('contract-2')));
  } finally {
    stdout.restore();
  }
});

afterAll(async () => {
  await sim?.close();
  await dynamo?.close();
});

describe('the metric contract', () => {
  it('reads only metrics the handler emits, with the same dimensions, in every alarm and widget', () => {
    // Arrange
    const read = metricsRead(template);
    const emitted = stdout.metrics();

    // Act
    const missing = unemitted(read, emitted);

    // Assert
    expect(read.filter((m) => m.namespace === METRICS.namespace).map((m) => m.name)).toEqual(
      expect.arrayContaining([METRICS.unreadShare, METRICS.pendingNotifications]),
    );
    expect(missing).toEqual([]);
  });

  it('fails when the handler stops emitting a metric an alarm reads', () => {
    // Arrange: the same run with PendingNotifications taken out
    const emitted = stdout.metrics().filter((m) => m.name !== METRICS.pendingNotifications);

    // Act
    const missing = unemitted(metricsRead(template), emitted);

    // Assert
    expect(missing).toEqual([
      `${METRICS.namespace}/${METRICS.pendingNotifications} [["service","${METRICS.service}"]]`,
    ]);
  });

  it('fails when an alarm reads a dimension the handler does not emit', () => {
    // Arrange
    const read = metricsRead(template).map((m) =>
      m.name === METRICS.unreadShare ? { ...m, dimensions: { ...m.dimensions, currency: 'INR' } } : m,
    );

    // Act
    const missing = unemitted(read, stdout.metrics());

    // Assert
    expect(missing).toHaveLength(1);
    expect(missing[0]).toContain(METRICS.unreadShare);
  });

  it('emits exactly two custom metrics, once per sweep: the unread share and the pending notifications', () => {
    const [first, second] = runs;
    if (first?.status !== 'swept' || second?.status !== 'swept') throw new Error('not swept');
    const values = (name: string) =>
      stdout
        .metrics()
        .filter((m) => m.name === name)
        .map((m) => m.value);

    expect(new Set(stdout.metrics().map((m) => m.name))).toEqual(
      new Set([METRICS.unreadShare, METRICS.pendingNotifications]),
    );
    // One failed read of 30 listed accounts; then a complete sweep.
    expect(first.failed).toBe(1);
    expect(values(METRICS.unreadShare)).toEqual([1 / first.accountsListed, 0]);
    expect(values(METRICS.pendingNotifications)).toEqual([0, second.pendingNotifications]);
    expect(second.pendingNotifications).toBeGreaterThan(0);
  });

  it('reads the free AWS metrics of this stack only: its function and its dead-letter queue', () => {
    const foreign = metricsRead(template).filter((m) => m.namespace !== METRICS.namespace);
    expect(foreign.length).toBeGreaterThan(0);
    for (const m of foreign) {
      for (const value of Object.values(m.dimensions)) {
        const id = /^<([A-Za-z0-9]+)/.exec(value)?.[1] ?? '';
        const literalGroup = template.Resources[
          Object.keys(template.Resources).find(
            (k) => template.Resources[k]?.Type === 'AWS::Scheduler::ScheduleGroup',
          ) ?? ''
        ]?.Properties as Json | undefined;
        expect(id in template.Resources || value === literalGroup?.Name, `${m.name} ${value}`).toBe(true);
      }
    }
  });
});

describe('the log contract', () => {
  it('saves every query over the sweep log group, and the dashboard shows saved queries only', () => {
    const saved = Object.values(template.Resources).filter((r) => r.Type === 'AWS::Logs::QueryDefinition');
    expect(saved.map((r) => (r.Properties as Json).QueryString).sort()).toEqual(
      SWEEP_QUERIES.map((q) => q.query.toString()).sort(),
    );
    for (const r of saved) {
      const groups = (r.Properties as Json).LogGroupNames as unknown[];
      expect(groups.map(joined)).toEqual([expect.stringMatching(/^<SweepLogs/)]);
    }
    const widgets = logWidgetQueries(template);
    expect(widgets.length).toBeGreaterThan(0);
    for (const query of widgets) {
      const body = query.replace(/^SOURCE '[^']*' \| /, '');
      expect(SWEEP_QUERIES.map((q) => q.query.toString())).toContain(body);
    }
  });

  it.each(SWEEP_QUERIES.filter((q) => q.reads.length > 0).map((q) => [q.name, q] as const))(
    'finds every field the %s query reads in the log line the handler writes',
    (_name, q) => {
      const lines = stdout.logs(q.message);
      expect(lines.length, q.message).toBeGreaterThan(0);
      for (const field of q.reads) {
        expect(
          lines.some((line) => field in line),
          `${q.message}: ${field}`,
        ).toBe(true);
        expect(q.query.toString()).toContain(field);
      }
    },
  );

  it('writes one `sweep finished` line per sweep, with exact decimals and no customer token', () => {
    const lines = stdout.logs(SWEEP_LOG.message);
    expect(lines).toHaveLength(2);
    const [first] = lines;
    for (const total of Object.values(first?.totals as Record<string, unknown>)) {
      expect(total).toMatch(/^-?\d+\.\d{5}$/);
    }
    const text = JSON.stringify(stdout.records());
    for (const id of sim.accountIds()) {
      expect(text).not.toContain(sim.getAccount(id)?.auth_token as string);
    }
  });
});
