import { Duration } from 'aws-cdk-lib';
import {
  type Alarm,
  AlarmStatusWidget,
  Dashboard,
  GraphWidget,
  type HorizontalAnnotation,
  LogQueryVisualizationType,
  LogQueryWidget,
} from 'aws-cdk-lib/aws-cloudwatch';
import type { ILogGroup } from 'aws-cdk-lib/aws-logs';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { METRICS } from '../functions/contract/metrics.ts';
import { durationWarningBand, type SweepAlarmsProps, sweepMetric } from './alarms.ts';
import { type QueryView, SWEEP_QUERIES } from './log-queries.ts';

export interface SweepDashboardProps {
  alarms: Alarm[];
  /** The sweep's duration (Lambda's, or the execution's) against its limit: what the alarm reads. */
  duration: SweepAlarmsProps['duration'];
  deadLetterQueue: IQueue;
  logGroup: ILogGroup;
  periodMinutes: number;
  unreadRatio: number;
}

const VIEWS: Record<QueryView, LogQueryVisualizationType> = {
  table: LogQueryVisualizationType.TABLE,
  line: LogQueryVisualizationType.LINE,
  stackedarea: LogQueryVisualizationType.STACKEDAREA,
  bar: LogQueryVisualizationType.BAR,
};

/**
 * Optional (`dashboard: true`, $3 a month): one page built from the two custom metrics, the free
 * Lambda and SQS metrics, and the saved log queries for the breakdowns (levels, notification
 * types, balances), so it adds no metric of its own.
 */
export class SweepDashboard extends Construct {
  readonly dashboard: Dashboard;

  constructor(scope: Construct, id: string, props: SweepDashboardProps) {
    super(scope, id);
    const period = Duration.minutes(props.periodMinutes);
    const band = durationWarningBand(props.duration.timeoutSeconds, props.duration.readMarginMs);
    const logs = (name: string, width = 12, height = 6) => {
      const q = SWEEP_QUERIES.find((x) => x.name === name);
      if (!q) throw new Error(`no saved query named ${name}`);
      return new LogQueryWidget({
        title: q.title,
        logGroupNames: [props.logGroup.logGroupName],
        queryString: q.query.toString(),
        view: VIEWS[q.view],
        width,
        height,
      });
    };
    const line = (value: number, label: string): HorizontalAnnotation => ({ value, label });

    this.dashboard = new Dashboard(this, 'Dashboard', {
      defaultInterval: Duration.days(7),
      widgets: [
        [new AlarmStatusWidget({ title: 'Alarms', alarms: props.alarms, width: 24, height: 3 })],
        [
          new GraphWidget({
            title: 'Share of known accounts not read',
            left: [sweepMetric(METRICS.unreadShare, 'Maximum', period).with({ label: 'Unread share' })],
            leftAnnotations: [line(props.unreadRatio, 'sweep-unread')],
            width: 12,
          }),
          new GraphWidget({
            title: 'Notifications waiting for a channel',
            left: [sweepMetric(METRICS.pendingNotifications, 'Minimum', period).with({ label: 'Pending' })],
            width: 12,
          }),
        ],
        [
          new GraphWidget({
            title: 'Sweep duration (ms)',
            left: [props.duration.metric],
            leftAnnotations: [
              line(band.fromMs, 'sweep-duration'),
              line(props.duration.timeoutSeconds * 1000, 'limit'),
            ],
            width: 12,
          }),
          new GraphWidget({
            title: 'Dead letters (failed slots)',
            left: [props.deadLetterQueue.metricNumberOfMessagesSent({ period, label: 'Dead letters' })],
            width: 12,
          }),
        ],
        [logs('accounts-by-level'), logs('notifications-by-type')],
        [logs('sweeps', 24)],
        [logs('balance-totals'), logs('read-failures')],
      ],
    });
  }
}
