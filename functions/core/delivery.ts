import { Semaphore } from './concurrency.ts';
import { bySeverity } from './display.ts';
import { oneLine } from './errors.ts';
import { isMuted, ownedBy, released, withoutEntries } from './outbox.ts';
import type { NotifierPort } from './ports.ts';
import type { SweepEvent } from './sweep-types.ts';
import type { AccountState, Notification, PendingNotification } from './types.ts';

export interface Delivery {
  /** What the notifier accepted, most severe first. */
  delivered: Notification[];
  /** Notifications still waiting in their outboxes for a later sweep. */
  pending: number;
}

export interface DeliveryDeps {
  notifier: NotifierPort;
  sweepId: string;
  /** Epoch ms by which the sweep must have finished: past it nothing is published. */
  deadline: number | undefined;
  clock: () => number;
  /** How many outboxes are settled at once. */
  concurrency: number;
  /** Applies `change` to the freshest stored state of the account and writes it (the sweep's conditional save). */
  settle: (state: AccountState, change: (s: AccountState) => AccountState) => Promise<unknown>;
  log: (event: Extract<SweepEvent, { type: 'publish-failed' }>) => void;
  /** Ends the sweep early with this reason. */
  stop: (reason: string) => void;
  storeFailed: (error: unknown) => void;
}

/**
 * Publishes everything this sweep owns, most severe first, then settles each outbox entry:
 * removed once accepted, released for the next sweep when not. A muted account's
 * notifications are not published: released, they wait in its outbox until the mute ends.
 */
export async function deliver(
  states: readonly AccountState[],
  now: string,
  deps: DeliveryDeps,
): Promise<Delivery> {
  // A claim that ran out while this sweep was busy may already belong to another sweep.
  const live = (n: PendingNotification) => n.claimUntil > now;
  const pending: PendingNotification[] = states
    .filter((s) => !isMuted(s, now))
    .flatMap((s) => ownedBy(s, deps.sweepId))
    .filter(live);
  if (deps.deadline !== undefined && deps.clock() >= deps.deadline) {
    // Out of time: everything stays in the outboxes and the next sweep delivers it.
    deps.stop('deadline reached before notifications could be published');
    return { delivered: [], pending: pending.length };
  }
  const held = states.filter((s) => isMuted(s, now)).flatMap((s) => ownedBy(s, deps.sweepId));
  if (pending.length === 0 && held.length === 0) return { delivered: [], pending: 0 };
  pending.sort(bySeverity);
  const notifications = pending.map(stripClaim);
  let outcomes: Awaited<ReturnType<NotifierPort['publish']>> = [];
  if (notifications.length > 0) {
    try {
      outcomes = await deps.notifier.publish(notifications);
    } catch (error) {
      outcomes = notifications.map((n) => ({ id: n.id, ok: false as const, error: oneLine(error) }));
    }
  }
  const accepted = new Set(outcomes.filter((o) => o.ok).map((o) => o.id));
  for (const outcome of outcomes) {
    if (!outcome.ok) deps.log({ type: 'publish-failed', id: outcome.id, reason: outcome.error });
  }
  const unsent = new Set([...pending, ...held].map((n) => n.id).filter((id) => !accepted.has(id)));
  // Bounded like the reads: a first sweep may settle thousands of outboxes.
  const slots = new Semaphore(deps.concurrency);
  await Promise.all(
    states.map(async (state) => {
      await slots.acquire();
      try {
        await deps.settle(state, (s) => released(withoutEntries(s, accepted), unsent, deps.sweepId, now));
      } catch (error) {
        deps.storeFailed(error);
      } finally {
        slots.release();
      }
    }),
  );
  return { delivered: notifications.filter((n) => accepted.has(n.id)), pending: unsent.size };
}

function stripClaim({ claimedBy: _c, claimUntil: _u, ...notification }: PendingNotification): Notification {
  return notification;
}
