import {
  bySeverity,
  describeNotification,
  plainName,
  type Severity,
  severityOf,
  titleOf,
} from './display.ts';
import { formatAmount } from './money.ts';
import type { Notification, NotificationType } from './types.ts';

/**
 * What goes out, planned once for every channel. Primary course:
 * 1. most severe first;
 * 2. up to `digestSize` notifications go out one message each;
 * 3. more become one digest (critical ones still go singly as well, so they page whoever filters on them),
 *    cut into parts when one would exceed the channel's byte budget.
 * Channels only render a message in their own format and batch messages as their API allows.
 */

export interface DigestDocument {
  type: 'digest';
  /** Notifications in the whole digest, over all parts. */
  count: number;
  counts: Partial<Record<NotificationType, number>>;
  part: { part: number; of: number } | null;
  /** This part's share, most severe first. */
  notifications: Notification[];
}

interface MessageBase {
  /**
   * The idempotency key a receiver drops repeats by: the notification's id for a single message, for a
   * digest a name derived from exactly the ids it carries.
   */
  id: string;
  /** The notifications this message delivers: accepted or refused together. */
  ids: string[];
  /** One line, any script; channels with limits (SNS: ASCII, under 100 characters) adapt it. */
  subject: string;
  /** One readable line (a text message, a chat notification). */
  headline: string;
  /** The whole readable text (an email body, a chat message). */
  text: string;
  severity: Severity;
  /** The account concerned, or `multiple` for a digest. */
  authId: string;
  currencies: string[];
}

export type Message =
  | (MessageBase & { kind: 'single'; eventType: NotificationType; document: Notification })
  | (MessageBase & { kind: 'digest'; eventType: 'digest'; document: DigestDocument });

export interface DigestBudget {
  /** More notifications than this are summarised in one digest. */
  digestSize: number;
  /** A digest whose measure exceeds this is cut into parts. */
  maxDigestBytes: number;
  /** The size of a message as the channel will send it; by default its text and document in UTF-8. */
  measure?: (message: Message) => number;
}

export function planMessages(notifications: readonly Notification[], budget: DigestBudget): Message[] {
  const sorted = [...notifications].sort(bySeverity);
  if (sorted.length <= budget.digestSize) return sorted.map(single);
  const singles = sorted.filter((n) => severityOf(n) === 'critical').map(single);
  return [...singles, ...digests(sorted, budget)];
}

const encoder = new TextEncoder();

function utf8Bytes(text: string): number {
  return encoder.encode(text).length;
}

function defaultMeasure(message: Message): number {
  return utf8Bytes(message.text) + utf8Bytes(JSON.stringify(message.document));
}

/** One digest, or as few parts as fit the budget, each listing its share most severe first. */
function digests(sorted: Notification[], budget: DigestBudget): Message[] {
  const measure = budget.measure ?? defaultMeasure;
  const whole = digest(sorted, sorted, null);
  const size = measure(whole);
  if (size <= budget.maxDigestBytes) return [whole];
  // Cut by the average size, then halve any part that still does not fit (names differ in length),
  // measured with the widest part label there could be.
  const perPart = Math.max(1, Math.floor(budget.maxDigestBytes / Math.ceil(size / sorted.length)));
  const widest = { part: sorted.length, of: sorted.length };
  const fitted = (slice: Notification[]): Notification[][] => {
    if (slice.length <= 1 || measure(digest(sorted, slice, widest)) <= budget.maxDigestBytes) return [slice];
    const half = Math.ceil(slice.length / 2);
    return [...fitted(slice.slice(0, half)), ...fitted(slice.slice(half))];
  };
  const slices: Notification[][] = [];
  for (let i = 0; i < sorted.length; i += perPart) slices.push(...fitted(sorted.slice(i, i + perPart)));
  return slices.map((slice, i) => digest(sorted, slice, { part: i + 1, of: slices.length }));
}

function single(n: Notification): Message {
  const headline = describeNotification(n);
  return {
    kind: 'single',
    id: n.id,
    ids: [n.id],
    // The account id before the name, so trimming a long name never loses it.
    subject: `${titleOf(n)}: ${n.authId} ${plainName(n.name)}`.trim(),
    headline,
    text: `${headline}\n\n${details(n)}`,
    document: n,
    severity: severityOf(n),
    eventType: n.type,
    authId: n.authId,
    currencies: [n.currency],
  };
}

function digest(
  all: Notification[],
  listed: Notification[],
  part: { part: number; of: number } | null,
): Message {
  const counts: Partial<Record<NotificationType, number>> = {};
  for (const n of all) counts[n.type] = (counts[n.type] ?? 0) + 1;
  const tally = Object.entries(counts)
    .map(([type, count]) => `${count} ${type}`)
    .join(', ');
  const partLabel = part ? ` (part ${part.part} of ${part.of})` : '';
  const headline = `${all.length} balance notifications in one sweep (${tally}), most severe first${partLabel}:`;
  const ids = listed.map((n) => n.id);
  return {
    kind: 'digest',
    id: digestId(ids),
    ids,
    subject: `Vobiz balances: ${tally}${partLabel}`,
    headline,
    text: [headline, '', ...listed.map((n) => `- ${describeNotification(n)}`)].join('\n'),
    document: { type: 'digest', count: all.length, counts, part, notifications: listed },
    severity: listed[0] ? severityOf(listed[0]) : 'info',
    eventType: 'digest',
    authId: 'multiple',
    currencies: [...new Set(listed.map((n) => n.currency))],
  };
}

function details(n: Notification): string {
  return [
    `Account: ${n.authId}`,
    `Balance: ${formatAmount(n.balance, n.currency)} (exact: ${n.balance})`,
    `Level: ${n.previousLevel} -> ${n.level}`,
    `Low threshold: ${formatAmount(n.thresholds.low, n.currency)}; critical at or below ${formatAmount(n.thresholds.critical, n.currency)}`,
    `Observed at: ${n.observedAt}`,
  ].join('\n');
}

const FNV_OFFSET = 0xcbf29ce484222325n;
const FNV_PRIME = 0x100000001b3n;
const MASK_64 = 0xffffffffffffffffn;

/**
 * The same set of notifications always gives the same digest id, so a receiver can drop a digest
 * repeated after a crash. FNV-1a over the sorted ids: a name, not a security measure.
 */
export function digestId(ids: readonly string[]): string {
  let hash = FNV_OFFSET;
  for (const byte of encoder.encode([...ids].sort().join('\n'))) {
    hash = ((hash ^ BigInt(byte)) * FNV_PRIME) & MASK_64;
  }
  return `digest:${hash.toString(16).padStart(16, '0')}`;
}
