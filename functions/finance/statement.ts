import { addAmounts, compareAmounts, sameAmount, subtractAmounts } from '../core/money.ts';
import type { Snapshot } from '../core/types.ts';

/**
 * A period's statement per account, exact to the last digit the API writes:
 * opening, top-ups (every increase between consecutive observations), spend (every
 * decrease), closing, and the check opening + top-ups - spend = closing.
 *
 * Observations arrive in time order per account (the byDay partitions are read day by
 * day, and each sorts by account then time); openings may arrive before or after them,
 * because an account that was not observed the day before the period only gets its
 * opening from a history query once the period's partitions showed it exists.
 */

/** Where the opening balance came from. */
export type OpeningSource =
  /** The last observation of the day before the period. */
  | 'previous-day'
  /** The last observation before the period, older than the day before it. */
  | 'earlier'
  /** Nothing was observed before the period: its first observation is the opening. */
  | 'first-observation';

export interface StatementRow {
  authId: string;
  /** The latest name seen. */
  name: string;
  currency: string;
  opening: string;
  openingObservedAt: string;
  openingSource: OpeningSource;
  topUps: string;
  topUpCount: number;
  spend: string;
  closing: string;
  closingObservedAt: string;
  /** opening + topUps - spend, computed exactly. */
  expectedClosing: string;
  /** expectedClosing equals closing. */
  balanced: boolean;
  /** Observations inside the period. */
  observations: number;
  /** The account's currency changed inside the period: its movements cannot be summed. */
  currencyChanged: boolean;
}

export interface CurrencyTotals {
  currency: string;
  accounts: number;
  opening: string;
  topUps: string;
  spend: string;
  closing: string;
  balanced: boolean;
}

interface Running {
  authId: string;
  name: string;
  currency: string;
  opening: { snapshot: Snapshot; source: OpeningSource } | null;
  first: Snapshot | null;
  last: Snapshot | null;
  topUps: string;
  topUpCount: number;
  spend: string;
  observations: number;
  currencyChanged: boolean;
}

export class StatementBuilder {
  private readonly accounts = new Map<string, Running>();

  private running(snapshot: Snapshot): Running {
    let running = this.accounts.get(snapshot.authId);
    if (!running) {
      running = {
        authId: snapshot.authId,
        name: snapshot.name,
        currency: snapshot.currency,
        opening: null,
        first: null,
        last: null,
        topUps: '0',
        topUpCount: 0,
        spend: '0',
        observations: 0,
        currencyChanged: false,
      };
      this.accounts.set(snapshot.authId, running);
    }
    return running;
  }

  /** The balance the account entered the period with. */
  setOpening(snapshot: Snapshot, source: Exclude<OpeningSource, 'first-observation'>): void {
    const running = this.running(snapshot);
    if (running.opening) throw new Error(`opening of ${snapshot.authId} given twice`);
    if (running.first && running.first.observedAt < snapshot.observedAt) {
      throw new Error(`opening of ${snapshot.authId} is later than its first observation in the period`);
    }
    running.opening = { snapshot, source };
    if (!running.first) running.currency = snapshot.currency;
  }

  /** One observation inside the period; an account's observations must come in time order. */
  observe(snapshot: Snapshot): void {
    const running = this.running(snapshot);
    const last = running.last;
    if (last) {
      if (snapshot.observedAt < last.observedAt) {
        throw new Error(
          `observations of ${snapshot.authId} out of order: ${snapshot.observedAt} after ${last.observedAt}`,
        );
      }
      this.move(running, last, snapshot);
    } else {
      running.first = snapshot;
      running.currency = snapshot.currency;
    }
    running.last = snapshot;
    running.name = snapshot.name;
    running.observations += 1;
  }

  /** Accounts observed in the period whose opening is still unknown. */
  withoutOpening(): string[] {
    return [...this.accounts.values()].filter((r) => !r.opening).map((r) => r.authId);
  }

  /** One row per account, sorted by auth id. */
  rows(): StatementRow[] {
    return [...this.accounts.values()]
      .sort((a, b) => (a.authId < b.authId ? -1 : a.authId > b.authId ? 1 : 0))
      .map((running) => this.row(running));
  }

  private move(running: Running, from: Snapshot, to: Snapshot): void {
    if (from.currency !== to.currency) {
      running.currencyChanged = true;
      return;
    }
    const delta = subtractAmounts(to.balance, from.balance);
    const sign = compareAmounts(delta, '0');
    if (sign > 0) {
      running.topUps = addAmounts(running.topUps, delta);
      running.topUpCount += 1;
    } else if (sign < 0) {
      running.spend = subtractAmounts(running.spend, delta);
    }
  }

  private row(running: Running): StatementRow {
    // Only an opening, nothing in the period: the balance stood still (or nobody looked).
    const first = running.first ?? (running.opening?.snapshot as Snapshot);
    const last = running.last ?? first;
    const opening = running.opening ?? { snapshot: first, source: 'first-observation' as const };
    // The step from the opening into the period counts like any other; it is added last
    // because the opening may have been learnt after the period's observations.
    const totals = { ...running };
    if (running.opening && running.first) this.move(totals, running.opening.snapshot, running.first);
    const expectedClosing = subtractAmounts(
      addAmounts(opening.snapshot.balance, totals.topUps),
      totals.spend,
    );
    const closing = addAmounts(last.balance);
    return {
      authId: running.authId,
      name: running.name,
      currency: running.currency,
      opening: addAmounts(opening.snapshot.balance),
      openingObservedAt: opening.snapshot.observedAt,
      openingSource: opening.source,
      topUps: addAmounts(totals.topUps),
      topUpCount: totals.topUpCount,
      spend: addAmounts(totals.spend),
      closing,
      closingObservedAt: last.observedAt,
      expectedClosing,
      balanced: !totals.currencyChanged && sameAmount(expectedClosing, closing),
      observations: running.observations,
      currencyChanged: totals.currencyChanged,
    };
  }
}

/** Sums per currency, each with its own check; rows whose currency changed are left out. */
export function statementTotals(rows: readonly StatementRow[]): CurrencyTotals[] {
  const byCurrency = new Map<string, CurrencyTotals>();
  for (const row of rows) {
    if (row.currencyChanged) continue;
    const t = byCurrency.get(row.currency) ?? {
      currency: row.currency,
      accounts: 0,
      opening: '0',
      topUps: '0',
      spend: '0',
      closing: '0',
      balanced: true,
    };
    t.accounts += 1;
    t.opening = addAmounts(t.opening, row.opening);
    t.topUps = addAmounts(t.topUps, row.topUps);
    t.spend = addAmounts(t.spend, row.spend);
    t.closing = addAmounts(t.closing, row.closing);
    byCurrency.set(row.currency, t);
  }
  return [...byCurrency.values()]
    .sort((a, b) => (a.currency < b.currency ? -1 : 1))
    .map((t) => ({
      ...t,
      balanced: sameAmount(subtractAmounts(addAmounts(t.opening, t.topUps), t.spend), t.closing),
    }));
}
