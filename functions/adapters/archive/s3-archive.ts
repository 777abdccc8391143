import { Readable } from 'node:stream';
import {
  GetObjectCommand,
  type GetObjectCommandOutput,
  PutObjectCommand,
  paginateListObjectsV2,
  type S3Client,
} from '@aws-sdk/client-s3';
import { ARCHIVE_LAYOUT, dayFileKey, dayOfKey } from '../../contract/archive-layout.ts';
import type { ArchivePort } from '../../core/archive.ts';
import { FatalError, oneLine } from '../../core/errors.ts';
import { decodeDay, decodeIndex, encodeDay, encodeIndex } from './archive-files.ts';

/**
 * The archive in an S3 bucket (the stack's archive bucket), under an optional prefix. A day is
 * one PutObject, so it appears whole or not at all; the bucket's Glue table reads the same keys.
 */

export interface S3ArchiveOptions {
  client: S3Client;
  bucket: string;
  /** Empty, or a folder-like prefix ending in '/'. */
  prefix?: string;
}

export function createS3Archive({ client, bucket, prefix = '' }: S3ArchiveOptions): ArchivePort {
  if (prefix !== '' && !prefix.endsWith('/')) prefix = `${prefix}/`;
  const location = `s3://${bucket}/${prefix}`;
  const fail = (what: string, key: string, error: unknown): Error =>
    new FatalError(`S3 archive ${location}: ${what} ${key} failed: ${errorText(error)}`);

  async function get(key: string): Promise<GetObjectCommandOutput | null> {
    try {
      return await client.send(new GetObjectCommand({ Bucket: bucket, Key: prefix + key }));
    } catch (error) {
      if (errorName(error) === 'NoSuchKey') return null;
      throw fail('GetObject', key, error);
    }
  }

  async function put(key: string, body: Buffer, contentType: string): Promise<void> {
    try {
      await client.send(
        new PutObjectCommand({ Bucket: bucket, Key: prefix + key, Body: body, ContentType: contentType }),
      );
    } catch (error) {
      throw fail('PutObject', key, error);
    }
  }

  return {
    location,

    async days() {
      const days: string[] = [];
      const listPrefix = `${prefix}${ARCHIVE_LAYOUT.snapshotsPrefix}${ARCHIVE_LAYOUT.partitionKey}=`;
      try {
        for await (const page of paginateListObjectsV2({ client }, { Bucket: bucket, Prefix: listPrefix })) {
          for (const object of page.Contents ?? []) {
            const day = object.Key ? dayOfKey(object.Key.slice(prefix.length)) : null;
            if (day) days.push(day);
          }
        }
      } catch (error) {
        throw fail('ListObjectsV2', listPrefix, error);
      }
      return days.sort();
    },

    async writeDay(day, fill) {
      const { body, snapshots } = await encodeDay(day, fill);
      if (snapshots === 0) return { snapshots, bytes: 0 };
      await put(dayFileKey(day), body, 'application/gzip');
      return { snapshots, bytes: body.length };
    },

    async readDay(day, visit) {
      const key = dayFileKey(day);
      const out = await get(key);
      if (!out) return false;
      if (!(out.Body instanceof Readable))
        throw fail('GetObject', key, new FatalError('the body is not a stream'));
      await decodeDay(out.Body, `${location}${key}`, day, visit);
      return true;
    },

    async readIndex() {
      const out = await get(ARCHIVE_LAYOUT.index);
      if (!out?.Body) return null;
      return decodeIndex(await out.Body.transformToByteArray(), `${location}${ARCHIVE_LAYOUT.index}`);
    },

    async writeIndex(index) {
      await put(ARCHIVE_LAYOUT.index, encodeIndex(index), 'application/gzip');
    },
  };
}

function errorName(error: unknown): string {
  const name = (error as { name?: unknown } | null)?.name;
  return typeof name === 'string' ? name : '';
}

function errorText(error: unknown): string {
  const name = errorName(error);
  const message = oneLine(error instanceof Error ? error.message : String(error));
  return name && name !== 'Error' && !message.startsWith(name) ? `${name}: ${message}` : message;
}
