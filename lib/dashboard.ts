import { Duration } from 'aws-cdk-lib';
import {
  type Alarm,
  AlarmStatusWidget,
  Dashboard,
  GraphWidget,
  type IMetric,
  MathExpression,
} from 'aws-cdk-lib/aws-cloudwatch';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { METRICS } from '../functions/contract/metrics.ts';
import { sweepMetric } from './alarms.ts';

export interface SweepDashboardProps {
  sweepFunction: IFunction;
  deadLetterQueue: IQueue;
  alarms: Alarm[];
  periodMinutes: number;
}

/**
 * One page that answers "is the monitor healthy, and how are the wallets": sweep duration,
 * accounts low and critical, notifications by type, failures, and balances per currency.
 */
export class SweepDashboard extends Construct {
  readonly dashboard: Dashboard;

  constructor(scope: Construct, id: string, props: SweepDashboardProps) {
    super(scope, id);
    const period = Duration.minutes(props.periodMinutes);
    const metric = (name: string, statistic: string, label: string) => {
      const m = sweepMetric(name, statistic, period);
      return m.with({ label });
    };
    // SEARCH finds every value of a dimension (currency, notification type) without a list
    // in configuration; it matches any dimension set the handler emits the metric with.
    const search = (name: string, statistic: string, label: string): IMetric =>
      new MathExpression({
        expression: `SEARCH('Namespace="${METRICS.namespace}" MetricName="${name}"', '${statistic}', ${period.toSeconds()})`,
        usingMetrics: {},
        label,
        period,
      });

    this.dashboard = new Dashboard(this, 'Dashboard', {
      defaultInterval: Duration.days(7),
      widgets: [
        [new AlarmStatusWidget({ title: 'Alarms', alarms: props.alarms, width: 24, height: 3 })],
        [
          new GraphWidget({
            title: 'Sweep duration (ms)',
            left: [
              metric(METRICS.sweepDurationMs, 'Maximum', 'Sweep duration (max)'),
              metric(METRICS.sweepDurationMs, 'Average', 'Sweep duration (avg)'),
            ],
            width: 12,
          }),
          new GraphWidget({
            title: 'Accounts low and critical',
            left: [
              metric(METRICS.accountsLow, 'Maximum', 'Low'),
              metric(METRICS.accountsCritical, 'Maximum', 'Critical'),
            ],
            right: [metric(METRICS.accountsListed, 'Maximum', 'Listed')],
            width: 12,
          }),
        ],
        [
          new GraphWidget({
            title: 'Notifications by type',
            left: [search(METRICS.notifications, 'Sum', '')],
            width: 12,
            stacked: true,
          }),
          new GraphWidget({
            title: 'Failures',
            left: [
              metric(METRICS.accountsFailed, 'Sum', 'Accounts not read'),
              metric(METRICS.sweepIncomplete, 'Sum', 'Incomplete sweeps'),
              metric(METRICS.skippedDeliveries, 'Sum', 'Stale deliveries skipped'),
              props.sweepFunction.metricErrors({ period, label: 'Function errors' }),
              props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
                period: Duration.minutes(5),
                statistic: 'Maximum',
                label: 'Dead letters',
              }),
            ],
            width: 12,
          }),
        ],
        [
          new GraphWidget({
            title: 'Total customer balance per currency',
            left: [search(METRICS.totalBalance, 'Maximum', '')],
            width: 12,
          }),
          new GraphWidget({
            title: 'Partner balance',
            left: [search(METRICS.partnerBalance, 'Minimum', '')],
            width: 12,
          }),
        ],
      ],
    });
  }
}
