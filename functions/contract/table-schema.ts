/**
 * The one definition of the table's keys, index and TTL. Plain data with no SDK or CDK
 * import: the CDK stack builds the cloud table from it and ensureTable() builds the local
 * one from it, so the two cannot drift.
 *
 * Items (one table):
 *   account state   pk ACCT#<authId>  sk STATE                gsi2pk KNOWN#<0..15>  gsi2sk <authId>
 *   snapshot        pk ACCT#<authId>  sk SNAP#<observedAt>   gsi1pk DAY#<localDay>  gsi1sk <authId>#<observedAt>
 *   sweep record    pk SWEEP          sk <startedAt>#<sweepId>
 *   currency config pk CONFIG         sk THRESHOLDS   (per-currency defaults; key `*` the global default)
 *   audit entry     pk AUDIT          sk <at>#<id>    (threshold, default and mute changes; never expire)
 *   run lease       pk LEASE          sk SWEEP        (run-guard.ts: one scheduled sweep at a time)
 *   run slot        pk RUN            sk <slot>       (run-guard.ts: a scheduled time already handled)
 * Snapshots and sweep records carry `expiresAt` (epoch seconds) for the TTL: snapshots after the
 * table window (they are archived first, core/archive-export.ts), sweep records after the retention.
 *
 * The `known` index is the registry of known accounts: sparse (only state items carry gsi2pk) and
 * KEYS_ONLY. Every state write carries the same gsi2pk/gsi2sk, and a write that changes neither an
 * index key nor a projected attribute costs the index nothing, so the index is written once per
 * account, when its state item is created; a gone account's state written once more without them
 * (a plain conditional put: the function needs no UpdateItem) is the other. Its partition key is spread over REGISTRY_PARTITIONS values so that a first sweep
 * creating thousands of states a second never crowds one index partition.
 */

export interface KeyAttribute {
  readonly name: string;
  /** DynamoDB scalar type; equal to the CDK AttributeType enum values. */
  readonly type: 'S' | 'N' | 'B';
}

export interface GlobalIndex {
  readonly name: string;
  readonly partitionKey: KeyAttribute;
  readonly sortKey: KeyAttribute;
  /** Equal to the CDK ProjectionType enum values. */
  readonly projection: 'ALL' | 'KEYS_ONLY';
}

export interface TableSchema {
  readonly partitionKey: KeyAttribute;
  readonly sortKey: KeyAttribute;
  readonly globalIndexes: readonly GlobalIndex[];
  /** Epoch seconds; DynamoDB deletes the item some time after. */
  readonly ttlAttribute: string;
  /** Equal to the CDK BillingMode enum value. */
  readonly billingMode: 'PAY_PER_REQUEST';
}

export const BY_DAY_INDEX = 'byDay';
export const KNOWN_INDEX = 'known';
export const REGISTRY_PARTITIONS = 16;

export const TABLE_SCHEMA: TableSchema = {
  partitionKey: { name: 'pk', type: 'S' },
  sortKey: { name: 'sk', type: 'S' },
  globalIndexes: [
    {
      name: BY_DAY_INDEX,
      partitionKey: { name: 'gsi1pk', type: 'S' },
      sortKey: { name: 'gsi1sk', type: 'S' },
      // Closings, statements and the nightly archive export need whole snapshots. Keys only would
      // save ~210 of ~420 index bytes per snapshot, but cost a read of the item for every one of
      // them; with the table window bounding the index, ALL is cheaper (README, Finance).
      projection: 'ALL',
    },
    {
      name: KNOWN_INDEX,
      partitionKey: { name: 'gsi2pk', type: 'S' },
      sortKey: { name: 'gsi2sk', type: 'S' },
      // Only the ids are wanted: the sweep reads the states it needs by key.
      projection: 'KEYS_ONLY',
    },
  ],
  ttlAttribute: 'expiresAt',
  billingMode: 'PAY_PER_REQUEST',
};

export const STATE_SK = 'STATE';
export const SNAPSHOT_SK_PREFIX = 'SNAP#';
export const SWEEP_PK = 'SWEEP';
export const AUDIT_PK = 'AUDIT';

// A type alias, not an interface, so that a key is assignable to a generic item record.
export type ItemKey = { pk: string; sk: string };

export const keys = {
  accountPk: (authId: string): string => `ACCT#${authId}`,
  state: (authId: string): ItemKey => ({ pk: keys.accountPk(authId), sk: STATE_SK }),
  snapshot: (authId: string, observedAt: string): ItemKey => ({
    pk: keys.accountPk(authId),
    sk: `${SNAPSHOT_SK_PREFIX}${observedAt}`,
  }),
  /** The byDay index keys of a snapshot: sorted by account, then time within the day. */
  snapshotByDay: (
    localDay: string,
    authId: string,
    observedAt: string,
  ): { gsi1pk: string; gsi1sk: string } => ({
    gsi1pk: keys.dayPk(localDay),
    gsi1sk: `${authId}#${observedAt}`,
  }),
  dayPk: (localDay: string): string => `DAY#${localDay}`,
  /** The registry keys a state item carries (the `known` index). */
  registry: (authId: string): { gsi2pk: string; gsi2sk: string } => ({
    gsi2pk: keys.registryPartition(registryPartitionOf(authId)),
    gsi2sk: authId,
  }),
  registryPartition: (n: number): string => `KNOWN#${n}`,
  sweep: (startedAt: string, sweepId: string): ItemKey => ({ pk: SWEEP_PK, sk: `${startedAt}#${sweepId}` }),
  currencyThresholds: (): ItemKey => ({ pk: 'CONFIG', sk: 'THRESHOLDS' }),
  /** Audit entries sort by time in one partition: human changes are few. */
  audit: (at: string, id: string): ItemKey => ({ pk: AUDIT_PK, sk: `${at}#${id}` }),
};

/** A stable spread of ids over the registry's partitions (FNV-1a). */
function registryPartitionOf(authId: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < authId.length; i++) hash = Math.imul(hash ^ authId.charCodeAt(i), 0x01000193);
  return (hash >>> 0) % REGISTRY_PARTITIONS;
}

const SECONDS_PER_DAY = 86_400;

/** The TTL value (epoch seconds) of an item that should live `retentionDays` after `iso`. */
export function expiresAt(iso: string, retentionDays: number): number {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms))
    throw new Error(`cannot compute expiresAt of an invalid instant: ${JSON.stringify(iso)}`);
  return Math.floor(ms / 1000) + retentionDays * SECONDS_PER_DAY;
}
