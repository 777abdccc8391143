import { decideForecast, type ForecastSettings, type SpendAnalysis, withRunway } from './forecast.ts';
import { greaterThan } from './money.ts';
import { claimExpired, isMuted } from './outbox.ts';
import { decide, type Observation, type PolicySettings, resolveThresholds } from './policy.ts';
import type { CurrencyDefaults } from './ports.ts';
import { snapshotDue } from './snapshot-rule.ts';
import { localDay } from './time.ts';
import type { AccountState, PendingNotification, Snapshot, Thresholds } from './types.ts';

/**
 * One account's step in a sweep: from its stored state and one successful reading, the state
 * to write, whether a write is needed, the snapshot to keep and the notifications it decided.
 * Pure and deterministic: the spend analysis (a history read) and the current time come in.
 * Primary course:
 * 1. resolve the thresholds and let the alert policy decide the level and its notification;
 * 2. on a moved balance, let the forecast decide runway, forecast and spike;
 * 3. put the runway on the new notification;
 * 4. take over notifications an earlier sweep left behind, unless the account is muted;
 * 5. add the snapshot the snapshot rule asks for.
 * The partner's own wallet takes the same step with fixed thresholds, partner notification
 * types, no spend analysis and no snapshot.
 */

interface CommonContext {
  sweepId: string;
  /** The instant the step is taken: inherited claims are judged against it. */
  now: string;
  policy: PolicySettings;
}

export interface CustomerContext extends CommonContext {
  kind: 'customer';
  /** The partner's zone: it decides when a new day (and its first snapshot) begins. */
  timezone: string;
  /** The layers under a per-account override: currency defaults first, then the global pair. */
  currencyDefaults: CurrencyDefaults;
  globalThresholds: Thresholds;
  forecast: ForecastSettings;
}

export interface PartnerContext extends CommonContext {
  kind: 'partner';
  thresholds: Thresholds;
}

export type StepContext = CustomerContext | PartnerContext;

export interface AccountObservation extends Observation {
  /** Runway, forecast and spike come from this; made only when the balance moved. */
  analysis?: SpendAnalysis | null;
}

export interface AccountStep {
  state: AccountState;
  /** True when `state` must be written. */
  changed: boolean;
  snapshot: Snapshot | null;
  /** The entries this step added to the outbox, as they stand in `state.outbox`. */
  notifications: PendingNotification[];
}

export function nextAccountState(
  previous: AccountState | undefined,
  observation: AccountObservation,
  context: StepContext,
): AccountStep {
  const thresholds =
    context.kind === 'partner'
      ? context.thresholds
      : resolveThresholds(
          previous?.override ?? null,
          observation.currency,
          context.currencyDefaults,
          context.globalThresholds,
        );
  const decision = decide(previous, observation, thresholds, context.policy, context.sweepId);
  const added = new Set(decision.notification ? [decision.notification.id] : []);
  let next = decision.state;
  if (context.kind === 'customer') {
    if (observation.analysis && previous) {
      const forecast = decideForecast(
        next,
        observation.analysis,
        {
          balanceRose: greaterThan(observation.balance, previous.balance),
          sweepId: context.sweepId,
          observedAt: observation.observedAt,
          claimLeaseMs: context.policy.claimLeaseMs,
          thresholds,
        },
        context.forecast,
      );
      next = forecast.state;
      for (const n of forecast.notifications) added.add(n.id);
    }
    // Every notification carries the runway where known.
    const id = decision.notification?.id;
    if (id) {
      const runway = next.runway ?? null;
      next = { ...next, outbox: next.outbox.map((n) => (n.id === id ? withRunway(n, runway) : n)) };
    }
  } else {
    next = asPartnerOutbox(next);
  }
  const claimed = claimInherited(next, context);
  const changed = decision.changed || claimed !== decision.state;
  const notifications = claimed.outbox.filter((n) => added.has(n.id));
  // No snapshot for the partner: its wallet is not a customer's, and finance's daily views must not count it.
  if (context.kind === 'partner' || !snapshotDue(previous, observation, context.timezone)) {
    return { state: claimed, changed, snapshot: null, notifications };
  }
  const day = localDay(observation.observedAt, context.timezone);
  const state = { ...claimed, lastSnapshotDay: day };
  const snapshot: Snapshot = {
    authId: state.authId,
    name: state.name,
    currency: state.currency,
    balance: state.balance,
    observedAt: observation.observedAt,
    localDay: day,
    level: state.level,
    sweepId: context.sweepId,
  };
  return { state, changed: true, snapshot, notifications };
}

/** Takes over delivery of notifications an earlier sweep left behind, unless the account is muted. */
export function claimInherited(state: AccountState, context: CommonContext): AccountState {
  if (isMuted(state, context.now)) return state;
  return claimExpired(state, context.sweepId, context.now, context.policy.claimLeaseMs);
}

/** The policy speaks of customer levels; on the partner's own wallet the same events get partner types. */
function asPartnerOutbox(state: AccountState): AccountState {
  if (!state.outbox.some((n) => partnerType(n) !== n.type)) return state;
  return { ...state, outbox: state.outbox.map((n) => ({ ...n, type: partnerType(n) })) };
}

function partnerType(n: PendingNotification): PendingNotification['type'] {
  if (n.type === 'recovered') return 'partner_recovered';
  if (n.type === 'low' || n.type === 'critical' || n.type === 'reminder') return 'partner_low';
  return n.type;
}
