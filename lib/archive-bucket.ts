import { type CfnElement, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { CfnWorkGroup } from 'aws-cdk-lib/aws-athena';
import { CfnDatabase, CfnTable } from 'aws-cdk-lib/aws-glue';
import { type IGrantable, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import {
  BlockPublicAccess,
  Bucket,
  BucketEncryption,
  type LifecycleRule,
  StorageClass,
  type Transition,
} from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { ARCHIVE_COLUMNS, ARCHIVE_LAYOUT } from '../functions/contract/archive-layout.ts';

export interface ArchiveBucketProps {
  /** History is kept this long: a day's file expires this many days after it was written. */
  retentionDays: number;
}

/** Cheaper storage classes as a day file ages, each only if it comes before the file expires. */
const TRANSITIONS: readonly { days: number; storageClass: StorageClass }[] = [
  // Read now and then by finance for the past months.
  { days: 30, storageClass: StorageClass.INFREQUENT_ACCESS },
  // Read rarely (old statements, audits); still in milliseconds, at a retrieval fee.
  { days: 90, storageClass: StorageClass.GLACIER_INSTANT_RETRIEVAL },
];

/** Overwritten or deleted files stay recoverable this long. */
const NONCURRENT_DAYS = 30;
/** Per-sweep data written by one sweep and read by its finalize step. */
const SCRATCH_DAYS = 1;
const ATHENA_RESULT_DAYS = 7;
/** A runaway query stops here: 10 GB scanned is $0.05 at Athena's list price. */
const BYTES_SCANNED_CUTOFF = 10 * 1024 ** 3;

/**
 * The history archive in the cloud: one S3 bucket holding every snapshot, one gzip'd JSON Lines
 * file per partner-local day (functions/contract/archive-layout.ts), for the full retention,
 * while the table keeps only a recent window. Around it: a Glue table with partition projection
 * on `day`, so Athena queries all history with no crawler and no partition to load, and an
 * Athena workgroup whose results land, encrypted, in the same bucket and expire.
 */
export class ArchiveBucket extends Construct {
  readonly bucket: Bucket;
  readonly database: CfnDatabase;
  readonly table: CfnTable;
  readonly workGroup: CfnWorkGroup;
  readonly databaseName: string;
  readonly tableName = 'snapshots';
  readonly workGroupName: string;

  constructor(scope: Construct, id: string, props: ArchiveBucketProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.bucket = new Bucket(this, 'Bucket', {
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      // Past the table's window the archive holds the only copy: an overwrite or a delete stays undoable.
      versioned: true,
      removalPolicy: RemovalPolicy.RETAIN,
      lifecycleRules: lifecycleRules(props.retentionDays),
    });
    Validations.of(this.bucket.node.defaultChild as Construct).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'One function writes the archive and finance reads it with IAM credentials; server access logs would need a second bucket and could cost more than the archive at this size. Policy changes are in CloudTrail management events; turn on CloudTrail S3 data events where per-object reads must be audited.',
    });

    this.databaseName = glueName(stack.stackName);
    this.database = new CfnDatabase(this, 'Database', {
      catalogId: stack.account,
      databaseInput: {
        name: this.databaseName,
        description: 'Vobiz balance history: every snapshot, archived daily from the table',
      },
    });
    const root = `s3://${this.bucket.bucketName}/${ARCHIVE_LAYOUT.snapshotsPrefix}`;
    const key = ARCHIVE_LAYOUT.partitionKey;
    this.table = new CfnTable(this, 'Table', {
      catalogId: stack.account,
      databaseName: this.databaseName,
      tableInput: {
        name: this.tableName,
        description: 'One row per balance snapshot; partitioned by the partner-local day',
        tableType: 'EXTERNAL_TABLE',
        parameters: {
          classification: 'json',
          compressionType: 'gzip',
          'projection.enabled': 'true',
          [`projection.${key}.type`]: 'date',
          [`projection.${key}.format`]: 'yyyy-MM-dd',
          // A day ahead: the partner's today can be UTC's tomorrow.
          [`projection.${key}.range`]: `NOW-${props.retentionDays + 1}DAYS,NOW+1DAYS`,
          [`projection.${key}.interval`]: '1',
          [`projection.${key}.interval.unit`]: 'DAYS',
          // `${day}` is Athena's placeholder, not this file's.
          'storage.location.template': `${root}${key}=$\{${key}}/`,
        },
        partitionKeys: [{ name: key, type: 'string', comment: 'partner-local day, YYYY-MM-DD' }],
        storageDescriptor: {
          location: root,
          inputFormat: 'org.apache.hadoop.mapred.TextInputFormat',
          outputFormat: 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat',
          serdeInfo: { serializationLibrary: 'org.openx.data.jsonserde.JsonSerDe' },
          columns: ARCHIVE_COLUMNS.map((c) => ({ name: c.name, type: c.type, comment: c.comment })),
        },
      },
    });
    this.table.addResourceDependency(this.database);

    this.workGroupName = `${stack.stackName}-history`;
    this.workGroup = new CfnWorkGroup(this, 'WorkGroup', {
      name: this.workGroupName,
      description: 'Queries over the Vobiz balance history archive',
      recursiveDeleteOption: true,
      workGroupConfiguration: {
        enforceWorkGroupConfiguration: true,
        publishCloudWatchMetricsEnabled: false,
        bytesScannedCutoffPerQuery: BYTES_SCANNED_CUTOFF,
        resultConfiguration: {
          outputLocation: `s3://${this.bucket.bucketName}/${ARCHIVE_LAYOUT.athenaResultsPrefix}`,
          encryptionConfiguration: { encryptionOption: 'SSE_S3' },
        },
      },
    });
  }

  /** What the daily export does: list the days, read and write day files and the index. Nothing else. */
  grantExport(grantee: IGrantable): void {
    // Unconditional: S3 answers a GetObject of a missing key (a new archive's index) with 404 only to
    // a principal that may list the bucket, and with 403 otherwise, which would fail the first run.
    grantee.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({
        sid: 'ListArchivedDays',
        actions: ['s3:ListBucket'],
        resources: [this.bucket.bucketArn],
      }),
    );
    grantee.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({
        sid: 'ReadWriteArchive',
        actions: ['s3:GetObject', 's3:PutObject'],
        resources: [this.objects(`${ARCHIVE_LAYOUT.snapshotsPrefix}*`), this.objects(ARCHIVE_LAYOUT.index)],
      }),
    );
  }

  /** Read and write under the short-lived scratch prefix (per-sweep data). */
  grantScratch(grantee: IGrantable): void {
    grantee.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({
        sid: 'ReadWriteSweepScratch',
        actions: ['s3:GetObject', 's3:PutObject'],
        resources: [this.objects(`${ARCHIVE_LAYOUT.scratchPrefix}*`)],
      }),
    );
  }

  /** The ARN of keys under the bucket. */
  objects(pattern: string): string {
    return this.bucket.arnForObjects(pattern);
  }

  /** How cdk-nag names a statement's resource of keys under the bucket (for IAM5 acknowledgements). */
  nagObjects(pattern: string): string {
    const stack = Stack.of(this);
    return `<${stack.getLogicalId(this.bucket.node.defaultChild as CfnElement)}.Arn>/${pattern}`;
  }
}

export function lifecycleRules(retentionDays: number): LifecycleRule[] {
  const transitions: Transition[] = TRANSITIONS.filter((t) => t.days < retentionDays).map((t) => ({
    storageClass: t.storageClass,
    transitionAfter: Duration.days(t.days),
  }));
  return [
    {
      id: 'history',
      prefix: ARCHIVE_LAYOUT.snapshotsPrefix,
      transitions,
      expiration: Duration.days(retentionDays),
    },
    {
      id: 'versions',
      noncurrentVersionExpiration: Duration.days(NONCURRENT_DAYS),
      expiredObjectDeleteMarker: true,
      abortIncompleteMultipartUploadAfter: Duration.days(1),
    },
    { id: 'scratch', prefix: ARCHIVE_LAYOUT.scratchPrefix, expiration: Duration.days(SCRATCH_DAYS) },
    {
      id: 'athena-results',
      prefix: ARCHIVE_LAYOUT.athenaResultsPrefix,
      expiration: Duration.days(ATHENA_RESULT_DAYS),
    },
  ];
}

/** Glue names are lower case letters, digits and underscores. */
function glueName(stackName: string): string {
  return `${stackName
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase()
    .replace(/[^a-z0-9_]/g, '_')}`;
}
