import { appendFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { describeNotification } from '../../core/display.ts';
import type { ChannelPort, PublishOutcome } from '../../core/ports.ts';
import type { Notification } from '../../core/types.ts';

/**
 * The laptop's channel: a readable line per notification for whoever watches the terminal,
 * and one JSON line each in an alerts file for anything that wants to react. Each line's `id`
 * is its idempotency key: after a crash a reader may see up to one batch again.
 */

/** Lines appended at a time: what a crash between the append and the outbox update can repeat. */
const BATCH = 10;

export function createFileChannel(options: {
  alertsFile: string;
  /** Told each notification's readable line as it is appended (the notification too, to colour it). */
  print: (line: string, notification: Notification) => void;
}): ChannelPort {
  return {
    name: 'file',
    async publish(notifications, { onAccepted } = {}): Promise<PublishOutcome[]> {
      const outcomes: PublishOutcome[] = [];
      if (notifications.length === 0) return outcomes;
      try {
        await mkdir(dirname(options.alertsFile), { recursive: true });
      } catch (error) {
        return refuse(notifications, options.alertsFile, error);
      }
      for (let start = 0; start < notifications.length; start += BATCH) {
        const batch = notifications.slice(start, start + BATCH);
        try {
          await appendFile(options.alertsFile, batch.map((n) => `${JSON.stringify(n)}\n`).join(''), 'utf8');
        } catch (error) {
          return [...outcomes, ...refuse(notifications.slice(start), options.alertsFile, error)];
        }
        for (const n of batch) options.print(describeNotification(n), n);
        outcomes.push(...batch.map((n) => ({ id: n.id, ok: true as const })));
        await onAccepted?.(batch.map((n) => n.id));
      }
      return outcomes;
    },
  };
}

function refuse(notifications: readonly Notification[], file: string, error: unknown): PublishOutcome[] {
  const reason = `cannot append to ${file}: ${(error as Error).message}`;
  return notifications.map((n) => ({ id: n.id, ok: false, error: reason }));
}
