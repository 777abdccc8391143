import { appendFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { describeNotification } from '../../core/display.ts';
import type { NotifierPort, PublishOutcome } from '../../core/ports.ts';
import type { Notification } from '../../core/types.ts';

/**
 * The laptop's notifier: a readable line per notification for whoever watches the
 * terminal, and one JSON line each in an alerts file for anything that wants to react.
 */
export function createFileNotifier(options: {
  alertsFile: string;
  print: (line: string) => void;
}): NotifierPort {
  return {
    async publish(notifications: readonly Notification[]): Promise<PublishOutcome[]> {
      if (notifications.length === 0) return [];
      try {
        await mkdir(dirname(options.alertsFile), { recursive: true });
        await appendFile(
          options.alertsFile,
          notifications.map((n) => `${JSON.stringify(n)}\n`).join(''),
          'utf8',
        );
      } catch (error) {
        const reason = `cannot append to ${options.alertsFile}: ${(error as Error).message}`;
        return notifications.map((n) => ({ id: n.id, ok: false, error: reason }));
      }
      for (const n of notifications) options.print(describeNotification(n));
      return notifications.map((n) => ({ id: n.id, ok: true }));
    },
  };
}
