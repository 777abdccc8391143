/**
 * The ports the core talks to the world through. Adapters in vobiz/, aws/ and local/
 * implement them; the core imports nothing else that does I/O.
 */
import type {
  Account,
  AccountState,
  Balance,
  ListPage,
  Notification,
  PartnerProfile,
  PreviousSweep,
  Snapshot,
  SweepSummary,
  ThresholdOverride,
} from './types.ts';

export interface RequestOptions {
  /** Epoch milliseconds after which nothing new is attempted and waits are cut short. */
  deadline?: number;
  signal?: AbortSignal;
}

export type BalanceResult = { kind: 'ok'; balance: Balance } | { kind: 'gone' };

/**
 * The partner API. Implementations retry what is worth retrying and throw
 * CredentialsError (fatal), FatalError (the API cannot be reached at all), ApiError (this request
 * failed) or DeadlineError.
 */
export interface VobizPort {
  /** One page of the account list (newest first), as the API returned it. */
  listPage(page: number, options?: RequestOptions): Promise<ListPage>;
  getBalance(authId: string, options?: RequestOptions): Promise<BalanceResult>;
  getPartner(options?: RequestOptions): Promise<PartnerProfile>;
}

export type CommitResult = 'ok' | 'conflict';

/** Per-currency threshold defaults kept in the store (set without a redeploy); `*` is the global one. */
export type CurrencyDefaults = Record<string, ThresholdOverride>;

/** The key of the global default among the stored currency defaults. */
export const GLOBAL_DEFAULT_KEY = '*';

export interface StorePort {
  /**
   * Current states of these accounts; missing accounts are absent from the map. Strongly consistent
   * unless `consistent: false` (cheaper: for reads whose staleness a conditional write catches).
   */
  loadStates(
    authIds: readonly string[],
    options?: { consistent?: boolean },
  ): Promise<Map<string, AccountState>>;
  /** Per-currency defaults set in the store; they win over the ones from configuration. */
  loadCurrencyDefaults(): Promise<CurrencyDefaults>;
  /**
   * Writes the account's next state, only if the stored version is still `expectedVersion`
   * (null: no state stored yet). `state.version` must be expectedVersion + 1 (or 1).
   * A snapshot, when given, is written first, so a failure never loses history.
   */
  commit(change: {
    state: AccountState;
    expectedVersion: number | null;
    snapshot?: Snapshot;
    /** false: keep this state out of the registry of known accounts (the partner's own wallet). */
    register?: boolean;
  }): Promise<CommitResult>;
  recordSweep(summary: SweepSummary): Promise<void>;
  /** The latest sweep that started before `instant`, if any: when, whether it read every account, where to resume. */
  lastSweepBefore(instant: string): Promise<PreviousSweep | null>;
  /**
   * The registry of known accounts: every account whose state was last committed with `register`
   * (the default). A sweep reads by id those its listing did not show, so a list that shifts while
   * it is paged hides none; a gone account is committed once more without it, and leaves.
   * The ids `skip` accepts are left out as each page arrives: a caller that wants few of many never
   * holds them all (issue 10 §5).
   */
  registeredAccounts(skip?: (authId: string) => boolean): Promise<string[]>;
  /** An account's snapshots, newest first; `from`/`to` are inclusive ISO times. */
  history(authId: string, range?: { from?: string; to?: string; limit?: number }): Promise<Snapshot[]>;
}

export type PublishOutcome = { id: string; ok: true } | { id: string; ok: false; error: string };

/** What a channel is told besides the notifications. */
export interface PublishOptions {
  /**
   * Awaited after each batch with the ids that batch delivered for the first time, before the next
   * batch goes out: the caller settles its outbox in between, so a crash repeats at most one batch.
   * An error it throws stops the sending and is rethrown.
   */
  onAccepted?: (ids: readonly string[]) => Promise<void>;
  /**
   * Milliseconds left for publishing, by the caller's clock: no batch, attempt or wait starts that would
   * outlast it, and what is left is refused, to be sent next time. Unbounded when absent.
   */
  timeLeft?: () => number;
}

/**
 * One way out for notifications: SNS, the alerts file, a webhook. Adapters implement it;
 * a notifier fans out over several (notifier.ts).
 */
export interface ChannelPort {
  /** Recorded on each outbox entry the channel accepted, so keep it stable: 'sns', 'file', 'webhook'. */
  readonly name: string;
  /** Sends the notifications (planned into messages by digest.ts) in batches; reports each accepted or refused. */
  publish(notifications: readonly Notification[], options?: PublishOptions): Promise<PublishOutcome[]>;
}

/** A notification to deliver, with the channels that already accepted it. */
export interface Deliverable {
  notification: Notification;
  deliveredTo: readonly string[];
}

/** How one channel fared in one publish. */
export interface ChannelReport {
  channel: string;
  /** Notifications this channel accepted. */
  accepted: number;
  /** Notifications this channel was given but did not accept: they wait for a later sweep. */
  refused: number;
  /** Why, in one line (the first refusal's reason); null when nothing was refused. */
  error: string | null;
}

/** What the sweep delivers through: every configured channel (notifier.ts fans out). */
export interface NotifierPort {
  /** The configured channels' names: an outbox entry is delivered once all of them accepted it. */
  readonly channels: readonly string[];
  /**
   * Gives each notification to each channel not in its `deliveredTo`. `onAccepted` is awaited after
   * every batch a channel accepted, before anything else goes out; an error it throws stops the
   * publish and is rethrown. A channel's own failure is reported, never thrown.
   */
  publish(
    pending: readonly Deliverable[],
    options: {
      onAccepted: (channel: string, ids: readonly string[]) => Promise<void>;
      timeLeft?: () => number;
    },
  ): Promise<ChannelReport[]>;
}

export type { Account };
