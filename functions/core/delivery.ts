import { Semaphore } from './concurrency.ts';
import { bySeverity } from './display.ts';
import { isMuted, ownedBy, released, stripClaim, withAccepted, withoutEntries } from './outbox.ts';
import type { NotifierPort } from './ports.ts';
import type { SweepEvent } from './sweep-types.ts';
import type { AccountState, ChannelDelivery, Notification, PendingNotification } from './types.ts';

export interface Delivery {
  /** What every configured channel has now accepted (it left the outbox), most severe first. */
  delivered: Notification[];
  /** Notifications still waiting in their outboxes for a later sweep, muted ones included. */
  pending: number;
  /** How each channel fared. */
  channels: ChannelDelivery[];
}

export interface DeliveryDeps {
  notifier: NotifierPort;
  sweepId: string;
  /** Epoch ms by which the sweep must have finished: no batch, attempt or wait starts past it. */
  deadline: number | undefined;
  clock: () => number;
  /** How many outboxes are settled at once. */
  concurrency: number;
  /** Applies `change` to the freshest stored state of the account and writes it (the sweep's conditional save). */
  settle: (
    state: AccountState,
    change: (s: AccountState) => AccountState,
  ) => Promise<AccountState | undefined>;
  log: (event: Extract<SweepEvent, { type: 'delivery-refused' }>) => void;
  /** Ends the sweep early with this reason. */
  stop: (reason: string) => void;
  storeFailed: (error: unknown) => void;
  /**
   * With no time left to publish, give the claims up at once (an interrupted sweep) rather than keep
   * them until the lease runs out (a sweep at its deadline, which may not even have time to write).
   */
  releaseWhenOutOfTime?: boolean;
}

/**
 * Delivers everything this sweep owns, most severe first. Primary course:
 * 1. each channel gets what it has not accepted yet (the notifier fans out, notifier.ts);
 * 2. each batch a channel accepts is settled in the outbox at once, before the next batch goes out:
 *    the channel is added to the entry's `deliveredTo`, and an entry every channel accepted is
 *    removed. A crash therefore repeats at most the batch in flight, on one channel;
 * 3. what is still waiting is released, so the very next sweep retries it on the channels that refused.
 * A muted account's notifications are not published: released, they wait until the mute ends.
 * If settling fails (the store), nothing more is published: the unsettled entries stay claimed
 * and go out again once the claim runs out.
 */
export async function deliver(
  states: readonly AccountState[],
  now: string,
  deps: DeliveryDeps,
): Promise<Delivery> {
  const channels = deps.notifier.channels;
  // A claim that ran out while this sweep was busy may already belong to another sweep.
  const live = (n: PendingNotification) => n.claimUntil > now;
  const pending: PendingNotification[] = states
    .filter((s) => !isMuted(s, now))
    .flatMap((s) => ownedBy(s, deps.sweepId))
    .filter(live)
    .sort(bySeverity);
  const deliveredTo = new Map(pending.map((n) => [n.id, new Set(n.deliveredTo ?? [])]));
  const complete = (id: string) => channels.every((c) => deliveredTo.get(id)?.has(c));
  const report = (reports: ReadonlyMap<string, { accepted: number; error: string | null }>) =>
    channels.map(
      (channel): ChannelDelivery => ({
        channel,
        accepted: reports.get(channel)?.accepted ?? 0,
        pending: pending.filter((n) => !deliveredTo.get(n.id)?.has(channel)).length,
        error: reports.get(channel)?.error ?? null,
      }),
    );

  const held = states.filter((s) => isMuted(s, now)).flatMap((s) => ownedBy(s, deps.sweepId));
  const latest = new Map(states.map((s) => [s.authId, s]));
  const slots = new Semaphore(deps.concurrency);
  /** Writes `change` to each account's freshest state, bounded like the reads; the failures, if any. */
  const write = async (authIds: ReadonlySet<string>, change: (s: AccountState) => AccountState) => {
    const results = await Promise.allSettled(
      [...authIds].map(async (authId) => {
        const state = latest.get(authId);
        if (!state) return;
        await slots.acquire();
        try {
          const next = await deps.settle(state, change);
          if (next) latest.set(authId, next);
        } finally {
          slots.release();
        }
      }),
    );
    return results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
  };
  const accountsOf = (ids: Iterable<string>) => {
    const wanted = new Set(ids);
    return new Set([...pending, ...held].filter((n) => wanted.has(n.id)).map((n) => n.authId));
  };
  const settleOrThrow = async (ids: ReadonlySet<string>, change: (s: AccountState) => AccountState) => {
    const [failure] = await write(accountsOf(ids), change);
    if (failure !== undefined) throw failure;
  };
  const release = async (ids: ReadonlySet<string>) => {
    for (const failure of await write(accountsOf(ids), (s) => released(s, ids, deps.sweepId, now)))
      deps.storeFailed(failure);
  };

  if (deps.deadline !== undefined && deps.clock() >= deps.deadline) {
    // Out of time: everything stays in the outboxes and the next sweep delivers it.
    deps.stop('deadline reached before notifications could be published');
    if (deps.releaseWhenOutOfTime) await release(new Set([...pending, ...held].map((n) => n.id)));
    return { delivered: [], pending: pending.length + held.length, channels: report(new Map()) };
  }
  if (pending.length === 0 && held.length === 0) return { delivered: [], pending: 0, channels: [] };

  const reports = new Map<string, { accepted: number; error: string | null }>();
  try {
    // Accepted everywhere already (a channel was taken out of the configuration): nothing to send.
    const done = new Set(pending.filter((n) => complete(n.id)).map((n) => n.id));
    if (done.size > 0) await settleOrThrow(done, (s) => withoutEntries(s, done));
    const todo = pending.filter((n) => !done.has(n.id));
    if (todo.length > 0) {
      const results = await deps.notifier.publish(
        todo.map((n) => ({ notification: stripClaim(n), deliveredTo: n.deliveredTo ?? [] })),
        {
          onAccepted: async (channel, ids) => {
            const accepted = new Set(ids);
            await settleOrThrow(accepted, (s) => withAccepted(s, accepted, channel, channels));
            for (const id of ids) deliveredTo.get(id)?.add(channel);
          },
          timeLeft: deps.deadline === undefined ? undefined : () => (deps.deadline ?? 0) - deps.clock(),
        },
      );
      for (const r of results) reports.set(r.channel, r);
    }
  } catch (error) {
    deps.storeFailed(error);
    const left = pending.filter((n) => !complete(n.id)).length + held.length;
    return { delivered: delivered(pending, complete), pending: left, channels: report(reports) };
  }

  const byChannel = report(reports);
  for (const c of byChannel) {
    if (c.error)
      deps.log({ type: 'delivery-refused', channel: c.channel, pending: c.pending, reason: c.error });
  }
  const unsent = new Set([...pending.filter((n) => !complete(n.id)), ...held].map((n) => n.id));
  if (unsent.size > 0) await release(unsent);
  return { delivered: delivered(pending, complete), pending: unsent.size, channels: byChannel };
}

function delivered(pending: PendingNotification[], complete: (id: string) => boolean): Notification[] {
  return pending.filter((n) => complete(n.id)).map(stripClaim);
}
