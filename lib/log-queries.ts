import { Stack } from 'aws-cdk-lib';
import type { ILogGroup } from 'aws-cdk-lib/aws-logs';
import { QueryDefinition, QueryString } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { SWEEP_LOG } from '../functions/contract/metrics.ts';
import type { Level, NotificationType } from '../functions/core/types.ts';

/**
 * The breakdowns that are not metrics (metrics cost $0.30 a month each; a saved query costs
 * nothing until it runs, then $0.005 per GB scanned): each is a CloudWatch Logs Insights query
 * over the sweep function's log group, saved in the console under `<stack name>/`.
 * `reads` names the fields of the log line a query needs: test/stack-metrics.test.ts checks
 * the handler really writes them.
 */

/** `satisfies Record<...>`: a new notification type or level breaks the build until it is listed here. */
const NOTIFICATION_TYPES = Object.keys({
  low: 1,
  critical: 1,
  recovered: 1,
  reminder: 1,
  forecast: 1,
  spike: 1,
  partner_low: 1,
  partner_recovered: 1,
} satisfies Record<NotificationType, 1>);
const LEVELS = Object.keys({ UNKNOWN: 1, OK: 1, LOW: 1, CRITICAL: 1 } satisfies Record<Level, 1>);

export type QueryView = 'table' | 'line' | 'stackedarea' | 'bar';

export interface SweepQuery {
  /** Name under the stack's folder, and the construct id. */
  name: string;
  title: string;
  /** The log line it reads and the fields of that line (top level; nested keys below them). */
  message: string;
  reads: readonly string[];
  query: QueryString;
  view: QueryView;
}

const finished = `message = "${SWEEP_LOG.message}"`;

/** The `sweeps` query's columns: the fields of the `sweep finished` line it reads. */
const SWEEP_FIELDS = [
  'complete',
  'accountsListed',
  'balancesFetched',
  'failed',
  'unreached',
  'unreadShare',
  'notifications',
  'pendingNotifications',
  'durationMs',
  'stoppedReason',
];

export const SWEEP_QUERIES: readonly SweepQuery[] = [
  {
    name: 'sweeps',
    title: 'Sweeps, newest first',
    message: SWEEP_LOG.message,
    reads: SWEEP_FIELDS,
    query: new QueryString({
      filterStatements: [finished],
      fields: ['@timestamp', ...SWEEP_FIELDS],
      sort: '@timestamp desc',
      limit: 200,
    }),
    view: 'table',
  },
  {
    name: 'accounts-by-level',
    title: 'Accounts per level (hourly maximum)',
    message: SWEEP_LOG.message,
    reads: ['levels', 'accountsListed'],
    query: new QueryString({
      filterStatements: [finished],
      statsStatements: [
        `${LEVELS.map((l) => `max(levels.${l}) as ${l.toLowerCase()}`).join(', ')}, max(accountsListed) as listed by bin(1h)`,
      ],
    }),
    view: 'line',
  },
  {
    name: 'notifications-by-type',
    title: 'Notifications decided per day, by type',
    message: SWEEP_LOG.message,
    reads: ['notificationsByType'],
    query: new QueryString({
      filterStatements: [finished],
      statsStatements: [
        `${NOTIFICATION_TYPES.map((t) => `sum(notificationsByType.${t}) as ${t}`).join(', ')} by bin(1d)`,
      ],
    }),
    view: 'stackedarea',
  },
  {
    name: 'balance-totals',
    title: 'Total customer balance per currency and the partner wallet (exact decimals)',
    message: SWEEP_LOG.message,
    reads: ['totals', 'partner'],
    // Currencies are not known in advance: the totals object is shown whole, as written.
    query: new QueryString({
      filterStatements: [finished],
      parseStatements: ['@message /"totals":(?<totalsByCurrency>\\{[^}]*\\})/'],
      sort: '@timestamp desc',
      limit: 100,
      // display, not fields: it runs after parse, which is what makes totalsByCurrency.
      display: '@timestamp, totalsByCurrency, partner.balance, partner.currency, partner.level',
    }),
    view: 'table',
  },
  {
    name: 'read-failures',
    title: 'Balance reads that failed, by reason',
    message: SWEEP_LOG.readFailed,
    reads: ['reason'],
    query: new QueryString({
      filterStatements: [`message = "${SWEEP_LOG.readFailed}"`],
      statsStatements: ['count(*) as reads by reason'],
      sort: 'reads desc',
    }),
    view: 'table',
  },
  {
    name: 'delivery-refused',
    title: 'Notification channels that refused delivery',
    message: SWEEP_LOG.deliveryRefused,
    reads: ['channel', 'pending', 'reason'],
    query: new QueryString({
      filterStatements: [`message = "${SWEEP_LOG.deliveryRefused}"`],
      fields: ['@timestamp', 'channel', 'pending', 'reason'],
      sort: '@timestamp desc',
      limit: 100,
    }),
    view: 'table',
  },
  {
    name: 'function-failures',
    title: 'Failed invocations: errors and timeouts',
    message: 'ERROR',
    reads: [],
    // The runtime logs an uncaught error as level ERROR; a timeout shows in the platform report.
    query: new QueryString({
      filterStatements: ['level = "ERROR" or record.status = "timeout" or record.status = "error"'],
      fields: ['@timestamp', 'errorType', 'errorMessage', 'message', 'record.status'],
      sort: '@timestamp desc',
      limit: 50,
    }),
    view: 'table',
  },
];

/** The saved queries, each scoped to the sweep function's log group. */
export class SweepLogQueries extends Construct {
  readonly definitions: QueryDefinition[];

  constructor(scope: Construct, id: string, props: { logGroup: ILogGroup }) {
    super(scope, id);
    const folder = Stack.of(this).stackName;
    this.definitions = SWEEP_QUERIES.map(
      (q) =>
        new QueryDefinition(this, q.name, {
          queryDefinitionName: `${folder}/${q.name}`,
          queryString: q.query,
          logGroups: [props.logGroup],
        }),
    );
  }
}
