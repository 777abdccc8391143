import { oneLine } from './errors.ts';
import type { ChannelPort, ChannelReport, NotifierPort } from './ports.ts';
import type { Notification } from './types.ts';

/**
 * Fans notifications out over several channels, with bookkeeping per channel: each outbox entry
 * records the channels that already accepted it (`deliveredTo`), a later try goes only to those
 * that have not, and the entry leaves the outbox once every configured channel accepted it.
 * So a failing webhook never makes SNS or the alerts file deliver a duplicate, and a failing SNS
 * never holds the webhook back. (The alternative, "delivered when every channel accepted it",
 * would resend to every channel whenever one of them fails.)
 *
 * Channels are served one after the other, in the order given, each batch settled (`onAccepted`)
 * before the next goes out: a crash repeats at most the one batch in flight.
 */

export function createNotifier(channels: readonly ChannelPort[]): NotifierPort {
  const names = channels.map((c) => c.name);
  if (new Set(names).size !== names.length) throw new Error(`channel names must differ: ${names.join(', ')}`);
  return {
    channels: names,
    async publish(pending, { onAccepted, timeLeft }) {
      const reports: ChannelReport[] = [];
      for (const channel of channels) {
        const todo = pending.filter((p) => !p.deliveredTo.includes(channel.name)).map((p) => p.notification);
        reports.push(await publishTo(channel, todo, onAccepted, timeLeft));
      }
      return reports;
    },
  };
}

async function publishTo(
  channel: ChannelPort,
  todo: Notification[],
  onAccepted: (channel: string, ids: readonly string[]) => Promise<void>,
  timeLeft: (() => number) | undefined,
): Promise<ChannelReport> {
  const report: ChannelReport = { channel: channel.name, accepted: 0, refused: 0, error: null };
  if (todo.length === 0) return report;
  // The caller's own failure (its store died while settling) must stop everything, not count as a refusal.
  let settleFailure: { error: unknown } | null = null;
  const settled = new Set<string>();
  const settle = async (ids: readonly string[]) => {
    try {
      await onAccepted(channel.name, ids);
    } catch (error) {
      settleFailure = { error };
      throw error;
    }
    for (const id of ids) settled.add(id);
  };
  try {
    const outcomes = await channel.publish(todo, { timeLeft, onAccepted: settle });
    // A channel that reported acceptance only at the end is settled now.
    const late = outcomes.filter((o) => o.ok && !settled.has(o.id)).map((o) => o.id);
    if (late.length > 0) await settle(late);
    for (const outcome of outcomes) if (!outcome.ok) report.error ??= outcome.error;
  } catch (error) {
    if (settleFailure) throw (settleFailure as { error: unknown }).error;
    report.error = `${channel.name} failed: ${oneLine(error)}`;
  }
  const accepted = settled;
  report.accepted = accepted.size;
  report.refused = todo.length - accepted.size;
  if (report.refused === 0) report.error = null;
  return report;
}
