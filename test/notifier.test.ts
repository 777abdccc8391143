import { describe, expect, it } from 'vitest';
import { createNotifier } from '../functions/core/notifier.ts';
import type { ChannelPort, Deliverable, PublishOptions, PublishOutcome } from '../functions/core/ports.ts';
import type { Notification } from '../functions/core/types.ts';
import { notification } from './support/notifications.ts';

/* The fan-out is pure orchestration: tested with channels that record, refuse or throw. */

class FakeChannel implements ChannelPort {
  readonly received: string[][] = [];
  refuse: ((n: Notification) => string | null) | null = null;
  throws: Error | null = null;
  /** Batch size for onAccepted; 0: reports acceptance only in its result. */
  batch = 2;

  constructor(readonly name: string) {}

  async publish(
    notifications: readonly Notification[],
    options: PublishOptions = {},
  ): Promise<PublishOutcome[]> {
    if (this.throws) throw this.throws;
    this.received.push(notifications.map((n) => n.id));
    const outcomes = notifications.map((n): PublishOutcome => {
      const reason = this.refuse?.(n) ?? null;
      return reason ? { id: n.id, ok: false, error: reason } : { id: n.id, ok: true };
    });
    const accepted = outcomes.filter((o) => o.ok).map((o) => o.id);
    for (let i = 0; this.batch > 0 && i < accepted.length; i += this.batch) {
      await options.onAccepted?.(accepted.slice(i, i + this.batch));
    }
    return outcomes;
  }
}

function pending(...entries: Array<[Notification, string[]]>): Deliverable[] {
  return entries.map(([n, deliveredTo]) => ({ notification: n, deliveredTo }));
}

describe('notifier fan-out', () => {
  it('gives each channel only what it has not accepted yet, and settles each batch per channel', async () => {
    // Arrange
    const [file, webhook] = [new FakeChannel('file'), new FakeChannel('webhook')];
    const [a, b, c] = [notification(1), notification(2), notification(3)];
    const settled: string[] = [];

    // Act
    const reports = await createNotifier([file, webhook]).publish(
      pending([a, []], [b, ['file']], [c, ['webhook']]),
      { onAccepted: async (channel, ids) => void settled.push(`${channel}:${ids.join('+')}`) },
    );

    // Assert
    expect(file.received).toEqual([[a.id, c.id]]);
    expect(webhook.received).toEqual([[a.id, b.id]]);
    expect(settled).toEqual([`file:${a.id}+${c.id}`, `webhook:${a.id}+${b.id}`]);
    expect(reports).toEqual([
      { channel: 'file', accepted: 2, refused: 0, error: null },
      { channel: 'webhook', accepted: 2, refused: 0, error: null },
    ]);
  });

  it('reports a refusing channel with its reason and count while the others deliver', async () => {
    // Arrange
    const [sns, webhook] = [new FakeChannel('sns'), new FakeChannel('webhook')];
    webhook.refuse = (n) => (n.authId === 'MA_00000002' ? null : 'webhook 127.0.0.1: HTTP 503');
    const list = [notification(1), notification(2), notification(3)];

    // Act
    const reports = await createNotifier([sns, webhook]).publish(
      list.map((n) => ({ notification: n, deliveredTo: [] })),
      { onAccepted: async () => {} },
    );

    // Assert
    expect(reports).toEqual([
      { channel: 'sns', accepted: 3, refused: 0, error: null },
      { channel: 'webhook', accepted: 1, refused: 2, error: 'webhook 127.0.0.1: HTTP 503' },
    ]);
  });

  it('counts everything as refused by a channel that throws, and goes on with the next', async () => {
    // Arrange
    const [broken, file] = [new FakeChannel('webhook'), new FakeChannel('file')];
    broken.throws = new Error('socket\nhang up');

    // Act
    const reports = await createNotifier([broken, file]).publish(pending([notification(1), []]), {
      onAccepted: async () => {},
    });

    // Assert
    expect(reports).toEqual([
      { channel: 'webhook', accepted: 0, refused: 1, error: 'webhook failed: socket hang up' },
      { channel: 'file', accepted: 1, refused: 0, error: null },
    ]);
  });

  it('settles what a channel reported accepted only at the end', async () => {
    // Arrange
    const quiet = new FakeChannel('file');
    quiet.batch = 0;
    const settled: string[] = [];

    // Act
    await createNotifier([quiet]).publish(pending([notification(1), []], [notification(2), []]), {
      onAccepted: async (_channel, ids) => void settled.push(...ids),
    });

    // Assert
    expect(settled).toEqual([notification(1).id, notification(2).id]);
  });

  it('stops at once when settling fails, so nothing more goes out unrecorded', async () => {
    // Arrange
    const [sns, webhook] = [new FakeChannel('sns'), new FakeChannel('webhook')];
    const list = [1, 2, 3, 4].map((i) => notification(i));

    // Act
    const attempt = createNotifier([sns, webhook]).publish(
      list.map((n) => ({ notification: n, deliveredTo: [] })),
      {
        onAccepted: async () => {
          throw new Error('store died');
        },
      },
    );

    // Assert
    await expect(attempt).rejects.toThrow('store died');
    expect(sns.received).toHaveLength(1);
    expect(webhook.received).toEqual([]);
  });

  it('refuses two channels of one name, whose bookkeeping would mix', () => {
    expect(() => createNotifier([new FakeChannel('sns'), new FakeChannel('sns')])).toThrow(
      'channel names must differ: sns, sns',
    );
  });
});
