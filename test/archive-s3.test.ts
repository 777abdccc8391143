import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import {
  GetObjectCommand,
  ListObjectsV2Command,
  NoSuchKey,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createFolderArchive } from '../functions/adapters/archive/folder-archive.ts';
import { createS3Archive } from '../functions/adapters/archive/s3-archive.ts';
import { dayFileKey } from '../functions/contract/archive-layout.ts';
import { FatalError } from '../functions/core/errors.ts';
import type { Snapshot } from '../functions/core/types.ts';

/**
 * The S3 archive against a mocked S3 client (there is no local S3 here): the keys it writes and
 * reads, the same bytes as the folder archive, and failures named in one line.
 */

const s3 = mockClient(S3Client);
let dir: string;

beforeEach(async () => {
  s3.reset();
  dir = await mkdtemp(join(tmpdir(), 'vobiz-archive-s3-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const DAY = '2026-11-27';
const SNAPSHOTS: Snapshot[] = [
  {
    authId: 'MA_A',
    name: 'Asha Traders',
    currency: 'INR',
    balance: '1234.50000',
    observedAt: '2026-11-27T01:00:00.000Z',
    localDay: DAY,
    level: 'LOW',
    sweepId: 'sweep-1',
  },
  {
    authId: 'MA_B',
    name: 'Zhōu 周',
    currency: 'USD',
    balance: '-3.00001',
    observedAt: '2026-11-27T02:00:00.000Z',
    localDay: DAY,
    level: 'CRITICAL',
    sweepId: 'sweep-1',
  },
];

/** A GetObject body as the SDK gives it in Node: a stream that can also hand over its bytes. */
function body(bytes: Uint8Array): Readable & { transformToByteArray(): Promise<Uint8Array> } {
  return Object.assign(Readable.from([Buffer.from(bytes)]), { transformToByteArray: async () => bytes });
}

function archive(prefix?: string) {
  return createS3Archive({
    client: new S3Client({ region: 'ap-south-1' }),
    bucket: 'history-bucket',
    prefix,
  });
}

describe('the S3 archive', () => {
  it('puts a day as one object under snapshots/day=YYYY-MM-DD/, the same bytes as the folder archive', async () => {
    // Arrange
    s3.on(PutObjectCommand).resolves({});
    const folder = createFolderArchive(dir);

    // Act
    const written = await archive().writeDay(DAY, (write) => write(SNAPSHOTS));
    await folder.writeDay(DAY, (write) => write(SNAPSHOTS));

    // Assert
    const puts = s3.commandCalls(PutObjectCommand);
    expect(puts).toHaveLength(1);
    const input = puts[0]?.args[0].input;
    expect(input).toMatchObject({
      Bucket: 'history-bucket',
      Key: `snapshots/day=${DAY}/snapshots.jsonl.gz`,
      ContentType: 'application/gzip',
    });
    const local = await readFile(join(dir, ...dayFileKey(DAY).split('/')));
    expect(Buffer.from(input?.Body as Buffer).equals(local)).toBe(true);
    expect(written).toEqual({ snapshots: 2, bytes: local.length });
  });

  it('puts nothing for a day with no snapshot', async () => {
    // Act
    const written = await archive().writeDay(DAY, async () => {});

    // Assert
    expect(written).toEqual({ snapshots: 0, bytes: 0 });
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(0);
  });

  it('writes and lists under a prefix, and finds the days across listing pages', async () => {
    // Arrange
    s3.on(PutObjectCommand).resolves({});
    s3.on(ListObjectsV2Command)
      .resolvesOnce({
        Contents: [
          { Key: 'tenant-a/snapshots/day=2026-11-26/snapshots.jsonl.gz' },
          { Key: 'tenant-a/snapshots/day=2026-11-27/other.txt' },
        ],
        IsTruncated: true,
        NextContinuationToken: 'page-2',
      })
      .resolvesOnce({ Contents: [{ Key: 'tenant-a/snapshots/day=2026-11-25/snapshots.jsonl.gz' }] });
    const prefixed = archive('tenant-a');

    // Act
    await prefixed.writeDay(DAY, (write) => write(SNAPSHOTS));
    const days = await prefixed.days();

    // Assert
    expect(s3.commandCalls(PutObjectCommand)[0]?.args[0].input.Key).toBe(`tenant-a/${dayFileKey(DAY)}`);
    expect(days).toEqual(['2026-11-25', '2026-11-26']);
    // The SDK's paginator reuses one input object: what each call carried is its last state.
    const lists = s3.commandCalls(ListObjectsV2Command).map((c) => c.args[0].input);
    expect(lists).toHaveLength(2);
    for (const input of lists)
      expect(input).toMatchObject({ Bucket: 'history-bucket', Prefix: 'tenant-a/snapshots/day=' });
    expect(lists[1]?.ContinuationToken).toBe('page-2');
    expect(prefixed.location).toBe('s3://history-bucket/tenant-a/');
  });

  it('reads a day back exactly, and says false for a day with no object', async () => {
    // Arrange
    const folder = createFolderArchive(dir);
    await folder.writeDay(DAY, (write) => write(SNAPSHOTS));
    const bytes = await readFile(join(dir, ...dayFileKey(DAY).split('/')));
    s3.on(GetObjectCommand, { Key: dayFileKey(DAY) }).resolves({ Body: body(bytes) as never });
    s3.on(GetObjectCommand, { Key: dayFileKey('2026-11-28') }).rejects(
      new NoSuchKey({ message: 'The specified key does not exist.', $metadata: {} }),
    );
    const read: Snapshot[] = [];

    // Act
    const found = await archive().readDay(DAY, (page) => read.push(...page));
    const missing = await archive().readDay('2026-11-28', () => {});

    // Assert
    expect(found).toBe(true);
    expect(read).toEqual(SNAPSHOTS);
    expect(missing).toBe(false);
  });

  it('keeps its index at index.json.gz, none before the first write', async () => {
    // Arrange
    const index = { exportedThrough: DAY, accounts: new Map([['MA_A', { first: '2026-11-01', last: DAY }]]) };
    s3.on(GetObjectCommand).rejectsOnce(new NoSuchKey({ message: 'no', $metadata: {} }));
    s3.on(PutObjectCommand).resolves({});

    // Act
    const before = await archive().readIndex();
    await archive().writeIndex(index);
    const stored = s3.commandCalls(PutObjectCommand)[0]?.args[0].input;
    s3.on(GetObjectCommand).resolves({ Body: body(stored?.Body as Uint8Array) as never });
    const after = await archive().readIndex();

    // Assert
    expect(before).toBeNull();
    expect(stored?.Key).toBe('index.json.gz');
    expect(after).toEqual(index);
  });

  it('names the bucket, the call, the key and the reason of a failure in one line', async () => {
    // Arrange
    s3.on(PutObjectCommand).rejects(
      new S3ServiceException({
        name: 'AccessDenied',
        $fault: 'client',
        $metadata: {},
        message: 'User is not authorized\nto perform s3:PutObject',
      }),
    );

    // Act
    const write = archive().writeDay(DAY, (w) => w(SNAPSHOTS));

    // Assert
    await expect(write).rejects.toThrow(FatalError);
    await expect(archive().writeDay(DAY, (w) => w(SNAPSHOTS))).rejects.toThrow(
      `S3 archive s3://history-bucket/: PutObject ${dayFileKey(DAY)} failed: AccessDenied: User is not authorized to perform s3:PutObject`,
    );
  });
});
