import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, GetCommand, PutCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import {
  BY_DAY_INDEX,
  KNOWN_INDEX,
  keys,
  REGISTRY_PARTITIONS,
  SNAPSHOT_SK_PREFIX,
  STATE_SK,
  SWEEP_PK,
} from '../../contract/table-schema.ts';
import { forEachLimited } from '../../core/concurrency.ts';
import type { CommitResult, CurrencyDefaults, StorePort } from '../../core/ports.ts';
import { localDay, parseInstant } from '../../core/time.ts';
import type { AccountState, PreviousSweep, Snapshot, SweepSummary } from '../../core/types.ts';
import { errorName } from './errors.ts';
import {
  currencyDefaultsFromItem,
  currencyDefaultsToItem,
  type Item,
  resumeFromItem,
  snapshotFromItem,
  snapshotToItem,
  stateFromItem,
  stateToItem,
  sweepFromItem,
  sweepToItem,
} from './items.ts';
import { tableAccess } from './table-access.ts';

export { ensureTable } from './table.ts';

/**
 * StorePort on one DynamoDB table (layout in table-schema.ts). Every state write is
 * conditional on the version read, so two overlapping sweeps never both claim a transition.
 */

export interface DynamoStoreOptions {
  client: DynamoDBClient;
  tableName: string;
  /** Sweep records expire (TTL) this many days after they started; they are not archived. */
  retentionDays: number;
  /**
   * Snapshots expire (TTL) this many days after they were observed: the table keeps a recent
   * window, the archive keeps everything (core/archive-export.ts). Default: retentionDays.
   */
  tableWindowDays?: number;
  /** The partner's IANA zone: what "today" means for closingBalances(). */
  timezone: string;
}

export interface StoreStats {
  itemsWritten: number;
  itemsRead: number;
  requests: number;
}

export interface HistoryRange {
  /** Inclusive ISO instant. */
  from?: string;
  /** Inclusive ISO instant. */
  to?: string;
  limit?: number;
}

export type DynamoStore = StorePort & {
  stats(): StoreStats;
  getState(authId: string): Promise<AccountState | undefined>;
  /** Newest first. */
  history(authId: string, range?: HistoryRange): Promise<Snapshot[]>;
  /** Newest first. */
  recentSweeps(limit?: number): Promise<Array<Record<string, unknown>>>;
  lastSweepBefore(instant: string): Promise<PreviousSweep | null>;
  /** The last snapshot of the day of every account that has one (default: today, partner time). */
  closingBalances(day?: string): Promise<Snapshot[]>;
  saveCurrencyDefaults(defaults: CurrencyDefaults): Promise<void>;
};

const BATCH_GET_MAX_KEYS = 100;
const BATCH_GET_CONCURRENCY = 4;
const UNPROCESSED_RETRIES = 8;
// Everything under SNAP# sorts below this ('$' follows '#'), and STATE sorts above it.
const SNAPSHOT_SK_END = 'SNAP$';

export { TRANSLATE } from './table-access.ts';

export function createDynamoStore(o: DynamoStoreOptions): DynamoStore {
  const { client, tableName, retentionDays, timezone } = o;
  const snapshotDays = o.tableWindowDays ?? retentionDays;
  const counters: StoreStats = { itemsWritten: 0, itemsRead: 0, requests: 0 };
  const { doc, call, query, forEachPage } = tableAccess(client, tableName, {
    onRequest: () => {
      counters.requests += 1;
    },
    onItemsRead: (count) => {
      counters.itemsRead += count;
    },
  });

  async function put(item: Item): Promise<void> {
    await call(() => doc.send(new PutCommand({ TableName: tableName, Item: item })));
    counters.itemsWritten += 1;
  }

  async function loadChunk(
    authIds: readonly string[],
    into: Map<string, AccountState>,
    consistent: boolean,
  ): Promise<void> {
    let pending: Record<string, unknown>[] = authIds.map((id) => keys.state(id));
    for (let attempt = 0; pending.length > 0; attempt += 1) {
      if (attempt > UNPROCESSED_RETRIES) {
        throw new Error(
          `DynamoDB table ${tableName} left ${pending.length} state reads unprocessed after ${UNPROCESSED_RETRIES} retries`,
        );
      }
      if (attempt > 0) await sleep(Math.random() * Math.min(2_000, 50 * 2 ** attempt));
      const keysNow = pending;
      const out = await call(() =>
        doc.send(
          new BatchGetCommand({
            RequestItems: { [tableName]: { Keys: keysNow, ConsistentRead: consistent } },
          }),
        ),
      );
      const found = (out.Responses?.[tableName] ?? []) as Item[];
      counters.itemsRead += found.length;
      for (const item of found) {
        const state = stateFromItem(item);
        into.set(state.authId, state);
      }
      pending = (out.UnprocessedKeys?.[tableName]?.Keys ?? []) as Record<string, unknown>[];
    }
  }

  /** False once the table turned out to have no registry index (a local dynalite table made before it). */
  let registryIndex = true;

  async function queryRegistry(skip: (authId: string) => boolean): Promise<string[]> {
    const partitions = Array.from({ length: REGISTRY_PARTITIONS }, (_, n) => keys.registryPartition(n));
    const ids: string[] = [];
    // Index reads are eventually consistent: an account registered a moment ago was listed anyway.
    // One partition at a time, one page at a time: each page's response, parsed, weighs several times
    // the ids it carries, and at 200,000 accounts all of them at once were the sweep's peak of memory.
    for (const partition of partitions) {
      await forEachPage(
        {
          IndexName: KNOWN_INDEX,
          KeyConditionExpression: 'gsi2pk = :p',
          ExpressionAttributeValues: { ':p': partition },
          ProjectionExpression: 'gsi2sk',
        },
        (items) => {
          for (const item of items) if (isRegistered(item, skip)) ids.push(item.gsi2sk);
        },
      );
    }
    return ids;
  }

  /** The registry without its index: every state item still carrying the registry keys. */
  async function scanRegistry(skip: (authId: string) => boolean): Promise<string[]> {
    const ids: string[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const out = await call(() =>
        doc.send(
          new ScanCommand({
            TableName: tableName,
            FilterExpression: 'sk = :state AND attribute_exists(gsi2pk)',
            ExpressionAttributeValues: { ':state': STATE_SK },
            ProjectionExpression: 'gsi2sk',
            ExclusiveStartKey: start,
          }),
        ),
      );
      for (const item of out.Items ?? []) if (isRegistered(item, skip)) ids.push(item.gsi2sk);
      start = out.LastEvaluatedKey;
    } while (start);
    return ids;
  }

  return {
    stats: () => ({ ...counters }),

    async loadStates(authIds, options = {}) {
      const states = new Map<string, AccountState>();
      const chunks = chunk([...new Set(authIds)], BATCH_GET_MAX_KEYS);
      const consistent = options.consistent ?? true;
      await forEachLimited(chunks, BATCH_GET_CONCURRENCY, (ids) => loadChunk(ids, states, consistent));
      return states;
    },

    async registeredAccounts(skip = () => false) {
      if (registryIndex) {
        try {
          return await queryRegistry(skip);
        } catch (error) {
          if (!/specified index/i.test(String((error as Error).message))) throw error;
          registryIndex = false;
        }
      }
      return scanRegistry(skip);
    },

    async getState(authId) {
      const out = await call(() =>
        doc.send(new GetCommand({ TableName: tableName, Key: keys.state(authId), ConsistentRead: true })),
      );
      if (!out.Item) return undefined;
      counters.itemsRead += 1;
      return stateFromItem(out.Item);
    },

    async commit({ state, expectedVersion, snapshot, register = true }): Promise<CommitResult> {
      const wanted = expectedVersion === null ? 1 : expectedVersion + 1;
      if (state.version !== wanted) {
        throw new Error(
          `state of ${state.authId} has version ${state.version}, but a write over version ${expectedVersion} must carry ${wanted}`,
        );
      }
      if (snapshot && snapshot.authId !== state.authId) {
        throw new Error(`snapshot of ${snapshot.authId} committed with the state of ${state.authId}`);
      }
      // Map both first: a malformed amount must fail before anything is written.
      const stateItem = stateToItem(state, register);
      const snapshotItem = snapshot ? snapshotToItem(snapshot, snapshotDays) : undefined;
      // Snapshot first and unconditionally: if the state write then loses, a repeated
      // identical snapshot is harmless, and a crash between the two never loses history.
      if (snapshotItem) await put(snapshotItem);
      const condition =
        expectedVersion === null
          ? { ConditionExpression: 'attribute_not_exists(pk)' }
          : {
              ConditionExpression: '#v = :expected',
              ExpressionAttributeNames: { '#v': 'version' },
              ExpressionAttributeValues: { ':expected': expectedVersion },
            };
      try {
        await call(() => doc.send(new PutCommand({ TableName: tableName, Item: stateItem, ...condition })));
      } catch (error) {
        if (errorName(error) === 'ConditionalCheckFailedException') return 'conflict';
        throw error;
      }
      counters.itemsWritten += 1;
      return 'ok';
    },

    async recordSweep(summary: SweepSummary) {
      await put(sweepToItem(summary, retentionDays));
    },

    async loadCurrencyDefaults() {
      const out = await call(() =>
        doc.send(new GetCommand({ TableName: tableName, Key: keys.currencyThresholds() })),
      );
      if (!out.Item) return {};
      counters.itemsRead += 1;
      return currencyDefaultsFromItem(out.Item);
    },

    async saveCurrencyDefaults(defaults) {
      await put(currencyDefaultsToItem(defaults));
    },

    async history(authId, range = {}) {
      const from = range.from === undefined ? undefined : instant(range.from, 'from');
      const to = range.to === undefined ? undefined : instant(range.to, 'to');
      if (from && to && from > to) return [];
      if (range.limit !== undefined && range.limit <= 0) return [];
      const lower = `${SNAPSHOT_SK_PREFIX}${from ?? ''}`;
      const upper = to ? `${SNAPSHOT_SK_PREFIX}${to}` : SNAPSHOT_SK_END;
      const items = await query(
        {
          KeyConditionExpression: 'pk = :pk AND sk BETWEEN :lower AND :upper',
          ExpressionAttributeValues: { ':pk': keys.accountPk(authId), ':lower': lower, ':upper': upper },
          ScanIndexForward: false,
        },
        range.limit,
      );
      return items.map(snapshotFromItem);
    },

    /** When the latest sweep that started before `instant` started (sort keys begin with the start time). */
    async lastSweepBefore(instant: string) {
      const items = await query(
        {
          KeyConditionExpression: 'pk = :pk AND sk < :before',
          ExpressionAttributeValues: { ':pk': SWEEP_PK, ':before': instant },
          ScanIndexForward: false,
          ProjectionExpression: 'sk, complete, #resume',
          ExpressionAttributeNames: { '#resume': 'resume' },
        },
        1,
      );
      const item = items[0];
      if (!item || typeof item.sk !== 'string') return null;
      return {
        startedAt: item.sk.split('#')[0] ?? item.sk,
        complete: item.complete === true,
        resume: resumeFromItem(item),
      };
    },

    async recentSweeps(limit = 20) {
      if (limit <= 0) return [];
      const items = await query(
        {
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': SWEEP_PK },
          ScanIndexForward: false,
        },
        limit,
      );
      return items.map(sweepFromItem);
    },

    async closingBalances(day = localDay(Date.now(), timezone)) {
      const items = await query({
        IndexName: BY_DAY_INDEX,
        KeyConditionExpression: 'gsi1pk = :day',
        ExpressionAttributeValues: { ':day': keys.dayPk(day) },
      });
      const latest = new Map<string, Snapshot>();
      for (const snapshot of items.map(snapshotFromItem)) {
        const seen = latest.get(snapshot.authId);
        if (!seen || seen.observedAt < snapshot.observedAt) latest.set(snapshot.authId, snapshot);
      }
      return [...latest.values()];
    },
  };
}

function instant(text: string, what: string): string {
  const parsed = parseInstant(text);
  if (!parsed) throw new Error(`history ${what} is not an ISO instant: ${JSON.stringify(text)}`);
  return parsed;
}

function chunk<T>(items: readonly T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let i = 0; i < items.length; i += size) chunks.push(items.slice(i, i + size));
  return chunks;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A registry item of an account the caller wants (its id is the item's registry sort key). */
function isRegistered(item: Item, skip: (authId: string) => boolean): item is Item & { gsi2sk: string } {
  return typeof item.gsi2sk === 'string' && !skip(item.gsi2sk);
}
