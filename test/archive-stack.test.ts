import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createFolderArchive } from '../functions/adapters/archive/folder-archive.ts';
import { ARCHIVE_COLUMNS, ARCHIVE_ENV, ARCHIVE_HANDLER } from '../functions/contract/archive-layout.ts';
import { ENV } from '../functions/contract/handler.ts';
import { TABLE_SCHEMA } from '../functions/contract/table-schema.ts';
import type { Level, Snapshot } from '../functions/core/types.ts';
import { parseArchiveEnv } from '../functions/handler/archive-handler.ts';
import { ArchiveBucket } from '../lib/archive-bucket.ts';
import type { BalanceMonitorStack } from '../lib/balance-monitor-stack.ts';
import { PROJECT_ROOT } from '../lib/sweep-function.ts';
import { synthesize } from './support/stack-app.ts';
import { joined } from './support/template-reads.ts';

/**
 * The archive's stack side, proven on the synthesized template: the bucket's protections and
 * lifecycle, the Glue table Athena reads (checked against archive files the adapter really
 * writes), the daily export's function, schedule and exact grants, and cdk-nag.
 */

type Json = Record<string, unknown>;

function bucketStack(retentionDays = 400): { stack: Stack; archive: ArchiveBucket; template: Template } {
  // CloudFormation's own validation is left to the one real synth (test/support/stack-app.ts).
  const stack = new Stack(new App({ builtinCloudFormationValidation: false }), 'VobizBalanceMonitor', {
    env: { account: '123456789012', region: 'ap-south-1' },
  });
  const archive = new ArchiveBucket(stack, 'Archive', { retentionDays });
  return { stack, archive, template: Template.fromStack(stack) };
}

function only(template: Template, type: string): Json {
  const found = Object.values(template.findResources(type)) as Json[];
  expect(found, type).toHaveLength(1);
  return (found[0] as Json).Properties as Json;
}

function nagFindings(scope: IConstruct): string[] {
  return [new AwsSolutionsChecks(), new ServerlessChecks()].flatMap((pack) =>
    pack
      .validateScope(scope)
      .violations.flatMap((v) => v.violatingResources.map((r) => `${v.ruleName} ${r.constructPath}`)),
  );
}

let bucket: ReturnType<typeof bucketStack>;

beforeAll(() => {
  bucket = bucketStack();
});

describe('the archive bucket', () => {
  it('encrypts with S3-managed keys and blocks every kind of public access', () => {
    const props = only(bucket.template, 'AWS::S3::Bucket');
    expect(props.BucketEncryption).toEqual({
      ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
    });
    expect(props.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
  });

  it('refuses every request over plain HTTP, on the bucket and on its objects', () => {
    const policy = only(bucket.template, 'AWS::S3::BucketPolicy').PolicyDocument as Json;
    const deny = (policy.Statement as Json[]).find((s) => s.Effect === 'Deny') as Json;
    expect(deny).toMatchObject({
      Action: 's3:*',
      Principal: { AWS: '*' },
      Condition: { Bool: { 'aws:SecureTransport': 'false' } },
    });
    const id = bucket.stack.getLogicalId(bucket.archive.bucket.node.defaultChild as never);
    expect((deny.Resource as unknown[]).map(joined)).toEqual([`<${id}.Arn>`, `<${id}.Arn>/*`]);
  });

  it('outlives the stack and keeps overwritten or deleted files for 30 days, since past the window it holds the only copy', () => {
    bucket.template.hasResource('AWS::S3::Bucket', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
    expect(only(bucket.template, 'AWS::S3::Bucket').VersioningConfiguration).toEqual({ Status: 'Enabled' });
  });

  it('moves day files to Infrequent Access after 30 days and Glacier Instant Retrieval after 90, and deletes them at the retention', () => {
    const rules = (
      (only(bucket.template, 'AWS::S3::Bucket').LifecycleConfiguration as Json).Rules as Json[]
    ).map(({ Status, ...rule }) => {
      expect(Status).toBe('Enabled');
      return rule;
    });
    expect(rules).toEqual([
      {
        Id: 'history',
        Prefix: 'snapshots/',
        ExpirationInDays: 400,
        Transitions: [
          { StorageClass: 'STANDARD_IA', TransitionInDays: 30 },
          { StorageClass: 'GLACIER_IR', TransitionInDays: 90 },
        ],
      },
      {
        Id: 'versions',
        NoncurrentVersionExpiration: { NoncurrentDays: 30 },
        ExpiredObjectDeleteMarker: true,
        AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
      },
      { Id: 'scratch', Prefix: 'scratch/', ExpirationInDays: 1 },
      { Id: 'athena-results', Prefix: 'athena-results/', ExpirationInDays: 7 },
    ]);
  });

  it('drops a transition that would come after the files expire', () => {
    const rule = (retentionDays: number) =>
      (
        (only(bucketStack(retentionDays).template, 'AWS::S3::Bucket').LifecycleConfiguration as Json)
          .Rules as Json[]
      )[0];
    expect(rule(60)).toMatchObject({
      ExpirationInDays: 60,
      Transitions: [{ StorageClass: 'STANDARD_IA', TransitionInDays: 30 }],
    });
    expect(rule(20)?.Transitions).toBeUndefined();
  });

  it('gives Athena a workgroup whose results are encrypted, in the bucket, and cannot be sent elsewhere', () => {
    const props = only(bucket.template, 'AWS::Athena::WorkGroup');
    const config = props.WorkGroupConfiguration as Json;
    expect(props.Name).toBe('VobizBalanceMonitor-history');
    expect(config).toMatchObject({
      EnforceWorkGroupConfiguration: true,
      ResultConfiguration: { EncryptionConfiguration: { EncryptionOption: 'SSE_S3' } },
    });
    const id = bucket.stack.getLogicalId(bucket.archive.bucket.node.defaultChild as never);
    expect(joined((config.ResultConfiguration as Json).OutputLocation)).toBe(`s3://<${id}>/athena-results/`);
  });

  it('leaves cdk-nag with nothing unacknowledged, and would report the server access logs without the acknowledgement', () => {
    const bare = bucketStack();
    const child = bare.archive.bucket.node.defaultChild as IConstruct;
    const metadata = (child.node as unknown as { _metadata: { type: string }[] })._metadata;
    metadata.splice(0, metadata.length, ...metadata.filter((m) => m.type !== 'aws:cdk:acknowledged-rules'));

    expect(nagFindings(bucket.stack)).toEqual([]);
    expect(nagFindings(bare.stack)).toEqual(['AwsSolutions-S1 VobizBalanceMonitor/Archive/Bucket/Resource']);
  });
});

describe("the Glue table over the archive's day files", () => {
  let root: string;
  /** Every file the folder archive wrote, relative to its root. */
  let files: string[];
  let table: Json;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'vobiz-archive-glue-'));
    const archive = createFolderArchive(root);
    const levels: Level[] = ['UNKNOWN', 'OK', 'LOW', 'CRITICAL'];
    for (const day of ['2026-02-28', '2026-03-01']) {
      const snapshots: Snapshot[] = levels.map((level, i) => ({
        authId: `MA_${i}`,
        name: `Name ${i} "quoted", ü`,
        currency: i % 2 ? 'USD' : 'INR',
        balance: i === 3 ? '-0.00001' : '123456789012345678901234567890.12345',
        observedAt: `${day}T0${i}:00:00.000Z`,
        localDay: day,
        level,
        sweepId: `sweep-${i}`,
      }));
      await archive.writeDay(day, (write) => write(snapshots));
    }
    const walk = async (dir: string): Promise<string[]> =>
      (
        await Promise.all(
          (
            await readdir(dir, { withFileTypes: true })
          ).map((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [relative(root, join(dir, e.name))])),
        )
      ).flat();
    files = (await walk(join(root, 'snapshots'))).sort();
    table = (only(bucket.template, 'AWS::Glue::Table').TableInput as Json) ?? {};
  });

  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('has every key of every line as a column of a compatible type, and no column the files lack', async () => {
    // Arrange
    const columns = new Map(
      ((table.StorageDescriptor as Json).Columns as Json[]).map((c) => [c.Name as string, c.Type as string]),
    );
    const compatible: Record<string, string[]> = {
      string: ['string'],
      number: ['int', 'bigint', 'double', 'decimal'],
      boolean: ['boolean'],
    };
    const seen = new Set<string>();

    // Act
    for (const file of files) {
      const text = gunzipSync(await readFile(join(root, file))).toString('utf8');
      for (const line of text.trim().split('\n')) {
        for (const [key, value] of Object.entries(JSON.parse(line) as Json)) {
          seen.add(key);
          // Assert
          expect(columns.has(key), `${file}: ${key}`).toBe(true);
          expect(compatible[typeof value], `${file}: ${key} is ${typeof value}`).toContain(
            (columns.get(key) as string).replace(/\(.*\)$/, ''),
          );
        }
      }
    }
    expect([...seen].sort()).toEqual([...columns.keys()].sort());
    expect([...columns.keys()]).toEqual(ARCHIVE_COLUMNS.map((c) => c.name));
  });

  it('partitions by day exactly as the folders are named, and finds each file through the projection template', () => {
    // Arrange
    const partitions = table.PartitionKeys as Json[];
    const parameters = table.Parameters as Record<string, unknown>;
    const id = bucket.stack.getLogicalId(bucket.archive.bucket.node.defaultChild as never);
    const template = joined(parameters['storage.location.template']);
    const location = joined((table.StorageDescriptor as Json).Location);

    // Assert
    expect(partitions).toEqual([{ Name: 'day', Type: 'string', Comment: 'partner-local day, YYYY-MM-DD' }]);
    expect(ARCHIVE_COLUMNS.map((c) => c.name)).not.toContain('day');
    expect(location).toBe(`s3://<${id}>/snapshots/`);
    expect(parameters).toMatchObject({
      'projection.enabled': 'true',
      'projection.day.type': 'date',
      'projection.day.format': 'yyyy-MM-dd',
      'projection.day.range': 'NOW-401DAYS,NOW+1DAYS',
      'projection.day.interval': '1',
      'projection.day.interval.unit': 'DAYS',
      classification: 'json',
      compressionType: 'gzip',
    });
    expect(files).toHaveLength(2);
    for (const file of files) {
      const day = /day=(\d{4}-\d{2}-\d{2})\//.exec(file)?.[1] as string;
      // yyyy-MM-dd, the projection's format, reads the folder's day back as itself.
      expect(new Date(`${day}T00:00:00Z`).toISOString().slice(0, 10)).toBe(day);
      // Athena's placeholder, literally.
      const folder = template.replace(`s3://<${id}>/`, '').replace(`$\{day}`, day);
      expect(file.startsWith(folder), `${file} under ${folder}`).toBe(true);
      expect(file.slice(folder.length)).toMatch(/^[^/]+\.gz$/);
    }
  });

  it('reads the files as gzip JSON Lines, which is what they are', async () => {
    const serde = ((table.StorageDescriptor as Json).SerdeInfo as Json).SerializationLibrary;
    expect(serde).toBe('org.openx.data.jsonserde.JsonSerDe');
    for (const file of files) {
      const bytes = await readFile(join(root, file));
      expect([bytes[0], bytes[1]]).toEqual([0x1f, 0x8b]);
      for (const line of gunzipSync(bytes).toString('utf8').trim().split('\n'))
        expect(() => JSON.parse(line)).not.toThrow();
    }
  });
});

describe('the daily export in the stack', () => {
  let stack: BalanceMonitorStack;
  let template: Template;

  beforeAll(() => {
    ({ stack, template } = synthesize());
  });

  function exportFunction(): Json {
    return template.toJSON().Resources[
      stack.getLogicalId(stack.archiveExport.function.node.defaultChild as never)
    ].Properties as Json;
  }

  it('passes the function an environment its own parser reads back', () => {
    // Arrange
    const variables = (exportFunction().Environment as Json).Variables as Json;
    const env = Object.fromEntries(
      Object.entries(variables).map(([k, v]) => [k, typeof v === 'string' ? v : `token-${k}`]),
    );

    // Act
    const parsed = parseArchiveEnv(env);

    // Assert
    expect(variables[ENV.tableName]).toEqual({
      Ref: stack.getLogicalId(stack.table.node.defaultChild as never),
    });
    expect(variables[ARCHIVE_ENV.bucket]).toEqual({
      Ref: stack.getLogicalId(stack.archive.bucket.node.defaultChild as never),
    });
    expect(parsed.sweep.timezone).toBe('Asia/Kolkata');
    expect(parsed.sweep.retentionDays).toBe(400);
  });

  it('runs at 03:00 partner time every day, retried, with what fails kept in the dead-letter queue', () => {
    const fn = stack.getLogicalId(stack.archiveExport.function.node.defaultChild as never);
    const dlq = stack.getLogicalId(stack.deadLetterQueue.node.defaultChild as never);
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'cron(0 3 * * ? *)',
      ScheduleExpressionTimezone: 'Asia/Kolkata',
      Target: Match.objectLike({
        Arn: { 'Fn::GetAtt': [fn, 'Arn'] },
        RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 6 * 3600 },
        DeadLetterConfig: { Arn: { 'Fn::GetAtt': [dlq, 'Arn'] } },
      }),
    });
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: fn },
      MaximumRetryAttempts: 2,
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [dlq, 'Arn'] } } },
    });
    expect(exportFunction()).toMatchObject({ Handler: `index.${ARCHIVE_HANDLER.export}`, Timeout: 900 });
  });

  it('may query the table and its index, list and write the archive days and index, write its logs, and nothing else', () => {
    // Arrange
    const role = stack.getLogicalId(stack.archiveExport.function.role?.node.defaultChild as never);
    const policies = Object.values(template.findResources('AWS::IAM::Policy')) as Json[];
    const mine = policies.filter((p) => ((p.Properties as Json).Roles as Json[]).some((r) => r.Ref === role));
    const table = stack.getLogicalId(stack.table.node.defaultChild as never);
    const bucketId = stack.getLogicalId(stack.archive.bucket.node.defaultChild as never);
    const logs = stack.getLogicalId(stack.archiveExport.node.findChild('Logs').node.defaultChild as never);
    const dlq = stack.getLogicalId(stack.deadLetterQueue.node.defaultChild as never);

    // Act
    const statements = mine.flatMap(
      (p) => ((p.Properties as Json).PolicyDocument as Json).Statement as Json[],
    );
    const grants = statements.map((s) => ({
      actions: [s.Action].flat().sort(),
      resources: [s.Resource].flat().map(joined).sort(),
      ...(s.Condition ? { condition: s.Condition } : {}),
    }));

    // Assert
    expect(grants).toEqual([
      { actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [`<${logs}.Arn>`] },
      {
        actions: ['dynamodb:Query'],
        resources: [`<${table}.Arn>`, `<${table}.Arn>/index/${TABLE_SCHEMA.globalIndexes[0]?.name}`],
      },
      // Without it S3 answers 403, not 404, for the index a new archive does not have yet.
      { actions: ['s3:ListBucket'], resources: [`<${bucketId}.Arn>`] },
      {
        actions: ['s3:GetObject', 's3:PutObject'],
        resources: [`<${bucketId}.Arn>/index.json.gz`, `<${bucketId}.Arn>/snapshots/*`],
      },
      {
        actions: ['sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:SendMessage'],
        resources: [`<${dlq}.Arn>`],
      },
    ]);
  });

  it('exports the handler the stack points at, as a function', async () => {
    // Arrange: the entry validates its environment at import
    vi.stubEnv('AWS_REGION', 'ap-south-1');
    vi.stubEnv(ENV.tableName, 'history');
    vi.stubEnv(ARCHIVE_ENV.bucket, 'archive-bucket');
    vi.stubEnv(ENV.sweepConfig, '{}');
    try {
      // Act
      const entry = (await import(join(PROJECT_ROOT, ARCHIVE_HANDLER.entry))) as Record<string, unknown>;

      // Assert
      expect(typeof entry[ARCHIVE_HANDLER.export]).toBe('function');
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it('names the archive bucket, the Athena workgroup and table in an output', () => {
    template.hasOutput('ArchiveBucketName', {
      Value: { Ref: stack.getLogicalId(stack.archive.bucket.node.defaultChild as never) },
      Description:
        'History archive; Athena: workgroup VobizBalanceMonitor-history, table vobiz_balance_monitor.snapshots',
    });
  });

  it('leaves cdk-nag with nothing unacknowledged across the whole stack', () => {
    expect(nagFindings(stack)).toEqual([]);
  });
});
