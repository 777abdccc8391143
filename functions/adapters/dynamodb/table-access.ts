import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DynamoDBDocumentClient,
  QueryCommand,
  type QueryCommandInput,
  type TranslateConfig,
} from '@aws-sdk/lib-dynamodb';
import { storeError } from './errors.ts';
import type { Item } from './items.ts';

/**
 * How every adapter of this project talks to the table: one DocumentClient configuration
 * (money is only exact with wrapNumbers), failures turned into one-line errors naming the
 * table, and paged queries.
 */

/** Every DocumentClient made from a shared DynamoDBClient must use these, or money reads stop being exact. */
export const TRANSLATE: TranslateConfig = {
  marshallOptions: { removeUndefinedValues: true },
  unmarshallOptions: { wrapNumbers: true },
};

export interface TableAccess {
  doc: DynamoDBDocumentClient;
  tableName: string;
  /** Runs one request; a failure becomes a one-line error naming the table and endpoint. */
  call<T>(request: () => Promise<T>): Promise<T>;
  /** Pages through a query, handing each page to `visit` (awaited), up to `limit` items. */
  forEachPage(
    input: Omit<QueryCommandInput, 'TableName'>,
    visit: (items: Item[]) => void | Promise<void>,
    limit?: number,
  ): Promise<void>;
  query(input: Omit<QueryCommandInput, 'TableName'>, limit?: number): Promise<Item[]>;
}

export function tableAccess(
  client: DynamoDBClient,
  tableName: string,
  observe: { onRequest?: () => void; onItemsRead?: (count: number) => void } = {},
): TableAccess {
  const doc = DynamoDBDocumentClient.from(client, TRANSLATE);

  async function call<T>(request: () => Promise<T>): Promise<T> {
    observe.onRequest?.();
    // lib-dynamodb keeps the translate options on the client's shared config object, where
    // another DocumentClient made from the same client would replace them: put ours back.
    (client.config as { translateConfig?: TranslateConfig }).translateConfig = TRANSLATE;
    try {
      return await request();
    } catch (error) {
      throw await storeError(error, client, tableName);
    }
  }

  async function forEachPage(
    input: Omit<QueryCommandInput, 'TableName'>,
    visit: (items: Item[]) => void | Promise<void>,
    limit = Number.POSITIVE_INFINITY,
  ): Promise<void> {
    let start: Record<string, unknown> | undefined;
    let seen = 0;
    do {
      const remaining = limit - seen;
      const out = await call(() =>
        doc.send(
          new QueryCommand({
            ...input,
            TableName: tableName,
            ExclusiveStartKey: start,
            Limit: Number.isFinite(remaining) ? remaining : undefined,
          }),
        ),
      );
      const items = (out.Items ?? []) as Item[];
      seen += items.length;
      observe.onItemsRead?.(items.length);
      await visit(items);
      start = out.LastEvaluatedKey;
    } while (start && seen < limit);
  }

  async function query(input: Omit<QueryCommandInput, 'TableName'>, limit?: number): Promise<Item[]> {
    const items: Item[] = [];
    await forEachPage(
      input,
      (page) => {
        items.push(...page);
      },
      limit,
    );
    return items;
  }

  return { doc, tableName, call, forEachPage, query };
}
