import { Duration, RemovalPolicy, TimeZone, Validations } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Schedule, ScheduleExpression, ScheduleTargetInput, TimeWindow } from 'aws-cdk-lib/aws-scheduler';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct, type IConstruct } from 'constructs';
import { ARCHIVE_ENV, ARCHIVE_HANDLER, ARCHIVE_LAYOUT } from '../functions/contract/archive-layout.ts';
import { ENV } from '../functions/contract/handler.ts';
import { METRICS } from '../functions/contract/metrics.ts';
import type { SweepConfig } from '../functions/core/config.ts';
import type { ArchiveBucket } from './archive-bucket.ts';
import { InvokeSweep } from './invoke-sweep.ts';
import { allowWritingOwnLogs, SweepFunction } from './sweep-function.ts';

export interface ArchiveExportProps {
  archive: ArchiveBucket;
  table: ITable;
  /** The ARN of the byDay index, the only index the export queries. */
  byDayIndexArn: string;
  /** The sweep's settings: the partner's timezone and the table's window. */
  sweep: SweepConfig;
  /** A failed run, after Lambda's retries, lands here (the dead-letter alarm watches it). */
  deadLetterQueue: IQueue;
  logRetentionDays: number;
}

/** Partner-local hour of the daily run: the day before ended three hours earlier, every sweep of it long done. */
const RUN_HOUR = 3;

/**
 * The daily export: a function that copies every finished day from the table's byDay index to
 * the archive bucket (functions/archive-days.ts), started by a schedule at 03:00 partner time.
 * Lambda retries a failed run twice, then hands it to the dead-letter queue; the next day's run
 * starts again at the first day not exported, so a failure delays a day, never loses one.
 */
export class ArchiveExport extends Construct {
  readonly function: SweepFunction;
  readonly schedule: Schedule;

  constructor(scope: Construct, id: string, props: ArchiveExportProps) {
    super(scope, id);
    const role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description:
        'The daily archive export: query the history table, write the archive bucket, its log group.',
    });
    const logGroup = new LogGroup(this, 'Logs', {
      retention: props.logRetentionDays as RetentionDays,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    allowWritingOwnLogs(role, logGroup);
    // The byDay partitions and the oldest sweep record (functions/adapters/dynamodb/finance-store.ts).
    role.addToPolicy(
      new PolicyStatement({
        sid: 'QueryHistory',
        actions: ['dynamodb:Query'],
        resources: [props.table.tableArn, props.byDayIndexArn],
      }),
    );
    props.archive.grantExport(role);

    this.function = new SweepFunction(this, 'Function', {
      entry: ARCHIVE_HANDLER.entry,
      handler: ARCHIVE_HANDLER.export,
      description: 'Copies each finished day of balance history from the table to the archive bucket.',
      role,
      logGroup,
      memorySize: 512,
      // A new archive may take the table's whole window in one run; a run cut short resumes the next day.
      timeout: Duration.minutes(15),
      retryAttempts: 2,
      maxEventAge: Duration.hours(6),
      onFailure: new SqsDestination(props.deadLetterQueue),
      environment: {
        [ENV.tableName]: props.table.tableName,
        [ARCHIVE_ENV.bucket]: props.archive.bucket.bucketName,
        [ENV.sweepConfig]: JSON.stringify(props.sweep),
        POWERTOOLS_SERVICE_NAME: `${METRICS.service}-archive`,
      },
    });
    const fn = cfn(this.function);
    Validations.of(fn).acknowledge({
      id: 'Serverless-LambdaDLQ',
      reason:
        'Failed asynchronous invocations go to the on-failure destination (the dead-letter queue), which records the error and the request; a DeadLetterConfig would deliver the same failure twice.',
    });
    Validations.of(fn).acknowledge({
      id: 'Serverless-LambdaTracing',
      reason:
        'X-Ray needs xray:PutTraceSegments on Resource "*", which the least-privilege rule of this stack forbids; a once-a-day copy is traced by its JSON log line.',
    });
    const policy = role.node.tryFindChild('DefaultPolicy')?.node.defaultChild as IConstruct;
    Validations.of(policy).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${props.archive.nagObjects(`${ARCHIVE_LAYOUT.snapshotsPrefix}*`)}]`,
      reason: 'One object per partner-local day under snapshots/: the keys are not known in advance.',
    });

    this.schedule = new Schedule(this, 'Schedule', {
      description: `Exports yesterday's balance history to the archive at ${RUN_HOUR}:00 ${props.sweep.timezone}.`,
      schedule: ScheduleExpression.cron({
        minute: '0',
        hour: String(RUN_HOUR),
        timeZone: TimeZone.of(props.sweep.timezone),
      }),
      timeWindow: TimeWindow.off(),
      target: new InvokeSweep(this.function, {
        input: ScheduleTargetInput.fromObject({}),
        retryAttempts: 2,
        maxEventAge: Duration.hours(6),
        deadLetterQueue: props.deadLetterQueue,
      }),
    });
  }
}

function cfn(construct: IConstruct): IConstruct {
  const child = construct.node.defaultChild;
  if (!child) throw new Error(`${construct.node.path} has no default child to acknowledge a finding on`);
  return child;
}
