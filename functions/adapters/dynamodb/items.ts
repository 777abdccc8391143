import { NumberValue } from '@aws-sdk/lib-dynamodb';
import { expiresAt, keys } from '../../contract/table-schema.ts';
import { parseAmount } from '../../core/money.ts';
import type {
  AccountState,
  Level,
  Mute,
  NotificationType,
  PendingNotification,
  Runway,
  Snapshot,
  SweepResume,
  SweepSummary,
  ThresholdOverride,
  Thresholds,
} from '../../core/types.ts';

/**
 * Item <-> domain mapping. Every field is copied by name (never spread), so nothing the
 * domain did not mean to store (an auth_token, say) can reach the table.
 *
 * Money goes to DynamoDB as a Number built from its decimal string and comes back as a
 * string (wrapNumbers), so no binary float ever holds it.
 */

export type Item = Record<string, unknown>;

/** Sweep records keep this many failures; the summary's count says how many there were. */
export const MAX_STORED_FAILURES = 100;

const LEVELS: readonly Level[] = ['UNKNOWN', 'OK', 'LOW', 'CRITICAL'];
// A record, not a list, so that a new notification type fails the typecheck here until added.
const NOTIFICATION_TYPES: Record<NotificationType, true> = {
  low: true,
  critical: true,
  recovered: true,
  reminder: true,
  forecast: true,
  spike: true,
  partner_low: true,
  partner_recovered: true,
};

/** An exact DynamoDB number. Trailing fractional zeros are dropped: DynamoDB drops them anyway. */
/** Duck-typed: the SDK ships CJS and ESM builds, and each has its own NumberValue class. */
export function isNumberValue(value: unknown): value is NumberValue {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { value?: unknown }).value === 'string' &&
    typeof (value as { toAttributeValue?: unknown }).toAttributeValue === 'function'
  );
}

export function amountToNumber(amount: string): NumberValue {
  const canonical = parseAmount(amount);
  return NumberValue.from(canonical.includes('.') ? canonical.replace(/\.?0+$/, '') : canonical);
}

/** Reads fields of a stored item, failing with a message that names the item and the field. */
export class ItemReader {
  constructor(
    private readonly item: Item,
    private readonly where: string,
  ) {}

  static of(item: Item): ItemReader {
    return new ItemReader(item, `${String(item.pk)} / ${String(item.sk)}`);
  }

  private fail(key: string, expected: string): never {
    throw new Error(`stored item ${this.where}: ${key} is not ${expected}`);
  }

  raw(key: string): unknown {
    return this.item[key];
  }

  /** A list of strings; absent reads as empty. */
  strings(key: string): string[] {
    const value = this.item[key];
    if (value === undefined || value === null) return [];
    return Array.isArray(value) && value.every((v) => typeof v === 'string')
      ? value
      : this.fail(key, 'a list of strings');
  }

  str(key: string): string {
    const value = this.item[key];
    return typeof value === 'string' ? value : this.fail(key, 'a string');
  }

  strOrNull(key: string): string | null {
    const value = this.item[key];
    if (value === null || value === undefined) return null;
    return typeof value === 'string' ? value : this.fail(key, 'a string or null');
  }

  bool(key: string): boolean {
    const value = this.item[key];
    return typeof value === 'boolean' ? value : this.fail(key, 'a boolean');
  }

  int(key: string): number {
    const value = this.item[key];
    const n =
      typeof value === 'number' ? value : isNumberValue(value) ? Number(value.toString()) : Number.NaN;
    return Number.isSafeInteger(n) ? n : this.fail(key, 'an integer');
  }

  amount(key: string): string {
    const value = this.item[key];
    // A JS number here means wrapNumbers was off and the value may already have been rounded.
    if (!isNumberValue(value) && typeof value !== 'string') this.fail(key, 'an exact decimal');
    return parseAmount(String(value), `${this.where} ${key}`);
  }

  level(key: string): Level {
    const value = this.item[key];
    return LEVELS.includes(value as Level) ? (value as Level) : this.fail(key, 'a level');
  }

  child(key: string): ItemReader {
    const value = this.item[key];
    if (typeof value !== 'object' || value === null || Array.isArray(value)) this.fail(key, 'a map');
    return new ItemReader(value as Item, `${this.where} ${key}`);
  }

  childOrNull(key: string): ItemReader | null {
    const value = this.item[key];
    return value === null || value === undefined ? null : this.child(key);
  }

  list(key: string): ItemReader[] {
    const value = this.item[key];
    if (value === undefined) return [];
    if (!Array.isArray(value)) this.fail(key, 'a list');
    return value.map((entry, i) => {
      if (typeof entry !== 'object' || entry === null) this.fail(`${key}[${i}]`, 'a map');
      return new ItemReader(entry as Item, `${this.where} ${key}[${i}]`);
    });
  }
}

function overrideToItem(o: ThresholdOverride): Item {
  return o.critical === undefined
    ? { low: amountToNumber(o.low) }
    : { low: amountToNumber(o.low), critical: amountToNumber(o.critical) };
}

function overrideFromItem(r: ItemReader): ThresholdOverride {
  return r.raw('critical') === undefined || r.raw('critical') === null
    ? { low: r.amount('low') }
    : { low: r.amount('low'), critical: r.amount('critical') };
}

function thresholdsToItem(t: Thresholds): Item {
  return { low: amountToNumber(t.low), critical: amountToNumber(t.critical) };
}

function pendingToItem(n: PendingNotification): Item {
  return {
    id: n.id,
    type: n.type,
    authId: n.authId,
    name: n.name,
    currency: n.currency,
    balance: amountToNumber(n.balance),
    level: n.level,
    previousLevel: n.previousLevel,
    thresholds: thresholdsToItem(n.thresholds),
    observedAt: n.observedAt,
    sweepId: n.sweepId,
    claimedBy: n.claimedBy,
    claimUntil: n.claimUntil,
    ...(n.deliveredTo?.length ? { deliveredTo: n.deliveredTo } : {}),
    runway: runwayToItem(n.runway),
    spend: n.spend
      ? { lastHour: amountToNumber(n.spend.lastHour), hourlyAverage: amountToNumber(n.spend.hourlyAverage) }
      : null,
  };
}

// A derived, display-only value: kept as a JSON string (its rate is a decimal string inside, exact).
function runwayToItem(runway: Runway | null | undefined): string | null {
  return runway ? JSON.stringify(runway) : null;
}

function optionalSpend(r: ItemReader): { spend?: { lastHour: string; hourlyAverage: string } } {
  const spend = r.childOrNull('spend');
  return spend
    ? { spend: { lastHour: spend.amount('lastHour'), hourlyAverage: spend.amount('hourlyAverage') } }
    : {};
}

/** Entries written before channels were tracked have none: no channel accepted them yet. */
function optionalDeliveredTo(r: ItemReader): { deliveredTo?: string[] } {
  const channels = r.strings('deliveredTo');
  return channels.length > 0 ? { deliveredTo: channels } : {};
}

function optionalRunway(r: ItemReader): { runway?: Runway } {
  const runway = runwayFromItem(r);
  return runway ? { runway } : {};
}

function runwayFromItem(r: ItemReader): Runway | null {
  const text = r.strOrNull('runway');
  return text ? (JSON.parse(text) as Runway) : null;
}

function pendingFromItem(r: ItemReader): PendingNotification {
  const type = r.str('type');
  if (!Object.hasOwn(NOTIFICATION_TYPES, type))
    throw new Error(`stored notification type ${type} is unknown`);
  const t = r.child('thresholds');
  return {
    id: r.str('id'),
    type: type as NotificationType,
    authId: r.str('authId'),
    name: r.str('name'),
    currency: r.str('currency'),
    balance: r.amount('balance'),
    level: r.level('level'),
    previousLevel: r.level('previousLevel'),
    thresholds: { low: t.amount('low'), critical: t.amount('critical') },
    observedAt: r.str('observedAt'),
    sweepId: r.str('sweepId'),
    claimedBy: r.str('claimedBy'),
    claimUntil: r.str('claimUntil'),
    ...optionalDeliveredTo(r),
    ...optionalRunway(r),
    ...optionalSpend(r),
  };
}

function muteFromItem(r: ItemReader): Mute {
  return { until: r.str('until'), reason: r.str('reason') };
}

/** `register`: the item carries the registry keys (the same on every write, so the index is written once). */
export function stateToItem(s: AccountState, register = true): Item {
  return {
    ...keys.state(s.authId),
    ...(register ? keys.registry(s.authId) : {}),
    kind: 'state',
    authId: s.authId,
    name: s.name,
    currency: s.currency,
    balance: amountToNumber(s.balance),
    balanceSince: s.balanceSince,
    level: s.level,
    levelSince: s.levelSince,
    lastNotifiedAt: s.lastNotifiedAt,
    lastSnapshotDay: s.lastSnapshotDay,
    alertable: s.alertable,
    override: s.override ? overrideToItem(s.override) : null,
    mute: s.mute ? { until: s.mute.until, reason: s.mute.reason } : null,
    outbox: s.outbox.map(pendingToItem),
    runway: runwayToItem(s.runway),
    forecastEpisode: s.forecastEpisode ?? false,
    spikeEpisode: s.spikeEpisode ?? false,
    version: s.version,
  };
}

export function stateFromItem(item: Item): AccountState {
  const r = ItemReader.of(item);
  const override = r.childOrNull('override');
  const mute = r.childOrNull('mute');
  return {
    authId: r.str('authId'),
    name: r.str('name'),
    currency: r.str('currency'),
    balance: r.amount('balance'),
    balanceSince: r.str('balanceSince'),
    level: r.level('level'),
    levelSince: r.str('levelSince'),
    lastNotifiedAt: r.strOrNull('lastNotifiedAt'),
    lastSnapshotDay: r.strOrNull('lastSnapshotDay'),
    alertable: r.bool('alertable'),
    override: override ? overrideFromItem(override) : null,
    mute: mute ? muteFromItem(mute) : null,
    outbox: r.list('outbox').map(pendingFromItem),
    runway: runwayFromItem(r),
    forecastEpisode: r.raw('forecastEpisode') === true,
    spikeEpisode: r.raw('spikeEpisode') === true,
    version: r.int('version'),
  };
}

export function snapshotToItem(s: Snapshot, ttlDays: number): Item {
  return {
    ...keys.snapshot(s.authId, s.observedAt),
    ...keys.snapshotByDay(s.localDay, s.authId, s.observedAt),
    kind: 'snapshot',
    authId: s.authId,
    name: s.name,
    currency: s.currency,
    balance: amountToNumber(s.balance),
    observedAt: s.observedAt,
    localDay: s.localDay,
    level: s.level,
    sweepId: s.sweepId,
    expiresAt: expiresAt(s.observedAt, ttlDays),
  };
}

export function snapshotFromItem(item: Item): Snapshot {
  const r = ItemReader.of(item);
  return {
    authId: r.str('authId'),
    name: r.str('name'),
    currency: r.str('currency'),
    balance: r.amount('balance'),
    observedAt: r.str('observedAt'),
    localDay: r.str('localDay'),
    level: r.level('level'),
    sweepId: r.str('sweepId'),
  };
}

/** The summary without its notification list (items max out at 400 KB): counts by type instead. */
export function sweepToItem(s: SweepSummary, retentionDays: number): Item {
  const notificationsByType: Partial<Record<NotificationType, number>> = {};
  for (const n of s.notifications) notificationsByType[n.type] = (notificationsByType[n.type] ?? 0) + 1;
  return {
    ...keys.sweep(s.startedAt, s.sweepId),
    kind: 'sweep',
    sweepId: s.sweepId,
    startedAt: s.startedAt,
    finishedAt: s.finishedAt,
    durationMs: s.durationMs,
    accountsListed: s.accountsListed,
    known: s.known,
    balancesFetched: s.balancesFetched,
    failed: s.failed,
    gone: s.gone,
    unreached: s.unreached,
    duplicateReads: s.duplicateReads,
    listComplete: s.listComplete,
    snapshotsWritten: s.snapshotsWritten,
    stateWrites: s.stateWrites,
    levels: {
      OK: s.levels.OK,
      LOW: s.levels.LOW,
      CRITICAL: s.levels.CRITICAL,
      NOT_ALERTED: s.levels.NOT_ALERTED,
    },
    balanceSource: s.balanceSource,
    balanceRequests: s.balanceRequests,
    listConfirmations: s.listConfirmations,
    listDisagreements: s.listDisagreements,
    listFallback: s.listFallback,
    totals: Object.fromEntries(
      Object.entries(s.totals).map(([currency, total]) => [currency, amountToNumber(total)]),
    ),
    notificationCount: s.notifications.length,
    notificationsByType,
    pendingNotifications: s.pendingNotifications,
    delivery: s.delivery.map((d) => ({ ...d, error: d.error?.slice(0, 500) ?? null })),
    failureCount: s.failed,
    failures: s.failures
      .slice(0, MAX_STORED_FAILURES)
      .map((f) => ({ authId: f.authId, reason: f.reason.slice(0, 500) })),
    complete: s.complete,
    interrupted: s.interrupted,
    stoppedReason: s.stoppedReason,
    resume: s.resume
      ? {
          pageSize: s.resume.pageSize,
          stretches: s.resume.stretches.map((x) => ({ from: x.from, to: x.to })),
        }
      : null,
    partner: s.partner
      ? {
          authId: s.partner.authId,
          balance: amountToNumber(s.partner.balance),
          currency: s.partner.currency,
          level: s.partner.level,
        }
      : null,
    expiresAt: expiresAt(s.startedAt, retentionDays),
  };
}

/**
 * A stored sweep record as plain JSON-able data, keys dropped: amounts (totals, the partner's
 * balance) as canonical strings, every other number (counts) as a JS number.
 */
export function sweepFromItem(item: Item): Record<string, unknown> {
  const { pk: _pk, sk: _sk, kind: _kind, totals, partner, ...rest } = item;
  const r = ItemReader.of(item);
  const record = unwrapNumbers(rest) as Record<string, unknown>;
  const totalsReader = r.childOrNull('totals');
  if (totalsReader) {
    record.totals = Object.fromEntries(
      Object.keys(totals as Item).map((currency) => [currency, totalsReader.amount(currency)]),
    );
  }
  const partnerReader = r.childOrNull('partner');
  record.partner = partnerReader
    ? { ...(unwrapNumbers(partner) as Record<string, unknown>), balance: partnerReader.amount('balance') }
    : null;
  return record;
}

function unwrapNumbers(value: unknown): unknown {
  if (isNumberValue(value)) return Number(value.toString());
  if (Array.isArray(value)) return value.map(unwrapNumbers);
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, unwrapNumbers(v)]));
  }
  return value;
}

/** Where the sweep of a stored record left off (records made before resuming existed have none). */
export function resumeFromItem(item: Item): SweepResume | null {
  const resume = ItemReader.of(item).childOrNull('resume');
  if (!resume) return null;
  return {
    pageSize: resume.int('pageSize'),
    stretches: resume.list('stretches').map((x) => ({
      from: x.int('from'),
      to: x.raw('to') === null || x.raw('to') === undefined ? null : x.int('to'),
    })),
  };
}

export function currencyDefaultsToItem(defaults: Record<string, ThresholdOverride>): Item {
  return {
    ...keys.currencyThresholds(),
    kind: 'config',
    thresholds: Object.fromEntries(
      Object.entries(defaults).map(([currency, o]) => [currency, overrideToItem(o)]),
    ),
  };
}

export function currencyDefaultsFromItem(item: Item): Record<string, ThresholdOverride> {
  const thresholds = ItemReader.of(item).childOrNull('thresholds');
  if (!thresholds) return {};
  const map = item.thresholds as Item;
  return Object.fromEntries(
    Object.keys(map).map((currency) => [currency, overrideFromItem(thresholds.child(currency))]),
  );
}
