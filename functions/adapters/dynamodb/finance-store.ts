import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { AUDIT_PK, BY_DAY_INDEX, keys, SWEEP_PK } from '../../contract/table-schema.ts';
import type { CurrencyDefaults } from '../../core/ports.ts';
import { localDay } from '../../core/time.ts';
import type { AccountState, Snapshot } from '../../core/types.ts';
import { AUDIT_ACTIONS, type AuditAction, type AuditEntry, type AuditValue } from '../../finance/audit.ts';
import { errorName } from './errors.ts';
import {
  currencyDefaultsFromItem,
  currencyDefaultsToItem,
  type Item,
  ItemReader,
  snapshotFromItem,
} from './items.ts';
import { createDynamoStore, type DynamoStore } from './store.ts';
import { tableAccess } from './table-access.ts';

/**
 * What the finance and operations commands need from the table, beyond the sweep's store:
 * the byDay partitions read page by page (memory stays per page, not per month; the archive
 * export reads them the same way, finance/history-reader.ts routes old days elsewhere), state
 * changes through the same versioned commit the sweep uses, the per-currency defaults
 * under their own version, and the audit trail.
 *
 * No scans: history reads an account's key range, closings and statements read byDay
 * partitions, the audit and the defaults have their own partition keys.
 */

export interface FinanceStoreOptions {
  client: DynamoDBClient;
  tableName: string;
  timezone: string;
  retentionDays: number;
}

export type StateUpdate =
  | { kind: 'unknown' }
  | { kind: 'unchanged'; state: AccountState }
  | { kind: 'changed'; before: AccountState; after: AccountState };

export type DefaultsUpdate =
  | { kind: 'unchanged'; defaults: CurrencyDefaults }
  | { kind: 'changed'; before: CurrencyDefaults; after: CurrencyDefaults };

export interface FinanceStore {
  /** The sweep's store on the same table: history, states, commits. */
  readonly base: DynamoStore;
  /** A partner-local day's snapshots, page by page (each visit awaited), sorted by account and then time. */
  forEachOfDay(
    day: string,
    visit: (page: Snapshot[]) => void | Promise<void>,
    authId?: string,
  ): Promise<void>;
  /** The partner-local day of the oldest sweep record, or null before the first sweep. */
  firstSweepDay(): Promise<string | null>;
  /**
   * Applies `change` to the account's current state and commits it conditionally on the
   * version read (the sweep writes the same item); on a conflict it reads again and retries.
   * `change` returns null for "nothing to change".
   */
  updateState(
    authId: string,
    change: (state: AccountState) => AccountState | null | Promise<AccountState | null>,
  ): Promise<StateUpdate>;
  loadDefaults(): Promise<CurrencyDefaults>;
  /** Like updateState, for the CONFIG/THRESHOLDS item. */
  updateDefaults(change: (defaults: CurrencyDefaults) => CurrencyDefaults | null): Promise<DefaultsUpdate>;
  appendAudit(entry: AuditEntry): Promise<void>;
  /** Newest first. */
  listAudit(limit?: number): Promise<AuditEntry[]>;
  /** Every target an audit entry names: the accounts whose override or mute was ever set. */
  auditTargets(): Promise<Set<string>>;
}

const MAX_ATTEMPTS = 10;

export function createFinanceStore(o: FinanceStoreOptions): FinanceStore {
  const { client, tableName } = o;
  const base = createDynamoStore(o);
  const { doc, call, forEachPage, query } = tableAccess(client, tableName);

  async function readDefaults(): Promise<{
    defaults: CurrencyDefaults;
    version: number | null;
    exists: boolean;
  }> {
    const out = await call(() =>
      doc.send(
        new GetCommand({ TableName: tableName, Key: keys.currencyThresholds(), ConsistentRead: true }),
      ),
    );
    if (!out.Item) return { defaults: {}, version: null, exists: false };
    const version = out.Item.version === undefined ? null : ItemReader.of(out.Item).int('version');
    return { defaults: currencyDefaultsFromItem(out.Item), version, exists: true };
  }

  return {
    base,

    async forEachOfDay(day, visit, authId) {
      const values: Record<string, string> = { ':day': keys.dayPk(day) };
      let condition = 'gsi1pk = :day';
      if (authId !== undefined) {
        condition += ' AND begins_with(gsi1sk, :account)';
        values[':account'] = `${authId}#`;
      }
      await forEachPage(
        { IndexName: BY_DAY_INDEX, KeyConditionExpression: condition, ExpressionAttributeValues: values },
        (items) => visit(items.map(snapshotFromItem)),
      );
    },

    async firstSweepDay() {
      const [oldest] = await query(
        {
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': SWEEP_PK },
          ProjectionExpression: 'sk',
        },
        1,
      );
      // Sort keys begin with the sweep's start time.
      return typeof oldest?.sk === 'string' ? localDay(oldest.sk.split('#')[0] as string, o.timezone) : null;
    },

    async updateState(authId, change) {
      for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
        const before = await base.getState(authId);
        if (!before) return { kind: 'unknown' };
        const next = await change(before);
        if (next === null) return { kind: 'unchanged', state: before };
        const after = { ...next, version: before.version + 1 };
        const result = await base.commit({ state: after, expectedVersion: before.version });
        if (result === 'ok') return { kind: 'changed', before, after };
      }
      throw new Error(`state of ${authId} kept changing under this command (${MAX_ATTEMPTS} attempts)`);
    },

    async loadDefaults() {
      return (await readDefaults()).defaults;
    },

    async updateDefaults(change) {
      for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
        const { defaults: before, version, exists } = await readDefaults();
        const after = change(before);
        if (after === null) return { kind: 'unchanged', defaults: before };
        // The sweep's saveCurrencyDefaults writes the item without a version; a versioned
        // write over it is conditional on the version still being absent.
        const condition = !exists
          ? { ConditionExpression: 'attribute_not_exists(pk)' }
          : version === null
            ? {
                ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(#v)',
                ExpressionAttributeNames: { '#v': 'version' },
              }
            : {
                ConditionExpression: '#v = :v',
                ExpressionAttributeNames: { '#v': 'version' },
                ExpressionAttributeValues: { ':v': version },
              };
        try {
          await call(() =>
            doc.send(
              new PutCommand({
                TableName: tableName,
                Item: { ...currencyDefaultsToItem(after), version: (version ?? 0) + 1 },
                ...condition,
              }),
            ),
          );
          return { kind: 'changed', before, after };
        } catch (error) {
          if (errorName(error) !== 'ConditionalCheckFailedException') throw error;
        }
      }
      throw new Error(`the threshold defaults kept changing under this command (${MAX_ATTEMPTS} attempts)`);
    },

    async appendAudit(entry) {
      await call(() =>
        doc.send(
          new PutCommand({
            TableName: tableName,
            Item: auditToItem(entry),
            // Never overwrite an entry: a clash of time and random id would lose history.
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
        ),
      );
    },

    async listAudit(limit = 50) {
      const entries: AuditEntry[] = [];
      if (limit <= 0) return entries;
      await forEachPage(
        {
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': AUDIT_PK },
          ScanIndexForward: false,
        },
        (items) => {
          entries.push(...items.map(auditFromItem));
        },
        limit,
      );
      return entries;
    },

    async auditTargets() {
      const targets = new Set<string>();
      await forEachPage(
        {
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': AUDIT_PK },
          ProjectionExpression: '#t',
          ExpressionAttributeNames: { '#t': 'target' },
        },
        (items) => {
          for (const item of items) if (typeof item.target === 'string') targets.add(item.target);
        },
      );
      return targets;
    },
  };
}

function valueToItem(value: AuditValue | null): Item | null {
  return value ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k, String(v)])) : null;
}

function valueFromItem(r: ItemReader, key: string): AuditValue | null {
  const child = r.childOrNull(key);
  if (!child) return null;
  const raw = r.raw(key) as Item;
  return Object.fromEntries(Object.keys(raw).map((k) => [k, child.str(k)]));
}

export function auditToItem(e: AuditEntry): Item {
  return {
    ...keys.audit(e.at, e.id),
    kind: 'audit',
    at: e.at,
    id: e.id,
    action: e.action,
    target: e.target,
    before: valueToItem(e.before),
    after: valueToItem(e.after),
    by: e.by,
  };
}

export function auditFromItem(item: Item): AuditEntry {
  const r = ItemReader.of(item);
  const action = r.str('action');
  if (!AUDIT_ACTIONS.includes(action as AuditAction))
    throw new Error(`stored audit action ${action} is unknown`);
  return {
    at: r.str('at'),
    id: r.str('id'),
    action: action as AuditAction,
    target: r.str('target'),
    before: valueFromItem(r, 'before'),
    after: valueFromItem(r, 'after'),
    by: r.str('by'),
  };
}
