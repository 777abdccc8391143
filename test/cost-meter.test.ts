import { PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { meterCapacity } from '../bench/cost/capacity-meter.ts';
import { itemBytes, numberBytes, readUnits, writeUnits } from '../bench/cost/item-size.ts';
import { createDynamoStore, ensureTable } from '../functions/adapters/dynamodb/store.ts';
import {
  type EmbeddedDynamo,
  localDynamoClient,
  startEmbeddedDynamo,
} from '../functions/adapters/local/embedded-dynamo.ts';
import { TABLE_SCHEMA } from '../functions/contract/table-schema.ts';
import type { AccountState, Snapshot } from '../functions/core/types.ts';

/**
 * The capacity meter on the real table layout in dynalite: what dynalite reports is summed, what it
 * cannot report (index writes, failed conditions) is computed by DynamoDB's documented rules.
 */

let dynamo: EmbeddedDynamo;
let table = 0;

beforeAll(async () => {
  dynamo = await startEmbeddedDynamo({ dataDir: null });
});

afterAll(async () => {
  await dynamo.close();
});

async function open() {
  const tableName = `meter-${++table}`;
  // A client of its own: the meter's middlewares go on the client they meter.
  const client = localDynamoClient(dynamo.endpoint);
  await ensureTable(client, tableName);
  const meter = meterCapacity(client, TABLE_SCHEMA);
  const store = createDynamoStore({
    client,
    tableName,
    retentionDays: 400,
    tableWindowDays: 90,
    timezone: 'Asia/Kolkata',
  });
  return { meter, store, tableName, client };
}

const observedAt = '2026-03-01T10:00:00.000Z';

function state(version: number, balance = '150.00000'): AccountState {
  return {
    authId: 'MA_METER01',
    name: 'मीटर परीक्षण',
    currency: 'INR',
    balance,
    level: 'OK',
    alertable: true,
    levelSince: observedAt,
    balanceSince: observedAt,
    lastSnapshotDay: '2026-03-01',
    override: null,
    outbox: [],
    version,
  } as unknown as AccountState;
}

const snapshot: Snapshot = {
  authId: 'MA_METER01',
  name: 'मीटर परीक्षण',
  currency: 'INR',
  balance: '150.00000',
  observedAt,
  localDay: '2026-03-01',
  level: 'OK',
  sweepId: 'sweep-1',
};

describe('the capacity meter', () => {
  it('sums what dynalite reports and computes the index writes a new account costs', async () => {
    const { meter, store } = await open();

    await store.commit({ state: state(1), expectedVersion: null, snapshot });
    const reading = meter.take();

    expect(reading.uses['PutItem snapshot']).toMatchObject({ requests: 1, created: 1, measuredUnits: 1 });
    expect(reading.uses['PutItem state']).toMatchObject({ requests: 1, created: 1, measuredUnits: 1 });
    // The snapshot's byDay copy (ALL) and the state's registry entry (KEYS_ONLY), one write each.
    expect(reading.indexWrites).toEqual({
      'byDay snapshot': { writes: 1, units: 1 },
      'known state': { writes: 1, units: 1 },
    });
  });

  it('computes no index write for a state rewritten with the same registry keys', async () => {
    const { meter, store } = await open();
    await store.commit({ state: state(1), expectedVersion: null });
    meter.take();

    await store.commit({ state: state(2, '149.00000'), expectedVersion: 1 });
    const reading = meter.take();

    expect(reading.uses['PutItem state']).toMatchObject({ requests: 1, created: 0, measuredUnits: 1 });
    expect(reading.indexWrites).toEqual({});
  });

  it('counts a write refused by its condition, which DynamoDB bills though dynalite reports nothing', async () => {
    const { meter, store } = await open();
    await store.commit({ state: state(1), expectedVersion: null });
    meter.take();

    expect(await store.commit({ state: state(1), expectedVersion: null })).toBe('conflict');
    const reading = meter.take();

    expect(reading.uses['PutItem state']).toMatchObject({
      requests: 1,
      conditionFailures: 1,
      measuredUnits: 0,
      unreportedUnits: 1,
    });
  });

  it('counts eventually consistent state reads at half a unit per key, found or not', async () => {
    const { meter, store } = await open();
    await store.commit({ state: state(1), expectedVersion: null });
    meter.take();

    await store.loadStates(['MA_METER01', 'MA_MISSING1'], { consistent: false });
    const reading = meter.take();

    expect(reading.uses['BatchGetItem state']).toMatchObject({
      requests: 1,
      items: 1,
      measuredUnits: 1,
      ruleUnits: 1,
    });
  });

  it('keeps what the table holds, with the lifetime of items that expire', async () => {
    const { meter, store } = await open();
    await store.commit({ state: state(1), expectedVersion: null, snapshot });

    const stored = meter.stored();

    expect(stored.state).toMatchObject({ items: 1, ttlDays: null });
    expect(stored.snapshot?.items).toBe(1);
    expect(stored.snapshot?.indexes.byDay?.entries).toBe(1);
    // A snapshot observed on 1 March lives 90 days from then; the test wrote it later.
    expect(stored.snapshot?.ttlDays).toBeLessThan(90);
  });

  it('refuses to send an UpdateItem rather than guess its index writes', async () => {
    const { meter, tableName, client } = await open();

    await expect(
      client.send(
        new UpdateItemCommand({
          TableName: tableName,
          Key: { pk: { S: 'ACCT#MA_1' }, sk: { S: 'STATE' } },
          UpdateExpression: 'SET gsi2pk = :p',
          ExpressionAttributeValues: { ':p': { S: 'KNOWN#1' } },
        }),
      ),
    ).rejects.toThrow(/does not model UpdateItem/);
    expect(meter.take().uses).toEqual({});
  });

  it('counts nothing for a request DynamoDB refuses', async () => {
    const { meter, client } = await open();

    await expect(
      client.send(
        new PutItemCommand({ TableName: 'no-such-table', Item: { pk: { S: 'x' }, sk: { S: 'y' } } }),
      ),
    ).rejects.toThrow();
    expect(meter.take().uses).toEqual({});
  });
});

describe("DynamoDB's size rules", () => {
  it('counts strings in UTF-8 bytes, names included', () => {
    expect(itemBytes({ name: { S: 'abc' } })).toBe(4 + 3);
    // Devanagari: 3 bytes a character.
    expect(itemBytes({ n: { S: 'मीटर' } })).toBe(1 + 12);
  });

  it('counts numbers by significant digits, leading and trailing zeros trimmed', () => {
    expect(numberBytes('150.00000')).toBe(3);
    expect(numberBytes('0.01')).toBe(2);
    expect(numberBytes('123456789')).toBe(6);
    expect(numberBytes('1500')).toBe(2);
    expect(numberBytes('0.00012')).toBe(3);
  });

  it('adds 3 bytes to a list or map and one per element', () => {
    expect(itemBytes({ m: { M: {} } })).toBe(1 + 3);
    expect(itemBytes({ m: { M: { a: { BOOL: true } } } })).toBe(1 + 3 + 1 + 1 + 1);
    expect(itemBytes({ l: { L: [{ NULL: true }, { S: 'xy' }] } })).toBe(1 + 3 + (1 + 1) + (1 + 2));
  });

  it('rounds writes up to 1 KB and reads up to 4 KB, halving eventually consistent reads', () => {
    expect(writeUnits(1)).toBe(1);
    expect(writeUnits(1025)).toBe(2);
    expect(readUnits(0, false)).toBe(0.5);
    expect(readUnits(4097, true)).toBe(2);
    expect(readUnits(4097, false)).toBe(1);
  });
});
