import { Duration, Stack } from 'aws-cdk-lib';
import {
  Alarm,
  ComparisonOperator,
  type IMetric,
  MathExpression,
  Metric,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { IScheduleGroup } from 'aws-cdk-lib/aws-scheduler';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { SWEEP_TIME_BUDGET } from '../functions/contract/handler.ts';
import { METRICS } from '../functions/contract/metrics.ts';

/**
 * The alarms that watch the monitor itself, on the ops topic. One failure raises one alarm, the
 * one that names its cause; each watches a different point on a slot's way:
 *
 *   schedule fires?         no  -> heartbeat          (AWS/Scheduler attempts of this stack's group)
 *   sweep produced a summary? no -> dead-letters      (every failed slot lands in the queue, once:
 *                                                     Scheduler could not deliver it, Lambda dropped
 *                                                     it unrun, or the function failed or timed out)
 *   every account read?     no  -> unread (above the setting) or incomplete (at or below it)
 *   complete, but slow?     yes -> duration           (a complete sweep above 80% of the timeout)
 *   notifications accepted? no  -> undelivered        (two sweeps running)
 *
 * Lambda's own Errors metric is not alarmed: with no Lambda retries and an on-failure destination,
 * each failed invocation of a slot is also exactly one dead letter, which carries the error and
 * the slot; alarming both would page twice for one failure.
 */

/** Every alarm name starts with this, so the ops topic's policy can admit exactly these alarms. */
export function alarmNamePrefix(stack: Stack): string {
  return `${stack.stackName}-`;
}

/** A metric of the handler's, with the `service` dimension Powertools adds to everything it emits. */
export function sweepMetric(name: string, statistic: string, period: Duration): Metric {
  return new Metric({
    namespace: METRICS.namespace,
    metricName: name,
    dimensionsMap: { service: METRICS.service },
    statistic,
    period,
  });
}

/** Engine `single`: the Lambda's reads stop this long before its timeout. */
export const SINGLE_READ_MARGIN_MS = SWEEP_TIME_BUDGET.deadlineMarginMs + SWEEP_TIME_BUDGET.publishReserveMs;
/** Engine `distributed`: the shards' reads stop this long before the execution's timeout. */
export const DISTRIBUTED_READ_MARGIN_MS =
  SWEEP_TIME_BUDGET.finalizeReserveMs + SWEEP_TIME_BUDGET.publishReserveMs;

/**
 * Where a complete sweep's duration is worth a warning: from 80% of the timeout up to the moment
 * reads stop (timeout - `readMarginMs`). A sweep that ends past that moment was cut short by its
 * deadline and is the incomplete alarm's; one that hit the timeout failed and is a dead letter (or
 * a timed-out execution). For timeouts so short that 80% is past that moment, the band starts at
 * 80% of the reading time instead.
 */
export function durationWarningBand(
  timeoutSeconds: number,
  readMarginMs = SINGLE_READ_MARGIN_MS,
): { fromMs: number; belowMs: number } {
  const timeoutMs = timeoutSeconds * 1000;
  const belowMs = timeoutMs - readMarginMs;
  const eighty = 0.8 * timeoutMs;
  return { fromMs: eighty < belowMs ? eighty : 0.8 * belowMs, belowMs };
}

export interface SweepAlarmsProps {
  opsTopic: ITopic;
  /** The schedule's own group: its invocation attempts are the heartbeat. */
  scheduleGroup: IScheduleGroup;
  deadLetterQueue: IQueue;
  /** How long a sweep took (Lambda's Duration, or an execution's ExecutionTime), against its limit. */
  duration: { metric: IMetric; timeoutSeconds: number; readMarginMs: number };
  /** Engine `distributed`: its executions' own failures and timeouts are alarmed too. */
  stateMachine?: IStateMachine;
  /** The schedule's period: the alarms look at windows of this length. */
  periodMinutes: number;
  /** Above this share of unread accounts a sweep is `unread`; at or below it, `incomplete`. */
  unreadRatio: number;
}

export class SweepAlarms extends Construct {
  readonly heartbeat: Alarm;
  readonly deadLetters: Alarm;
  readonly unread: Alarm;
  readonly incomplete: Alarm;
  readonly duration: Alarm;
  readonly undelivered: Alarm;
  /** Engine `distributed` only. */
  readonly executionsFailed: Alarm | null = null;
  readonly executionsTimedOut: Alarm | null = null;

  constructor(scope: Construct, id: string, props: SweepAlarmsProps) {
    super(scope, id);
    const prefix = alarmNamePrefix(Stack.of(this));
    const period = Duration.minutes(props.periodMinutes);
    const share = sweepMetric(METRICS.unreadShare, 'Maximum', period);

    // Two whole periods: any window that long holds at least one slot, whatever the phase of the
    // schedule against CloudWatch's buckets. Silence is the very thing this alarm is for.
    this.heartbeat = new Alarm(this, 'Heartbeat', {
      alarmName: `${prefix}sweep-heartbeat`,
      alarmDescription: `The schedule did not fire in ${2 * props.periodMinutes} minutes (two periods): disabled, deleted, or EventBridge Scheduler failing. Sweeps that start and fail raise sweep-dead-letters instead.`,
      metric: props.scheduleGroup.metricAttempts({ period, statistic: 'Sum' }),
      threshold: 1,
      comparisonOperator: ComparisonOperator.LESS_THAN_THRESHOLD,
      evaluationPeriods: 2,
      datapointsToAlarm: 2,
      treatMissingData: TreatMissingData.BREACHING,
    });

    // Messages sent, not messages waiting: each new failure alarms once and the alarm returns to
    // OK by itself; what is in the queue stays there (14 days) to be read, purging is optional.
    this.deadLetters = new Alarm(this, 'DeadLetters', {
      alarmName: `${prefix}sweep-dead-letters`,
      alarmDescription:
        'A scheduled sweep failed: the function failed or timed out, Lambda dropped the event unrun (throttled past one period), or the schedule could not deliver it. The dead-letter message says which, with the error and the slot.',
      metric: props.deadLetterQueue.metricNumberOfMessagesSent({
        period: Duration.minutes(5),
        statistic: 'Sum',
      }),
      threshold: 0,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });

    // No sweep, no share: the heartbeat and the dead letters cover that, so missing is not breaching.
    this.unread = new Alarm(this, 'Unread', {
      alarmName: `${prefix}sweep-unread`,
      alarmDescription: `A sweep left more than ${pct(props.unreadRatio)} of the known accounts unread (failed reads plus accounts never reached): the partner API failing or throttling, or far too little time.`,
      metric: share,
      threshold: props.unreadRatio,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });

    this.incomplete = new Alarm(this, 'Incomplete', {
      alarmName: `${prefix}sweep-incomplete`,
      alarmDescription: `A sweep left some accounts unread, at most ${pct(props.unreadRatio)} of them (above that, sweep-unread fires instead): a few reads failed, or the deadline cut the sweep short. The next sweep starts with what was not reached.`,
      metric: new MathExpression({
        label: `Unread share in (0, ${props.unreadRatio}]`,
        expression: `IF(share > 0 AND share <= ${props.unreadRatio}, 1, 0)`,
        usingMetrics: { share },
        period,
      }),
      threshold: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });

    const band = durationWarningBand(props.duration.timeoutSeconds, props.duration.readMarginMs);
    this.duration = new Alarm(this, 'Duration', {
      alarmName: `${prefix}sweep-duration`,
      alarmDescription: `A sweep that read every account took more than ${Math.round(band.fromMs / 1000)} s of its ${props.duration.timeoutSeconds} s limit: the next growth step makes sweeps incomplete. Raise concurrency, timeoutSeconds or maxRequestsPerSecond, or switch engines (docs/DEPLOY.md).`,
      metric: durationBandExpression(props.duration.metric, band, period),
      threshold: band.fromMs,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });

    // One failed publish is retried by the next sweep; still undelivered two sweeps running means
    // alerts are not reaching someone (topic, SNS itself, or the webhook's receiver).
    this.undelivered = new Alarm(this, 'Undelivered', {
      alarmName: `${prefix}notifications-undelivered`,
      alarmDescription:
        'Notifications were decided but a channel (SNS or the webhook) did not accept them, in two sweeps in a row. They wait in the table and go out to that channel once it works; the sweep logs name the channel and the reason.',
      metric: sweepMetric(METRICS.pendingNotifications, 'Minimum', period),
      threshold: 0,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 2,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });

    if (props.stateMachine) {
      // A sweep's own failures go through Finalize as incomplete sweeps: an execution fails only
      // when Finalize itself failed (the sweep was not recorded), or it ran out of its period.
      this.executionsFailed = new Alarm(this, 'ExecutionsFailed', {
        alarmName: `${prefix}sweep-execution-failed`,
        alarmDescription:
          'A sweep execution failed: its Finalize step could not record the sweep (the table or the bucket unreachable, or a bug). The execution history in the Step Functions console shows the error.',
        metric: props.stateMachine.metricFailed({ period: Duration.minutes(5), statistic: 'Sum' }),
        threshold: 0,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });
      this.executionsTimedOut = new Alarm(this, 'ExecutionsTimedOut', {
        alarmName: `${prefix}sweep-execution-timed-out`,
        alarmDescription:
          'A sweep execution ran out of its period before finishing (nothing recorded, the lease ends at its expiry). Raise maxRequestsPerSecond, or use the list as balance source.',
        metric: props.stateMachine.metricTimedOut({ period: Duration.minutes(5), statistic: 'Sum' }),
        threshold: 0,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });
    }

    const action = new SnsAction(props.opsTopic);
    for (const alarm of this.all) {
      alarm.addAlarmAction(action);
      alarm.addOkAction(action);
    }
  }

  get all(): Alarm[] {
    return [
      this.heartbeat,
      this.deadLetters,
      this.unread,
      this.incomplete,
      this.duration,
      this.undelivered,
      ...(this.executionsFailed ? [this.executionsFailed] : []),
      ...(this.executionsTimedOut ? [this.executionsTimedOut] : []),
    ];
  }
}

/** The duration when it is inside the warning band's upper edge, else 0: one metric, one alarm price. */
function durationBandExpression(
  duration: IMetric,
  band: { belowMs: number },
  period: Duration,
): MathExpression {
  return new MathExpression({
    label: `Duration of sweeps that were not cut short (ms, below ${band.belowMs})`,
    expression: `IF(duration < ${band.belowMs}, duration, 0)`,
    usingMetrics: { duration },
    period,
  });
}

function pct(ratio: number): string {
  return `${Number((ratio * 100).toPrecision(6))}%`;
}
