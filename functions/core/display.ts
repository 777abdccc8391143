import { formatAmount } from './money.ts';
import type { Notification } from './types.ts';

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

const HEADLINE: Record<Notification['type'], string> = {
  critical: 'CRITICAL',
  low: 'LOW',
  reminder: 'STILL',
  recovered: 'RECOVERED',
};

/** One readable line for a person: what happened, to whom, how much, against which line. */
export function describeNotification(n: Notification): string {
  const who = `${displayName(n.name)} (${n.authId})`;
  const balance = formatAmount(n.balance, n.currency);
  switch (n.type) {
    case 'critical':
      return `${HEADLINE.critical} ${who}: balance ${balance}, at or below the critical level ${formatAmount(n.thresholds.critical, n.currency)}`;
    case 'low':
      return `${HEADLINE.low} ${who}: balance ${balance}, below ${formatAmount(n.thresholds.low, n.currency)}`;
    case 'reminder':
      return `${HEADLINE.reminder} ${n.level} ${who}: balance ${balance}, ${n.level} since an earlier sweep`;
    case 'recovered':
      return `${HEADLINE.recovered} ${who}: balance ${balance}, back above ${formatAmount(n.thresholds.low, n.currency)}`;
  }
}
