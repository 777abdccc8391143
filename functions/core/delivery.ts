import { Semaphore } from './concurrency.ts';
import { bySeverity } from './display.ts';
import { isMuted, ownedBy, released, renewed, stripClaim, withAccepted, withoutEntries } from './outbox.ts';
import type { NotifierPort } from './ports.ts';
import type { SweepEvent } from './sweep-types.ts';
import { addMs } from './time.ts';
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
  /** How long a claim runs (claimLeaseMinutes): one with less than half of it left is renewed before publishing. */
  claimLeaseMs: number;
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
 * 1. renew the claims that ran out, or have less than half a lease left, while the sweep was busy (a
 *    sweep may outlast its lease), by the same conditional write; one another sweep has taken over
 *    meanwhile stays theirs and is not published here;
 * 2. each channel gets what it has not accepted yet (the notifier fans out, notifier.ts), and no batch
 *    starts once the earliest of those claims could have run out;
 * 3. each batch a channel accepts is settled in the outbox at once, before the next batch goes out:
 *    the channel is added to the entry's `deliveredTo`, and an entry every channel accepted is
 *    removed. A crash therefore repeats at most the batch in flight, on one channel;
 * 4. what is still waiting is released, so the very next sweep retries it on the channels that refused.
 * A muted account's notifications are not published: released, they wait until the mute ends.
 * If writing fails (the store), nothing more is published: the unsettled entries stay claimed
 * and go out again once the claim runs out.
 */
export async function deliver(
  states: readonly AccountState[],
  now: string,
  deps: DeliveryDeps,
): Promise<Delivery> {
  const channels = deps.notifier.channels;
  const started = deps.clock();
  const latest = new Map(states.map((s) => [s.authId, s]));
  const accountOf = new Map(states.flatMap((s) => s.outbox.map((n) => [n.id, s.authId] as const)));
  /** This sweep's entries in the freshest states it has, muted accounts' or the others'. */
  const owned = (muted: boolean) =>
    [...latest.values()].filter((s) => isMuted(s, now) === muted).flatMap((s) => ownedBy(s, deps.sweepId));
  const live = (n: PendingNotification) => n.claimUntil > now;
  const held = owned(true);
  const slots = new Semaphore(deps.concurrency);
  /** Writes `change` to each account's freshest state, bounded like the reads; the failures, if any. */
  const write = async (ids: ReadonlySet<string>, change: (s: AccountState) => AccountState) => {
    const authIds = new Set([...ids].flatMap((id) => accountOf.get(id) ?? []));
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
  const settleOrThrow = async (ids: ReadonlySet<string>, change: (s: AccountState) => AccountState) => {
    const [failure] = await write(ids, change);
    if (failure !== undefined) throw failure;
  };
  const release = async (ids: ReadonlySet<string>) => {
    for (const failure of await write(ids, (s) => released(s, ids, deps.sweepId, now)))
      deps.storeFailed(failure);
  };

  if (deps.deadline !== undefined && started >= deps.deadline) {
    // Out of time: everything stays in the outboxes and the next sweep delivers it.
    const waiting = owned(false).filter(live);
    deps.stop('deadline reached before notifications could be published');
    if (deps.releaseWhenOutOfTime) await release(new Set([...waiting, ...held].map((n) => n.id)));
    return {
      delivered: [],
      pending: waiting.length + held.length,
      channels: channels.map((channel) => ({
        channel,
        accepted: 0,
        pending: waiting.filter((n) => !n.deliveredTo?.includes(channel)).length,
        error: null,
      })),
    };
  }
  const renewBy = addMs(now, deps.claimLeaseMs / 2);
  const due = new Set(
    owned(false)
      .filter((n) => n.claimUntil <= renewBy)
      .map((n) => n.id),
  );
  // Until the renewal is written, all of this sweep's entries count as waiting.
  let pending = owned(false);
  const deliveredTo = new Map<string, Set<string>>();
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

  const reports = new Map<string, { accepted: number; error: string | null }>();
  try {
    if (due.size > 0) await settleOrThrow(due, (s) => renewed(s, due, deps.sweepId, now, deps.claimLeaseMs));
    pending = owned(false).filter(live).sort(bySeverity);
    if (pending.length === 0 && held.length === 0) return { delivered: [], pending: 0, channels: [] };
    for (const n of pending) deliveredTo.set(n.id, new Set(n.deliveredTo ?? []));
    // Accepted everywhere already (a channel was taken out of the configuration): nothing to send.
    const done = new Set(pending.filter((n) => complete(n.id)).map((n) => n.id));
    if (done.size > 0) await settleOrThrow(done, (s) => withoutEntries(s, done));
    const todo = pending.filter((n) => !done.has(n.id));
    if (todo.length > 0) {
      // Past the first of these claims to run out, another sweep may take it over and publish it too.
      const firstToRunOut = todo.reduce((first, n) => Math.min(first, Date.parse(n.claimUntil)), Infinity);
      const until = Math.min(deps.deadline ?? Infinity, started + firstToRunOut - Date.parse(now));
      const results = await deps.notifier.publish(
        todo.map((n) => ({ notification: stripClaim(n), deliveredTo: n.deliveredTo ?? [] })),
        {
          onAccepted: async (channel, ids) => {
            const accepted = new Set(ids);
            await settleOrThrow(accepted, (s) => withAccepted(s, accepted, channel, channels));
            for (const id of ids) deliveredTo.get(id)?.add(channel);
          },
          timeLeft: () => until - deps.clock(),
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
