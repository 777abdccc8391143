import { PublishBatchCommand, type PublishBatchRequestEntry, type SNSClient } from '@aws-sdk/client-sns';
import { bySeverity, describeNotification, severityOf } from '../../core/display.ts';
import { oneLine } from '../../core/errors.ts';
import { formatAmount } from '../../core/money.ts';
import type { NotifierPort, PublishOutcome } from '../../core/ports.ts';
import type { Notification } from '../../core/types.ts';

/**
 * Publishes notifications to one SNS topic. Primary course:
 * 1. more than `digestSize` notifications in one sweep become one digest (critical ones still go singly);
 * 2. messages go out in PublishBatch calls of ten, each with filterable attributes;
 * 3. every notification is reported accepted or failed, so a failure stays pending for the next sweep.
 */

export interface SnsNotifierOptions {
  client: SNSClient;
  topicArn: string;
  /** More notifications than this in one sweep are summarised in one digest message. */
  digestSize: number;
}

const BATCH = 10;
/** SNS takes at most 256 KiB in one message and in one PublishBatch call; keep clear of both. */
const MAX_BATCH_BYTES = 240 * 1024;
const MAX_DIGEST_BYTES = 200 * 1024;
/** SNS refuses subjects of 100 characters or more, and any that are not printable ASCII. */
const SUBJECT_MAX = 99;

interface Message {
  /** The notifications this message delivers: accepted together. */
  ids: string[];
  entry: Omit<PublishBatchRequestEntry, 'Id'>;
}

export function createSnsNotifier(options: SnsNotifierOptions): NotifierPort {
  return {
    async publish(notifications: readonly Notification[]): Promise<PublishOutcome[]> {
      const messages = plan([...notifications].sort(bySeverity), options.digestSize);
      const accepted = new Set<string>();
      const failures = new Map<string, string>();
      let start = 0;
      for (const chunk of batches(messages)) {
        const entries = chunk.map((m, i) => ({ ...m.entry, Id: `m${start + i}` }));
        try {
          const result = await options.client.send(
            new PublishBatchCommand({ TopicArn: options.topicArn, PublishBatchRequestEntries: entries }),
          );
          const failedById = new Map(
            (result.Failed ?? []).map((f) => [f.Id, `${f.Code}: ${f.Message ?? ''}`]),
          );
          chunk.forEach((message, i) => {
            const failure = failedById.get(`m${start + i}`);
            for (const id of message.ids) {
              if (failure) failures.set(id, failure);
              else accepted.add(id);
            }
          });
        } catch (error) {
          for (const message of chunk) for (const id of message.ids) failures.set(id, oneLine(error));
        }
        start += chunk.length;
      }
      // A notification carried by a digest that failed but also sent singly that succeeded counts as delivered.
      return notifications.map((n) =>
        accepted.has(n.id)
          ? { id: n.id, ok: true }
          : { id: n.id, ok: false, error: failures.get(n.id) ?? 'not sent' },
      );
    },
  };
}

function plan(sorted: Notification[], digestSize: number): Message[] {
  if (sorted.length <= digestSize) return sorted.map(single);
  const singles = sorted.filter((n) => severityOf(n) === 'critical').map(single);
  return [...singles, ...digests(sorted)];
}

/** Up to ten messages a call, and never more bytes than one call may carry. */
function batches(messages: Message[]): Message[][] {
  const result: Message[][] = [];
  let current: Message[] = [];
  let bytes = 0;
  for (const message of messages) {
    const size = Buffer.byteLength(message.entry.Message ?? '') + 1024;
    if (current.length === BATCH || (current.length > 0 && bytes + size > MAX_BATCH_BYTES)) {
      result.push(current);
      current = [];
      bytes = 0;
    }
    current.push(message);
    bytes += size;
  }
  if (current.length > 0) result.push(current);
  return result;
}

/** One digest, or as few parts as fit SNS's message size, each listing its share most severe first. */
function digests(sorted: Notification[]): Message[] {
  const whole = digest(sorted, sorted, null);
  if (Buffer.byteLength(whole.entry.Message ?? '') <= MAX_DIGEST_BYTES) return [whole];
  const perNotification = Math.ceil(Buffer.byteLength(whole.entry.Message ?? '') / sorted.length);
  const size = Math.max(1, Math.floor(MAX_DIGEST_BYTES / perNotification));
  const parts = Math.ceil(sorted.length / size);
  return Array.from({ length: parts }, (_, i) =>
    digest(sorted, sorted.slice(i * size, (i + 1) * size), { part: i + 1, of: parts }),
  );
}

function single(n: Notification): Message {
  const text = `${describeNotification(n)}\n\n${details(n)}`;
  return {
    ids: [n.id],
    entry: {
      // The account id before the name, so trimming a long name never loses it.
      Subject: subject(`${headline(n)}: ${n.authId} ${asciiName(n.name)}`),
      MessageStructure: 'json',
      // Protocols without a key of their own (sqs, lambda, https, email-json) get `default`: the JSON document.
      Message: JSON.stringify({
        default: JSON.stringify(n),
        email: text,
        sms: subject(describeNotification(n)),
      }),
      MessageAttributes: {
        event_type: { DataType: 'String', StringValue: n.type },
        severity: { DataType: 'String', StringValue: severityOf(n) },
        auth_id: { DataType: 'String', StringValue: n.authId },
        currency: { DataType: 'String', StringValue: n.currency },
      },
    },
  };
}

function digest(
  all: Notification[],
  listed: Notification[],
  part: { part: number; of: number } | null,
): Message {
  const counts = new Map<string, number>();
  for (const n of all) counts.set(n.type, (counts.get(n.type) ?? 0) + 1);
  const tally = [...counts].map(([type, count]) => `${count} ${type}`).join(', ');
  const worst = listed[0] ? severityOf(listed[0]) : 'info';
  const partLabel = part ? ` (part ${part.part} of ${part.of})` : '';
  const document = {
    type: 'digest',
    count: all.length,
    counts: Object.fromEntries(counts),
    part,
    notifications: listed,
  };
  const text = [
    `${all.length} balance notifications in one sweep (${tally}), most severe first${partLabel}:`,
    '',
  ]
    .concat(listed.map((n) => `- ${describeNotification(n)}`))
    .join('\n');
  return {
    ids: listed.map((n) => n.id),
    entry: {
      Subject: subject(`Vobiz balances: ${tally}${partLabel}`),
      MessageStructure: 'json',
      // Protocols without a key of their own (sqs, lambda, https, email-json) get `default`: the JSON document.
      Message: JSON.stringify({ default: JSON.stringify(document), email: text }),
      MessageAttributes: {
        event_type: { DataType: 'String', StringValue: 'digest' },
        severity: { DataType: 'String', StringValue: worst },
        auth_id: { DataType: 'String', StringValue: 'multiple' },
        currency: { DataType: 'String', StringValue: [...new Set(listed.map((n) => n.currency))].join(',') },
      },
    },
  };
}

function headline(n: Notification): string {
  switch (n.type) {
    case 'critical':
      return 'CRITICAL balance';
    case 'low':
      return 'Low balance';
    case 'reminder':
      return `Still ${n.level === 'CRITICAL' ? 'critical' : 'low'}`;
    case 'recovered':
      return 'Balance recovered';
    case 'forecast':
      return 'Balance running out soon';
    case 'spike':
      return 'Spend spike';
    case 'partner_low':
      return 'Partner wallet low';
    case 'partner_recovered':
      return 'Partner wallet recovered';
  }
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

/**
 * Names in any script become ASCII for the subject only (the body keeps them whole):
 * accents are folded, everything else non-ASCII or non-printable is dropped.
 */
export function asciiName(name: string): string {
  return name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^\x20-\x7e]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

export function subject(text: string): string {
  const ascii = asciiName(text);
  return ascii.length <= SUBJECT_MAX ? ascii : `${ascii.slice(0, SUBJECT_MAX - 3).trimEnd()}...`;
}
