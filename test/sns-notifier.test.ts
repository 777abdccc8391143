import { PublishBatchCommand, type PublishBatchCommandInput, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { createSnsChannel } from '../functions/adapters/sns/sns-channel.ts';
import type { Notification, NotificationType } from '../functions/core/types.ts';

const sns = mockClient(SNSClient);
const TOPIC = 'arn:aws:sns:ap-south-1:123456789012:vobiz-alerts';

function notification(i: number, type: NotificationType = 'low', name = `Customer ${i}`): Notification {
  const level = type === 'critical' ? 'CRITICAL' : type === 'recovered' ? 'OK' : 'LOW';
  return {
    id: `MA_${String(i).padStart(8, '0')}:${type}:2026-11-27T03:30:00.000Z`,
    type,
    authId: `MA_${String(i).padStart(8, '0')}`,
    name,
    currency: 'INR',
    balance: type === 'critical' ? '-12.50000' : '42.00000',
    level,
    previousLevel: 'OK',
    thresholds: { low: '100.00000', critical: '0.00000' },
    observedAt: '2026-11-27T03:30:00.000Z',
    sweepId: 'sweep-1',
  };
}

function sentBatches(): PublishBatchCommandInput[] {
  return sns.commandCalls(PublishBatchCommand).map((call) => call.args[0].input);
}

function acceptAll() {
  sns.on(PublishBatchCommand).callsFake((input: PublishBatchCommandInput) => ({
    Successful: (input.PublishBatchRequestEntries ?? []).map((e) => ({ Id: e.Id, MessageId: `msg-${e.Id}` })),
    Failed: [],
  }));
}

beforeEach(() => {
  sns.reset();
});

describe('SNS notifier', () => {
  it('publishes each notification with filterable attributes, a JSON document and readable email text', async () => {
    // Arrange
    acceptAll();
    const notifier = createSnsChannel({
      client: new SNSClient({ region: 'ap-south-1' }),
      topicArn: TOPIC,
      digestSize: 10,
    });
    const n = notification(1, 'critical');

    // Act
    const outcomes = await notifier.publish([n]);

    // Assert
    expect(outcomes).toEqual([{ id: n.id, ok: true }]);
    const [batch] = sentBatches();
    const entry = batch?.PublishBatchRequestEntries?.[0];
    expect(batch?.TopicArn).toBe(TOPIC);
    expect(entry?.MessageStructure).toBe('json');
    expect(entry?.MessageAttributes).toEqual({
      event_type: { DataType: 'String', StringValue: 'critical' },
      severity: { DataType: 'String', StringValue: 'critical' },
      auth_id: { DataType: 'String', StringValue: n.authId },
      currency: { DataType: 'String', StringValue: 'INR' },
      idempotency_key: { DataType: 'String', StringValue: n.id },
    });
    const message = JSON.parse(entry?.Message ?? '{}') as Record<string, string>;
    expect(JSON.parse(message.default ?? '')).toEqual(n);
    expect(message.email).toContain('CRITICAL Customer 1 (MA_00000001): balance -12.50 INR');
  });

  it('keeps subjects ASCII and under 100 characters while the body keeps the name whole', async () => {
    // Arrange
    acceptAll();
    const name = `श्री गणेश ट्रेडर्स Café 北京 🚀 ${'Ünïcödé '.repeat(30)}`;
    const notifier = createSnsChannel({
      client: new SNSClient({ region: 'ap-south-1' }),
      topicArn: TOPIC,
      digestSize: 10,
    });

    // Act
    await notifier.publish([notification(2, 'low', name), notification(3, 'low', '\u0007\t\n')]);

    // Assert
    const entries = sentBatches()[0]?.PublishBatchRequestEntries ?? [];
    for (const entry of entries) {
      expect(entry.Subject?.length).toBeLessThan(100);
      expect(entry.Subject).toMatch(/^[\x20-\x7e]+$/);
    }
    expect(entries[0]?.Subject).toMatch(/^Low balance: MA_00000002 Cafe Unicode/);
    expect(entries[1]?.Subject).toBe('Low balance: MA_00000003');
    const body = JSON.parse(entries[0]?.Message ?? '{}') as { default: string };
    expect((JSON.parse(body.default) as Notification).name).toBe(name);
  });

  it('sends ten messages a call at most', async () => {
    // Arrange
    acceptAll();
    const notifier = createSnsChannel({
      client: new SNSClient({ region: 'ap-south-1' }),
      topicArn: TOPIC,
      digestSize: 100,
    });
    const many = Array.from({ length: 25 }, (_, i) => notification(i));

    // Act
    const outcomes = await notifier.publish(many);

    // Assert
    expect(sentBatches().map((b) => b.PublishBatchRequestEntries?.length)).toEqual([10, 10, 5]);
    expect(outcomes.every((o) => o.ok)).toBe(true);
  });

  it('turns a flood into one digest, most severe first, while critical ones still go out singly', async () => {
    // Arrange
    acceptAll();
    const notifier = createSnsChannel({
      client: new SNSClient({ region: 'ap-south-1' }),
      topicArn: TOPIC,
      digestSize: 10,
    });
    const flood = [
      ...Array.from({ length: 12 }, (_, i) => notification(i, 'low')),
      notification(50, 'recovered'),
      notification(60, 'critical'),
      notification(61, 'critical'),
    ];

    // Act
    const outcomes = await notifier.publish(flood);

    // Assert
    const entries = sentBatches().flatMap((b) => b.PublishBatchRequestEntries ?? []);
    const types = entries.map((e) => e.MessageAttributes?.event_type?.StringValue);
    expect(types).toEqual(['critical', 'critical', 'digest']);
    const digest = JSON.parse(JSON.parse(entries[2]?.Message ?? '{}').default) as {
      count: number;
      notifications: Notification[];
    };
    expect(digest.count).toBe(15);
    expect(digest.notifications.map((n) => n.type).slice(0, 3)).toEqual(['critical', 'critical', 'low']);
    expect(digest.notifications.at(-1)?.type).toBe('recovered');
    expect(entries[2]?.Subject).toBe('Vobiz balances: 2 critical, 12 low, 1 recovered');
    expect(outcomes.filter((o) => o.ok)).toHaveLength(15);
  });

  it('reports the entries SNS refused as not delivered and the rest as delivered', async () => {
    // Arrange
    sns.on(PublishBatchCommand).callsFake((input: PublishBatchCommandInput) => {
      const [first, ...rest] = input.PublishBatchRequestEntries ?? [];
      return {
        Failed: [{ Id: first?.Id, Code: 'InternalError', SenderFault: false, Message: 'try again' }],
        Successful: rest.map((e) => ({ Id: e.Id, MessageId: 'x' })),
      };
    });
    const notifier = createSnsChannel({
      client: new SNSClient({ region: 'ap-south-1' }),
      topicArn: TOPIC,
      digestSize: 10,
    });
    const [a, b] = [notification(1), notification(2)];

    // Act
    const outcomes = await notifier.publish([a, b]);

    // Assert
    expect(outcomes).toEqual([
      { id: a.id, ok: false, error: 'InternalError: try again' },
      { id: b.id, ok: true },
    ]);
  });

  it('reports every notification as not delivered when SNS cannot be reached', async () => {
    // Arrange
    sns.on(PublishBatchCommand).rejects(new Error('connect ETIMEDOUT'));
    const notifier = createSnsChannel({
      client: new SNSClient({ region: 'ap-south-1' }),
      topicArn: TOPIC,
      digestSize: 10,
    });

    // Act
    const outcomes = await notifier.publish([notification(1), notification(2)]);

    // Assert
    expect(outcomes.map((o) => o.ok)).toEqual([false, false]);
    expect(outcomes[0]).toMatchObject({ error: 'connect ETIMEDOUT' });
  });

  it('splits a digest too large for one SNS message into parts that each fit', async () => {
    // Arrange
    acceptAll();
    const notifier = createSnsChannel({
      client: new SNSClient({ region: 'ap-south-1' }),
      topicArn: TOPIC,
      digestSize: 10,
    });
    const flood = Array.from({ length: 3000 }, (_, i) =>
      notification(i, 'low', `Customer with a fairly long name ${i}`),
    );

    // Act
    const outcomes = await notifier.publish(flood);

    // Assert
    const batches = sentBatches();
    for (const batch of batches) {
      const bytes = (batch.PublishBatchRequestEntries ?? []).reduce(
        (sum, e) => sum + Buffer.byteLength(e.Message ?? ''),
        0,
      );
      expect(bytes).toBeLessThan(256 * 1024);
    }
    const entries = batches.flatMap((b) => b.PublishBatchRequestEntries ?? []);
    expect(entries.length).toBeGreaterThan(1);
    expect(entries.every((e) => e.MessageAttributes?.event_type?.StringValue === 'digest')).toBe(true);
    expect(entries[0]?.Subject).toMatch(/\(part 1 of \d+\)$/);
    expect(outcomes.every((o) => o.ok)).toBe(true);
  });
});
