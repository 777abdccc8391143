/**
 * Balance source `list`: which accounts a sweep confirms with the balance endpoint although the
 * list row already carries `cash_credits`. Besides first sight and every level change (decided in
 * account-work.ts), a rotating share: each account has a fixed phase among the day's slots, so at a
 * 15-minute period 1/96 of the accounts are confirmed each sweep and every account once a day.
 */

const MINUTES_PER_DAY = 24 * 60;

/** How many sweeps make a day at this period: every account is confirmed once in that many slots. */
export function confirmationCycle(periodMinutes: number): number {
  return Math.max(1, Math.round(MINUTES_PER_DAY / periodMinutes));
}

/** The sweep's slot: which period since the epoch it runs in. */
export function slotOf(epochMs: number, periodMinutes: number): number {
  return Math.floor(epochMs / (periodMinutes * 60_000));
}

/** True when this account's turn to be confirmed falls on this slot. */
export function confirmationDue(authId: string, slot: number, cycle: number): boolean {
  return phaseOf(authId, cycle) === slot % cycle;
}

/** A stable spread of ids over the cycle (FNV-1a). */
function phaseOf(authId: string, cycle: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < authId.length; i++) hash = Math.imul(hash ^ authId.charCodeAt(i), 0x01000193);
  return (hash >>> 0) % cycle;
}
