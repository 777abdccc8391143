import { Capture, Match, Template } from 'aws-cdk-lib/assertions';
import type { CfnTable } from 'aws-cdk-lib/aws-dynamodb';
import type { CfnTopicPolicy } from 'aws-cdk-lib/aws-sns';
import type { IConstruct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import { ENV, type ScheduledInput, SWEEP_HANDLER } from '../functions/contract/handler.ts';
import { METRICS } from '../functions/contract/metrics.ts';
import { BY_DAY_INDEX, TABLE_SCHEMA } from '../functions/contract/table-schema.ts';
import { ConfigError } from '../functions/core/errors.ts';
import { parseHandlerEnv } from '../functions/handler/handler-env.ts';
import { durationWarningBand } from '../lib/alarms.ts';
import { SECRET_PLACEHOLDER, WEBHOOK_SECRET_PLACEHOLDER } from '../lib/balance-monitor-stack.ts';
import { CONTEXT_KEY, parseStackConfig, readStackConfig } from '../lib/config.ts';
import { SWEEP_QUERIES } from '../lib/log-queries.ts';
import { buildApp, DEFAULTS, type Synthesized, synthesize } from './support/stack-app.ts';
import {
  acknowledgements,
  alarmArn,
  allowStatements,
  dropAcknowledgements,
  identityStatements,
  type Json,
  list,
  logicalId,
  nagFindings,
  resources,
  topicAllowsPublish,
} from './support/template-json.ts';
import { joined } from './support/template-reads.ts';

/*
 * The stack's promises, proven offline with fine-grained assertions on synthesized templates and
 * cdk-nag over the construct tree. Each variant is synthesized once, without bundling and without
 * CDK's built-in template validation: test/stack-app.test.ts runs the real `cdk synth` once.
 */

/** The defaults: every variant below differs from it in the settings it names. */
let base: Synthesized;
/** Emails, cron, imported secret, reserved concurrency: the non-default branches. */
let configured: Synthesized;
/** With the webhook channel on. */
let webhooked: Synthesized;
/** Everything optional on: dashboard, a key for the ops topic, another stack name. */
let extras: Synthesized;

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
const EXTRAS = { dashboard: true, encryptOpsTopic: true, stackName: 'VobizBalanceStaging' };

beforeAll(() => {
  base = synthesize();
  configured = synthesize(CONFIGURED);
  webhooked = synthesize({ webhook: true });
  extras = synthesize(EXTRAS);
});

/** A resource's properties by its construct: the stack has two functions and two schedules (the archive's). */
function propertiesOf(s: Synthesized, construct: IConstruct): Json {
  return s.template.toJSON().Resources[logicalId(s.stack, construct)].Properties as Json;
}

/** The sweep function's environment variables. */
function sweepVariables(s: Synthesized): Json {
  return (propertiesOf(s, s.stack.sweepFunction).Environment as Json).Variables as Json;
}

function alarmNames(s: Synthesized): string[] {
  return resources(s.template, 'AWS::CloudWatch::Alarm').map(([, r]) =>
    String((r.Properties as Json).AlarmName),
  );
}

function alarmNamed(s: Synthesized, suffix: string): Json {
  const found = resources(s.template, 'AWS::CloudWatch::Alarm').find(([, r]) =>
    String((r.Properties as Json).AlarmName).endsWith(`-${suffix}`),
  );
  if (!found) throw new Error(`no alarm named *-${suffix}`);
  return found[1].Properties as Json;
}

describe('history table', () => {
  it('takes its keys, index and TTL attribute from the one shared schema, so the store and the stack cannot drift', () => {
    base.template.hasResourceProperties('AWS::DynamoDB::Table', {
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
    base.template.hasResourceProperties('AWS::DynamoDB::Table', {
      BillingMode: 'PAY_PER_REQUEST',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      SSESpecification: { SSEEnabled: true },
    });
  });

  it('survives the stack: deleting or replacing it retains the table', () => {
    base.template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
  });
});

describe('the alert topic', () => {
  it('is encrypted with the AWS managed SNS key, which costs nothing', () => {
    const { stack, template } = base;
    expect(
      joined(template.toJSON().Resources[logicalId(stack, stack.alertTopic)].Properties.KmsMasterKeyId),
    ).toMatch(/:alias\/aws\/sns$/);
    template.resourceCountIs('AWS::KMS::Key', 0);
  });

  it("lets the sweep function's role publish, and nobody else by its resource policy", () => {
    const { stack, template } = base;
    const topic = logicalId(stack, stack.alertTopic);
    const role = { 'Fn::GetAtt': [logicalId(stack, stack.sweepFunction.role as never), 'Arn'] };
    expect(topicAllowsPublish(template, topic, { principal: { AWS: role }, secureTransport: true })).toBe(
      true,
    );
    expect(topicAllowsPublish(template, topic, { principal: { AWS: role }, secureTransport: false })).toBe(
      false,
    );
    const alarm = alarmArn(alarmNames(base)[0] as string);
    expect(
      topicAllowsPublish(template, topic, {
        principal: { Service: 'cloudwatch.amazonaws.com' },
        sourceAccount: '<AWS::AccountId>',
        sourceArn: alarm,
        secureTransport: true,
      }),
    ).toBe(false);
  });
});

describe('the ops topic', () => {
  const cloudwatch = (name: string, account = '<AWS::AccountId>') => ({
    principal: { Service: 'cloudwatch.amazonaws.com' },
    sourceAccount: account,
    sourceArn: alarmArn(name),
    secureTransport: true,
  });

  it('lets every alarm of this stack publish: CloudWatch, from this account, for this stack’s alarm names', () => {
    for (const s of [base, extras, configured]) {
      const topic = logicalId(s.stack, s.stack.opsTopic);
      const names = alarmNames(s);
      expect(names.length).toBeGreaterThanOrEqual(6);
      for (const name of names)
        expect(topicAllowsPublish(s.template, topic, cloudwatch(name)), name).toBe(true);
    }
  });

  it("refuses other stacks' alarms, other accounts, plain HTTP and other principals", () => {
    const { stack, template } = base;
    const topic = logicalId(stack, stack.opsTopic);
    const name = alarmNames(base)[0] as string;
    expect(topicAllowsPublish(template, topic, cloudwatch('SomeoneElse-sweep-heartbeat'))).toBe(false);
    expect(topicAllowsPublish(template, topic, cloudwatch(name, '111122223333'))).toBe(false);
    expect(topicAllowsPublish(template, topic, { ...cloudwatch(name), secureTransport: false })).toBe(false);
    expect(
      topicAllowsPublish(template, topic, {
        ...cloudwatch(name),
        principal: { Service: 'events.amazonaws.com' },
      }),
    ).toBe(false);
  });

  it('would deliver no alarm without its allow statement (enforceSSL alone replaces the default policy)', () => {
    // Arrange: the same stack with the ops topic policy as enforceSSL alone writes it
    const broken = buildApp();
    const policy = broken.stack.opsTopic.node.findChild('Policy').node.defaultChild as CfnTopicPolicy;
    const document = broken.stack.resolve(policy.policyDocument) as { Statement: Json[] };
    policy.policyDocument = { ...document, Statement: document.Statement.filter((s) => s.Effect === 'Deny') };
    const template = Template.fromStack(broken.stack);

    // Act
    const topic = logicalId(broken.stack, broken.stack.opsTopic);
    const delivered = alarmNames(base).map((name) => topicAllowsPublish(template, topic, cloudwatch(name)));

    // Assert
    expect(delivered.every((d) => d === false)).toBe(true);
  });

  it('is not encrypted at rest by default: no key to pay for', () => {
    const { stack, template } = base;
    expect(
      template.toJSON().Resources[logicalId(stack, stack.opsTopic)].Properties.KmsMasterKeyId,
    ).toBeUndefined();
    expect(stack.opsTopicKey).toBeNull();
  });

  it('is encrypted with a rotating customer managed key with encryptOpsTopic, which CloudWatch may use for this stack only', () => {
    const { stack, template } = extras;
    const key = new Capture();
    template.hasResourceProperties('AWS::SNS::Topic', {
      DisplayName: 'Vobiz balance monitor ops',
      KmsMasterKeyId: { 'Fn::GetAtt': [key, 'Arn'] },
    });
    const keyResource = template.toJSON().Resources[key.asString()];
    expect(keyResource).toMatchObject({ Type: 'AWS::KMS::Key', Properties: { EnableKeyRotation: true } });
    const statements = keyResource.Properties.KeyPolicy.Statement as Json[];
    const cw = statements.find((s) => s.Sid === 'CloudWatchAlarmsOfThisStackPublish') as Json;
    expect(cw).toMatchObject({
      Principal: { Service: 'cloudwatch.amazonaws.com' },
      Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
      Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
    });
    const pattern = joined(((cw.Condition as Json).ArnLike as Json)['aws:SourceArn']);
    expect(pattern).toBe(alarmArn(`${stack.stackName}-*`));
    const keyActions = statements.flatMap((s) => list(s.Action as string));
    expect(keyActions.filter((a) => a.includes('*'))).toEqual([]);
    expect(stack.opsTopicKey).not.toBeNull();
  });

  it('subscribes alert emails to the alert topic and ops emails to the ops topic', () => {
    const { template: t, stack: s } = configured;
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
    base.template.resourceCountIs('AWS::SNS::Subscription', 0);
  });
});

describe('credentials secret', () => {
  it('is created with the placeholder the handler recognises, until the partner puts the real value', () => {
    expect(JSON.parse(SECRET_PLACEHOLDER)).toEqual({ authId: 'REPLACE_ME', authToken: 'REPLACE_ME' });
    base.template.hasResourceProperties('AWS::SecretsManager::Secret', { SecretString: SECRET_PLACEHOLDER });
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
  it('does not exist by default, and the function learns that the channel is off', () => {
    const { stack, template } = base;
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
    const reads = identityStatements(webhooked.template).filter(
      (s) =>
        list(s.Action as string).some((a) => a.startsWith('secretsmanager:')) &&
        !String(s.Sid ?? '').startsWith('Operator'),
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
      Object.entries(sweepVariables(webhooked)).map(([k, v]) => [
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
});

describe('sweep function', () => {
  it('runs the handler export the contract names, on the newest Node runtime, on arm64', () => {
    base.template.hasResourceProperties('AWS::Lambda::Function', {
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
    base.template.hasResourceProperties('AWS::Lambda::Function', {
      ReservedConcurrentExecutions: Match.absent(),
    });
  });

  it('logs JSON into its own log group, kept for the configured retention', () => {
    const group = new Capture();
    base.template.hasResourceProperties('AWS::Lambda::Function', {
      LoggingConfig: { LogFormat: 'JSON', LogGroup: { Ref: group } },
    });
    expect(base.template.toJSON().Resources[group.asString()]).toMatchObject({
      Type: 'AWS::Logs::LogGroup',
      Properties: { RetentionInDays: DEFAULTS.logRetentionDays },
    });
  });

  it('receives every variable of the contract, with Powertools service and namespace', () => {
    const { stack } = base;
    const env = sweepVariables(base);
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
      Object.entries(sweepVariables(configured)).map(([k, v]) => [
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

  it('is not retried by Lambda (the schedule retries) and sends each failed invocation to the dead-letter queue', () => {
    const { stack, template } = base;
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: logicalId(stack, stack.sweepFunction) },
      MaximumRetryAttempts: 0,
      MaximumEventAgeInSeconds: 15 * 60,
      DestinationConfig: {
        OnFailure: { Destination: { 'Fn::GetAtt': [logicalId(stack, stack.deadLetterQueue), 'Arn'] } },
      },
    });
  });
});

describe('schedule', () => {
  it('invokes the function on the configured rate, in the configured zone, with no flexible window, in a group of its own', () => {
    const { stack, template } = base;
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: DEFAULTS.schedule,
      ScheduleExpressionTimezone: DEFAULTS.scheduleTimezone,
      FlexibleTimeWindow: { Mode: 'OFF' },
      State: 'ENABLED',
      GroupName: stack.scheduleGroup.scheduleGroupName,
      Target: Match.objectLike({ Arn: { 'Fn::GetAtt': [logicalId(stack, stack.sweepFunction), 'Arn'] } }),
    });
  });

  it('passes the scheduled time, so a retried or duplicated slot is recognised', () => {
    const target = propertiesOf(base, base.stack.schedule).Target as Json;
    const parsed: ScheduledInput = JSON.parse(target.Input as string);
    expect(parsed).toEqual({ scheduledTime: '<aws.scheduler.scheduled-time>' });
  });

  it('retries delivery, gives up after one period, and keeps what it gave up on in the dead-letter queue', () => {
    const { stack, template } = base;
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
    const { stack, template } = base;
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
    const { stack, template } = base;
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
  it('are six, each named with the stack name and sending ALARM and OK to the ops topic', () => {
    for (const s of [base, extras]) {
      const ops = [{ Ref: logicalId(s.stack, s.stack.opsTopic) }];
      expect(alarmNames(s).sort()).toEqual(
        [
          'notifications-undelivered',
          'sweep-dead-letters',
          'sweep-duration',
          'sweep-heartbeat',
          'sweep-incomplete',
          'sweep-unread',
        ].map((n) => `${s.stack.stackName}-${n}`),
      );
      for (const [, alarm] of resources(s.template, 'AWS::CloudWatch::Alarm')) {
        expect((alarm.Properties as Json).AlarmActions).toEqual(ops);
        expect((alarm.Properties as Json).OKActions).toEqual(ops);
      }
    }
  });

  it('heartbeat: fires when the schedule made no attempt in two periods, counting silence as failure', () => {
    const { stack } = base;
    expect(alarmNamed(base, 'sweep-heartbeat')).toMatchObject({
      Namespace: 'AWS/Scheduler',
      MetricName: 'InvocationAttemptCount',
      Dimensions: [{ Name: 'ScheduleGroup', Value: stack.scheduleGroup.scheduleGroupName }],
      Statistic: 'Sum',
      Period: 15 * 60,
      EvaluationPeriods: 2,
      DatapointsToAlarm: 2,
      ComparisonOperator: 'LessThanThreshold',
      Threshold: 1,
      TreatMissingData: 'breaching',
    });
    expect(alarmNamed(configured, 'sweep-heartbeat')).toMatchObject({
      Period: 120 * 60,
      EvaluationPeriods: 2,
    });
  });

  it('dead letters: fires on each new message, and returns to OK by itself instead of waiting for a purge', () => {
    const { stack } = base;
    expect(alarmNamed(base, 'sweep-dead-letters')).toMatchObject({
      Namespace: 'AWS/SQS',
      MetricName: 'NumberOfMessagesSent',
      Dimensions: [
        {
          Name: 'QueueName',
          Value: { 'Fn::GetAtt': [logicalId(stack, stack.deadLetterQueue), 'QueueName'] },
        },
      ],
      Statistic: 'Sum',
      Period: 300,
      ComparisonOperator: 'GreaterThanThreshold',
      Threshold: 0,
      TreatMissingData: 'notBreaching',
    });
  });

  it("does not alarm on Lambda's Errors: a failed invocation is already exactly one dead letter", () => {
    const metrics = resources(base.template, 'AWS::CloudWatch::Alarm').map(
      ([, r]) => (r.Properties as Json).MetricName,
    );
    expect(metrics).not.toContain('Errors');
  });

  it('unread and incomplete: split the unread share at the setting, so one sweep raises one of them', () => {
    const share = Match.objectLike({
      Id: 'share',
      MetricStat: Match.objectLike({
        Metric: {
          Namespace: METRICS.namespace,
          MetricName: METRICS.unreadShare,
          Dimensions: [{ Name: 'service', Value: METRICS.service }],
        },
        Stat: 'Maximum',
      }),
    });
    expect(alarmNamed(base, 'sweep-unread')).toMatchObject({
      MetricName: METRICS.unreadShare,
      Statistic: 'Maximum',
      ComparisonOperator: 'GreaterThanThreshold',
      Threshold: 0.05,
      TreatMissingData: 'notBreaching',
    });
    base.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: Match.stringLikeRegexp('-sweep-incomplete$'),
      Metrics: Match.arrayWith([
        Match.objectLike({ Expression: 'IF(share > 0 AND share <= 0.05, 1, 0)', ReturnData: true }),
        share,
      ]),
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      Threshold: 1,
      TreatMissingData: 'notBreaching',
    });
    expect(alarmNamed(configured, 'sweep-unread')).toMatchObject({ Threshold: 0.2 });
    configured.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Metrics: Match.arrayWith([Match.objectLike({ Expression: 'IF(share > 0 AND share <= 0.2, 1, 0)' })]),
    });
  });

  it('duration: fires for a sweep that read everything but took over 80% of the timeout, not for one cut short or timed out', () => {
    const band = durationWarningBand(DEFAULTS.timeoutSeconds as number);
    expect(band).toEqual({ fromMs: 240_000, belowMs: 280_000 });
    base.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: Match.stringLikeRegexp('-sweep-duration$'),
      Metrics: Match.arrayWith([
        Match.objectLike({ Expression: 'IF(duration < 280000, duration, 0)', ReturnData: true }),
        Match.objectLike({
          Id: 'duration',
          MetricStat: Match.objectLike({
            Metric: Match.objectLike({ Namespace: 'AWS/Lambda', MetricName: 'Duration' }),
            Stat: 'Maximum',
          }),
        }),
      ]),
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      Threshold: 240_000,
    });
    configured.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Metrics: Match.arrayWith([Match.objectLike({ Expression: 'IF(duration < 580000, duration, 0)' })]),
      Threshold: 480_000,
    });
  });

  it('duration: keeps a band to warn in even for the shortest timeout', () => {
    expect(durationWarningBand(30)).toEqual({ fromMs: 8_000, belowMs: 10_000 });
    expect(durationWarningBand(900)).toEqual({ fromMs: 720_000, belowMs: 880_000 });
  });

  it('undelivered: fires when notifications stay pending two sweeps in a row', () => {
    expect(alarmNamed(base, 'notifications-undelivered')).toMatchObject({
      Namespace: METRICS.namespace,
      MetricName: METRICS.pendingNotifications,
      Dimensions: [{ Name: 'service', Value: METRICS.service }],
      Statistic: 'Minimum',
      EvaluationPeriods: 2,
      ComparisonOperator: 'GreaterThanThreshold',
      Threshold: 0,
    });
  });
});

describe('saved log queries and the optional dashboard', () => {
  it('saves each breakdown as a Logs Insights query under the stack name, over the sweep log group', () => {
    for (const s of [base, extras]) {
      const saved = resources(s.template, 'AWS::Logs::QueryDefinition').map(([, r]) => r.Properties as Json);
      expect(saved.map((p) => p.Name).sort()).toEqual(
        SWEEP_QUERIES.map((q) => `${s.stack.stackName}/${q.name}`).sort(),
      );
    }
  });

  it('has no dashboard by default ($3 a month), and one with dashboard: true, linked from an output', () => {
    base.template.resourceCountIs('AWS::CloudWatch::Dashboard', 0);
    expect(Object.keys(base.template.findOutputs('DashboardUrl'))).toEqual([]);
    expect(base.stack.dashboard).toBeNull();
    const { stack, template } = extras;
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    const url = new Capture();
    template.hasOutput('DashboardUrl', { Value: url });
    expect(joined(url.asObject())).toBe(
      `https://<AWS::Region>.console.aws.amazon.com/cloudwatch/home?region=<AWS::Region>#dashboards/dashboard/<${logicalId(stack, stack.dashboard as never)}>`,
    );
  });

  it('adds no custom metric for the dashboard: every widget reads the two metrics, free AWS metrics or logs', () => {
    const body = new Capture();
    extras.template.hasResourceProperties('AWS::CloudWatch::Dashboard', { DashboardBody: body });
    const text = joined(body.asObject());
    const ours = [...text.matchAll(new RegExp(`"${METRICS.namespace}","([A-Za-z]+)"`, 'g'))].map((m) => m[1]);
    expect(new Set(ours)).toEqual(new Set([METRICS.unreadShare, METRICS.pendingNotifications]));
    expect(text).toContain('"type":"log"');
  });
});

describe('outputs', () => {
  it('names the table, both topics, the secret, the function, its logs, the dead letters and the operator policy', () => {
    const { stack, template } = base;
    template.hasOutput('TableName', { Value: { Ref: logicalId(stack, stack.table) } });
    template.hasOutput('AlertTopicArn', { Value: { Ref: logicalId(stack, stack.alertTopic) } });
    template.hasOutput('OpsTopicArn', { Value: { Ref: logicalId(stack, stack.opsTopic) } });
    template.hasOutput('SecretName', { Value: Match.anyValue() });
    template.hasOutput('FunctionName', { Value: { Ref: logicalId(stack, stack.sweepFunction) } });
    template.hasOutput('LogGroupName', { Value: { Ref: Match.stringLikeRegexp('^SweepLogs') } });
    template.hasOutput('DeadLetterQueueUrl', { Value: { Ref: logicalId(stack, stack.deadLetterQueue) } });
    template.hasOutput('OperatorPolicyArn', {
      Value: { Ref: logicalId(stack, stack.operatorPolicy.policy) },
    });
    configured.template.hasOutput('SecretName', { Value: CONFIGURED.existingSecretName });
  });
});

describe('stack name', () => {
  it('names the stack, its alarms and its saved queries, so staging and production live in one account', () => {
    expect(base.stack.stackName).toBe('VobizBalanceMonitor');
    expect(extras.stack.stackName).toBe(EXTRAS.stackName);
    expect(alarmNames(extras).every((n) => n.startsWith(`${EXTRAS.stackName}-`))).toBe(true);
    // Every other name is generated per stack: nothing in one collides with the other.
    expect(extras.stack.scheduleGroup.scheduleGroupName).not.toBe(base.stack.scheduleGroup.scheduleGroupName);
  });
});

describe('the operator policy', () => {
  it('reads the table, its index and the archive, and writes account states, the currency defaults and audit entries only', () => {
    const { stack, template } = base;
    const table = logicalId(stack, stack.table);
    const [, policy] = resources(template, 'AWS::IAM::ManagedPolicy')[0] as [string, Json];
    const statements = ((policy.Properties as Json).PolicyDocument as Json).Statement as Json[];
    expect(statements).toEqual([
      {
        Sid: 'ReadHistory',
        Effect: 'Allow',
        Action: ['dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:Query'],
        Resource: [
          { 'Fn::GetAtt': [table, 'Arn'] },
          {
            'Fn::Join': ['', [{ 'Fn::GetAtt': [table, 'Arn'] }, `/index/${BY_DAY_INDEX}`]],
          },
        ],
      },
      {
        Sid: 'ChangeThresholdsAndMutes',
        Effect: 'Allow',
        Action: 'dynamodb:PutItem',
        Resource: { 'Fn::GetAtt': [table, 'Arn'] },
        Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['ACCT#*', 'CONFIG', 'AUDIT'] } },
      },
      {
        Sid: 'ListArchive',
        Effect: 'Allow',
        Action: 's3:ListBucket',
        Resource: { 'Fn::GetAtt': [logicalId(stack, stack.archive.bucket), 'Arn'] },
      },
      {
        Sid: 'ReadArchive',
        Effect: 'Allow',
        Action: 's3:GetObject',
        Resource: [
          {
            'Fn::Join': [
              '',
              [{ 'Fn::GetAtt': [logicalId(stack, stack.archive.bucket), 'Arn'] }, '/index.json.gz'],
            ],
          },
          {
            'Fn::Join': [
              '',
              [{ 'Fn::GetAtt': [logicalId(stack, stack.archive.bucket), 'Arn'] }, '/snapshots/*'],
            ],
          },
        ],
      },
    ]);
    expect((policy.Properties as Json).Roles).toBeUndefined();
  });
});

describe('least privilege', () => {
  it('allows no wildcard action and no wildcard resource in any IAM policy, but the archive day files', () => {
    for (const s of [base, configured, webhooked, extras]) {
      // One file per partner-local day under snapshots/: keys not known in advance (acknowledged).
      const dayFiles = s.stack.archive.nagObjects('snapshots/*');
      const iam = identityStatements(s.template);
      expect(iam.length).toBeGreaterThan(0);
      for (const st of iam) {
        for (const action of list(st.Action as string)) expect(action, JSON.stringify(st)).not.toContain('*');
        for (const resource of list(st.Resource)) {
          if (joined(resource) !== dayFiles) expect(joined(resource), JSON.stringify(st)).not.toContain('*');
        }
      }
    }
  });

  it('gives the function exactly its table, its index, its secret, the alert topic, its logs and its queue', () => {
    const { stack, template } = base;
    const role = logicalId(stack, stack.sweepFunction.role as never);
    const statements = resources(template, 'AWS::IAM::Policy')
      .filter(([, r]) =>
        list((r.Properties as Json).Roles).some((x) => JSON.stringify(x) === JSON.stringify({ Ref: role })),
      )
      .flatMap(([, r]) => ((r.Properties as Json).PolicyDocument as Json).Statement as Json[]);
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
      [`<${stack.getLogicalId(stack.node.findChild('SweepLogs').node.defaultChild as never)}.Arn>`]: [
        'logs:CreateLogStream',
        'logs:PutLogEvents',
      ],
      // The on-failure destination: Lambda sends failed invocations with the function's role
      // (CDK's SqsDestination grant, which adds the two reads of the queue's own attributes).
      [`<${logicalId(stack, stack.deadLetterQueue)}.Arn>`]: [
        'sqs:GetQueueAttributes',
        'sqs:GetQueueUrl',
        'sqs:SendMessage',
      ],
    });
  });

  it('attaches no managed policy to any role, whose wildcards this stack could not scope', () => {
    for (const [, role] of resources(base.template, 'AWS::IAM::Role')) {
      expect((role.Properties as Json).ManagedPolicyArns).toBeUndefined();
    }
  });
});

describe('cdk-nag', () => {
  it('reports no unacknowledged finding, error or warning, from the AwsSolutions and Serverless packs', () => {
    for (const s of [base, configured, webhooked, extras]) expect(nagFindings(s.app)).toEqual([]);
  });

  it('would report a table without point-in-time recovery, so the check above can fail', () => {
    const broken = buildApp();
    const table = broken.stack.table.node.defaultChild as CfnTable;
    table.pointInTimeRecoverySpecification = { pointInTimeRecoveryEnabled: false };
    expect(nagFindings(broken.app)).toContain('AwsSolutions-DDB3 VobizBalanceMonitor/History/Table/Resource');
  });

  it('acknowledges only findings that would otherwise be reported', () => {
    for (const settings of [CONFIGURED, EXTRAS]) {
      const bare = buildApp(settings);
      const acknowledged = [...acknowledgements(bare.app).keys()].sort();
      dropAcknowledgements(bare.app);
      expect(acknowledgements(bare.app).size).toBe(0);
      expect(nagFindings(bare.app).sort()).toEqual(acknowledged);
    }
  });

  it('acknowledges each finding on its own resource, with its reason', () => {
    const acknowledged = new Map([...acknowledgements(base.app), ...acknowledgements(configured.app)]);
    expect([...acknowledged.keys()].sort()).toEqual([
      'AwsSolutions-IAM5[Resource::<ArchiveBucket49F1AC64.Arn>/snapshots/*] VobizBalanceMonitor/ArchiveExport/Role/DefaultPolicy/Resource',
      'AwsSolutions-IAM5[Resource::<ArchiveBucket49F1AC64.Arn>/snapshots/*] VobizBalanceMonitor/Operator/Policy/Resource',
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
});

describe('configuration', () => {
  it('has a default for every setting in cdk.json, and those defaults validate', () => {
    const config = parseStackConfig(DEFAULTS);
    expect(config.schedule).toEqual({ expression: 'rate(15 minutes)', periodMinutes: 15 });
    expect(config).toMatchObject({
      stackName: 'VobizBalanceMonitor',
      scheduleTimezone: 'Asia/Kolkata',
      digestSize: 10,
      memorySize: DEFAULTS.memorySize,
      timeoutSeconds: 300,
      failedReadAlarmRatio: 0.05,
      reservedConcurrency: null,
      existingSecretName: null,
      dashboard: false,
      encryptOpsTopic: false,
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
      stackName: 'VobizStaging',
      dashboard: 'true',
    };
    const config = readStackConfig({ tryGetContext: (k) => context[k], getAllContext: () => context });
    expect(config.memorySize).toBe(1024);
    expect(config.sweep.alertPostpaid).toBe(true);
    expect(config.opsEmails).toEqual(['a@example.com', 'b@example.com']);
    expect(config.sweep.threshold).toBe('0.10000000000000000001');
    expect(config.reservedConcurrency).toBe(2);
    expect(config.sweep.currencyThresholds).toEqual({ USD: { low: '5.00000' } });
    expect(config.stackName).toBe('VobizStaging');
    expect(config.dashboard).toBe(true);
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
    [{ stackName: 'vobiz_staging' }, /^vobizBalance: stackName must be a stack name: a letter, then letters/],
    [{ dashboard: 'yes' }, /^vobizBalance: dashboard must be true or false/],
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
});
