import { addMs } from './time.ts';
import type { AccountState, Notification, PendingNotification } from './types.ts';

/**
 * The outbox on each account's state item is what makes notifications exactly-once in
 * effect: a notification is written (claimed by the deciding sweep) in the same
 * conditional write as the transition, and removed only after every channel accepted it.
 */

/** Claims for this sweep, for `leaseMs` from `now`, the entries `wanted` picks. */
function claimed(
  state: AccountState,
  sweepId: string,
  now: string,
  leaseMs: number,
  wanted: (entry: PendingNotification) => boolean,
): AccountState {
  let changed = false;
  const outbox = state.outbox.map((entry) => {
    if (!wanted(entry)) return entry;
    changed = true;
    return { ...entry, claimedBy: sweepId, claimUntil: addMs(now, leaseMs) };
  });
  return changed ? { ...state, outbox } : state;
}

const ranOut = (entry: PendingNotification, now: string) => Date.parse(entry.claimUntil) <= Date.parse(now);

/** Takes over entries whose owner's claim ran out (a crashed sweep, a failed publish). */
export function claimExpired(
  state: AccountState,
  sweepId: string,
  now: string,
  leaseMs: number,
): AccountState {
  return claimed(state, sweepId, now, leaseMs, (e) => e.claimedBy !== sweepId && ranOut(e, now));
}

/**
 * Extends this sweep's claim on these entries to `leaseMs` from `now`, taking back any whose claim
 * ran out; an entry another sweep holds a live claim on stays theirs.
 */
export function renewed(
  state: AccountState,
  ids: ReadonlySet<string>,
  sweepId: string,
  now: string,
  leaseMs: number,
): AccountState {
  return claimed(
    state,
    sweepId,
    now,
    leaseMs,
    (e) => ids.has(e.id) && (e.claimedBy === sweepId || ranOut(e, now)),
  );
}

export function ownedBy(state: AccountState, sweepId: string): PendingNotification[] {
  return state.outbox.filter((entry) => entry.claimedBy === sweepId);
}

export function withoutEntries(state: AccountState, ids: ReadonlySet<string>): AccountState {
  return { ...state, outbox: state.outbox.filter((entry) => !ids.has(entry.id)) };
}

/**
 * Records that `channel` accepted these entries; an entry that every configured channel has
 * now accepted leaves the outbox.
 */
export function withAccepted(
  state: AccountState,
  ids: ReadonlySet<string>,
  channel: string,
  channels: readonly string[],
): AccountState {
  if (!state.outbox.some((entry) => ids.has(entry.id))) return state;
  const outbox = state.outbox.flatMap((entry) => {
    if (!ids.has(entry.id)) return [entry];
    const deliveredTo = [...new Set([...(entry.deliveredTo ?? []), channel])];
    return channels.every((c) => deliveredTo.includes(c)) ? [] : [{ ...entry, deliveredTo }];
  });
  return { ...state, outbox };
}

/** Gives up this sweep's claim so that the very next sweep retries delivery. */
export function released(
  state: AccountState,
  ids: ReadonlySet<string>,
  sweepId: string,
  now: string,
): AccountState {
  return {
    ...state,
    outbox: state.outbox.map((entry) =>
      ids.has(entry.id) && entry.claimedBy === sweepId ? { ...entry, claimUntil: now } : entry,
    ),
  };
}

/** A muted account is still recorded; its notifications wait until the mute ends (the mute expires by itself). */
export function isMuted(state: AccountState, now: string): boolean {
  return state.mute !== null && Date.parse(state.mute.until) > Date.parse(now);
}

/** The notification as published and reported: without the outbox's bookkeeping. */
export function stripClaim({
  claimedBy: _c,
  claimUntil: _u,
  deliveredTo: _d,
  ...notification
}: PendingNotification): Notification {
  return notification;
}
