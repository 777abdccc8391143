import {
  type MessageAttributeValue,
  PublishBatchCommand,
  type PublishBatchRequestEntry,
  type SNSClient,
} from '@aws-sdk/client-sns';
import { type Message, planMessages } from '../../core/digest.ts';
import { oneLine } from '../../core/errors.ts';
import type { ChannelPort, PublishOutcome } from '../../core/ports.ts';
import type { Notification } from '../../core/types.ts';

/**
 * Publishes notifications to one SNS topic. Primary course:
 * 1. the messages planned by core/digest.ts (a digest beyond `digestSize`, criticals still singly);
 * 2. PublishBatch calls of ten, each message with filterable attributes and its idempotency key;
 * 3. every notification is reported accepted or failed, so a failure stays pending for the next sweep.
 */

export interface SnsChannelOptions {
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
const DEADLINE_REASON = 'not sent: the sweep ran out of time; the next sweep sends it';

export function createSnsChannel(options: SnsChannelOptions): ChannelPort {
  return {
    name: 'sns',
    async publish(notifications, { onAccepted, timeLeft } = {}): Promise<PublishOutcome[]> {
      const messages = planMessages(notifications, {
        digestSize: options.digestSize,
        maxDigestBytes: MAX_DIGEST_BYTES,
        measure: (m) => Buffer.byteLength(body(m)),
      });
      const accepted = new Set<string>();
      const failures = new Map<string, string>();
      let start = 0;
      for (const chunk of batches(messages)) {
        if (timeLeft && timeLeft() <= 0) {
          for (const message of chunk) for (const id of message.ids) failures.set(id, DEADLINE_REASON);
          continue;
        }
        const entries = chunk.map((m, i) => ({ ...entry(m), Id: `m${start + i}` }));
        const fresh: string[] = [];
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
              else if (!accepted.has(id)) {
                accepted.add(id);
                fresh.push(id);
              }
            }
          });
        } catch (error) {
          for (const message of chunk) for (const id of message.ids) failures.set(id, oneLine(error));
        }
        start += chunk.length;
        if (fresh.length > 0) await onAccepted?.(fresh);
      }
      // A notification carried by a digest that failed but also sent singly that succeeded counts as delivered.
      return notifications.map((n: Notification) =>
        accepted.has(n.id)
          ? { id: n.id, ok: true }
          : { id: n.id, ok: false, error: failures.get(n.id) ?? 'not sent' },
      );
    },
  };
}

/** Up to ten messages a call, and never more bytes than one call may carry. */
function batches(messages: Message[]): Message[][] {
  const result: Message[][] = [];
  let current: Message[] = [];
  let bytes = 0;
  for (const message of messages) {
    const size = Buffer.byteLength(body(message)) + 1024;
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

/**
 * `MessageStructure: json`: email gets readable text, SMS one line, and protocols without a key of
 * their own (sqs, lambda, https, email-json) get `default`, the JSON document.
 */
function body(m: Message): string {
  return JSON.stringify({
    default: JSON.stringify(m.document),
    email: m.text,
    ...(m.kind === 'single' ? { sms: subject(m.headline) } : {}),
  });
}

function entry(m: Message): Omit<PublishBatchRequestEntry, 'Id'> {
  return {
    Subject: subject(m.subject),
    MessageStructure: 'json',
    Message: body(m),
    MessageAttributes: {
      event_type: text(m.eventType),
      severity: text(m.severity),
      auth_id: text(m.authId),
      currency: text(m.currencies.join(',')),
      // A subscriber drops a message it already processed (standard topics deliver at least once).
      idempotency_key: text(m.id),
    },
  };
}

function text(value: string): MessageAttributeValue {
  return { DataType: 'String', StringValue: value };
}

/**
 * Names in any script become ASCII for the subject only (the body keeps them whole):
 * accents are folded, everything else non-ASCII or non-printable is dropped.
 */
function asciiName(name: string): string {
  return name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^\x20-\x7e]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

function subject(text: string): string {
  const ascii = asciiName(text);
  return ascii.length <= SUBJECT_MAX ? ascii : `${ascii.slice(0, SUBJECT_MAX - 3).trimEnd()}...`;
}
