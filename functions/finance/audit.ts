import { displayName } from '../core/display.ts';

/**
 * Every change an operator makes to thresholds, defaults or mutes is kept as an audit
 * entry: when, what, on which target, the value before and after, and who.
 */

export type AuditAction =
  | 'threshold.set'
  | 'threshold.unset'
  | 'default.set'
  | 'default.unset'
  | 'mute'
  | 'unmute';

/** A threshold pair or a mute, as plain strings (amounts exact). */
export type AuditValue = Record<string, string>;

export interface AuditEntry {
  /** ISO UTC time of the change. */
  at: string;
  /** Unique per entry (several changes may share a millisecond). */
  id: string;
  action: AuditAction;
  /** An account auth_id, or `default:<currency>` / `default:*` for defaults. */
  target: string;
  before: AuditValue | null;
  after: AuditValue | null;
  by: string;
}

export const AUDIT_ACTIONS: readonly AuditAction[] = [
  'threshold.set',
  'threshold.unset',
  'default.set',
  'default.unset',
  'mute',
  'unmute',
];

export function defaultTarget(currencyKey: string): string {
  return `default:${currencyKey}`;
}

/** "low 100.00000, critical 0.00000" / "until 2026-12-01T00:00:00.000Z (reason: ...)" / "none". */
export function describeValue(value: AuditValue | null): string {
  if (!value) return 'none';
  if (value.until !== undefined) {
    return `until ${value.until} (reason: ${displayName(value.reason ?? '', 80)})`;
  }
  return Object.entries(value)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
}

/** One readable line per entry. */
export function describeAudit(e: AuditEntry): string {
  return `${e.at} ${displayName(e.by, 40)} ${e.action} ${displayName(e.target, 60)}: ${describeValue(e.before)} -> ${describeValue(e.after)}`;
}
