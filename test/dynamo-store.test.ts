import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  GetItemCommand,
} from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_STORED_FAILURES } from '../functions/adapters/dynamodb/items.ts';
import { createDynamoStore, type DynamoStore, ensureTable } from '../functions/adapters/dynamodb/store.ts';
import { createTableInput } from '../functions/adapters/dynamodb/table.ts';
import {
  type EmbeddedDynamo,
  localDynamoClient,
  startEmbeddedDynamo,
} from '../functions/adapters/local/embedded-dynamo.ts';
import { keys, TABLE_SCHEMA } from '../functions/contract/table-schema.ts';
import { FatalError } from '../functions/core/errors.ts';
import { parseAmount } from '../functions/core/money.ts';
import type { AccountState, Notification, Snapshot, SweepSummary } from '../functions/core/types.ts';

const TABLE = 'store-test';
const RETENTION_DAYS = 30;
let dynamo: EmbeddedDynamo;
let idCounter = 0;

beforeAll(async () => {
  dynamo = await startEmbeddedDynamo({ dataDir: null });
  await ensureTable(dynamo.client, TABLE);
});

afterAll(async () => {
  await dynamo.close();
});

function storeOn(client: DynamoDBClient = dynamo.client, tableName = TABLE): DynamoStore {
  return createDynamoStore({ client, tableName, retentionDays: RETENTION_DAYS, timezone: 'Asia/Kolkata' });
}

/** Every test works on its own accounts, so tests share one table without seeing each other. */
function newAuthId(): string {
  idCounter += 1;
  return `MA${String(idCounter).padStart(6, '0')}`;
}

function state(authId: string, overrides: Partial<AccountState> = {}): AccountState {
  return {
    authId,
    name: 'Acme Telecom',
    currency: 'INR',
    balance: '1300.00000',
    balanceSince: '2026-11-27T08:00:00.000Z',
    level: 'OK',
    levelSince: '2026-11-27T08:00:00.000Z',
    lastNotifiedAt: null,
    lastSnapshotDay: '2026-11-27',
    alertable: true,
    override: null,
    mute: null,
    outbox: [],
    runway: null,
    forecastEpisode: false,
    spikeEpisode: false,
    version: 1,
    ...overrides,
  };
}

function snapshot(authId: string, observedAt: string, overrides: Partial<Snapshot> = {}): Snapshot {
  return {
    authId,
    name: 'Acme Telecom',
    currency: 'INR',
    balance: '1300.00000',
    observedAt,
    localDay: '2026-11-27',
    level: 'OK',
    sweepId: 'sweep-1',
    ...overrides,
  };
}

function notification(authId: string, overrides: Partial<Notification> = {}): Notification {
  return {
    id: `${authId}-low-1`,
    type: 'low',
    authId,
    name: 'Acme Telecom',
    currency: 'INR',
    balance: '42.50000',
    level: 'LOW',
    previousLevel: 'OK',
    thresholds: { low: '100.00000', critical: '0.00000' },
    observedAt: '2026-11-27T08:00:00.000Z',
    sweepId: 'sweep-1',
    ...overrides,
  };
}

function summary(sweepId: string, startedAt: string, overrides: Partial<SweepSummary> = {}): SweepSummary {
  return {
    sweepId,
    startedAt,
    finishedAt: startedAt,
    durationMs: 1234,
    accountsListed: 10,
    known: 10,
    balancesFetched: 9,
    failed: 1,
    gone: 0,
    unreached: 0,
    duplicateReads: 0,
    listComplete: true,
    snapshotsWritten: 3,
    stateWrites: 4,
    levels: { OK: 7, LOW: 2, CRITICAL: 1, NOT_ALERTED: 0 },
    totals: { INR: '12345.67891' },
    balanceSource: 'endpoint',
    balanceRequests: 9,
    listConfirmations: 0,
    listDisagreements: 0,
    listFallback: false,
    notifications: [],
    pendingNotifications: 0,
    delivery: [],
    failures: [],
    complete: false,
    interrupted: false,
    stoppedReason: null,
    resume: null,
    partner: null,
    shortestRunways: [],
    ...overrides,
  };
}

/** Records the name of every command a client sends. */
function recordCommands(client: DynamoDBClient): string[] {
  const names: string[] = [];
  client.middlewareStack.add(
    (next, context) => async (args) => {
      names.push(String(context.commandName));
      return next(args);
    },
    { step: 'initialize', name: 'recordCommands' },
  );
  return names;
}

async function rawItem(key: { pk: string; sk: string }) {
  const out = await dynamo.client.send(
    new GetItemCommand({ TableName: TABLE, Key: { pk: { S: key.pk }, sk: { S: key.sk } } }),
  );
  return out.Item;
}

/** A port on 127.0.0.1 that nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (typeof address !== 'object' || address === null) throw new Error('no port');
  return address.port;
}

describe('ensureTable', () => {
  it('creates the table exactly as table-schema describes it, then reports that it exists', async () => {
    // Arrange
    const name = 'schema-check';

    // Act
    const first = await ensureTable(dynamo.client, name);
    const second = await ensureTable(dynamo.client, name);
    const { Table } = await dynamo.client.send(new DescribeTableCommand({ TableName: name }));

    // Assert
    expect([first, second]).toEqual(['created', 'exists']);
    expect(Table?.TableStatus).toBe('ACTIVE');
    expect(Table?.KeySchema).toEqual([
      { AttributeName: TABLE_SCHEMA.partitionKey.name, KeyType: 'HASH' },
      { AttributeName: TABLE_SCHEMA.sortKey.name, KeyType: 'RANGE' },
    ]);
    expect(Table?.GlobalSecondaryIndexes).toEqual(
      TABLE_SCHEMA.globalIndexes.map((index) =>
        expect.objectContaining({
          IndexName: index.name,
          IndexStatus: 'ACTIVE',
          KeySchema: [
            { AttributeName: index.partitionKey.name, KeyType: 'HASH' },
            { AttributeName: index.sortKey.name, KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: index.projection },
        }),
      ),
    );
    expect(TABLE_SCHEMA.globalIndexes.map((i) => [i.name, i.projection])).toEqual([
      ['byDay', 'ALL'],
      ['known', 'KEYS_ONLY'],
    ]);
    expect(new Set(Table?.AttributeDefinitions?.map((a) => `${a.AttributeName}:${a.AttributeType}`))).toEqual(
      new Set(['pk:S', 'sk:S', 'gsi1pk:S', 'gsi1sk:S', 'gsi2pk:S', 'gsi2sk:S']),
    );
    expect(createTableInput(name).BillingMode).toBe('PAY_PER_REQUEST');
  });

  it('refuses, with one line, a table of that name whose keys are laid out differently', async () => {
    // Arrange
    await dynamo.client.send(
      new CreateTableCommand({
        TableName: 'foreign-layout',
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      }),
    );

    // Act
    const outcome = ensureTable(dynamo.client, 'foreign-layout');

    // Assert
    await expect(outcome).rejects.toThrow(FatalError);
    await expect(outcome).rejects.toThrow(
      /^DynamoDB table foreign-layout at http:\/\/127\.0\.0\.1:\d+ exists with/,
    );
  });
});

describe('commit', () => {
  it('creates a state only where none exists, then updates it only over the version it read', async () => {
    // Arrange
    const store = storeOn();
    const authId = newAuthId();

    // Act
    const created = await store.commit({ state: state(authId), expectedVersion: null });
    const createdAgain = await store.commit({
      state: state(authId, { name: 'second' }),
      expectedVersion: null,
    });
    const updated = await store.commit({
      state: state(authId, { version: 2, level: 'LOW' }),
      expectedVersion: 1,
    });
    const stale = await store.commit({
      state: state(authId, { version: 2, name: 'stale' }),
      expectedVersion: 1,
    });

    // Assert
    expect([created, createdAgain, updated, stale]).toEqual(['ok', 'conflict', 'ok', 'conflict']);
    expect(await store.getState(authId)).toEqual(state(authId, { version: 2, level: 'LOW' }));
  });

  it('lets exactly one of two writers with the same expected version win', async () => {
    // Arrange
    const store = storeOn();
    const authId = newAuthId();
    await store.commit({ state: state(authId), expectedVersion: null });

    // Act
    const results = await Promise.all(
      ['writer-a', 'writer-b'].map((name) =>
        store.commit({ state: state(authId, { name, version: 2 }), expectedVersion: 1 }),
      ),
    );

    // Assert
    expect([...results].sort()).toEqual(['conflict', 'ok']);
    const winner = results[0] === 'ok' ? 'writer-a' : 'writer-b';
    expect((await store.getState(authId))?.name).toBe(winner);
  });

  it('throws, writing nothing, when the new version does not follow the expected one', async () => {
    // Arrange
    const store = storeOn();
    const authId = newAuthId();

    // Act
    const skipping = store.commit({
      state: state(authId, { version: 3 }),
      expectedVersion: 1,
      snapshot: snapshot(authId, '2026-11-27T08:00:00.000Z'),
    });
    const firstNotOne = store.commit({ state: state(authId, { version: 2 }), expectedVersion: null });

    // Assert
    await expect(skipping).rejects.toThrow(/version 3/);
    await expect(firstNotOne).rejects.toThrow(/version 2/);
    expect(await store.history(authId)).toEqual([]);
    expect(store.stats().itemsWritten).toBe(0);
  });

  it('writes the snapshot even when the state write then loses', async () => {
    // Arrange
    const store = storeOn();
    const authId = newAuthId();
    await store.commit({ state: state(authId), expectedVersion: null });

    // Act
    const result = await store.commit({
      state: state(authId, { version: 6 }),
      expectedVersion: 5,
      snapshot: snapshot(authId, '2026-11-27T09:00:00.000Z'),
    });

    // Assert
    expect(result).toBe('conflict');
    expect((await store.history(authId)).map((s) => s.observedAt)).toEqual(['2026-11-27T09:00:00.000Z']);
  });
});

describe('exact money', () => {
  const amounts = [
    '1300.00000',
    '-12.34567',
    '0.00001',
    '0.00000',
    '12345678901234567890123456789012.345678',
    '-99999999999999999999999999999999999999.00000',
  ];

  it.each(amounts)(
    'stores %s as a DynamoDB number and reads back the same canonical amount',
    async (amount) => {
      // Arrange
      const store = storeOn();
      const authId = newAuthId();
      const pending = { ...notification(authId, { balance: amount }), claimedBy: 'sweep-1', claimUntil: 'x' };
      const written = state(authId, {
        balance: amount,
        override: { low: amount, critical: amount },
        outbox: [pending],
      });

      // Act
      await store.commit({
        state: written,
        expectedVersion: null,
        snapshot: snapshot(authId, '2026-11-27T08:00:00.000Z', { balance: amount }),
      });
      const read = await store.getState(authId);
      const loaded = (await store.loadStates([authId])).get(authId);
      const [history] = await store.history(authId);
      const raw = await rawItem(keys.state(authId));

      // Assert
      expect(read).toEqual(written);
      expect(loaded).toEqual(written);
      expect(history?.balance).toBe(parseAmount(amount));
      expect(raw?.balance?.N).toBeDefined();
      expect(parseAmount(raw?.balance?.N ?? 'missing')).toBe(amount);
    },
  );

  it('stays exact when another DocumentClient is later made from the same client', async () => {
    // Arrange
    const client = localDynamoClient(dynamo.endpoint);
    const store = storeOn(client);
    const authId = newAuthId();
    const amount = '12345678901234567890123456789012.345678';
    // lib-dynamodb stores translate options on the shared client config: this one turns wrapNumbers off.
    DynamoDBDocumentClient.from(client);

    // Act
    await store.commit({ state: state(authId, { balance: amount }), expectedVersion: null });
    const read = await store.getState(authId);

    // Assert
    expect(read?.balance).toBe(amount);
    client.destroy();
  });

  it('keeps an override without a critical level without inventing one', async () => {
    // Arrange
    const store = storeOn();
    const authId = newAuthId();

    // Act
    await store.commit({ state: state(authId, { override: { low: '250.50000' } }), expectedVersion: null });

    // Assert
    expect((await store.getState(authId))?.override).toEqual({ low: '250.50000' });
  });

  it('keeps the channels that accepted an outbox entry, and reads an entry that names none as accepted by none', async () => {
    // Arrange
    const store = storeOn();
    const authId = newAuthId();
    const claim = { claimedBy: 'sweep-1', claimUntil: '2026-11-27T08:15:00.000Z' };
    const halfway = { ...notification(authId), id: `${authId}:a`, ...claim, deliveredTo: ['sns'] };
    const fresh = { ...notification(authId), id: `${authId}:b`, ...claim };

    // Act
    await store.commit({ state: state(authId, { outbox: [halfway, fresh] }), expectedVersion: null });

    // Assert
    const outbox = (await store.getState(authId))?.outbox;
    expect(outbox?.map((n) => n.deliveredTo)).toEqual([['sns'], undefined]);
    const raw = await rawItem(keys.state(authId));
    expect(raw?.outbox?.L?.map((entry) => entry.M?.deliveredTo)).toEqual([{ L: [{ S: 'sns' }] }, undefined]);
  });
});

describe('names', () => {
  const names = [
    'Zoë Ünïcødé GmbH',
    '北京电信有限公司',
    'Мария Иванова',
    'شركة الاتصالات',
    'हिन्दी टेलीकॉम',
    '👩‍💻 Acme 🚀 Ltd',
    'tab\there, newline\nthere, bell\u0007, escape\u001b[31m, del\u007f',
    '  padded  ',
    '',
  ];

  it.each(names)('stores the name %j exactly as given', async (name) => {
    // Arrange
    const store = storeOn();
    const authId = newAuthId();

    // Act
    await store.commit({
      state: state(authId, { name, mute: { until: '2026-12-01T00:00:00.000Z', reason: name } }),
      expectedVersion: null,
      snapshot: snapshot(authId, '2026-11-27T08:00:00.000Z', { name }),
    });

    // Assert
    const read = await store.getState(authId);
    expect(read?.name).toBe(name);
    expect(read?.mute?.reason).toBe(name);
    expect((await store.history(authId))[0]?.name).toBe(name);
  });
});

describe('loadStates', () => {
  it('reads 250 ids in batches of 100 and leaves absent accounts out of the map', async () => {
    // Arrange
    const store = storeOn();
    const present = Array.from({ length: 200 }, newAuthId);
    const absent = Array.from({ length: 50 }, () => `${newAuthId()}-absent`);
    for (let i = 0; i < present.length; i += 20) {
      await Promise.all(
        present
          .slice(i, i + 20)
          .map((id) => store.commit({ state: state(id, { balance: `${i}.12345` }), expectedVersion: null })),
      );
    }
    const before = store.stats();

    // Act
    const states = await store.loadStates([...present, ...absent, present[0] as string]);

    // Assert
    expect(states.size).toBe(200);
    expect([...states.keys()].sort()).toEqual([...present].sort());
    expect(states.get(present[25] as string)?.balance).toBe('20.12345');
    expect(store.stats().requests - before.requests).toBe(3);
    expect(store.stats().itemsRead - before.itemsRead).toBe(200);
  });

  it('retries the keys DynamoDB left unprocessed until every one is read', async () => {
    // Arrange
    const client = localDynamoClient(dynamo.endpoint);
    const store = storeOn(client);
    const ids = [newAuthId(), newAuthId()];
    for (const id of ids) await store.commit({ state: state(id), expectedVersion: null });
    let throttled = false;
    client.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName !== 'BatchGetItemCommand' || throttled) return next(args);
        throttled = true;
        const requested = (args.input as { RequestItems: Record<string, { Keys: unknown[] }> }).RequestItems;
        // Answer the first batch as a throttled DynamoDB would: nothing read, everything left over.
        return {
          output: { Responses: { [TABLE]: [] }, UnprocessedKeys: requested, $metadata: {} },
          response: {},
        } as Awaited<ReturnType<typeof next>>;
      },
      { step: 'initialize', name: 'throttleFirstBatch', priority: 'high' },
    );

    // Act
    const states = await store.loadStates(ids);

    // Assert
    expect(throttled).toBe(true);
    expect([...states.keys()].sort()).toEqual([...ids].sort());
    client.destroy();
  });
});

describe('loadStates consistency', () => {
  it('reads strongly consistent by default and eventually consistent when asked', async () => {
    // Arrange
    const client = localDynamoClient(dynamo.endpoint);
    const store = storeOn(client);
    const id = newAuthId();
    await store.commit({ state: state(id), expectedVersion: null });
    const consistent: unknown[] = [];
    client.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'BatchGetItemCommand') {
          const items = (args.input as { RequestItems: Record<string, { ConsistentRead?: boolean }> })
            .RequestItems;
          consistent.push(items[TABLE]?.ConsistentRead);
        }
        return next(args);
      },
      { step: 'initialize', name: 'recordConsistency' },
    );

    // Act
    const strong = await store.loadStates([id]);
    const eventual = await store.loadStates([id], { consistent: false });

    // Assert
    expect(consistent).toEqual([true, false]);
    expect(strong.get(id)).toEqual(eventual.get(id));
    client.destroy();
  });
});

describe('the registry of known accounts', () => {
  it('holds every account whose state was created, until its state is written without it', async () => {
    // Arrange
    const tableName = 'registry-check';
    await ensureTable(dynamo.client, tableName);
    const store = storeOn(dynamo.client, tableName);
    const [a, b, c] = [newAuthId(), newAuthId(), newAuthId()];
    for (const id of [a, b, c]) await store.commit({ state: state(id), expectedVersion: null });
    await store.commit({ state: state(b, { balance: '5.00000', version: 2 }), expectedVersion: 1 });

    // Act
    const before = await store.registeredAccounts();
    await store.commit({ state: state(c, { version: 2 }), expectedVersion: 1, register: false });
    const after = await store.registeredAccounts();

    // Assert
    expect(before.sort()).toEqual([a, b, c].sort());
    expect(after.sort()).toEqual([a, b].sort());
    expect((await store.getState(c))?.balance).toBe('1300.00000');
  });

  it('leaves out a state written with register: false (the partner wallet)', async () => {
    // Arrange
    const tableName = 'registry-partner';
    await ensureTable(dynamo.client, tableName);
    const store = storeOn(dynamo.client, tableName);
    const customer = newAuthId();

    // Act
    await store.commit({ state: state(customer), expectedVersion: null });
    await store.commit({ state: state('PA_PARTNER'), expectedVersion: null, register: false });

    // Assert
    expect(await store.registeredAccounts()).toEqual([customer]);
  });

  it('is found by a scan in a table made before its index existed', async () => {
    // Arrange: the layout of the table before the registry (dynalite cannot add an index later).
    const tableName = 'registry-legacy';
    await createTableWithoutRegistry(tableName);
    await ensureTable(dynamo.client, tableName);
    const store = storeOn(dynamo.client, tableName);
    const ids = [newAuthId(), newAuthId()];
    for (const id of ids) await store.commit({ state: state(id), expectedVersion: null });
    await store.recordSweep(summary('sweep-legacy', '2030-01-01T08:00:00.000Z'));

    // Act
    const registered = await store.registeredAccounts();

    // Assert
    expect(registered.sort()).toEqual([...ids].sort());
  });

  it('leaves out the ids the caller skips, through its index and through a scan alike', async () => {
    // Arrange: a table with the registry index, and one made before it (read by a scan).
    const indexed = 'registry-skip';
    await ensureTable(dynamo.client, indexed);
    const legacy = 'registry-skip-legacy';
    await createTableWithoutRegistry(legacy);
    const ids = [newAuthId(), newAuthId(), newAuthId(), newAuthId()];
    const listed = new Set(ids.slice(0, 3));
    const stores = [storeOn(dynamo.client, indexed), storeOn(dynamo.client, legacy)];
    for (const store of stores) {
      for (const id of ids) await store.commit({ state: state(id), expectedVersion: null });
    }

    // Act
    const unlisted = await Promise.all(
      stores.map((store) => store.registeredAccounts((id) => listed.has(id))),
    );

    // Assert
    expect(unlisted).toEqual([[ids[3]], [ids[3]]]);
  });
});

describe('history', () => {
  it('returns the snapshots of a time range newest first, with a Query and never a Scan', async () => {
    // Arrange
    const client = localDynamoClient(dynamo.endpoint);
    const store = storeOn(client);
    const authId = newAuthId();
    const times = ['08:00', '09:00', '10:00', '11:00', '12:00'].map((t) => `2026-11-27T${t}:00.000Z`);
    let version = 0;
    for (const observedAt of times) {
      version += 1;
      await store.commit({
        state: state(authId, { version }),
        expectedVersion: version === 1 ? null : version - 1,
        snapshot: snapshot(authId, observedAt, { balance: `${version}.00000` }),
      });
    }
    const commands = recordCommands(client);

    // Act
    const range = await store.history(authId, { from: times[1], to: times[3] });
    const limited = await store.history(authId, { limit: 2 });
    const all = await store.history(authId);
    const fromOnly = await store.history(authId, { from: '2026-11-27T15:30:00+05:30' });

    // Assert
    expect(range.map((s) => s.observedAt)).toEqual([times[3], times[2], times[1]]);
    expect(range.map((s) => s.balance)).toEqual(['4.00000', '3.00000', '2.00000']);
    expect(limited.map((s) => s.observedAt)).toEqual([times[4], times[3]]);
    expect(all.map((s) => s.observedAt)).toEqual([...times].reverse());
    expect(fromOnly.map((s) => s.observedAt)).toEqual([times[4], times[3], times[2]]);
    expect(new Set(commands)).toEqual(new Set(['QueryCommand']));
    client.destroy();
  });

  it('keeps snapshots for the retention period and indexes them by partner-local day', async () => {
    // Arrange
    const store = storeOn();
    const authId = newAuthId();
    const observedAt = '2026-11-27T20:00:00.000Z';

    // Act
    await store.commit({
      state: state(authId),
      expectedVersion: null,
      snapshot: snapshot(authId, observedAt, { localDay: '2026-11-28' }),
    });
    const raw = await rawItem(keys.snapshot(authId, observedAt));

    // Assert
    const expected = Date.parse(observedAt) / 1000 + RETENTION_DAYS * 86_400;
    expect(raw?.[TABLE_SCHEMA.ttlAttribute]?.N).toBe(String(expected));
    expect(raw?.gsi1pk?.S).toBe('DAY#2026-11-28');
    expect(raw?.gsi1sk?.S).toBe(`${authId}#${observedAt}`);
  });

  it('keeps snapshots for the table window and sweep records, which are not archived, for the retention', async () => {
    // Arrange: a 14-day table window under a 400-day retention
    const store = createDynamoStore({
      client: dynamo.client,
      tableName: TABLE,
      retentionDays: 400,
      tableWindowDays: 14,
      timezone: 'Asia/Kolkata',
    });
    const authId = newAuthId();
    const observedAt = '2026-11-27T20:00:00.000Z';

    // Act
    await store.commit({
      state: state(authId),
      expectedVersion: null,
      snapshot: snapshot(authId, observedAt),
    });
    await store.recordSweep(summary('window-sweep', observedAt));
    const rawSnapshot = await rawItem(keys.snapshot(authId, observedAt));
    const rawSweep = await rawItem(keys.sweep(observedAt, 'window-sweep'));

    // Assert
    const seconds = Date.parse(observedAt) / 1000;
    expect(rawSnapshot?.[TABLE_SCHEMA.ttlAttribute]?.N).toBe(String(seconds + 14 * 86_400));
    expect(rawSweep?.[TABLE_SCHEMA.ttlAttribute]?.N).toBe(String(seconds + 400 * 86_400));
  });

  it('finds the closing balance of each account for a day through the byDay index', async () => {
    // Arrange
    const store = storeOn();
    const day = '2031-01-15';
    const [a, b] = [newAuthId(), newAuthId()];
    const write = (authId: string, version: number, observedAt: string, balance: string) =>
      store.commit({
        state: state(authId, { version }),
        expectedVersion: version === 1 ? null : version - 1,
        snapshot: snapshot(authId, observedAt, { localDay: day, balance }),
      });
    await write(a, 1, '2031-01-15T01:00:00.000Z', '10.00000');
    await write(a, 2, '2031-01-15T09:00:00.000Z', '7.50000');
    await write(b, 1, '2031-01-15T03:00:00.000Z', '99.00000');

    // Act
    const closing = await store.closingBalances(day);

    // Assert
    expect(new Map(closing.map((s) => [s.authId, s.balance]))).toEqual(
      new Map([
        [a, '7.50000'],
        [b, '99.00000'],
      ]),
    );
  });
});

describe('stats', () => {
  it('counts each item written, and nothing for a write that lost', async () => {
    // Arrange
    const store = storeOn();
    const authId = newAuthId();

    // Act
    await store.commit({
      state: state(authId),
      expectedVersion: null,
      snapshot: snapshot(authId, '2026-11-27T08:00:00.000Z'),
    });
    await store.commit({ state: state(authId, { version: 2 }), expectedVersion: 1 });
    await store.commit({ state: state(authId, { version: 2 }), expectedVersion: 1 });
    await store.recordSweep(summary('stats-sweep', '2026-11-27T08:00:00.000Z'));
    await store.getState(authId);

    // Assert
    expect(store.stats()).toEqual({ itemsWritten: 4, itemsRead: 1, requests: 6 });
  });
});

describe('sweep records', () => {
  it('lists recent sweeps newest first with counts in place of the notification list', async () => {
    // Arrange
    const store = storeOn();
    const authId = newAuthId();
    const failures = Array.from({ length: 150 }, (_, i) => ({ authId: `F${i}`, reason: 'HTTP 503' }));
    const notifications = [
      notification(authId, { id: 'n1', type: 'low' }),
      notification(authId, { id: 'n2', type: 'low' }),
      notification(authId, { id: 'n3', type: 'critical' }),
    ];
    await store.recordSweep(summary('sweep-a', '2030-01-01T08:00:00.000Z'));
    await store.recordSweep(
      summary('sweep-b', '2030-01-01T09:00:00.000Z', {
        failures,
        failed: failures.length,
        notifications,
        stoppedReason: 'deadline',
        partner: { authId: 'PARTNER', balance: '-0.00001', currency: 'INR', level: 'CRITICAL' },
      }),
    );
    await store.recordSweep(summary('sweep-c', '2030-01-01T10:00:00.000Z'));

    // Act
    const recent = await store.recentSweeps(2);

    // Assert
    expect(recent.map((s) => s.sweepId)).toEqual(['sweep-c', 'sweep-b']);
    const b = recent[1];
    expect(b).toMatchObject({
      accountsListed: 10,
      levels: { OK: 7, LOW: 2, CRITICAL: 1, NOT_ALERTED: 0 },
      totals: { INR: '12345.67891' },
      notificationCount: 3,
      notificationsByType: { low: 2, critical: 1 },
      failureCount: 150,
      complete: false,
      stoppedReason: 'deadline',
      partner: { authId: 'PARTNER', balance: '-0.00001', currency: 'INR', level: 'CRITICAL' },
      expiresAt: Date.parse('2030-01-01T09:00:00.000Z') / 1000 + RETENTION_DAYS * 86_400,
    });
    expect(b?.failures).toHaveLength(MAX_STORED_FAILURES);
    expect(b).not.toHaveProperty('notifications');
    expect(b).not.toHaveProperty('pk');
  });
});

describe('the previous sweep', () => {
  it('tells when it started, whether it was complete and where the next one resumes', async () => {
    // Arrange
    const tableName = 'previous-sweep';
    await ensureTable(dynamo.client, tableName);
    const store = storeOn(dynamo.client, tableName);
    await store.recordSweep(
      summary('sweep-x', '2031-01-01T08:00:00.000Z', {
        resume: {
          pageSize: 100,
          stretches: [
            { from: 3, to: 5 },
            { from: 17, to: null },
          ],
        },
      }),
    );
    await store.recordSweep(summary('sweep-y', '2031-01-01T09:00:00.000Z', { complete: true }));

    // Act
    const beforeY = await store.lastSweepBefore('2031-01-01T09:00:00.000Z');
    const afterY = await store.lastSweepBefore('2031-01-01T10:00:00.000Z');

    // Assert
    expect(beforeY).toEqual({
      startedAt: '2031-01-01T08:00:00.000Z',
      complete: false,
      resume: {
        pageSize: 100,
        stretches: [
          { from: 3, to: 5 },
          { from: 17, to: null },
        ],
      },
    });
    expect(afterY).toEqual({ startedAt: '2031-01-01T09:00:00.000Z', complete: true, resume: null });
  });
});

describe('currency defaults', () => {
  it('are empty until set, then read back exactly', async () => {
    // Arrange
    const tableName = 'config-check';
    await ensureTable(dynamo.client, tableName);
    const store = storeOn(dynamo.client, tableName);

    // Act
    const before = await store.loadCurrencyDefaults();
    await store.saveCurrencyDefaults({
      USD: { low: '5.00000' },
      INR: { low: '500.00000', critical: '50.12345' },
    });
    const after = await store.loadCurrencyDefaults();

    // Assert
    expect(before).toEqual({});
    expect(after).toEqual({ USD: { low: '5.00000' }, INR: { low: '500.00000', critical: '50.12345' } });
  });
});

describe('failures the sweep cannot work around', () => {
  it('names table and endpoint in one line when nothing listens at the endpoint', async () => {
    // Arrange
    const port = await closedPort();
    const client = localDynamoClient(`http://127.0.0.1:${port}`);
    const store = storeOn(client, 'vobiz-balance');

    // Act
    const outcomes = await Promise.allSettled([
      store.loadStates(['MA1']),
      store.commit({ state: state('MA1'), expectedVersion: null }),
      ensureTable(client, 'vobiz-balance'),
    ]);

    // Assert
    const message = `DynamoDB table vobiz-balance at http://127.0.0.1:${port} is unreachable (ECONNREFUSED)`;
    for (const outcome of outcomes) {
      expect(outcome.status).toBe('rejected');
      const reason = outcome.status === 'rejected' ? outcome.reason : undefined;
      expect(reason).toBeInstanceOf(FatalError);
      expect((reason as Error).message).toBe(message);
    }
    client.destroy();
  });

  it('names table and endpoint in one line when the table does not exist', async () => {
    // Arrange
    const store = storeOn(dynamo.client, 'no-such-table');

    // Act
    const commit = store.commit({ state: state(newAuthId()), expectedVersion: null });

    // Assert
    await expect(commit).rejects.toThrow(FatalError);
    await expect(commit).rejects.toThrow(
      `DynamoDB table no-such-table at ${dynamo.endpoint} does not exist (ResourceNotFoundException)`,
    );
  });
});

describe('the embedded DynamoDB on disk', () => {
  it('keeps data across a restart and refuses a second process on the same directory', async () => {
    // Arrange
    const dataDir = await mkdtemp(join(tmpdir(), 'vobiz-dynamo-'));
    try {
      const first = await startEmbeddedDynamo({ dataDir });
      await ensureTable(first.client, TABLE);
      const authId = newAuthId();
      await storeOn(first.client).commit({
        state: state(authId, { balance: '-12.34567' }),
        expectedVersion: null,
      });

      // Act
      const second = startEmbeddedDynamo({ dataDir });
      await expect(second).rejects.toThrow(FatalError);
      await expect(second).rejects.toThrow(
        `data directory ${dataDir} is in use by vobiz-balance (pid ${process.pid}, since `,
      );
      await first.close();
      const reopened = await startEmbeddedDynamo({ dataDir });
      try {
        const outcome = await ensureTable(reopened.client, TABLE);
        const read = await storeOn(reopened.client).getState(authId);

        // Assert
        expect(outcome).toBe('exists');
        expect(read?.balance).toBe('-12.34567');
      } finally {
        await reopened.close();
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});

/** A table laid out as before the registry: no gsi2 attributes, no `known` index (dynalite cannot add one later). */
async function createTableWithoutRegistry(tableName: string): Promise<void> {
  const input = createTableInput(tableName);
  await dynamo.client.send(
    new CreateTableCommand({
      ...input,
      AttributeDefinitions: input.AttributeDefinitions?.filter((a) => !a.AttributeName?.startsWith('gsi2')),
      GlobalSecondaryIndexes: input.GlobalSecondaryIndexes?.filter((g) => g.IndexName !== 'known'),
    }),
  );
}
