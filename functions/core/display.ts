import { formatAmount, roundAmount } from './money.ts';
import type { Notification, Runway } from './types.ts';

/**
 * Names come from the partner's customers and may hold anything: control characters,
 * terminal escapes, bidi overrides. Stored as they are; escaped wherever a person reads them.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

export function displayName(name: string, maxLength = 60): string {
  const escaped = name.replace(UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  const chars = Array.from(escaped);
  return chars.length > maxLength ? `${chars.slice(0, maxLength - 1).join('')}…` : escaped;
}

export type Severity = 'critical' | 'high' | 'warning' | 'info';

/** For subscribers' filters and for ordering: the partner's own wallet running low blocks every top-up. */
export function severityOf(n: Pick<Notification, 'type' | 'level'>): Severity {
  switch (n.type) {
    case 'critical':
      return 'critical';
    case 'partner_low':
      return n.level === 'CRITICAL' ? 'critical' : 'high';
    case 'spike':
      // A toll-fraud guard: money is leaving fast, whatever the balance.
      return 'high';
    case 'low':
    case 'forecast':
      return 'warning';
    case 'reminder':
      return n.level === 'CRITICAL' ? 'critical' : 'warning';
    case 'recovered':
    case 'partner_recovered':
      return 'info';
  }
}

const RANK: Record<Severity, number> = { critical: 0, high: 1, warning: 2, info: 3 };

/** Most severe first; then by account, so the order is stable. */
export function bySeverity(a: Notification, b: Notification): number {
  return (
    RANK[severityOf(a)] - RANK[severityOf(b)] || a.authId.localeCompare(b.authId) || a.id.localeCompare(b.id)
  );
}

/** "runway 31.5 h (empty about 2026-11-28T14:00Z)", or why it is not known; empty when never analysed. */
export function describeRunway(runway: Runway | null | undefined): string {
  if (!runway) return '';
  if (runway.status !== 'known') {
    return runway.status === 'no_spend' ? 'no recent spend' : 'runway unknown (not enough history yet)';
  }
  const span = runway.hours < 48 ? `${runway.hours} h` : `${(runway.hours / 24).toFixed(1)} days`;
  return `runway ${span} at ${formatAmount(roundAmount(runway.ratePerHour, 2))}/h (${runway.basis} rate), empty about ${runway.depletionAt.slice(0, 16)}Z`;
}

/** One readable line for a person: what happened, to whom, how much, against which line. */
export function describeNotification(n: Notification): string {
  const line = headline(n);
  const runway = n.type === 'forecast' || n.type === 'spike' ? '' : describeRunway(n.runway);
  return runway ? `${line}; ${runway}` : line;
}

function headline(n: Notification): string {
  const who = `${displayName(n.name)} (${n.authId})`;
  const balance = formatAmount(n.balance, n.currency);
  switch (n.type) {
    case 'forecast':
      return `FORECAST ${who}: balance ${balance}, ${describeRunway(n.runway)}`;
    case 'spike':
      return `SPIKE ${who}: balance ${balance}, ${
        n.spend
          ? `spent ${formatAmount(roundAmount(n.spend.lastHour, 2), n.currency)} in the last hour against a usual ${formatAmount(roundAmount(n.spend.hourlyAverage, 2))}/h`
          : 'spend in the last hour far above its usual rate'
      }; ${describeRunway(n.runway)}`;
    case 'critical':
      return `CRITICAL ${who}: balance ${balance}, at or below the critical level ${formatAmount(n.thresholds.critical, n.currency)}`;
    case 'low':
      return `LOW ${who}: balance ${balance}, below ${formatAmount(n.thresholds.low, n.currency)}`;
    case 'reminder':
      return `STILL ${n.level} ${who}: balance ${balance}, below ${formatAmount(n.thresholds.low, n.currency)} since an earlier sweep`;
    case 'recovered':
      return `RECOVERED ${who}: balance ${balance}, back above ${formatAmount(n.thresholds.low, n.currency)}`;
    case 'partner_low':
      return `PARTNER ${n.level} ${who}: the partner wallet holds ${balance}, below ${formatAmount(n.thresholds.low, n.currency)}; customers cannot be topped up`;
    case 'partner_recovered':
      return `PARTNER RECOVERED ${who}: the partner wallet holds ${balance} again`;
  }
}
