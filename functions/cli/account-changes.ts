import { randomBytes } from 'node:crypto';
import { displayName } from '../core/display.ts';
import { sameAmount } from '../core/money.ts';
import type { AccountState, Mute, ThresholdOverride } from '../core/types.ts';
import type { AuditAction, AuditEntry, AuditValue } from '../finance/audit.ts';
import type { OptionSpecs } from './args.ts';
import { type FinanceContext, unknownAccount } from './finance-reads.ts';
import { type CliIO, clockOf } from './io.ts';
import { STORE_OPTIONS } from './store-options.ts';

/**
 * Thresholds and mutes without a redeploy: written to the table, read by the next sweep.
 * Primary course of every change: 1. validate every flag (nothing is written on a refusal);
 * 2. apply it to the current item through a versioned, conditional write (the sweep writes
 * the same items), retrying on a conflict; 3. append the audit entry.
 */

export const CHANGE_OPTIONS = {
  by: { type: 'string', value: '<name>', help: 'who makes the change, for the audit (default: $USER)' },
  ...STORE_OPTIONS,
} as const satisfies OptionSpecs;

export function overrideValue(o: ThresholdOverride | null | undefined): AuditValue | null {
  if (!o) return null;
  return o.critical === undefined ? { low: o.low } : { low: o.low, critical: o.critical };
}

export function muteValue(m: Mute | null): AuditValue | null {
  return m ? { until: m.until, reason: m.reason } : null;
}

export function sameOverride(
  a: ThresholdOverride | null | undefined,
  b: ThresholdOverride | null | undefined,
): boolean {
  if (!a || !b) return !a && !b;
  const sameCritical =
    a.critical === undefined || b.critical === undefined
      ? a.critical === b.critical
      : sameAmount(a.critical, b.critical);
  return sameAmount(a.low, b.low) && sameCritical;
}

/** Stamped with the real clock, whatever --now says: an audit trail must not be back-dated. */
export function auditEntry(
  io: CliIO,
  action: AuditAction,
  target: string,
  before: AuditValue | null,
  after: AuditValue | null,
  by: string,
): AuditEntry {
  return {
    at: new Date(clockOf(io)()).toISOString(),
    id: randomBytes(6).toString('hex'),
    action,
    target,
    before,
    after,
    by,
  };
}

export function who(state: AccountState): string {
  return `${state.authId} (${displayName(state.name, 40)})`;
}

export interface AccountChange {
  authId: string;
  action: AuditAction;
  by: string;
  apply: (state: AccountState) => AccountState | null;
  value: (state: AccountState) => AuditValue | null;
  /** What to print once it is done. */
  done: (before: AccountState, after: AccountState) => string;
  unchanged: (state: AccountState) => string;
}

export async function changeAccount(
  { store, tableName }: FinanceContext,
  io: CliIO,
  change: AccountChange,
): Promise<number> {
  const result = await store.updateState(change.authId, change.apply);
  if (result.kind === 'unknown') {
    throw unknownAccount(change.authId, tableName);
  }
  if (result.kind === 'unchanged') {
    io.stdout(change.unchanged(result.state));
    return 0;
  }
  await store.appendAudit(
    auditEntry(
      io,
      change.action,
      change.authId,
      change.value(result.before),
      change.value(result.after),
      change.by,
    ),
  );
  io.stdout(change.done(result.before, result.after));
  return 0;
}
