import {
  CreateTableCommand,
  type CreateTableCommandInput,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  type DynamoDBClient,
  type TableDescription,
  UpdateTableCommand,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import {
  type KeyAttribute,
  KNOWN_INDEX,
  TABLE_SCHEMA,
  type TableSchema,
} from '../../contract/table-schema.ts';
import { FatalError } from '../../core/errors.ts';
import { describeEndpoint, errorName, storeError } from './errors.ts';

/**
 * Local bootstrap of the table (the cloud table comes from the CDK stack, built from the
 * same TABLE_SCHEMA). Idempotent: safe to call on every start.
 */

/** CreateTable input derived from the schema, nothing else. */
export function createTableInput(
  tableName: string,
  schema: TableSchema = TABLE_SCHEMA,
): CreateTableCommandInput {
  const attributes = new Map<string, KeyAttribute>();
  for (const a of [schema.partitionKey, schema.sortKey]) attributes.set(a.name, a);
  for (const index of schema.globalIndexes) {
    for (const a of [index.partitionKey, index.sortKey]) attributes.set(a.name, a);
  }
  return {
    TableName: tableName,
    BillingMode: schema.billingMode,
    AttributeDefinitions: [...attributes.values()].map((a) => ({
      AttributeName: a.name,
      AttributeType: a.type,
    })),
    KeySchema: [
      { AttributeName: schema.partitionKey.name, KeyType: 'HASH' },
      { AttributeName: schema.sortKey.name, KeyType: 'RANGE' },
    ],
    GlobalSecondaryIndexes: schema.globalIndexes.map((index) => ({
      IndexName: index.name,
      KeySchema: [
        { AttributeName: index.partitionKey.name, KeyType: 'HASH' },
        { AttributeName: index.sortKey.name, KeyType: 'RANGE' },
      ],
      Projection: { ProjectionType: index.projection },
    })),
  };
}

/** Creates the table if it is missing, waits until it and its indexes are ACTIVE, enables TTL. */
export async function ensureTable(client: DynamoDBClient, tableName: string): Promise<'created' | 'exists'> {
  try {
    let outcome: 'created' | 'exists' = 'exists';
    const existing = await describeTable(client, tableName);
    if (existing) {
      await checkSchema(existing, client, tableName);
      await addRegistryIndex(existing, client, tableName);
    } else {
      outcome = await createTable(client, tableName);
    }
    await waitUntilActive(client, tableName);
    await enableTtl(client, tableName);
    return outcome;
  } catch (error) {
    throw await storeError(error, client, tableName);
  }
}

/** For commands that only read: a missing table is refused in one line, never created. */
export async function requireTable(client: DynamoDBClient, tableName: string): Promise<void> {
  let existing: TableDescription | undefined;
  try {
    existing = await describeTable(client, tableName);
  } catch (error) {
    throw await storeError(error, client, tableName);
  }
  if (!existing) {
    throw new FatalError(
      `DynamoDB table ${tableName} at ${await describeEndpoint(client)} does not exist: check --table, or run a sweep first`,
    );
  }
  await checkSchema(existing, client, tableName);
}

async function describeTable(
  client: DynamoDBClient,
  tableName: string,
): Promise<TableDescription | undefined> {
  try {
    const out = await client.send(new DescribeTableCommand({ TableName: tableName }));
    return out.Table;
  } catch (error) {
    if (errorName(error) === 'ResourceNotFoundException') return undefined;
    throw error;
  }
}

async function createTable(client: DynamoDBClient, tableName: string): Promise<'created' | 'exists'> {
  try {
    await client.send(new CreateTableCommand(createTableInput(tableName)));
    return 'created';
  } catch (error) {
    // Another process created it between our DescribeTable and CreateTable.
    if (errorName(error) === 'ResourceInUseException') return 'exists';
    throw error;
  }
}

/**
 * A table made before the account registry existed gets its index added (DynamoDB and DynamoDB Local
 * build it online). Where that is refused or ignored (dynalite), the store falls back to a scan.
 */
async function addRegistryIndex(table: TableDescription, client: DynamoDBClient, tableName: string) {
  if (table.GlobalSecondaryIndexes?.some((g) => g.IndexName === KNOWN_INDEX)) return;
  const input = createTableInput(tableName);
  const index = input.GlobalSecondaryIndexes?.find((g) => g.IndexName === KNOWN_INDEX);
  if (!index) return;
  const names = new Set(index.KeySchema?.map((k) => k.AttributeName));
  await client
    .send(
      new UpdateTableCommand({
        TableName: tableName,
        AttributeDefinitions: input.AttributeDefinitions?.filter((a) => names.has(a.AttributeName)),
        GlobalSecondaryIndexUpdates: [{ Create: index }],
      }),
    )
    .catch(() => {});
}

/** A table of the same name with other keys would fail every write in confusing ways: say so now. */
async function checkSchema(
  table: TableDescription,
  client: DynamoDBClient,
  tableName: string,
): Promise<void> {
  const expected = createTableInput(tableName);
  const keyText = (k: { AttributeName?: string; KeyType?: string }[] | undefined) =>
    (k ?? []).map((e) => `${e.AttributeName}:${e.KeyType}`).join(',');
  const problems: string[] = [];
  if (keyText(table.KeySchema) !== keyText(expected.KeySchema)) {
    problems.push(`keys ${keyText(table.KeySchema)} (expected ${keyText(expected.KeySchema)})`);
  }
  for (const index of expected.GlobalSecondaryIndexes ?? []) {
    const found = table.GlobalSecondaryIndexes?.find((g) => g.IndexName === index.IndexName);
    // The registry is added to an older table by ensureTable, or replaced by a scan where it cannot be (store.ts).
    if (!found && index.IndexName === KNOWN_INDEX) continue;
    if (!found) problems.push(`no index ${index.IndexName}`);
    else if (keyText(found.KeySchema) !== keyText(index.KeySchema)) {
      problems.push(
        `index ${index.IndexName} keys ${keyText(found.KeySchema)} (expected ${keyText(index.KeySchema)})`,
      );
    }
  }
  if (problems.length > 0) {
    const endpoint = await describeEndpoint(client);
    throw new FatalError(
      `DynamoDB table ${tableName} at ${endpoint} exists with another layout: ${problems.join('; ')}`,
    );
  }
}

async function waitUntilActive(
  client: DynamoDBClient,
  tableName: string,
  timeoutMs = 10 * 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let delay = 20;
  for (;;) {
    const table = await describeTable(client, tableName);
    const ready =
      table?.TableStatus === 'ACTIVE' &&
      (table.GlobalSecondaryIndexes ?? []).every((g) => g.IndexStatus === 'ACTIVE');
    if (ready) return;
    if (Date.now() + delay > deadline) {
      throw new Error(`DynamoDB table ${tableName} did not become ACTIVE within ${timeoutMs / 1000} s`);
    }
    await new Promise((resolve) => setTimeout(resolve, delay));
    delay = Math.min(delay * 2, 2_000);
  }
}

async function enableTtl(client: DynamoDBClient, tableName: string): Promise<void> {
  const attribute = TABLE_SCHEMA.ttlAttribute;
  try {
    const current = await client.send(new DescribeTimeToLiveCommand({ TableName: tableName }));
    const status = current.TimeToLiveDescription?.TimeToLiveStatus;
    if (
      (status === 'ENABLED' || status === 'ENABLING') &&
      current.TimeToLiveDescription?.AttributeName === attribute
    ) {
      return;
    }
    await client.send(
      new UpdateTimeToLiveCommand({
        TableName: tableName,
        TimeToLiveSpecification: { Enabled: true, AttributeName: attribute },
      }),
    );
  } catch (error) {
    // dynalite (the local twin) has no TTL: items simply never expire there.
    if (errorName(error) === 'UnknownOperationException') return;
    throw error;
  }
}
