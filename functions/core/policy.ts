import { atMost, greaterThan, lessThan, sameAmount } from './money.ts';
import { criticalRecoveryLevel, recoveryLevel } from './thresholds.ts';
import { addMs } from './time.ts';
import type { AccountState, Level, NotificationType, PendingNotification, Thresholds } from './types.ts';

export { criticalRecoveryLevel, recoveryLevel, resolveThresholds } from './thresholds.ts';

/**
 * The alert policy: from an account's stored state and one successful balance reading,
 * the next state and at most one notification. Pure and deterministic: no clock (times
 * arrive as ISO strings), no I/O, and `prev` is never mutated.
 *
 * A failed or missing reading must never reach `decide`: the caller keeps the stored
 * state as it is, so an API outage can neither raise nor clear an alert.
 */

export interface PolicySettings {
  /** Decimal string: recovery needs balance > low + low * hysteresisPercent / 100. */
  hysteresisPercent: string;
  reminderIntervalMs: number;
  /** How long the deciding sweep owns delivery of a new notification. */
  claimLeaseMs: number;
}

export interface Observation {
  authId: string;
  name: string;
  currency: string;
  /** Canonical decimal string (parseAmount). */
  balance: string;
  /** ISO UTC. */
  observedAt: string;
  /** False for postpaid, disabled or inactive accounts unless configured otherwise. */
  alertable: boolean;
}

export interface Decision {
  /** The next state; `version` is unchanged (the engine bumps it on commit). */
  state: AccountState;
  /** Also already appended to `state.outbox`. */
  notification: PendingNotification | null;
  /** True when any stored field differs from `prev`, i.e. a write is needed. */
  changed: boolean;
}

export type Classification = 'OK' | 'LOW' | 'CRITICAL';

/** The level a balance has on its own, without hysteresis. CRITICAL is checked first. */
export function classify(balance: string, thresholds: Thresholds): Classification {
  if (atMost(balance, thresholds.critical)) return 'CRITICAL';
  if (lessThan(balance, thresholds.low)) return 'LOW';
  return 'OK';
}

/** The state of an account never seen before: nothing is known about its level yet. */
export function initialState(obs: Observation): AccountState {
  return {
    authId: obs.authId,
    name: obs.name,
    currency: obs.currency,
    balance: obs.balance,
    balanceSince: obs.observedAt,
    level: 'UNKNOWN',
    levelSince: obs.observedAt,
    lastNotifiedAt: null,
    lastSnapshotDay: null,
    alertable: obs.alertable,
    override: null,
    mute: null,
    outbox: [],
    runway: null,
    forecastEpisode: false,
    spikeEpisode: false,
    version: 0,
  };
}

export function decide(
  prev: AccountState | undefined,
  obs: Observation,
  thresholds: Thresholds,
  settings: PolicySettings,
  sweepId: string,
): Decision {
  if (prev && prev.authId !== obs.authId) {
    throw new Error(`policy: state of ${prev.authId} given with an observation of ${obs.authId}`);
  }
  const base = prev ?? initialState(obs);
  const balanceMoved = prev === undefined || !sameAmount(prev.balance, obs.balance);
  const recorded: AccountState = {
    ...base,
    name: obs.name,
    currency: obs.currency,
    alertable: obs.alertable,
    // An equal amount keeps the stored spelling, so a repeat reading is not a write.
    balance: balanceMoved ? obs.balance : base.balance,
    balanceSince: balanceMoved ? obs.observedAt : base.balanceSince,
  };

  // Not alerted: history is kept, but the level stays where it was until it is alertable again.
  if (!obs.alertable) return finish(prev, recorded, null);

  const level = nextLevel(base.level, obs.balance, thresholds, settings.hysteresisPercent);
  const type = notificationType(base, level, obs.observedAt, settings.reminderIntervalMs);
  const state: AccountState = {
    ...recorded,
    level,
    levelSince: level === base.level ? base.levelSince : obs.observedAt,
    lastNotifiedAt: level === 'OK' ? null : type ? obs.observedAt : base.lastNotifiedAt,
  };
  if (!type) return finish(prev, state, null);

  const notification: PendingNotification = {
    id: `${obs.authId}:${type}:${obs.observedAt}`,
    type,
    authId: obs.authId,
    name: obs.name,
    currency: obs.currency,
    balance: state.balance,
    level,
    previousLevel: base.level,
    thresholds: { low: thresholds.low, critical: thresholds.critical },
    observedAt: obs.observedAt,
    sweepId,
    claimedBy: sweepId,
    claimUntil: addMs(obs.observedAt, settings.claimLeaseMs),
  };
  // The same transition has the same id: if it is already waiting, a second copy would be sent twice.
  if (base.outbox.some((pending) => pending.id === notification.id)) return finish(prev, state, null);
  // A reminder still waiting (SNS down, or a mute) says nothing the new one does not: replace it,
  // so a long outage leaves one reminder per account instead of one per day.
  const kept =
    type === 'reminder' ? base.outbox.filter((pending) => pending.type !== 'reminder') : base.outbox;
  return finish(prev, { ...state, outbox: [...kept, notification] }, notification);
}

/**
 * The classified level, with hysteresis at both lines: a LOW or CRITICAL account stays LOW until it
 * clears the recovery line, and a CRITICAL one stays CRITICAL until it clears the critical recovery line.
 */
function nextLevel(
  previous: Level,
  balance: string,
  thresholds: Thresholds,
  hysteresisPercent: string,
): Level {
  const raw = classify(balance, thresholds);
  const alerting = previous === 'LOW' || previous === 'CRITICAL';
  if (
    previous === 'CRITICAL' &&
    raw !== 'CRITICAL' &&
    !greaterThan(balance, criticalRecoveryLevel(thresholds, hysteresisPercent))
  ) {
    return 'CRITICAL';
  }
  if (raw === 'OK' && alerting && !greaterThan(balance, recoveryLevel(thresholds, hysteresisPercent))) {
    return 'LOW';
  }
  return raw;
}

function notificationType(
  prev: AccountState,
  level: Level,
  observedAt: string,
  reminderIntervalMs: number,
): NotificationType | null {
  if (level !== prev.level) {
    if (level === 'CRITICAL') return 'critical';
    if (level === 'LOW') return 'low';
    // UNKNOWN -> OK is a first sight of a healthy wallet: nothing to announce.
    return prev.level === 'UNKNOWN' ? null : 'recovered';
  }
  if (level !== 'LOW' && level !== 'CRITICAL') return null;
  // Stored while LOW without a notice on record (a hand-edited or migrated item): remind now.
  if (prev.lastNotifiedAt === null) return 'reminder';
  const elapsed = Date.parse(observedAt) - Date.parse(prev.lastNotifiedAt);
  // Never at the instant of the last notice, so a repeated reading cannot remind even with a zero interval.
  return elapsed > 0 && elapsed >= reminderIntervalMs ? 'reminder' : null;
}

function finish(
  prev: AccountState | undefined,
  state: AccountState,
  notification: PendingNotification | null,
): Decision {
  return { state, notification, changed: prev === undefined || differs(prev, state) };
}

/** The fields decide writes; everything else is copied from prev untouched. */
function differs(prev: AccountState, next: AccountState): boolean {
  return (
    prev.name !== next.name ||
    prev.currency !== next.currency ||
    prev.balance !== next.balance ||
    prev.balanceSince !== next.balanceSince ||
    prev.level !== next.level ||
    prev.levelSince !== next.levelSince ||
    prev.lastNotifiedAt !== next.lastNotifiedAt ||
    prev.alertable !== next.alertable ||
    prev.outbox !== next.outbox
  );
}
