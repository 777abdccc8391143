import { PublishBatchCommand, type PublishBatchCommandInput, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { createSnsChannel } from '../functions/adapters/sns/sns-channel.ts';
import { notification } from './support/notifications.ts';

/* What the SNS channel adds for delivery: settling between batches, idempotency keys, time limits. */

const sns = mockClient(SNSClient);
const events: string[] = [];

function channel() {
  return createSnsChannel({
    client: new SNSClient({ region: 'ap-south-1' }),
    topicArn: 'arn:aws:sns:ap-south-1:123456789012:alerts',
    digestSize: 10,
  });
}

beforeEach(() => {
  sns.reset();
  events.length = 0;
  sns.on(PublishBatchCommand).callsFake((input: PublishBatchCommandInput) => {
    const entries = input.PublishBatchRequestEntries ?? [];
    events.push(`sent ${entries.length}`);
    return { Successful: entries.map((e) => ({ Id: e.Id, MessageId: 'm' })), Failed: [] };
  });
});

describe('SNS channel', () => {
  it('has each PublishBatch settled before it sends the next', async () => {
    // Arrange
    const many = Array.from({ length: 25 }, (_, i) => notification(i));

    // Act
    await createSnsChannel({
      client: new SNSClient({ region: 'ap-south-1' }),
      topicArn: 'arn:aws:sns:ap-south-1:123456789012:alerts',
      digestSize: 100,
    }).publish(many, {
      onAccepted: async (ids) => {
        events.push(`settled ${ids.length}`);
      },
    });

    // Assert
    expect(events).toEqual(['sent 10', 'settled 10', 'sent 10', 'settled 10', 'sent 5', 'settled 5']);
  });

  it('gives a digest an idempotency key made of the notifications it carries, the same on a repeat', async () => {
    // Arrange
    const flood = Array.from({ length: 12 }, (_, i) => notification(i));

    // Act
    await channel().publish(flood);
    await channel().publish([...flood].reverse());

    // Assert
    const keys = sns
      .commandCalls(PublishBatchCommand)
      .flatMap((c) => c.args[0].input.PublishBatchRequestEntries ?? [])
      .map((e) => e.MessageAttributes?.idempotency_key?.StringValue);
    expect(keys).toHaveLength(2);
    expect(keys[0]).toMatch(/^digest:[0-9a-f]{16}$/);
    expect(keys[1]).toBe(keys[0]);
  });

  it('sends no batch once no time is left, and says the next sweep sends it', async () => {
    // Act
    const outcomes = await channel().publish([notification(1)], { timeLeft: () => 0 });

    // Assert
    expect(sns.commandCalls(PublishBatchCommand)).toHaveLength(0);
    expect(outcomes[0]).toMatchObject({
      ok: false,
      error: expect.stringContaining('the next sweep sends it'),
    });
  });
});
