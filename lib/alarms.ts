import { Duration, Stack } from 'aws-cdk-lib';
import {
  Alarm,
  ComparisonOperator,
  MathExpression,
  Metric,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { METRICS } from '../functions/contract/metrics.ts';

export interface SweepAlarmsProps {
  sweepFunction: IFunction;
  deadLetterQueue: IQueue;
  opsTopic: ITopic;
  /** The schedule's period: alarms look at windows of this length. */
  periodMinutes: number;
  /** Alarm when more than this fraction of listed accounts could not be read. */
  failedReadRatio: number;
}

/** Every alarm name starts with this, so the key policy can admit exactly these alarms. */
export function alarmNamePrefix(stack: Stack): string {
  return `${stack.stackName}-`;
}

/** The sweep's own metric, with the `service` dimension Powertools adds to everything it emits. */
export function sweepMetric(name: string, statistic: string, period: Duration): Metric {
  return new Metric({
    namespace: METRICS.namespace,
    metricName: name,
    dimensionsMap: { service: METRICS.service },
    statistic,
    period,
  });
}

/**
 * What tells the operator that the monitor itself is unwell, on the ops topic: the function
 * failing, sweeps that could not even be delivered, sweeps that stopped happening, and
 * sweeps that run but cannot read the balances.
 */
export class SweepAlarms extends Construct {
  readonly errors: Alarm;
  readonly deadLetters: Alarm;
  readonly heartbeat: Alarm;
  readonly failedReads: Alarm;
  readonly undelivered: Alarm;

  constructor(scope: Construct, id: string, props: SweepAlarmsProps) {
    super(scope, id);
    const prefix = alarmNamePrefix(Stack.of(this));
    const period = Duration.minutes(props.periodMinutes);

    this.errors = new Alarm(this, 'FunctionErrors', {
      alarmName: `${prefix}sweep-errors`,
      alarmDescription:
        'The sweep function failed (credentials rejected, table unreachable, bad configuration or a bug). See its log group.',
      metric: props.sweepFunction.metricErrors({ period, statistic: 'Sum' }),
      threshold: 0,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });

    this.deadLetters = new Alarm(this, 'DeadLetterDepth', {
      alarmName: `${prefix}sweep-dead-letters`,
      alarmDescription:
        'A scheduled sweep could not be delivered, or failed, and landed in the dead-letter queue. Inspect the messages, then purge.',
      metric: props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
        period: Duration.minutes(5),
        statistic: 'Maximum',
      }),
      threshold: 0,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });

    // Two periods so that one late or skipped slot is not an alarm; missing data is the
    // very thing this alarm is for, so it breaches.
    this.heartbeat = new Alarm(this, 'Heartbeat', {
      alarmName: `${prefix}sweep-heartbeat`,
      alarmDescription: `No sweep ran to its end in the last ${2 * props.periodMinutes} minutes (two schedule periods).`,
      metric: sweepMetric(METRICS.sweepSucceeded, 'Sum', Duration.minutes(2 * props.periodMinutes)),
      threshold: 1,
      comparisonOperator: ComparisonOperator.LESS_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: TreatMissingData.BREACHING,
    });

    this.failedReads = new Alarm(this, 'FailedReadRatio', {
      alarmName: `${prefix}sweep-failed-reads`,
      alarmDescription: `More than ${props.failedReadRatio * 100}% of the listed accounts could not be read in a sweep period (partner API failing or throttling).`,
      metric: new MathExpression({
        label: 'Failed reads / accounts listed',
        expression: 'IF(listed > 0, FILL(failed, 0) / listed, 0)',
        usingMetrics: {
          failed: sweepMetric(METRICS.accountsFailed, 'Sum', period),
          listed: sweepMetric(METRICS.accountsListed, 'Sum', period),
        },
        period,
      }),
      threshold: props.failedReadRatio,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      // No sweep, no ratio: the heartbeat alarm covers that case.
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });

    // One failed publish is retried by the next sweep; still undelivered two sweeps running
    // means alerts are not reaching someone (topic, key policy, SNS itself, or the webhook's receiver).
    this.undelivered = new Alarm(this, 'UndeliveredNotifications', {
      alarmName: `${prefix}notifications-undelivered`,
      alarmDescription:
        'Notifications were decided but a channel (SNS or the webhook) did not accept them, in two sweeps in a row. They wait in the table and go out to that channel once it works; the sweep logs name the channel and the reason.',
      metric: sweepMetric(METRICS.pendingNotifications, 'Minimum', period),
      threshold: 0,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 2,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });

    const action = new SnsAction(props.opsTopic);
    for (const alarm of this.all) {
      alarm.addAlarmAction(action);
      alarm.addOkAction(action);
    }
  }

  get all(): Alarm[] {
    return [this.errors, this.deadLetters, this.heartbeat, this.failedReads, this.undelivered];
  }
}
