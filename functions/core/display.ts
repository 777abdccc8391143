import { formatAmount, roundAmount } from './money.ts';
import type { Notification, NotificationType, Runway } from './types.ts';

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

/** The name on one line for a subject: control and direction characters become spaces. */
export function plainName(name: string): string {
  return name.replace(UNSAFE, ' ').replace(/\s+/g, ' ').trim();
}

export type Severity = 'critical' | 'high' | 'warning' | 'info';

/**
 * Everything said about a notification type, in one table: a new type fails the typecheck
 * until it has its title (subjects), its line (what a person reads) and its severity (filters, order).
 */
interface Wording {
  /** A few words for a subject: "Low balance". */
  title(n: Notification): string;
  /** One line: what happened, to whom (`who`), how much (`balance`), against which line. */
  line(n: Notification, who: string, balance: string): string;
  severity(n: Pick<Notification, 'level'>): Severity;
}

const WORDING: Record<NotificationType, Wording> = {
  critical: {
    title: () => 'CRITICAL balance',
    line: (n, who, balance) =>
      `CRITICAL ${who}: balance ${balance}, at or below the critical level ${formatAmount(n.thresholds.critical, n.currency)}`,
    severity: () => 'critical',
  },
  low: {
    title: () => 'Low balance',
    line: (n, who, balance) =>
      `LOW ${who}: balance ${balance}, below ${formatAmount(n.thresholds.low, n.currency)}`,
    severity: () => 'warning',
  },
  reminder: {
    title: (n) => `Still ${n.level === 'CRITICAL' ? 'critical' : 'low'}`,
    line: (n, who, balance) =>
      `STILL ${n.level} ${who}: balance ${balance}, below ${formatAmount(n.thresholds.low, n.currency)} since an earlier sweep`,
    severity: (n) => (n.level === 'CRITICAL' ? 'critical' : 'warning'),
  },
  recovered: {
    title: () => 'Balance recovered',
    line: (n, who, balance) =>
      `RECOVERED ${who}: balance ${balance}, back above ${formatAmount(n.thresholds.low, n.currency)}`,
    severity: () => 'info',
  },
  forecast: {
    title: () => 'Balance running out soon',
    line: (n, who, balance) => `FORECAST ${who}: balance ${balance}, ${describeRunway(n.runway)}`,
    severity: () => 'warning',
  },
  spike: {
    title: () => 'Spend spike',
    line: (n, who, balance) =>
      `SPIKE ${who}: balance ${balance}, ${
        n.spend
          ? `spent ${formatAmount(roundAmount(n.spend.lastHour, 2), n.currency)} in the last hour against a usual ${formatAmount(roundAmount(n.spend.hourlyAverage, 2))}/h`
          : 'spend in the last hour far above its usual rate'
      }; ${describeRunway(n.runway)}`,
    // A toll-fraud guard: money is leaving fast, whatever the balance.
    severity: () => 'high',
  },
  partner_low: {
    title: () => 'Partner wallet low',
    line: (n, who, balance) =>
      `PARTNER ${n.level} ${who}: the partner wallet holds ${balance}, below ${formatAmount(n.thresholds.low, n.currency)}; customers cannot be topped up`,
    // The partner's own wallet running low blocks every top-up.
    severity: (n) => (n.level === 'CRITICAL' ? 'critical' : 'high'),
  },
  partner_recovered: {
    title: () => 'Partner wallet recovered',
    line: (_n, who, balance) => `PARTNER RECOVERED ${who}: the partner wallet holds ${balance} again`,
    severity: () => 'info',
  },
};

/** For subscribers' filters and for ordering. */
export function severityOf(n: Pick<Notification, 'type' | 'level'>): Severity {
  return WORDING[n.type].severity(n);
}

/** A few words for a subject line: "Low balance", "Still critical". */
export function titleOf(n: Notification): string {
  return WORDING[n.type].title(n);
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
  const who = `${displayName(n.name)} (${n.authId})`;
  const line = WORDING[n.type].line(n, who, formatAmount(n.balance, n.currency));
  const runway = n.type === 'forecast' || n.type === 'spike' ? '' : describeRunway(n.runway);
  return runway ? `${line}; ${runway}` : line;
}
