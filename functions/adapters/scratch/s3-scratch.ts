import { GetObjectCommand, PutObjectCommand, paginateListObjectsV2, type S3Client } from '@aws-sdk/client-s3';
import { FatalError, oneLine } from '../../core/errors.ts';
import type { ScratchStore } from './scratch-store.ts';

/**
 * The scratch store in the archive bucket, under `scratch/<sweep id>/`. Reading lists the sweep's
 * folder first and gets what is there, so a shard without a result is absent, not an error (a
 * GetObject of a missing key answers 403 to a role that may not list the whole bucket).
 */
export function createS3Scratch(options: { client: S3Client; bucket: string; prefix: string }): ScratchStore {
  const { client, bucket, prefix } = options;
  const folder = (sweepId: string) => `${prefix}${sweepId}/`;
  const fail = (what: string, key: string, error: unknown) =>
    new FatalError(`scratch s3://${bucket}/${key}: ${what} failed: ${oneLine(error)}`);

  return {
    async put(sweepId, name, value) {
      const key = folder(sweepId) + name;
      try {
        await client.send(
          new PutObjectCommand({
            Bucket: bucket,
            Key: key,
            Body: JSON.stringify(value),
            ContentType: 'application/json',
          }),
        );
      } catch (error) {
        throw fail('PutObject', key, error);
      }
    },

    async all(sweepId) {
      const documents = new Map<string, unknown>();
      const keys: string[] = [];
      try {
        for await (const page of paginateListObjectsV2(
          { client },
          { Bucket: bucket, Prefix: folder(sweepId) },
        )) {
          for (const object of page.Contents ?? []) if (object.Key) keys.push(object.Key);
        }
      } catch (error) {
        throw fail('ListObjectsV2', folder(sweepId), error);
      }
      for (const key of keys) {
        try {
          const out = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
          documents.set(
            key.slice(folder(sweepId).length),
            JSON.parse(await (out.Body?.transformToString() ?? 'null')),
          );
        } catch (error) {
          throw fail('GetObject', key, error);
        }
      }
      return documents;
    },
  };
}
