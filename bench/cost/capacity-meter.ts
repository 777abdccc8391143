import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  keys,
  SNAPSHOT_SK_PREFIX,
  STATE_SK,
  type TableSchema,
} from '../../functions/contract/table-schema.ts';
import {
  type AttributeValue,
  indexEntry,
  itemBytes,
  readUnits,
  type WireItem,
  writeUnits,
} from './item-size.ts';

/**
 * Meters what a DynamoDB client consumes, by use. Two middlewares on the client (every command,
 * DocumentClient ones included, goes through its stack):
 * - `initialize`: asks for `ReturnConsumedCapacity: TOTAL` on every request;
 * - `build`: reads the request as it goes on the wire (low-level JSON), and the answer.
 * Units come in two kinds, kept apart:
 * - measured: the ConsumedCapacity dynalite answers with (Get, Put, Delete, Update, BatchGet,
 *   BatchWrite, Query; not a write whose condition failed, and never index writes);
 * - computed: by DynamoDB's documented rules from item sizes (item-size.ts): index writes, failed
 *   conditional writes, and a rule-based count of the same table reads and writes to check dynalite.
 * A shadow of every item written through the client (the table starts empty) gives the sizes: of
 * what a GetItem reads, of what an index held before a write, and of what is stored at the end.
 */

export interface UseTally {
  requests: number;
  /** Items written, or read (found), by these requests. */
  items: number;
  /** Items these writes created (none there before). */
  created: number;
  /** Units dynalite reported. */
  measuredUnits: number;
  /** Units of requests dynalite reported nothing for (a failed condition), by DynamoDB's rules. */
  unreportedUnits: number;
  /** The same requests' units by DynamoDB's rules, where the item sizes are known (not Query). */
  ruleUnits: number;
  /** Writes refused by their condition (they consume write units all the same). */
  conditionFailures: number;
}

export interface IndexTally {
  writes: number;
  units: number;
}

export interface MeterReading {
  /** By `<Operation> <item class>`, e.g. `PutItem snapshot`, `BatchGetItem state`, `Query known`. */
  uses: Record<string, UseTally>;
  /** Index writes by `<index> <item class>`, computed by DynamoDB's rules. */
  indexWrites: Record<string, IndexTally>;
  /** Time the meter itself spent (parsing requests, sizing items): not the metered code's. */
  meterMs: number;
}

export interface StoredClass {
  items: number;
  /** Sum of item sizes by DynamoDB's rules, without the per-item storage overhead. */
  bytes: number;
  /** How long its items live (their TTL attribute less when they were written), when they have one. */
  ttlDays: number | null;
  /** Per index: entries and their bytes. */
  indexes: Record<string, { entries: number; bytes: number }>;
}

export interface CapacityMeter {
  /** What was consumed since the last take(). */
  take(): MeterReading;
  /** What the table holds now, by item class. */
  stored(): Record<string, StoredClass>;
  /** The shadow's copy of an item, by its table key values. */
  item(pk: string, sk: string): WireItem | undefined;
}

interface IndexShape {
  name: string;
  tableKeys: readonly string[];
  indexKeys: readonly string[];
  projection: 'ALL' | 'KEYS_ONLY';
}

type Json = Record<string, unknown>;

export function meterCapacity(
  client: DynamoDBClient,
  schema: TableSchema,
  clock: () => number = Date.now,
): CapacityMeter {
  const pkName = schema.partitionKey.name;
  const skName = schema.sortKey.name;
  const indexes: IndexShape[] = schema.globalIndexes.map((gsi) => ({
    name: gsi.name,
    tableKeys: [pkName, skName],
    indexKeys: [gsi.partitionKey.name, gsi.sortKey.name],
    projection: gsi.projection,
  }));
  const shadow = new Map<string, { item: WireItem; writtenAt: number }>();
  let reading: MeterReading = { uses: {}, indexWrites: {}, meterMs: 0 };

  const keyOf = (key: Json) => `${str(key[pkName])}\u0000${str(key[skName])}`;
  const classOf = (key: Json) => itemClass(str(key[pkName]), str(key[skName]));

  function use(name: string): UseTally {
    return entry(reading.uses, name, () => ({
      requests: 0,
      items: 0,
      created: 0,
      measuredUnits: 0,
      unreportedUnits: 0,
      ruleUnits: 0,
      conditionFailures: 0,
    }));
  }

  /** Index writes of replacing `before` by `after` (either may be absent), by DynamoDB's rules. */
  function indexChange(before: WireItem | undefined, after: WireItem | undefined, cls: string): void {
    for (const index of indexes) {
      const old = before ? indexEntry(before, index) : null;
      const next = after ? indexEntry(after, index) : null;
      let writes: number[] = [];
      if (old && next) {
        const keysMoved = index.indexKeys.some((k) => canonical(old[k]) !== canonical(next[k]));
        if (keysMoved) writes = [itemBytes(old), itemBytes(next)];
        else if (canonical(old) !== canonical(next)) writes = [itemBytes(next)];
      } else if (old) writes = [itemBytes(old)];
      else if (next) writes = [itemBytes(next)];
      if (writes.length === 0) continue;
      const tally = entry(reading.indexWrites, `${index.name} ${cls}`, () => ({ writes: 0, units: 0 }));
      tally.writes += writes.length;
      tally.units += writes.reduce((sum, bytes) => sum + writeUnits(bytes), 0);
    }
  }

  function write(operation: string, key: Json, after: WireItem | undefined, measured: number | null): void {
    const id = keyOf(key);
    const before = shadow.get(id);
    const cls = classOf(key);
    const tally = use(`${operation} ${cls}`);
    const units = writeUnits(Math.max(before ? itemBytes(before.item) : 0, after ? itemBytes(after) : 0));
    tally.requests += 1;
    tally.ruleUnits += units;
    if (measured === null) {
      // Refused by its condition: nothing changed, but the write was paid for.
      tally.conditionFailures += 1;
      tally.unreportedUnits += units;
      return;
    }
    tally.items += 1;
    if (!before && after) tally.created += 1;
    tally.measuredUnits += measured;
    indexChange(before?.item, after, cls);
    if (after) shadow.set(id, { item: after, writtenAt: clock() });
    else shadow.delete(id);
  }

  function record(operation: string, body: Json, output: Json | undefined): void {
    const measured = output ? consumed(output.ConsumedCapacity) : null;
    switch (operation) {
      case 'PutItem':
        write(operation, body.Item as WireItem, body.Item as WireItem, measured);
        return;
      case 'DeleteItem':
        write(operation, body.Key as Json, undefined, measured);
        return;
      case 'GetItem': {
        const key = body.Key as Json;
        const found = shadow.get(keyOf(key))?.item;
        const tally = use(`GetItem ${classOf(key)}`);
        tally.requests += 1;
        tally.items += output?.Item ? 1 : 0;
        tally.measuredUnits += measured ?? 0;
        tally.ruleUnits += readUnits(found ? itemBytes(found) : 0, body.ConsistentRead === true);
        return;
      }
      case 'BatchGetItem': {
        const tables = body.RequestItems as Record<string, { Keys: Json[]; ConsistentRead?: boolean }>;
        for (const [table, request] of Object.entries(tables)) {
          const cls = request.Keys[0] ? classOf(request.Keys[0]) : 'none';
          const tally = use(`BatchGetItem ${cls}`);
          tally.requests += 1;
          tally.measuredUnits += measured ?? 0;
          const answered = (output?.Responses as Record<string, unknown[]> | undefined)?.[table] ?? [];
          const unprocessed = new Set(
            (
              (output?.UnprocessedKeys as Record<string, { Keys: Json[] }> | undefined)?.[table]?.Keys ?? []
            ).map(keyOf),
          );
          tally.items += answered.length;
          for (const key of request.Keys) {
            if (unprocessed.has(keyOf(key))) continue;
            const found = shadow.get(keyOf(key))?.item;
            tally.ruleUnits += readUnits(found ? itemBytes(found) : 0, request.ConsistentRead === true);
          }
        }
        return;
      }
      case 'Query':
      case 'Scan': {
        const tally = use(`${operation} ${queryClass(body)}`);
        tally.requests += 1;
        tally.items += Number(output?.ScannedCount ?? 0);
        tally.measuredUnits += measured ?? 0;
        return;
      }
      default:
        // Control-plane calls (DescribeTable, CreateTable, ...) cost nothing per request.
        return;
    }
  }

  /** A query's use: the index it reads, or the class of the partition it reads. */
  function queryClass(body: Json): string {
    if (typeof body.IndexName === 'string') return `index ${body.IndexName}`;
    const values = (body.ExpressionAttributeValues ?? {}) as Record<string, AttributeValue>;
    const condition = String(body.KeyConditionExpression ?? '');
    const placeholder = new RegExp(`\\b${pkName}\\s*=\\s*(:\\w+)`).exec(condition)?.[1];
    const pk = placeholder ? values[placeholder] : undefined;
    const pkValue = pk && 'S' in pk ? pk.S : '';
    return pkValue.startsWith(ACCOUNT_PREFIX) ? 'snapshot' : itemClass(pkValue, '');
  }

  client.middlewareStack.add(
    (next) => async (args) => {
      (args.input as Json).ReturnConsumedCapacity = 'TOTAL';
      return next(args);
    },
    { step: 'initialize', name: 'costMeterAskForCapacity' },
  );
  client.middlewareStack.add(
    (next) => async (args) => {
      const request = args.request as { headers: Record<string, string>; body?: unknown };
      const target = request.headers['x-amz-target'] ?? '';
      const operation = target.slice(target.indexOf('.') + 1);
      if (UNMODELLED.has(operation)) {
        // Their index writes depend on the item before and after, which the meter cannot see.
        throw new Error(`the cost meter does not model ${operation}: the sweep writes with PutItem only`);
      }
      const parsing = performance.now();
      const body = parseBody(request.body);
      reading.meterMs += performance.now() - parsing;
      const timed = (output: Json | undefined) => {
        const recording = performance.now();
        record(operation, body, output);
        reading.meterMs += performance.now() - recording;
      };
      try {
        const result = await next(args);
        timed(result.output as unknown as Json);
        return result;
      } catch (error) {
        if ((error as { name?: string }).name === 'ConditionalCheckFailedException') timed(undefined);
        throw error;
      }
    },
    { step: 'build', name: 'costMeterRecord' },
  );

  return {
    take() {
      const taken = reading;
      reading = { uses: {}, indexWrites: {}, meterMs: 0 };
      return taken;
    },
    stored() {
      const classes: Record<string, StoredClass> = {};
      for (const { item, writtenAt } of shadow.values()) {
        const cls = classOf(item);
        const stored = entry(classes, cls, () => ({ items: 0, bytes: 0, ttlDays: null, indexes: {} }));
        stored.items += 1;
        stored.bytes += itemBytes(item);
        const expires = item[schema.ttlAttribute];
        if (expires && 'N' in expires) stored.ttlDays = (Number(expires.N) * 1000 - writtenAt) / 86_400_000;
        for (const index of indexes) {
          const held = indexEntry(item, index);
          if (!held) continue;
          const tally = entry(stored.indexes, index.name, () => ({ entries: 0, bytes: 0 }));
          tally.entries += 1;
          tally.bytes += itemBytes(held);
        }
      }
      return classes;
    },
    item: (pk, sk) => shadow.get(`${pk}\u0000${sk}`)?.item,
  };
}

const ACCOUNT_PREFIX = keys.accountPk('');
const UTF8 = new TextDecoder();
const UNMODELLED = new Set(['UpdateItem', 'BatchWriteItem', 'TransactWriteItems', 'ExecuteStatement']);

/** The kind of item a key names: `state`, `snapshot`, or the partition for the table's other items. */
export function itemClass(pk: string, sk: string): string {
  if (pk.startsWith(ACCOUNT_PREFIX)) {
    if (sk === STATE_SK) return 'state';
    if (sk.startsWith(SNAPSHOT_SK_PREFIX)) return 'snapshot';
    return 'account item';
  }
  return pk.toLowerCase() || 'unknown';
}

/** The request body: a string, or bytes (the SDK's JSON serializer hands over a Uint8Array). */
function parseBody(body: unknown): Json {
  if (typeof body === 'string') return JSON.parse(body) as Json;
  if (body instanceof Uint8Array) return JSON.parse(UTF8.decode(body)) as Json;
  return {};
}

function str(value: unknown): string {
  return value && typeof value === 'object' && 'S' in value ? String((value as { S: unknown }).S) : '';
}

function consumed(capacity: unknown): number {
  if (Array.isArray(capacity)) return capacity.reduce((sum: number, c) => sum + consumed(c), 0);
  if (capacity && typeof capacity === 'object' && 'CapacityUnits' in capacity) {
    return Number((capacity as { CapacityUnits: unknown }).CapacityUnits) || 0;
  }
  return 0;
}

/** The map's value at `key`, made first if missing. */
export function entry<T>(map: Record<string, T>, key: string, make: () => T): T {
  const found = map[key];
  if (found !== undefined) return found;
  const made = make();
  map[key] = made;
  return made;
}

/** A JSON text that does not depend on the order of a map's keys. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Json).sort(([a], [b]) => (a < b ? -1 : 1));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
