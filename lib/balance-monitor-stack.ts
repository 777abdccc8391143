import {
  ArnFormat,
  CfnOutput,
  Duration,
  RemovalPolicy,
  SecretValue,
  Stack,
  type StackProps,
  TimeZone,
  Validations,
} from 'aws-cdk-lib';
import type { Dashboard } from 'aws-cdk-lib/aws-cloudwatch';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import {
  AccountRootPrincipal,
  ArnPrincipal,
  PolicyDocument,
  PolicyStatement,
  Role,
  ServicePrincipal,
} from 'aws-cdk-lib/aws-iam';
import { Alias, Key } from 'aws-cdk-lib/aws-kms';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import {
  ContextAttribute,
  Schedule,
  ScheduleExpression,
  ScheduleGroup,
  ScheduleTargetInput,
  TimeWindow,
} from 'aws-cdk-lib/aws-scheduler';
import { type ISecret, Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { Construct, IConstruct } from 'constructs';
import {
  ENV,
  SECRET_PLACEHOLDER as PLACEHOLDER_VALUE,
  SWEEP_HANDLER,
} from '../functions/contract/handler.ts';
import { METRICS } from '../functions/contract/metrics.ts';
import { BY_DAY_INDEX } from '../functions/contract/table-schema.ts';
import {
  alarmNamePrefix,
  DISTRIBUTED_READ_MARGIN_MS,
  SINGLE_READ_MARGIN_MS,
  SweepAlarms,
  type SweepAlarmsProps,
} from './alarms.ts';
import { ArchiveBucket } from './archive-bucket.ts';
import { ArchiveExport } from './archive-export.ts';
import type { StackConfig } from './config.ts';
import { SweepDashboard } from './dashboard.ts';
import { DistributedSweep } from './distributed-sweep.ts';
import { HistoryTable } from './history-table.ts';
import { InvokeSweep } from './invoke-sweep.ts';
import { SweepLogQueries } from './log-queries.ts';
import { OperatorPolicy } from './operator-policy.ts';
import { allowWritingOwnLogs, SweepFunction } from './sweep-function.ts';

/** The L1 resource of an L2 construct: acknowledgements go there, so they cover that resource only. */
function cfn(construct: IConstruct): IConstruct {
  const child = construct.node.defaultChild;
  if (!child) throw new Error(`${construct.node.path} has no default child to acknowledge a finding on`);
  return child;
}

export interface BalanceMonitorStackProps extends StackProps {
  config: StackConfig;
}

/** What the partner puts into the created secret after the first deploy. */
export const SECRET_PLACEHOLDER = JSON.stringify({ authId: PLACEHOLDER_VALUE, authToken: PLACEHOLDER_VALUE });

/** What the webhook secret holds until its URL and shared secret are put in (see docs/DEPLOY.md). */
export const WEBHOOK_SECRET_PLACEHOLDER = JSON.stringify({
  url: PLACEHOLDER_VALUE,
  secret: PLACEHOLDER_VALUE,
});

/**
 * Everything the monitor needs in one account and region, deployed with one command:
 * history table, credentials secret, alert and ops topics, the sweep function and its
 * schedule, the alarms that watch the monitor itself, saved log queries, the operator's
 * policy, and (optionally) a dashboard.
 */
export class BalanceMonitorStack extends Stack {
  readonly table: ITable;
  readonly archive: ArchiveBucket;
  readonly archiveExport: ArchiveExport;
  readonly secret: ISecret;
  /** Only with `webhook: true`: the webhook's URL and shared secret. */
  readonly webhookSecret: Secret | null;
  readonly alertTopic: Topic;
  readonly opsTopic: Topic;
  /** Only with `encryptOpsTopic: true`. */
  readonly opsTopicKey: Key | null;
  /** Engine `single`: the function that sweeps. */
  private readonly single: SweepFunction | null = null;
  /** Engine `distributed`: the workflow and its functions. */
  readonly distributed: DistributedSweep | null = null;
  readonly deadLetterQueue: Queue;
  readonly scheduleGroup: ScheduleGroup;
  readonly schedule: Schedule;
  readonly alarms: SweepAlarms;
  readonly logQueries: SweepLogQueries;
  readonly operatorPolicy: OperatorPolicy;
  /** Only with `dashboard: true`. */
  readonly dashboard: Dashboard | null;

  constructor(scope: Construct, id: string, props: BalanceMonitorStackProps) {
    super(scope, id, props);
    const { config } = props;
    const periodMinutes = config.schedule.periodMinutes;

    const history = new HistoryTable(this, 'History');
    this.table = history.table;

    // Alerts name customers and their balances: encrypted at rest with the AWS managed SNS key,
    // which costs nothing and which the function (a principal of this account) may use via SNS.
    this.alertTopic = new Topic(this, 'AlertTopic', {
      displayName: 'Vobiz balance alerts',
      masterKey: Alias.fromAliasName(this, 'SnsManagedKey', 'alias/aws/sns'),
      enforceSSL: true,
    });
    // CloudWatch cannot publish to a topic under the AWS managed key. Ops messages are alarm
    // states (names, thresholds, metric values; no customer data, no credentials) and travel over
    // TLS only, so the topic goes without encryption at rest unless encryptOpsTopic asks for a
    // customer managed key: $1 a month, a third of the 1,000-account budget (docs/DEPLOY.md).
    this.opsTopicKey = config.encryptOpsTopic ? this.opsKey() : null;
    this.opsTopic = new Topic(this, 'OpsTopic', {
      displayName: 'Vobiz balance monitor ops',
      masterKey: this.opsTopicKey ?? undefined,
      enforceSSL: true,
    });
    this.allowAlarmsToPublish(this.opsTopic);
    this.subscribe(this.alertTopic, config.alertEmails, 'Alert');
    this.subscribe(this.opsTopic, config.opsEmails, 'Ops');

    this.secret = config.existingSecretName
      ? Secret.fromSecretNameV2(this, 'Credentials', config.existingSecretName)
      : this.placeholderSecret();
    this.webhookSecret = config.webhook ? this.webhookPlaceholderSecret() : null;

    this.deadLetterQueue = new Queue(this, 'DeadLetterQueue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    for (const rule of ['AwsSolutions-SQS3', 'Serverless-SQSRedrivePolicy']) {
      Validations.of(cfn(this.deadLetterQueue)).acknowledge({
        id: rule,
        reason:
          'This queue is itself the dead-letter queue of the schedule and the on-failure destination of the function; nothing consumes it, so there is nothing to redrive to.',
      });
    }

    // History past the table's window: the archive bucket, filled daily (lib/archive-bucket.ts, lib/archive-export.ts).
    this.archive = new ArchiveBucket(this, 'Archive', { retentionDays: config.sweep.retentionDays });
    this.archiveExport = new ArchiveExport(this, 'ArchiveExport', {
      ...{
        archive: this.archive,
        table: this.table,
        byDayIndexArn: `${this.table.tableArn}/index/${BY_DAY_INDEX}`,
        sweep: config.sweep,
      },
      ...{ deadLetterQueue: this.deadLetterQueue, logRetentionDays: config.logRetentionDays },
    });

    const role = new Role(this, 'SweepRole', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description:
        config.engine === 'single'
          ? "The sweep function: its table, its secret (and the webhook's), the alert topic, its log group; nothing else."
          : "The sweep workflow's functions: the table, the secrets, the alert topic, the log group, the bucket's scratch prefix.",
    });
    const logGroup = new LogGroup(this, 'SweepLogs', {
      retention: config.logRetentionDays as RetentionDays,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const environment = {
      [ENV.tableName]: this.table.tableName,
      [ENV.secretId]: config.existingSecretName ?? this.secret.secretArn,
      [ENV.alertTopicArn]: this.alertTopic.topicArn,
      [ENV.apiBaseUrl]: config.apiBaseUrl,
      [ENV.sweepConfig]: JSON.stringify(config.sweep),
      [ENV.partnerThreshold]: config.partnerThreshold,
      [ENV.digestSize]: String(config.digestSize),
      [ENV.schedulePeriodMinutes]: String(periodMinutes),
      [ENV.webhookSecretId]: this.webhookSecret?.secretArn ?? '',
      POWERTOOLS_SERVICE_NAME: METRICS.service,
      POWERTOOLS_METRICS_NAMESPACE: METRICS.namespace,
    };
    this.grantSweepPermissions(role, logGroup, history);
    this.alertTopic.addToResourcePolicy(
      new PolicyStatement({
        sid: 'SweepFunctionPublishesAlerts',
        principals: [new ArnPrincipal(role.roleArn)],
        actions: ['sns:Publish'],
        resources: [this.alertTopic.topicArn],
      }),
    );

    // At most one period old: a sweep that waited longer than that is superseded by the next slot.
    const maxEventAge = Duration.minutes(periodMinutes);
    let target: SweepFunction;
    let duration: SweepAlarmsProps['duration'];
    if (config.engine === 'single') {
      this.single = new SweepFunction(this, 'SweepFunction', {
        entry: SWEEP_HANDLER.entry,
        handler: SWEEP_HANDLER.export,
        description: 'Reads every Vobiz customer balance, keeps history, alerts on low wallets.',
        role,
        logGroup,
        memorySize: config.memorySize,
        timeout: Duration.seconds(config.timeoutSeconds),
        reservedConcurrentExecutions: config.reservedConcurrency ?? undefined,
        // The schedule retries delivery; a failed sweep is retried by the next slot, not by Lambda.
        retryAttempts: 0,
        // Lambda keeps an asynchronous event for six hours at most.
        maxEventAge: Duration.seconds(Math.min(maxEventAge.toSeconds(), 6 * 3600)),
        // Every failed invocation of a slot becomes one dead letter (with its error): the one alarm for it.
        onFailure: new SqsDestination(this.deadLetterQueue),
        environment,
      });
      target = this.single;
      duration = {
        metric: this.single.metricDuration({ period: Duration.minutes(periodMinutes), statistic: 'Maximum' }),
        timeoutSeconds: config.timeoutSeconds,
        readMarginMs: SINGLE_READ_MARGIN_MS,
      };
    } else {
      const starterRole = new Role(this, 'StarterRole', {
        assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
        description:
          "The sweep workflow's starter: start the state machine, write its log group; nothing else.",
      });
      allowWritingOwnLogs(starterRole, logGroup);
      this.distributed = new DistributedSweep(this, 'Distributed', {
        config,
        role,
        logGroup,
        environment,
        archive: this.archive,
        deadLetterQueue: this.deadLetterQueue,
        starterRole,
      });
      target = this.distributed.starter;
      duration = {
        metric: this.distributed.stateMachine.metricTime({
          period: Duration.minutes(periodMinutes),
          statistic: 'Maximum',
        }),
        timeoutSeconds: this.distributed.timeout.toSeconds(),
        readMarginMs: DISTRIBUTED_READ_MARGIN_MS,
      };
    }
    for (const fn of this.functions()) {
      Validations.of(cfn(fn)).acknowledge({
        id: 'Serverless-LambdaTracing',
        reason:
          'X-Ray needs xray:PutTraceSegments on Resource "*", which the least-privilege rule of this stack forbids; the sweep is traced by its JSON logs (sweep id on every line) and its two metrics.',
      });
    }
    Validations.of(cfn(target)).acknowledge({
      id: 'Serverless-LambdaDLQ',
      reason:
        'Failed asynchronous invocations go to the on-failure destination (the dead-letter queue), which records the error and the request; a DeadLetterConfig would deliver the same failure twice.',
    });

    // A group of its own, so the heartbeat counts this schedule's attempts and nobody else's.
    this.scheduleGroup = new ScheduleGroup(this, 'ScheduleGroup', { removalPolicy: RemovalPolicy.DESTROY });
    this.schedule = new Schedule(this, 'SweepSchedule', {
      scheduleGroup: this.scheduleGroup,
      description: `Runs the balance sweep (${config.schedule.expression}).`,
      schedule: ScheduleExpression.expression(
        config.schedule.expression,
        TimeZone.of(config.scheduleTimezone),
      ),
      timeWindow: TimeWindow.off(),
      target: new InvokeSweep(target, {
        input: ScheduleTargetInput.fromObject({ scheduledTime: ContextAttribute.scheduledTime }),
        retryAttempts: config.retryAttempts,
        maxEventAge,
        deadLetterQueue: this.deadLetterQueue,
      }),
    });

    this.alarms = new SweepAlarms(this, 'Alarms', {
      opsTopic: this.opsTopic,
      scheduleGroup: this.scheduleGroup,
      deadLetterQueue: this.deadLetterQueue,
      duration,
      stateMachine: this.distributed?.stateMachine,
      periodMinutes,
      unreadRatio: config.failedReadAlarmRatio,
    });
    this.logQueries = new SweepLogQueries(this, 'LogQueries', { logGroup });
    this.operatorPolicy = new OperatorPolicy(this, 'Operator', { history, archive: this.archive });
    this.dashboard = config.dashboard
      ? new SweepDashboard(this, 'Dashboard', {
          alarms: this.alarms.all,
          duration,
          deadLetterQueue: this.deadLetterQueue,
          logGroup,
          periodMinutes,
          unreadRatio: config.failedReadAlarmRatio,
        }).dashboard
      : null;

    new CfnOutput(this, 'TableName', { value: this.table.tableName, description: 'Balance history table' });
    new CfnOutput(this, 'AlertTopicArn', {
      value: this.alertTopic.topicArn,
      description: 'Low-balance alerts',
    });
    new CfnOutput(this, 'OpsTopicArn', {
      value: this.opsTopic.topicArn,
      description: 'Alarms about the monitor itself',
    });
    new CfnOutput(this, 'SecretName', {
      value: config.existingSecretName ?? this.secret.secretName,
      description: 'Put {"authId": "...", "authToken": "..."} here',
    });
    if (this.webhookSecret) {
      new CfnOutput(this, 'WebhookSecretName', {
        value: this.webhookSecret.secretName,
        description: 'Put {"url": "https://...", "secret": "..."} here',
      });
    }
    new CfnOutput(this, 'ArchiveBucketName', {
      value: this.archive.bucket.bucketName,
      description: `History archive; Athena: workgroup ${this.archive.workGroupName}, table ${this.archive.databaseName}.${this.archive.tableName}`,
    });
    new CfnOutput(this, 'FunctionName', {
      value: target.functionName,
      description:
        config.engine === 'single'
          ? 'The sweep function'
          : "The sweep workflow's starter (invoke it to run a sweep)",
    });
    if (this.distributed) {
      new CfnOutput(this, 'StateMachineArn', {
        value: this.distributed.stateMachine.stateMachineArn,
        description: 'The sweep workflow: one execution per schedule slot',
      });
    }
    new CfnOutput(this, 'LogGroupName', {
      value: logGroup.logGroupName,
      description: "The sweep function's logs",
    });
    new CfnOutput(this, 'DeadLetterQueueUrl', {
      value: this.deadLetterQueue.queueUrl,
      description: 'Failed sweeps, one message each with its error and slot (the dead-letters alarm)',
    });
    new CfnOutput(this, 'OperatorPolicyArn', {
      value: this.operatorPolicy.policy.managedPolicyArn,
      description: 'Attach to whoever runs history, report, thresholds or mute against the table',
    });
    if (this.dashboard) {
      new CfnOutput(this, 'DashboardUrl', {
        value: `https://${this.region}.console.aws.amazon.com/cloudwatch/home?region=${this.region}#dashboards/dashboard/${this.dashboard.dashboardName}`,
        description: 'CloudWatch dashboard',
      });
    }
  }

  /** Engine `single`: the function that sweeps (the distributed engine has `distributed` instead). */
  get sweepFunction(): SweepFunction {
    if (!this.single)
      throw new Error(`${this.stackName} runs the distributed engine: it has no single sweep function`);
    return this.single;
  }

  /** Every function that reads balances or runs a sweep's steps. */
  private functions(): SweepFunction[] {
    if (this.single) return [this.single];
    const d = this.distributed;
    return d ? [d.steps, d.shards, d.starter] : [];
  }

  /** The ARN pattern of this stack's alarms: what may publish to the ops topic and use its key. */
  private alarmArnPattern(): string {
    return this.formatArn({
      service: 'cloudwatch',
      resource: 'alarm',
      resourceName: `${alarmNamePrefix(this)}*`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
  }

  /**
   * CloudWatch publishes an alarm's state change as the service itself: the topic's policy must
   * allow it, and only for this account's alarms of this stack (the confused-deputy conditions).
   */
  private allowAlarmsToPublish(topic: Topic): void {
    topic.addToResourcePolicy(
      new PolicyStatement({
        sid: 'AlarmsOfThisStackPublish',
        principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [topic.topicArn],
        conditions: {
          StringEquals: { 'aws:SourceAccount': this.account },
          ArnLike: { 'aws:SourceArn': this.alarmArnPattern() },
        },
      }),
    );
  }

  /**
   * The ops topic's key, with `encryptOpsTopic`. Its policy names every action it allows
   * (no kms:*): the account may administer the key, principals of the account may use it
   * only through SNS, and CloudWatch may use it only for this stack's alarms.
   */
  private opsKey(): Key {
    const account = new AccountRootPrincipal();
    const policy = new PolicyDocument({
      statements: [
        new PolicyStatement({
          sid: 'AdministerKeyFromThisAccount',
          principals: [account],
          actions: [
            'kms:CancelKeyDeletion',
            'kms:DescribeKey',
            'kms:DisableKey',
            'kms:DisableKeyRotation',
            'kms:EnableKey',
            'kms:EnableKeyRotation',
            'kms:GetKeyPolicy',
            'kms:GetKeyRotationStatus',
            'kms:ListKeyRotations',
            'kms:ListResourceTags',
            'kms:PutKeyPolicy',
            'kms:RotateKeyOnDemand',
            'kms:ScheduleKeyDeletion',
            'kms:TagResource',
            'kms:UntagResource',
            'kms:UpdateKeyDescription',
          ],
          resources: ['*'],
        }),
        new PolicyStatement({
          sid: 'PublishThroughSnsFromThisAccount',
          principals: [account],
          actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
          resources: ['*'],
          conditions: { StringEquals: { 'kms:ViaService': `sns.${this.region}.amazonaws.com` } },
        }),
        new PolicyStatement({
          sid: 'CloudWatchAlarmsOfThisStackPublish',
          principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
          actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
          resources: ['*'],
          conditions: {
            StringEquals: { 'aws:SourceAccount': this.account },
            ArnLike: { 'aws:SourceArn': this.alarmArnPattern() },
          },
        }),
      ],
    });
    return new Key(this, 'OpsTopicKey', {
      description: 'Encrypts the Vobiz balance monitor ops topic',
      enableKeyRotation: true,
      policy,
      removalPolicy: RemovalPolicy.DESTROY,
      pendingWindow: Duration.days(7),
    });
  }

  private subscribe(topic: Topic, emails: readonly string[], what: string): void {
    for (const email of emails) {
      const subscription = topic.addSubscription(new EmailSubscription(email));
      Validations.of(cfn(subscription)).acknowledge({
        id: 'Serverless-SNSRedrivePolicy',
        reason: `${what} subscriptions are email addresses: SNS retries email delivery itself, and a dead-letter queue of undelivered emails would be a second inbox nobody reads; failed deliveries show in the topic's NumberOfNotificationsFailed metric.`,
      });
    }
  }

  private placeholderSecret(): Secret {
    const secret = new Secret(this, 'Credentials', {
      description: 'Vobiz partner API credentials: {"authId": "...", "authToken": "..."}',
      // Not a secret: the handler recognises it and says the real value is still missing.
      secretStringValue: SecretValue.unsafePlainText(SECRET_PLACEHOLDER),
    });
    Validations.of(cfn(secret)).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'The value is the partner API credential that Vobiz issues; there is no API to mint a new one, so it is rotated by hand (put-secret-value) and the function picks it up within five minutes or on the first 401.',
    });
    return secret;
  }

  /**
   * The webhook's URL and shared secret in a secret of their own: a Slack webhook URL is itself a
   * credential, it belongs to whoever runs the chat rather than to the partner, and it rotates on its own.
   */
  private webhookPlaceholderSecret(): Secret {
    const secret = new Secret(this, 'WebhookSecret', {
      description: 'Webhook for Vobiz balance alerts: {"url": "https://...", "secret": "..."}',
      // Not a secret: the handler recognises it and reports the webhook as not configured yet.
      secretStringValue: SecretValue.unsafePlainText(WEBHOOK_SECRET_PLACEHOLDER),
    });
    Validations.of(cfn(secret)).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'The value is a webhook URL issued by the receiving service (Slack or the partner own endpoint) and the secret shared with it; neither can be minted by a rotation function, so both are rotated by hand (put-secret-value), picked up within five minutes.',
    });
    return secret;
  }

  private grantSweepPermissions(role: Role, logGroup: LogGroup, history: HistoryTable): void {
    allowWritingOwnLogs(role, logGroup);
    // Exactly the calls the DynamoDB store and the run guard make (functions/adapters/dynamodb/, functions/handler/run-guard.ts).
    role.addToPolicy(
      new PolicyStatement({
        sid: 'ReadWriteHistory',
        actions: [
          'dynamodb:GetItem',
          'dynamodb:BatchGetItem',
          'dynamodb:Query',
          'dynamodb:PutItem',
          'dynamodb:DeleteItem',
        ],
        resources: [history.table.tableArn],
      }),
    );
    if (history.indexArns.length > 0) {
      role.addToPolicy(
        new PolicyStatement({
          sid: 'QueryHistoryByDay',
          actions: ['dynamodb:Query'],
          resources: history.indexArns,
        }),
      );
    }
    role.addToPolicy(
      new PolicyStatement({
        sid: 'ReadCredentials',
        actions: ['secretsmanager:GetSecretValue'],
        resources: [this.secretArnForPolicy()],
      }),
    );
    if (this.webhookSecret) {
      role.addToPolicy(
        new PolicyStatement({
          sid: 'ReadWebhookSecret',
          actions: ['secretsmanager:GetSecretValue'],
          resources: [this.webhookSecret.secretArn],
        }),
      );
    }
    role.addToPolicy(
      new PolicyStatement({
        sid: 'PublishAlerts',
        actions: ['sns:Publish'],
        resources: [this.alertTopic.topicArn],
      }),
    );
  }

  /** Created: its full ARN. Imported by name: the name plus the six random characters Secrets Manager appends. */
  private secretArnForPolicy(): string {
    if (this.secret instanceof Secret) return this.secret.secretArn;
    return this.formatArn({
      service: 'secretsmanager',
      resource: 'secret',
      resourceName: `${this.secret.secretName}-??????`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
  }
}
