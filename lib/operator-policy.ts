import { Validations } from 'aws-cdk-lib';
import { ManagedPolicy, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Construct, type IConstruct } from 'constructs';
import { ARCHIVE_LAYOUT } from '../functions/contract/archive-layout.ts';
import { AUDIT_PK, BY_DAY_INDEX, keys } from '../functions/contract/table-schema.ts';
import type { ArchiveBucket } from './archive-bucket.ts';
import type { HistoryTable } from './history-table.ts';

/**
 * The least an operator needs to run `history`, `closing`, `statement`, `report`, `audit`,
 * `thresholds` and `mute`/`unmute` from a laptop against the deployed table (`--table <name>` with
 * AWS credentials): read the table and its index, and write only the partitions those commands
 * change: accounts (overrides and mutes live in an account's state), the currency defaults and
 * the audit trail; never a sweep record, the run lease or a run slot, so an operator cannot run
 * or fake a sweep. IAM conditions see partition keys only: within an account's partition the CLI,
 * not IAM, keeps its snapshots apart from its state. Days older than the table's window are read
 * from the archive bucket (day files and the index, read only). test/stack-operator.test.ts runs
 * each command through a recording proxy and checks every DynamoDB call against this policy.
 */
export class OperatorPolicy extends Construct {
  readonly policy: ManagedPolicy;

  constructor(scope: Construct, id: string, props: { history: HistoryTable; archive: ArchiveBucket }) {
    super(scope, id);
    const table = props.history.table.tableArn;
    this.policy = new ManagedPolicy(this, 'Policy', {
      description:
        'Vobiz balance monitor operator: read the history table, change thresholds and mutes (with their audit entries). Attach to the people or roles that run the CLI against the deployed table.',
      statements: [
        new PolicyStatement({
          sid: 'ReadHistory',
          actions: ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query'],
          // byDay only: the registry index (`known`) is the sweep's, no operator command reads it.
          resources: [table, `${table}/index/${BY_DAY_INDEX}`],
        }),
        new PolicyStatement({
          sid: 'ChangeThresholdsAndMutes',
          actions: ['dynamodb:PutItem'],
          resources: [table],
          conditions: {
            'ForAllValues:StringLike': {
              'dynamodb:LeadingKeys': [`${keys.accountPk('')}*`, keys.currencyThresholds().pk, AUDIT_PK],
            },
          },
        }),
        // As the export's grant: without ListBucket, S3 answers a key not yet written with 403, not 404.
        new PolicyStatement({
          sid: 'ListArchive',
          actions: ['s3:ListBucket'],
          resources: [props.archive.bucket.bucketArn],
        }),
        new PolicyStatement({
          sid: 'ReadArchive',
          actions: ['s3:GetObject'],
          resources: [
            props.archive.objects(`${ARCHIVE_LAYOUT.snapshotsPrefix}*`),
            props.archive.objects(ARCHIVE_LAYOUT.index),
          ],
        }),
      ],
    });
    Validations.of(this.policy.node.defaultChild as IConstruct).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${props.archive.nagObjects(`${ARCHIVE_LAYOUT.snapshotsPrefix}*`)}]`,
      reason:
        'Finance reads one archive file per partner-local day under snapshots/, read only: the keys are not known in advance.',
    });
  }
}
