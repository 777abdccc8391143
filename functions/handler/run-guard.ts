import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { TRANSLATE } from '../adapters/dynamodb/table-access.ts';
import { FatalError, oneLine } from '../core/errors.ts';

/**
 * Keeps scheduled runs apart, in the table rather than with reserved concurrency (a new AWS
 * account has a concurrency quota of 10 and cannot reserve any):
 * - a lease item: one sweep at a time, a conditional write with an expiry, so a crashed run
 *   cannot block the next one for longer than its lease;
 * - a slot item per scheduled time: a retried or duplicated delivery of a slot that already
 *   finished is recognised and skipped.
 */

const LEASE_KEY = { pk: 'LEASE', sk: 'SWEEP' } as const;
const slotKey = (slot: string) => ({ pk: 'RUN', sk: slot });
/** Slot records only need to outlive the Scheduler's retries. */
const SLOT_TTL_SECONDS = 7 * 24 * 3600;

export interface RunGuardOptions {
  client: DynamoDBClient;
  tableName: string;
  now?: () => number;
}

export function createRunGuard(options: RunGuardOptions) {
  // The same translate options as the store: lib-dynamodb keeps them on the shared client.
  const documents = DynamoDBDocumentClient.from(options.client, TRANSLATE);
  const now = options.now ?? Date.now;
  const table = options.tableName;

  async function guarded<T>(what: string, action: () => Promise<T>): Promise<T> {
    try {
      return await action();
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) throw error;
      throw new FatalError(`DynamoDB table ${table}: cannot ${what}: ${oneLine(error)}`);
    }
  }

  return {
    /** True when this slot already ran to the end (complete or not). */
    async slotFinished(slot: string): Promise<boolean> {
      const result = await guarded('read the run record', () =>
        documents.send(new GetCommand({ TableName: table, Key: slotKey(slot), ConsistentRead: true })),
      );
      return result.Item?.status === 'finished';
    },

    async finishSlot(slot: string, sweepId: string, complete: boolean): Promise<void> {
      await guarded('write the run record', () =>
        documents.send(
          new PutCommand({
            TableName: table,
            Item: {
              ...slotKey(slot),
              status: 'finished',
              sweepId,
              complete,
              finishedAt: new Date(now()).toISOString(),
              expiresAt: Math.floor(now() / 1000) + SLOT_TTL_SECONDS,
            },
          }),
        ),
      );
    },

    /** Takes the lease unless another live run holds it (taking it again as the same owner renews it). */
    async acquire(owner: string, durationMs: number): Promise<boolean> {
      const t = now();
      try {
        await guarded('take the run lease', () =>
          documents.send(
            new PutCommand({
              TableName: table,
              Item: {
                ...LEASE_KEY,
                owner,
                until: t + durationMs,
                expiresAt: Math.ceil((t + durationMs) / 1000) + 3600,
              },
              // Its own lease again is taken too: a retried step (Step Functions retries a Lambda
              // whose answer was lost) must not find itself locked out until the lease expires.
              ConditionExpression: 'attribute_not_exists(pk) OR #until < :now OR #owner = :owner',
              ExpressionAttributeNames: { '#until': 'until', '#owner': 'owner' },
              ExpressionAttributeValues: { ':now': t, ':owner': owner },
            }),
          ),
        );
        return true;
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) return false;
        throw error;
      }
    },

    async release(owner: string): Promise<void> {
      try {
        await guarded('release the run lease', () =>
          documents.send(
            new DeleteCommand({
              TableName: table,
              Key: LEASE_KEY,
              ConditionExpression: '#owner = :owner',
              ExpressionAttributeNames: { '#owner': 'owner' },
              ExpressionAttributeValues: { ':owner': owner },
            }),
          ),
        );
      } catch (error) {
        // Someone took over an expired lease: it is theirs now.
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
      }
    },
  };
}

export type RunGuard = ReturnType<typeof createRunGuard>;
