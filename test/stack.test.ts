import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { App, type Stack } from 'aws-cdk-lib';
import { Capture, Match, Template } from 'aws-cdk-lib/assertions';
import type { CfnTable } from 'aws-cdk-lib/aws-dynamodb';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ENV, type ScheduledInput, SWEEP_HANDLER } from '../functions/contract/handler.ts';
import { METRICS } from '../functions/contract/metrics.ts';
import { TABLE_SCHEMA } from '../functions/contract/table-schema.ts';
import { ConfigError } from '../functions/core/errors.ts';
import { parseHandlerEnv } from '../functions/handler/handler-env.ts';
import {
  BalanceMonitorStack,
  SECRET_PLACEHOLDER,
  WEBHOOK_SECRET_PLACEHOLDER,
} from '../lib/balance-monitor-stack.ts';
import { CONTEXT_KEY, parseStackConfig, readStackConfig } from '../lib/config.ts';
import { PROJECT_ROOT } from '../lib/sweep-function.ts';

/*
 * The stack's promises, proven offline: fine-grained assertions on the synthesized
 * template, cdk-nag run over the construct tree, and the real `cdk synth` for the parts
 * that live in bin/app.ts. Each app is synthesized once (beforeAll).
 */

const CDK_JSON = JSON.parse(readFileSync(join(PROJECT_ROOT, 'cdk.json'), 'utf8')) as {
  app: string;
  context: Record<string, unknown> & { [CONTEXT_KEY]: Record<string, unknown> };
};
const DEFAULTS = CDK_JSON.context[CONTEXT_KEY];

/** The app as bin/app.ts builds it, from cdk.json's context plus these settings. */
function buildApp(settings: Record<string, unknown> = {}) {
  const app = new App({
    context: {
      ...CDK_JSON.context,
      [CONTEXT_KEY]: { ...DEFAULTS, ...settings },
      // Bundling is proven by the app's own synth (beforeAll); in-process apps only need templates.
      'aws:cdk:bundling-stacks': [],
    },
  });
  const stack = new BalanceMonitorStack(app, 'VobizBalanceMonitor', { config: readStackConfig(app.node) });
  return { app, stack };
}

/** Unacknowledged cdk-nag findings, errors and warnings alike, as "rule path". */
function nagFindings(scope: IConstruct): string[] {
  return [new AwsSolutionsChecks(), new ServerlessChecks()].flatMap((pack) =>
    pack
      .validateScope(scope)
      .violations.flatMap((v) => v.violatingResources.map((r) => `${v.ruleName} ${r.constructPath}`)),
  );
}

/** Acknowledgements recorded in the tree, as "rule path" -> reason. */
function acknowledgements(scope: IConstruct): Map<string, string> {
  const found = new Map<string, string>();
  for (const c of scope.node.findAll()) {
    for (const entry of c.node.metadata) {
      if (entry.type !== 'aws:cdk:acknowledged-rules') continue;
      for (const [id, reason] of Object.entries(entry.data as Record<string, string>)) {
        found.set(`${id.replace(/^annotation::/i, '')} ${c.node.path}`, reason);
      }
    }
  }
  return found;
}

type Json = Record<string, unknown>;

/** Resources of one type, by logical id. */
function resources(template: Template, type: string): [string, Json][] {
  return Object.entries(template.findResources(type)) as [string, Json][];
}

/** Flattens an Fn::Join into text, tokens written as <Ref> / <LogicalId.Attr>. */
function joined(value: unknown): string {
  if (typeof value === 'string') return value;
  const v = value as Json;
  if (v['Fn::Join']) {
    const [sep, parts] = v['Fn::Join'] as [string, unknown[]];
    return parts.map(joined).join(sep);
  }
  if (v.Ref) return `<${v.Ref}>`;
  if (v['Fn::GetAtt']) return `<${(v['Fn::GetAtt'] as string[]).join('.')}>`;
  return JSON.stringify(v);
}

/** Every Allow statement of every IAM policy and key policy in the template, or of one role's policies. */
function allowStatements(template: Template, role?: string): Json[] {
  const documents: unknown[] = [];
  for (const [, r] of resources(template, 'AWS::IAM::Policy')) {
    const roles = ((r.Properties as Json).Roles as Json[] | undefined) ?? [];
    if (role === undefined || roles.some((ref) => ref.Ref === role))
      documents.push((r.Properties as Json).PolicyDocument);
  }
  for (const [id, r] of resources(template, 'AWS::IAM::Role')) {
    if (role !== undefined && id !== role) continue;
    for (const p of ((r.Properties as Json).Policies as Json[] | undefined) ?? [])
      documents.push(p.PolicyDocument);
  }
  if (role !== undefined)
    return documents.flatMap((d) => ((d as Json).Statement as Json[]).filter((s) => s.Effect === 'Allow'));
  for (const [, r] of resources(template, 'AWS::KMS::Key')) documents.push((r.Properties as Json).KeyPolicy);
  return documents.flatMap((d) => ((d as Json).Statement as Json[]).filter((s) => s.Effect === 'Allow'));
}

const list = <T>(x: T | T[]): T[] => (Array.isArray(x) ? x : [x]);

function run(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    // Two function bundles (the sweep's and the archive export's) on a loaded two-core machine.
    execFile(command, args, { cwd: PROJECT_ROOT, timeout: 150_000, env }, (error, stdout, stderr) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

let app: App;
let stack: BalanceMonitorStack;
let template: Template;
/** Emails, cron, imported secret, reserved concurrency: the non-default branches. */
let configured: { app: App; stack: BalanceMonitorStack; template: Template };
/** With the webhook channel on. */
let webhooked: { app: App; stack: BalanceMonitorStack; template: Template };
let appOut: string;
let appSynth: Promise<{ code: number; stdout: string; stderr: string }>;
let appBadSchedule: Promise<{ code: number; stdout: string; stderr: string }>;

const CONFIGURED = {
  schedule: 'cron(0 */2 * * ? *)',
  schedulePeriodMinutes: 120,
  scheduleTimezone: 'Europe/London',
  alertEmails: ['finance@example.com'],
  opsEmails: ['oncall@example.com', 'dev@example.com'],
  existingSecretName: 'vobiz/partner-credentials',
  reservedConcurrency: 1,
  failedReadAlarmRatio: 0.2,
  memorySize: 1024,
  timeoutSeconds: 600,
  retryAttempts: 5,
  threshold: '250.5',
};

beforeAll(() => {
  // The app runs as its own process in the background while the in-process apps synthesize.
  appOut = mkdtempSync(join(tmpdir(), 'vobiz-cdk-'));
  // What `cdk synth` runs (cdk.json "app"), writing the cloud assembly to CDK_OUTDIR.
  const appCommand = CDK_JSON.app.split(' ');
  expect(appCommand.slice(0, 2)).toEqual(['npx', 'tsx']);
  const appArgs = ['--import', 'tsx', ...appCommand.slice(2)];
  appSynth = run(process.execPath, appArgs, {
    ...process.env,
    CDK_CONTEXT_JSON: JSON.stringify(CDK_JSON.context),
    CDK_OUTDIR: appOut,
  });
  // What `cdk synth -c schedule=banana` runs: the CLI passes -c values in CDK_CONTEXT_JSON.
  appBadSchedule = run(process.execPath, appArgs, {
    ...process.env,
    CDK_CONTEXT_JSON: JSON.stringify({ ...CDK_JSON.context, schedule: 'banana' }),
    CDK_OUTDIR: join(appOut, 'bad'),
  });

  ({ app, stack } = buildApp());
  template = Template.fromStack(stack);

  const variant = buildApp(CONFIGURED);
  configured = { ...variant, template: Template.fromStack(variant.stack) };
});

afterAll(() => {
  rmSync(appOut, { recursive: true, force: true });
});

/** What the stack gives the function, for importing the entry (it validates env at import). */
function stubHandlerEnv(): void {
  vi.stubEnv('AWS_REGION', 'ap-south-1');
  vi.stubEnv(ENV.tableName, 'history');
  vi.stubEnv(ENV.secretId, 'vobiz/partner-credentials');
  vi.stubEnv(ENV.alertTopicArn, 'arn:aws:sns:ap-south-1:123456789012:alerts');
  vi.stubEnv(ENV.apiBaseUrl, 'https://api.vobiz.ai');
  vi.stubEnv(ENV.sweepConfig, JSON.stringify(parseStackConfig(DEFAULTS).sweep));
  vi.stubEnv(ENV.partnerThreshold, '1000');
  vi.stubEnv(ENV.digestSize, '10');
  vi.stubEnv(ENV.schedulePeriodMinutes, '15');
}

/** The template the app's own synth wrote. */
function readSynthesized(): { Resources: Record<string, Json> } {
  return JSON.parse(readFileSync(join(appOut, 'VobizBalanceMonitor.template.json'), 'utf8'));
}

function logicalId(s: Stack, construct: IConstruct): string {
  return s.getLogicalId(construct.node.defaultChild as never);
}

/** A resource's properties by its construct: the stack has two functions and two schedules (the archive's). */
function propertiesOf(t: Template, s: Stack, construct: IConstruct): Json {
  return t.toJSON().Resources[logicalId(s, construct)].Properties as Json;
}

/** The sweep function's environment variables. */
function sweepVariables(t: Template, s: BalanceMonitorStack): Json {
  return (propertiesOf(t, s, s.sweepFunction).Environment as Json).Variables as Json;
}

describe('history table', () => {
  it('takes its keys, index and TTL attribute from the one shared schema, so the store and the stack cannot drift', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [
        { AttributeName: TABLE_SCHEMA.partitionKey.name, KeyType: 'HASH' },
        { AttributeName: TABLE_SCHEMA.sortKey.name, KeyType: 'RANGE' },
      ],
      GlobalSecondaryIndexes: TABLE_SCHEMA.globalIndexes.map((index) => ({
        IndexName: index.name,
        KeySchema: [
          { AttributeName: index.partitionKey.name, KeyType: 'HASH' },
          { AttributeName: index.sortKey.name, KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: index.projection },
      })),
      TimeToLiveSpecification: { AttributeName: TABLE_SCHEMA.ttlAttribute, Enabled: true },
    });
  });

  it('is on-demand, encrypted and point-in-time recoverable, because it holds the only copy of the history', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      BillingMode: 'PAY_PER_REQUEST',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      SSESpecification: { SSEEnabled: true },
    });
  });

  it('survives the stack: deleting or replacing it retains the table', () => {
    template.hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
  });
});

describe('topics and their key', () => {
  it('encrypts both topics with one customer-managed key that rotates', () => {
    const key = new Capture();
    template.resourceCountIs('AWS::SNS::Topic', 2);
    template.allResourcesProperties('AWS::SNS::Topic', { KmsMasterKeyId: { 'Fn::GetAtt': [key, 'Arn'] } });
    expect(template.toJSON().Resources[key.asString()]).toMatchObject({
      Type: 'AWS::KMS::Key',
      Properties: { EnableKeyRotation: true },
    });
  });

  it('refuses publishing over plain HTTP on both topics (enforceSSL)', () => {
    for (const topic of [stack.alertTopic, stack.opsTopic]) {
      template.hasResourceProperties('AWS::SNS::TopicPolicy', {
        Topics: [{ Ref: logicalId(stack, topic) }],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Effect: 'Deny',
              Action: 'sns:Publish',
              Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            }),
          ]),
        },
      });
    }
  });

  it('lets CloudWatch use the key only to publish, only for alarms of this stack in this account', () => {
    template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([
          {
            Sid: 'CloudWatchAlarmsOfThisStackPublish',
            Effect: 'Allow',
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
            Resource: '*',
            Condition: {
              StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
              ArnLike: { 'aws:SourceArn': Match.anyValue() },
            },
          },
        ]),
      },
    });
  });

  it('names every alarm with the prefix the key policy admits, or the ops topic would never receive them', () => {
    const statement = allowStatements(template).find((s) => s.Sid === 'CloudWatchAlarmsOfThisStackPublish');
    expect(statement).toBeDefined();
    const condition = (statement as Json).Condition as Json;
    const pattern = joined((condition.ArnLike as Json)['aws:SourceArn']);
    const prefix = pattern.replace(/^.*:alarm:/, '').replace(/\*$/, '');
    expect(pattern).toMatch(/:cloudwatch:<AWS::Region>:<AWS::AccountId>:alarm:.+\*$/);
    const names = resources(template, 'AWS::CloudWatch::Alarm').map(
      ([, r]) => (r.Properties as Json).AlarmName,
    );
    expect(names).toHaveLength(5);
    for (const name of names) expect(String(name).startsWith(prefix)).toBe(true);
  });

  it('lets account principals use the key only through SNS, and never grants kms:*', () => {
    template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Sid: 'PublishThroughSnsFromThisAccount',
            Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
            Condition: { StringEquals: { 'kms:ViaService': Match.anyValue() } },
          }),
        ]),
      },
    });
    const keyActions = resources(template, 'AWS::KMS::Key').flatMap(([, r]) =>
      (((r.Properties as Json).KeyPolicy as Json).Statement as Json[]).flatMap((s) =>
        list(s.Action as string),
      ),
    );
    expect(keyActions).not.toContain('kms:*');
    expect(keyActions.filter((a) => a.includes('*'))).toEqual([]);
  });

  it('subscribes alert emails to the alert topic and ops emails to the ops topic', () => {
    const t = configured.template;
    const s = configured.stack;
    t.resourceCountIs('AWS::SNS::Subscription', 3);
    t.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'finance@example.com',
      TopicArn: { Ref: logicalId(s, s.alertTopic) },
    });
    for (const email of CONFIGURED.opsEmails) {
      t.hasResourceProperties('AWS::SNS::Subscription', {
        Protocol: 'email',
        Endpoint: email,
        TopicArn: { Ref: logicalId(s, s.opsTopic) },
      });
    }
    template.resourceCountIs('AWS::SNS::Subscription', 0);
  });
});

describe('credentials secret', () => {
  it('is created with the placeholder the handler recognises, until the partner puts the real value', () => {
    expect(JSON.parse(SECRET_PLACEHOLDER)).toEqual({ authId: 'REPLACE_ME', authToken: 'REPLACE_ME' });
    template.hasResourceProperties('AWS::SecretsManager::Secret', { SecretString: SECRET_PLACEHOLDER });
  });

  it('is imported by name instead when existingSecretName is set, and the function may read exactly that secret', () => {
    const t = configured.template;
    t.resourceCountIs('AWS::SecretsManager::Secret', 0);
    t.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ [ENV.secretId]: CONFIGURED.existingSecretName }) },
    });
    const read = allowStatements(t).find((s) => s.Sid === 'ReadCredentials');
    expect(read?.Action).toBe('secretsmanager:GetSecretValue');
    expect(joined(read?.Resource)).toMatch(
      /:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:vobiz\/partner-credentials-\?{6}$/,
    );
  });
});

describe('webhook secret', () => {
  // Its own hook, so the shared one above keeps its time budget.
  beforeAll(() => {
    const withWebhook = buildApp({ webhook: true });
    webhooked = { ...withWebhook, template: Template.fromStack(withWebhook.stack) };
  });

  it('does not exist by default, and the function learns that the channel is off', () => {
    expect(stack.webhookSecret).toBeNull();
    template.resourceCountIs('AWS::SecretsManager::Secret', 1);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ [ENV.webhookSecretId]: '' }) },
    });
    expect(allowStatements(template).find((s) => s.Sid === 'ReadWebhookSecret')).toBeUndefined();
    expect(Object.keys(template.findOutputs('WebhookSecretName'))).toEqual([]);
  });

  it('is created with a placeholder the handler recognises when the webhook is on, and named in an output', () => {
    expect(JSON.parse(WEBHOOK_SECRET_PLACEHOLDER)).toEqual({ url: 'REPLACE_ME', secret: 'REPLACE_ME' });
    const t = webhooked.template;
    const secret = logicalId(webhooked.stack, webhooked.stack.webhookSecret as never);
    t.resourceCountIs('AWS::SecretsManager::Secret', 2);
    t.hasResourceProperties('AWS::SecretsManager::Secret', { SecretString: WEBHOOK_SECRET_PLACEHOLDER });
    t.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ [ENV.webhookSecretId]: { Ref: secret } }) },
    });
    t.hasOutput('WebhookSecretName', { Value: Match.anyValue() });
  });

  it('may be read by the function, with exactly GetSecretValue on exactly that secret', () => {
    const secret = logicalId(webhooked.stack, webhooked.stack.webhookSecret as never);
    const reads = allowStatements(webhooked.template).filter((s) =>
      list(s.Action as string).some((a) => a.startsWith('secretsmanager:')),
    );
    expect(reads.map((s) => [s.Sid, s.Action, joined(s.Resource)])).toEqual([
      [
        'ReadCredentials',
        'secretsmanager:GetSecretValue',
        `<${logicalId(webhooked.stack, webhooked.stack.secret)}>`,
      ],
      ['ReadWebhookSecret', 'secretsmanager:GetSecretValue', `<${secret}>`],
    ]);
  });

  it('passes an environment the handler reads back as the webhook channel on', () => {
    const env = Object.fromEntries(
      Object.entries(sweepVariables(webhooked.template, webhooked.stack)).map(([k, v]) => [
        k,
        typeof v === 'string'
          ? v
          : k === ENV.alertTopicArn
            ? 'arn:aws:sns:ap-south-1:123456789012:alerts'
            : 'arn',
      ]),
    );
    expect(parseHandlerEnv(env).webhookSecretId).toBe('arn');
    expect(parseHandlerEnv({ ...env, [ENV.webhookSecretId]: '' }).webhookSecretId).toBeNull();
  });

  it('leaves cdk-nag with nothing unacknowledged', () => {
    expect(nagFindings(webhooked.app)).toEqual([]);
  });
});

describe('sweep function', () => {
  it('runs the handler export the contract names, on the newest Node runtime, on arm64', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Handler: `index.${SWEEP_HANDLER.export}`,
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      MemorySize: DEFAULTS.memorySize,
      Timeout: DEFAULTS.timeoutSeconds,
    });
  });

  it('takes memory, timeout and reserved concurrency from configuration', () => {
    configured.template.hasResourceProperties('AWS::Lambda::Function', {
      MemorySize: 1024,
      Timeout: 600,
      ReservedConcurrentExecutions: 1,
    });
  });

  it('reserves no concurrency by default, since a new account with a quota of 10 cannot reserve any', () => {
    template.hasResourceProperties('AWS::Lambda::Function', { ReservedConcurrentExecutions: Match.absent() });
  });

  // The first test to wait for the app's synth (started in beforeAll): two bundles, a loaded machine.
  it('ships one esbuild bundle, minified, of the entry the contract names', async () => {
    // Bundling is left to the app's own synth (beforeAll), which deploys exactly that bundle.
    const result = await appSynth;
    expect(result.code, result.stderr).toBe(0);
    const sweep = readSynthesized().Resources[logicalId(stack, stack.sweepFunction)]?.Properties as Json;
    expect(sweep.Handler).toBe(`index.${SWEEP_HANDLER.export}`);
    const s3Key = (sweep.Code as Json).S3Key as string;
    const bundle = join(appOut, `asset.${s3Key.replace(/\.zip$/, '')}`, 'index.mjs');
    const code = readFileSync(bundle, 'utf8');
    expect(existsSync(join(PROJECT_ROOT, SWEEP_HANDLER.entry))).toBe(true);
    // Minified: a few very long lines instead of one statement per line.
    expect(code.split('\n').length).toBeLessThan(code.length / 500);
    expect(statSync(bundle).size).toBeGreaterThan(1000);
    // The bundle itself loads (ESM, require shim for CommonJS dependencies) and exports the handler.
    stubHandlerEnv();
    try {
      const loaded = (await import(pathToFileURL(bundle).href)) as Record<string, unknown>;
      expect(typeof loaded[SWEEP_HANDLER.export]).toBe('function');
    } finally {
      vi.unstubAllEnvs();
    }
  }, 150_000);

  it('logs JSON into its own log group, kept for the configured retention', () => {
    const group = new Capture();
    template.hasResourceProperties('AWS::Lambda::Function', {
      LoggingConfig: { LogFormat: 'JSON', LogGroup: { Ref: group } },
    });
    expect(template.toJSON().Resources[group.asString()]).toMatchObject({
      Type: 'AWS::Logs::LogGroup',
      Properties: { RetentionInDays: DEFAULTS.logRetentionDays },
    });
  });

  it('receives every variable of the contract, with Powertools service and namespace', () => {
    const env = sweepVariables(template, stack);
    for (const name of Object.values(ENV)) expect(env, name).toHaveProperty(name);
    expect(env).toMatchObject({
      [ENV.tableName]: { Ref: logicalId(stack, stack.table) },
      [ENV.secretId]: { Ref: logicalId(stack, stack.secret) },
      [ENV.alertTopicArn]: { Ref: logicalId(stack, stack.alertTopic) },
      [ENV.apiBaseUrl]: DEFAULTS.apiBaseUrl,
      [ENV.digestSize]: '10',
      [ENV.schedulePeriodMinutes]: '15',
      POWERTOOLS_SERVICE_NAME: METRICS.service,
      POWERTOOLS_METRICS_NAMESPACE: METRICS.namespace,
    });
  });

  it('passes settings the handler accepts: its own env parser reads them back', () => {
    const env = Object.fromEntries(
      Object.entries(sweepVariables(configured.template, configured.stack)).map(([k, v]) => [
        k,
        typeof v === 'string'
          ? v
          : k === ENV.alertTopicArn
            ? 'arn:aws:sns:ap-south-1:123456789012:alerts'
            : 'token',
      ]),
    );
    const parsed = parseHandlerEnv(env);
    expect(parsed.sweep.threshold).toBe('250.50000');
    expect(parsed.schedulePeriodMs).toBe(120 * 60_000);
    expect(parsed.secretId).toBe(CONFIGURED.existingSecretName);
  });

  it('is not retried by Lambda (the schedule retries) and sends failed invocations to the dead-letter queue', () => {
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: logicalId(stack, stack.sweepFunction) },
      MaximumRetryAttempts: 0,
      MaximumEventAgeInSeconds: 15 * 60,
      DestinationConfig: {
        OnFailure: { Destination: { 'Fn::GetAtt': [logicalId(stack, stack.deadLetterQueue), 'Arn'] } },
      },
    });
  });

  it('exports the handler the stack points at, as a function', async () => {
    // The entry validates its environment at import; give it what the stack gives it.
    stubHandlerEnv();
    try {
      const entry = (await import(join(PROJECT_ROOT, SWEEP_HANDLER.entry))) as Record<string, unknown>;
      expect(typeof entry[SWEEP_HANDLER.export]).toBe('function');
    } finally {
      vi.unstubAllEnvs();
    }
  });
});

describe('schedule', () => {
  it('invokes the function on the configured rate, in the configured zone, with no flexible window', () => {
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: DEFAULTS.schedule,
      ScheduleExpressionTimezone: DEFAULTS.scheduleTimezone,
      FlexibleTimeWindow: { Mode: 'OFF' },
      State: 'ENABLED',
      Target: Match.objectLike({ Arn: { 'Fn::GetAtt': [logicalId(stack, stack.sweepFunction), 'Arn'] } }),
    });
  });

  it('passes the scheduled time, so a retried or duplicated slot is recognised', () => {
    const target = propertiesOf(template, stack, stack.schedule).Target as Json;
    const parsed: ScheduledInput = JSON.parse(target.Input as string);
    expect(parsed).toEqual({ scheduledTime: '<aws.scheduler.scheduled-time>' });
  });

  it('retries delivery, gives up after one period, and keeps what it gave up on in the dead-letter queue', () => {
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      Target: Match.objectLike({
        RetryPolicy: { MaximumRetryAttempts: DEFAULTS.retryAttempts, MaximumEventAgeInSeconds: 15 * 60 },
        DeadLetterConfig: { Arn: { 'Fn::GetAtt': [logicalId(stack, stack.deadLetterQueue), 'Arn'] } },
      }),
    });
  });

  it('takes a cron expression with its zone and stated period, and bounds the event age by that period', () => {
    configured.template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: CONFIGURED.schedule,
      ScheduleExpressionTimezone: CONFIGURED.scheduleTimezone,
      Target: Match.objectLike({
        RetryPolicy: { MaximumRetryAttempts: 5, MaximumEventAgeInSeconds: 120 * 60 },
      }),
    });
  });

  it('keeps its dead letters encrypted and refuses plain HTTP on the queue', () => {
    template.hasResourceProperties('AWS::SQS::Queue', { SqsManagedSseEnabled: true });
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{ Ref: logicalId(stack, stack.deadLetterQueue) }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it("may invoke the function's own ARN only, not every version and alias", () => {
    const invoke = allowStatements(template).filter((s) =>
      list(s.Action as string).includes('lambda:InvokeFunction'),
    );
    // The sweep's schedule and the archive export's, each on its own function.
    expect(invoke.map((s) => s.Resource)).toHaveLength(2);
    expect(invoke.map((s) => s.Resource)).toEqual(
      expect.arrayContaining([
        { 'Fn::GetAtt': [logicalId(stack, stack.sweepFunction), 'Arn'] },
        { 'Fn::GetAtt': [logicalId(stack, stack.archiveExport.function), 'Arn'] },
      ]),
    );
  });
});

describe('alarms on the ops topic', () => {
  const opsTopicRef = () => [{ Ref: logicalId(stack, stack.opsTopic) }];

  it('fires when the function fails', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/Lambda',
      MetricName: 'Errors',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: logicalId(stack, stack.sweepFunction) } }],
      Statistic: 'Sum',
      ComparisonOperator: 'GreaterThanThreshold',
      Threshold: 0,
      AlarmActions: opsTopicRef(),
    });
  });

  it('fires when anything waits in the dead-letter queue', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [
        {
          Name: 'QueueName',
          Value: { 'Fn::GetAtt': [logicalId(stack, stack.deadLetterQueue), 'QueueName'] },
        },
      ],
      ComparisonOperator: 'GreaterThanThreshold',
      Threshold: 0,
      AlarmActions: opsTopicRef(),
    });
  });

  it('fires when no sweep succeeded in two periods, counting silence as failure', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: METRICS.namespace,
      MetricName: METRICS.sweepSucceeded,
      Dimensions: [{ Name: 'service', Value: METRICS.service }],
      Statistic: 'Sum',
      Period: 2 * 15 * 60,
      EvaluationPeriods: 1,
      ComparisonOperator: 'LessThanThreshold',
      Threshold: 1,
      TreatMissingData: 'breaching',
      AlarmActions: opsTopicRef(),
    });
    configured.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: METRICS.sweepSucceeded,
      Period: 2 * 120 * 60,
    });
  });

  it('fires when notifications stay undelivered two sweeps in a row', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: METRICS.namespace,
      MetricName: METRICS.pendingNotifications,
      Dimensions: [{ Name: 'service', Value: METRICS.service }],
      Statistic: 'Minimum',
      EvaluationPeriods: 2,
      ComparisonOperator: 'GreaterThanThreshold',
      Threshold: 0,
      AlarmActions: opsTopicRef(),
    });
  });

  it('fires when the share of accounts that could not be read passes the configured fraction', () => {
    const metrics = Match.arrayWith([
      Match.objectLike({ Expression: 'IF(listed > 0, FILL(failed, 0) / listed, 0)', ReturnData: true }),
      Match.objectLike({
        Id: 'failed',
        MetricStat: Match.objectLike({
          Metric: Match.objectLike({ Namespace: METRICS.namespace, MetricName: METRICS.accountsFailed }),
        }),
      }),
      Match.objectLike({
        Id: 'listed',
        MetricStat: Match.objectLike({
          Metric: Match.objectLike({ Namespace: METRICS.namespace, MetricName: METRICS.accountsListed }),
        }),
      }),
    ]);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Metrics: metrics,
      ComparisonOperator: 'GreaterThanThreshold',
      Threshold: 0.05,
      AlarmActions: opsTopicRef(),
    });
    configured.template.hasResourceProperties('AWS::CloudWatch::Alarm', { Metrics: metrics, Threshold: 0.2 });
  });
});

describe('dashboard', () => {
  it('shows duration, low and critical accounts, notifications by type, failures and balances', () => {
    const body = new Capture();
    template.hasResourceProperties('AWS::CloudWatch::Dashboard', { DashboardBody: body });
    const text = joined(body.asObject());
    for (const metric of [
      METRICS.sweepDurationMs,
      METRICS.accountsLow,
      METRICS.accountsCritical,
      METRICS.accountsFailed,
      METRICS.sweepIncomplete,
    ]) {
      expect(text, metric).toContain(`"${METRICS.namespace}","${metric}"`);
    }
    // Dimensioned metrics are found with SEARCH, so every currency and type shows up unlisted.
    for (const metric of [METRICS.notifications, METRICS.totalBalance, METRICS.partnerBalance]) {
      expect(text, metric).toContain(
        `SEARCH('Namespace=\\"${METRICS.namespace}\\" MetricName=\\"${metric}\\"'`,
      );
    }
  });
});

describe('outputs', () => {
  it('names the table, both topics, the secret, the function, its logs and the dashboard link', () => {
    template.hasOutput('TableName', { Value: { Ref: logicalId(stack, stack.table) } });
    template.hasOutput('AlertTopicArn', { Value: { Ref: logicalId(stack, stack.alertTopic) } });
    template.hasOutput('OpsTopicArn', { Value: { Ref: logicalId(stack, stack.opsTopic) } });
    template.hasOutput('SecretName', { Value: Match.anyValue() });
    template.hasOutput('FunctionName', { Value: { Ref: logicalId(stack, stack.sweepFunction) } });
    template.hasOutput('LogGroupName', { Value: { Ref: Match.stringLikeRegexp('^SweepLogs') } });
    configured.template.hasOutput('SecretName', { Value: CONFIGURED.existingSecretName });
    const url = new Capture();
    template.hasOutput('DashboardUrl', { Value: url });
    expect(joined(url.asObject())).toBe(
      `https://<AWS::Region>.console.aws.amazon.com/cloudwatch/home?region=<AWS::Region>#dashboards/dashboard/<${logicalId(stack, stack.dashboard)}>`,
    );
  });
});

describe('least privilege', () => {
  it('allows no wildcard action and no wildcard resource in any IAM policy, but the archive day files', () => {
    for (const [t, s] of [
      [template, stack],
      [configured.template, configured.stack],
    ] as const) {
      // One file per partner-local day under snapshots/: keys not known in advance (acknowledged).
      const dayFiles = `${s.archive.nagObjects('snapshots/*')}`;
      const iam = allowStatements(t).filter((s) => !(s.Principal as Json | undefined));
      expect(iam.length).toBeGreaterThan(0);
      for (const s of iam) {
        for (const action of list(s.Action as string)) expect(action, JSON.stringify(s)).not.toContain('*');
        for (const resource of list(s.Resource)) {
          if (joined(resource) !== dayFiles) expect(joined(resource), JSON.stringify(s)).not.toContain('*');
        }
      }
    }
  });

  it('gives the function exactly its table, its index, its secret, the alert topic, the key, its logs and its queue', () => {
    const statements = allowStatements(template, logicalId(stack, stack.sweepFunction.role as never))
      .filter((s) => !(s.Principal as Json | undefined))
      .filter((s) => !list(s.Action as string).includes('lambda:InvokeFunction'));
    const table = logicalId(stack, stack.table);
    const grants = Object.fromEntries(
      statements.map((s) => [list(s.Resource).map(joined).join(' '), list(s.Action as string).sort()]),
    );
    expect(grants).toEqual({
      [`<${table}.Arn>`]: [
        'dynamodb:BatchGetItem',
        'dynamodb:DeleteItem',
        'dynamodb:GetItem',
        'dynamodb:PutItem',
        'dynamodb:Query',
      ],
      [TABLE_SCHEMA.globalIndexes.map((index) => `<${table}.Arn>/index/${index.name}`).join(' ')]: [
        'dynamodb:Query',
      ],
      [`<${logicalId(stack, stack.secret)}>`]: ['secretsmanager:GetSecretValue'],
      [`<${logicalId(stack, stack.alertTopic)}>`]: ['sns:Publish'],
      [`<${stack.getLogicalId(stack.node.findChild('TopicKey').node.defaultChild as never)}.Arn>`]: [
        'kms:Decrypt',
        'kms:GenerateDataKey',
      ],
      [`<${stack.getLogicalId(stack.node.findChild('SweepLogs').node.defaultChild as never)}.Arn>`]: [
        'logs:CreateLogStream',
        'logs:PutLogEvents',
      ],
      // The on-failure destination: Lambda sends failed invocations with the function's role
      // (SqsDestination's grant; it was hidden by the schedule's own statement before this test read one role).
      [`<${logicalId(stack, stack.deadLetterQueue)}.Arn>`]: [
        'sqs:GetQueueAttributes',
        'sqs:GetQueueUrl',
        'sqs:SendMessage',
      ],
    });
  });

  it('attaches no managed policy, whose wildcards this stack could not scope', () => {
    for (const [, role] of resources(template, 'AWS::IAM::Role')) {
      expect((role.Properties as Json).ManagedPolicyArns).toBeUndefined();
    }
  });
});

describe('cdk-nag', () => {
  it('reports no unacknowledged finding, error or warning, from the AwsSolutions and Serverless packs', () => {
    expect(nagFindings(app)).toEqual([]);
    expect(nagFindings(configured.app)).toEqual([]);
  });

  it('would report a table without point-in-time recovery, so the check above can fail', () => {
    const broken = buildApp();
    const table = broken.stack.table.node.defaultChild as CfnTable;
    table.pointInTimeRecoverySpecification = { pointInTimeRecoveryEnabled: false };
    expect(nagFindings(broken.app)).toContain('AwsSolutions-DDB3 VobizBalanceMonitor/History/Table/Resource');
  });

  it('acknowledges only findings that would otherwise be reported', () => {
    const bare = buildApp(CONFIGURED);
    const acknowledged = [...acknowledgements(bare.app).keys()].sort();
    // constructs keeps metadata in a private array; dropping the acknowledgements shows what they hide.
    for (const c of bare.app.node.findAll()) {
      const metadata = (c.node as unknown as { _metadata?: { type: string }[] })._metadata ?? [];
      for (let i = metadata.length - 1; i >= 0; i--) {
        if (metadata[i]?.type === 'aws:cdk:acknowledged-rules') metadata.splice(i, 1);
      }
    }
    expect(acknowledgements(bare.app).size).toBe(0);
    expect(nagFindings(bare.app).sort()).toEqual(acknowledged);
  });

  it('acknowledges each finding on its own resource, with its reason', () => {
    const acknowledged = new Map([...acknowledgements(app), ...acknowledgements(configured.app)]);
    expect([...acknowledged.keys()].sort()).toEqual([
      'AwsSolutions-IAM5[Resource::<ArchiveBucket49F1AC64.Arn>/snapshots/*] VobizBalanceMonitor/ArchiveExport/Role/DefaultPolicy/Resource',
      'AwsSolutions-S1 VobizBalanceMonitor/Archive/Bucket/Resource',
      'AwsSolutions-SMG4 VobizBalanceMonitor/Credentials/Resource',
      'AwsSolutions-SQS3 VobizBalanceMonitor/DeadLetterQueue/Resource',
      'Serverless-LambdaDLQ VobizBalanceMonitor/ArchiveExport/Function/Resource',
      'Serverless-LambdaDLQ VobizBalanceMonitor/SweepFunction/Resource',
      'Serverless-LambdaTracing VobizBalanceMonitor/ArchiveExport/Function/Resource',
      'Serverless-LambdaTracing VobizBalanceMonitor/SweepFunction/Resource',
      'Serverless-SNSRedrivePolicy VobizBalanceMonitor/AlertTopic/finance@example.com/Resource',
      'Serverless-SNSRedrivePolicy VobizBalanceMonitor/OpsTopic/dev@example.com/Resource',
      'Serverless-SNSRedrivePolicy VobizBalanceMonitor/OpsTopic/oncall@example.com/Resource',
      'Serverless-SQSRedrivePolicy VobizBalanceMonitor/DeadLetterQueue/Resource',
    ]);
    for (const reason of acknowledged.values()) expect(reason.length).toBeGreaterThan(60);
  });

  it('checks the same stack bin/app.ts synthesizes, resource for resource', async () => {
    const result = await appSynth;
    expect(result.code, result.stderr).toBe(0);
    const synthesized = readSynthesized();
    expect(Object.keys(synthesized.Resources).sort()).toEqual(
      Object.keys(template.toJSON().Resources).sort(),
    );
  });

  it('runs on every `cdk synth` of bin/app.ts, which writes the acknowledgements into the template', async () => {
    const result = await appSynth;
    expect(result.code, result.stderr).toBe(0);
    const synthesized = readSynthesized();
    const secret = Object.values(synthesized.Resources as Record<string, Json>).find(
      (r) => r.Type === 'AWS::SecretsManager::Secret',
    );
    expect(secret?.Metadata).toMatchObject({
      cdk_nag: { rules_to_suppress: [expect.objectContaining({ id: 'AwsSolutions-SMG4' })] },
    });
    const report = JSON.parse(readFileSync(join(appOut, 'validation-report.json'), 'utf8'));
    expect(report.pluginReports).toEqual([]);
  });
});

describe('configuration', () => {
  it('has a default for every setting in cdk.json, and those defaults validate', () => {
    const config = parseStackConfig(DEFAULTS);
    expect(config.schedule).toEqual({ expression: 'rate(15 minutes)', periodMinutes: 15 });
    expect(config).toMatchObject({
      scheduleTimezone: 'Asia/Kolkata',
      digestSize: 10,
      memorySize: 512,
      timeoutSeconds: 300,
      failedReadAlarmRatio: 0.05,
      reservedConcurrency: null,
      existingSecretName: null,
    });
    expect(config.sweep.threshold).toBe('100.00000');
  });

  it('reads -c overrides, which arrive as strings, as numbers, booleans, lists and exact amounts', () => {
    const context: Record<string, unknown> = {
      [CONTEXT_KEY]: DEFAULTS,
      memorySize: '1024',
      alertPostpaid: 'true',
      opsEmails: 'a@example.com, b@example.com',
      threshold: '0.10000000000000000001',
      reservedConcurrency: '2',
      currencyThresholds: '{"USD":{"low":"5"}}',
    };
    const config = readStackConfig({ tryGetContext: (k) => context[k], getAllContext: () => context });
    expect(config.memorySize).toBe(1024);
    expect(config.sweep.alertPostpaid).toBe(true);
    expect(config.opsEmails).toEqual(['a@example.com', 'b@example.com']);
    expect(config.sweep.threshold).toBe('0.10000000000000000001');
    expect(config.reservedConcurrency).toBe(2);
    expect(config.sweep.currencyThresholds).toEqual({ USD: { low: '5.00000' } });
  });

  it.each([
    [{ schedule: 'banana' }, /^vobizBalance: schedule must be rate\(.*cron\(.*\(got "banana"\)$/],
    [{ schedule: 'rate(1 minutes)' }, /^vobizBalance: schedule must be rate\(/],
    [
      { schedule: 'cron(0 9 * * ? *)' },
      /^vobizBalance: schedulePeriodMinutes is required with a cron schedule/,
    ],
    [{ timeoutSeconds: 900 }, /^vobizBalance: timeoutSeconds must be below the schedule period of 900 s/],
    [{ apiBaseUrl: 'http://api.vobiz.ai' }, /^vobizBalance: apiBaseUrl must be an https origin/],
    [
      { memorySize: 64 },
      /^vobizBalance: memorySize must be a whole number of MB from 128 to 10240 \(got 64\)$/,
    ],
    [{ alertEmails: ['not-an-email'] }, /^vobizBalance: alertEmails\.0 must be an email address/],
    [
      { failedReadAlarmRatio: 5 },
      /^vobizBalance: failedReadAlarmRatio must be a fraction above 0 and at most 1/,
    ],
    [{ logRetentionDays: 31 }, /^vobizBalance: logRetentionDays must be one of 1, 3, 5/],
    [{ threshold: 'lots' }, /^vobizBalance: threshold must be a decimal amount/],
    [{ treshold: '5' }, /^vobizBalance: unknown setting treshold$/],
  ])('refuses %j with one line naming the key and what is allowed', (settings, message) => {
    let caught: unknown;
    try {
      parseStackConfig({ ...DEFAULTS, ...settings });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as Error).message).toMatch(message);
    expect((caught as Error).message).not.toContain('\n');
  });

  it('refuses a mistyped -c key instead of silently ignoring it', () => {
    const context: Record<string, unknown> = { [CONTEXT_KEY]: DEFAULTS, treshold: '5' };
    expect(() => readStackConfig({ tryGetContext: (k) => context[k], getAllContext: () => context })).toThrow(
      /^-c treshold: unknown setting/,
    );
  });

  it('fails the synth of `-c schedule=banana` with one line that names the key', async () => {
    const result = await appBadSchedule;
    expect(result.code).not.toBe(0);
    const lines = result.stderr.split('\n').filter((line) => line.startsWith('-c schedule'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^-c schedule=banana: must be rate\(/);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });
});
