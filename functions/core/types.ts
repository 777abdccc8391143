/**
 * The domain's vocabulary. Amounts are canonical decimal strings (see money.ts);
 * times are ISO-8601 UTC strings ("2026-11-27T08:00:00.000Z").
 */

export type Level = 'UNKNOWN' | 'OK' | 'LOW' | 'CRITICAL';

/**
 * How a sweep counts the accounts it read: by level, except the accounts that are not alerted
 * (postpaid, inactive or disabled, unless configured otherwise), whatever level they last had.
 */
export type SummaryLevel = 'OK' | 'LOW' | 'CRITICAL' | 'NOT_ALERTED';

/** Where a sweep takes each balance from: the per-account balance endpoint, or the list's `cash_credits`. */
export type BalanceSource = 'endpoint' | 'list';

/**
 * Customer wallets: low, critical, recovered, reminder; looking ahead: forecast (runway under the
 * horizon), spike (a burst of spend). The partner's own wallet: partner_low, partner_recovered.
 */
export type NotificationType =
  | 'low'
  | 'critical'
  | 'recovered'
  | 'reminder'
  | 'forecast'
  | 'spike'
  | 'partner_low'
  | 'partner_recovered';

/** How long the balance lasts at the recent spend rate, or why that is not known. */
export type Runway =
  | {
      status: 'known';
      hours: number;
      /** Spend per hour, exact decimal: the more pessimistic of the last 24 h and 7 days. */
      ratePerHour: string;
      basis: '24h' | '7d';
      /** When the balance reaches zero at that rate. */
      depletionAt: string;
      computedAt: string;
    }
  | { status: 'insufficient_history' | 'no_spend'; computedAt: string };

/** A customer account as listed by the partner API, with its auth_token already dropped. */
export interface Account {
  authId: string;
  name: string;
  email: string | null;
  country: string | null;
  postpaid: boolean;
  isActive: boolean;
  enabled: boolean;
  /** cash_credits as listed (the balance endpoint is authoritative). */
  listedBalance: string | null;
  createdAt: string | null;
}

/** One page of the account list as the API returned it. */
export interface ListPage {
  page: number;
  accounts: Account[];
  /** Rows that were not valid accounts (named when their id was readable): failures of this sweep. */
  rejected: Array<{ authId: string | null; reason: string }>;
  /** `total` as the API reported it for this page. */
  total: number;
  /** The page size the API echoed, if it did. */
  size: number | null;
}

/** One page of the account list, without the rows already seen while paging. */
export interface AccountPage {
  page: number;
  accounts: Account[];
  /** Rows that were not valid accounts (named when their id was readable): failures of this sweep. */
  rejected: Array<{ authId: string | null; reason: string }>;
  /** `total` as the API reported it for this page. */
  total: number;
}

/** A wallet balance read from the balance endpoint. */
export interface Balance {
  authId: string;
  name: string;
  cashCredits: string;
  currency: string;
  updatedAt: string | null;
}

/** The partner's own profile from `/me`. */
export interface PartnerProfile {
  authId: string;
  name: string;
  balance: string | null;
  currency: string | null;
  accountCount: number | null;
}

export interface Thresholds {
  /** Below this (strictly) an account is LOW. */
  low: string;
  /** At or below this an account is CRITICAL. */
  critical: string;
}

export interface ThresholdOverride {
  low: string;
  critical?: string;
}

export interface Mute {
  until: string;
  reason: string;
}

/** A notification decided by the policy, as it is published and as `--json` reports it. */
export interface Notification {
  /** Deterministic: the same transition always has the same id. */
  id: string;
  type: NotificationType;
  authId: string;
  name: string;
  currency: string;
  balance: string;
  level: Level;
  previousLevel: Level;
  thresholds: Thresholds;
  /** When the observation that caused it was made. */
  observedAt: string;
  /** The sweep that decided it. */
  sweepId: string;
  /** The runway when the notification was decided, where known. */
  runway?: Runway | null;
  /** On a spike: what left in the last hour, against the usual hourly spend of the last 7 days. */
  spend?: { lastHour: string; hourlyAverage: string };
}

/** A notification waiting in an account's outbox until every channel accepted it. */
export interface PendingNotification extends Notification {
  /** The sweep that currently owns delivery; others leave it alone until claimUntil. */
  claimedBy: string;
  claimUntil: string;
  /**
   * The channels that already accepted it ('sns', 'file', 'webhook'); absent: none yet. It leaves
   * the outbox once every configured channel is here, and a retry goes only to the others.
   */
  deliveredTo?: string[];
}

/** What the store keeps per account; everything the policy needs to decide the next step. */
export interface AccountState {
  authId: string;
  name: string;
  currency: string;
  /** The last balance observed. */
  balance: string;
  /** When that balance was first observed (a later identical reading does not move it). */
  balanceSince: string;
  /** The level last decided (announced, or OK in silence). UNKNOWN only before first alertable sight. */
  level: Level;
  levelSince: string;
  /** When a low/critical/reminder notification was last decided for the current episode. */
  lastNotifiedAt: string | null;
  /** Partner-local date (YYYY-MM-DD) of the latest snapshot: one snapshot a day at least. */
  lastSnapshotDay: string | null;
  /** False for postpaid, disabled or inactive accounts while those are not alerted. */
  alertable: boolean;
  override: ThresholdOverride | null;
  mute: Mute | null;
  outbox: PendingNotification[];
  /** The runway from the last spend analysis (made when the balance moves). */
  runway: Runway | null;
  /** A forecast was sent and its episode has not ended. */
  forecastEpisode: boolean;
  /** A spike was sent and spend has not calmed down since. */
  spikeEpisode: boolean;
  /** Optimistic lock: every write is conditional on it and increments it. */
  version: number;
}

/** A point in an account's balance history. */
export interface Snapshot {
  authId: string;
  name: string;
  currency: string;
  balance: string;
  observedAt: string;
  /** Partner-local date of observedAt. */
  localDay: string;
  level: Level;
  sweepId: string;
}

/** How one notification channel fared in a sweep. */
export interface ChannelDelivery {
  channel: string;
  /** Notifications it accepted in this sweep. */
  accepted: number;
  /** Notifications of this sweep still waiting for this channel. */
  pending: number;
  /** Why it refused, in one line; null when it refused nothing. */
  error: string | null;
}

export interface SweepFailure {
  authId: string | null;
  reason: string;
}

/** The outcome of one sweep: printed, stored as the sweep record and returned as `--json`. */
export interface SweepSummary {
  sweepId: string;
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  /** Unique accounts seen in the list. */
  accountsListed: number;
  /**
   * Accounts the sweep knows exist: those listed, and those the store has registered (seen by an
   * earlier sweep) that this sweep's listing did not show; or, when the list was not paged to its
   * end, the API's `total` if that is more.
   */
  known: number;
  /** Unique accounts whose balance was read (from the endpoint, or from the list in list mode). */
  balancesFetched: number;
  /** Accounts whose balance could not be read (after retries). */
  failed: number;
  /** Accounts that vanished (404 on balance): recorded, not failures. */
  gone: number;
  /** Known accounts that were neither read, failed nor gone: `known − (read + failed + gone)`. */
  unreached: number;
  /** Balance reads of an account another part of this sweep had already read (overlapping shards). */
  duplicateReads: number;
  /** True when the account list was paged to its end. */
  listComplete: boolean;
  snapshotsWritten: number;
  stateWrites: number;
  levels: Record<SummaryLevel, number>;
  /** Exact sum of the balances read in this sweep, per currency. */
  totals: Record<string, string>;
  balanceSource: BalanceSource;
  /** Requests made to the balance endpoint (in list mode: the confirmations and the fallback reads). */
  balanceRequests: number;
  /** List mode: balances confirmed with the endpoint, and how many of those disagreed with the list. */
  listConfirmations: number;
  listDisagreements: number;
  /** List mode: too many disagreements, so the rest of the sweep read every balance from the endpoint. */
  listFallback: boolean;
  notifications: Notification[];
  /** Notifications decided but not yet accepted by every channel: delivered by a later sweep. */
  pendingNotifications: number;
  /** Per channel, in the configured order: empty when there was nothing to deliver. */
  delivery: ChannelDelivery[];
  failures: SweepFailure[];
  /** True when the list was paged to its end and every known account was read (or is gone). */
  complete: boolean;
  /** Stopped by a signal (Ctrl-C, SIGTERM) or its caller's abort. */
  interrupted: boolean;
  /** Why the sweep stopped early, if it did. */
  stoppedReason: string | null;
  /**
   * Where the next sweep starts: the stretches of the list this sweep did not read (null when it read
   * them all), one per unfinished shard, at the page size the API used.
   */
  resume: SweepResume | null;
  /** The alertable accounts with the shortest known runway (balance moved in this sweep), shortest first. */
  shortestRunways: Array<{ authId: string; name: string; balance: string; currency: string; runway: Runway }>;
  /** The partner's own wallet, when it is watched. */
  partner: { authId: string; balance: string; currency: string; level: Level } | null;
}

export interface SweepResume {
  pageSize: number;
  /** From `from` to `to` inclusive (null: to the end of its shard), in the order the next sweep reads them. */
  stretches: Array<{ from: number; to: number | null }>;
}

/** What a sweep needs to know of the one before it. */
export interface PreviousSweep {
  startedAt: string;
  /** It read every account: it vouches for each balance it did not see move. */
  complete: boolean;
  resume: SweepResume | null;
}
