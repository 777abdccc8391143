import { gunzipSync } from 'node:zlib';
import {
  GetObjectCommand,
  ListObjectsV2Command,
  NoSuchKey,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ARCHIVE_ENV, ARCHIVE_HANDLER, dayFileKey } from '../functions/contract/archive-layout.ts';
import { ENV } from '../functions/contract/handler.ts';
import type { ExportResult } from '../functions/core/archive-export.ts';
import { localDay } from '../functions/core/time.ts';
import { parseArchiveEnv } from '../functions/handler/archive-handler.ts';
import { type HistoryFixture, startHistory } from './support/history.ts';

/**
 * The daily export's Lambda entry run in-process, as Lambda would import and call it: the table
 * in dynalite filled by real sweeps, S3 mocked (no local twin here).
 */

const s3 = mockClient(S3Client);
const BUCKET = 'vobiz-archive-test';
const DAY_MS = 86_400_000;

let h: HistoryFixture;
let handler: (event: unknown, context: Context) => Promise<ExportResult>;
/** The two days swept, partner-local: three and two days ago, long over. */
let days: string[];

function context(remainingMs = 900_000): Context {
  return { awsRequestId: 'req-1', getRemainingTimeInMillis: () => remainingMs } as unknown as Context;
}

beforeAll(async () => {
  h = await startHistory({ accounts: 5, seed: 13 });
  const instants = [3, 2].map((n) => new Date(Date.now() - n * DAY_MS).toISOString());
  for (const now of instants) await h.sweepAt(now);
  days = instants.map((now) => localDay(now, 'Asia/Kolkata'));
  Object.assign(process.env, {
    AWS_REGION: 'ap-south-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_ENDPOINT_URL_DYNAMODB: h.endpoint,
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    POWERTOOLS_LOG_LEVEL: 'ERROR',
    [ENV.tableName]: h.tableName,
    [ARCHIVE_ENV.bucket]: BUCKET,
    [ENV.sweepConfig]: JSON.stringify({ timezone: 'Asia/Kolkata', tableWindowDays: 30 }),
  });
  const entry = (await import(/* @vite-ignore */ `../${ARCHIVE_HANDLER.entry}`)) as Record<
    string,
    typeof handler
  >;
  handler = entry[ARCHIVE_HANDLER.export] as typeof handler;
}, 60_000);

afterAll(async () => {
  await h.close();
});

beforeEach(() => {
  s3.reset();
  s3.on(ListObjectsV2Command).resolves({ Contents: [] });
  s3.on(GetObjectCommand).rejects(
    new NoSuchKey({ message: 'The specified key does not exist.', $metadata: {} }),
  );
  s3.on(PutObjectCommand).resolves({});
});

describe('the daily export Lambda', () => {
  it('puts one object per finished day, exactly the table day, then the index', async () => {
    // Act
    const result = await handler({}, context());

    // Assert
    expect(result.exported.map((d) => d.day)).toEqual(days);
    const puts = s3.commandCalls(PutObjectCommand).map((c) => c.args[0].input);
    // Each day, then the index that records it; the days after, empty, move the index on once more.
    expect(puts.slice(0, 4).map((p) => [p.Bucket, p.Key])).toEqual([
      [BUCKET, dayFileKey(days[0] as string)],
      [BUCKET, 'index.json.gz'],
      [BUCKET, dayFileKey(days[1] as string)],
      [BUCKET, 'index.json.gz'],
    ]);
    expect(puts.slice(4).every((p) => p.Key === 'index.json.gz')).toBe(true);
    const lines = gunzipSync(puts[0]?.Body as Buffer)
      .toString('utf8')
      .trim()
      .split('\n');
    let inTable = 0;
    await h.finance.forEachOfDay(days[0] as string, (page) => {
      inTable += page.length;
    });
    expect(lines).toHaveLength(inTable);
    const index = JSON.parse(gunzipSync(puts.at(-1)?.Body as Buffer).toString('utf8'));
    expect(index.exportedThrough >= (days[1] as string)).toBe(true);
    expect(index.exportedThrough < localDay(Date.now(), 'Asia/Kolkata')).toBe(true);
  });

  it('fails the invocation when the bucket refuses a day, so Lambda retries it and then dead-letters it', async () => {
    // Arrange
    s3.on(PutObjectCommand).rejects(
      new S3ServiceException({
        name: 'AccessDenied',
        $fault: 'client',
        $metadata: {},
        message: 'Access Denied',
      }),
    );

    // Act
    const run = handler({}, context());

    // Assert
    await expect(run).rejects.toThrow(
      `S3 archive s3://${BUCKET}/: PutObject ${dayFileKey(days[0] as string)} failed: AccessDenied: Access Denied`,
    );
  });

  it('starts no day when the invocation has less than a minute left, and says so', async () => {
    // Act
    const result = await handler({}, context(30_000));

    // Assert
    expect(result).toMatchObject({ exported: [], stoppedEarly: true, exportedThrough: null });
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(0);
  });
});

describe('the daily export environment', () => {
  const base = { [ENV.tableName]: 'history', [ARCHIVE_ENV.bucket]: 'bucket', [ENV.sweepConfig]: '{}' };

  it.each<[string, Record<string, string | undefined>, string]>([
    ['no table', { [ENV.tableName]: undefined }, `environment variable ${ENV.tableName} is not set`],
    [
      'no bucket',
      { [ARCHIVE_ENV.bucket]: undefined },
      `environment variable ${ARCHIVE_ENV.bucket} is not set`,
    ],
    [
      'settings that are not JSON',
      { [ENV.sweepConfig]: '{oops' },
      `environment variable ${ENV.sweepConfig} is not JSON`,
    ],
    [
      'a window longer than the retention',
      { [ENV.sweepConfig]: JSON.stringify({ retentionDays: 60, tableWindowDays: 90 }) },
      `environment variable ${ENV.sweepConfig}: tableWindowDays must not be above retentionDays (the archive keeps what the table lets go)`,
    ],
  ])('is refused in one line naming the variable: %s', (_what, change, message) => {
    expect(() => parseArchiveEnv({ ...base, ...change })).toThrow(message);
  });
});
