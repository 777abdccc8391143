import { addAmounts } from '../core/money.ts';
import type { Level, Snapshot } from '../core/types.ts';

/**
 * Closing balances of a partner-local day: per account the last observation at or before
 * the day's end. An account not observed on the day itself keeps the balance of its latest
 * earlier observation ("carried forward"), and the row says when that was.
 */

export interface ClosingRow {
  authId: string;
  name: string;
  currency: string;
  balance: string;
  observedAt: string;
  /** Partner-local day of observedAt. */
  observedDay: string;
  /** True when the account was not observed on the day itself. */
  carriedForward: boolean;
  level: Level;
}

export interface ClosingTotal {
  currency: string;
  accounts: number;
  total: string;
  carriedForward: number;
}

/** Keeps the latest snapshot per account from whatever it is offered, in any order. */
export class LatestByAccount {
  private readonly latest = new Map<string, Snapshot>();

  offer(snapshot: Snapshot): void {
    const seen = this.latest.get(snapshot.authId);
    if (!seen || seen.observedAt < snapshot.observedAt) this.latest.set(snapshot.authId, snapshot);
  }

  get size(): number {
    return this.latest.size;
  }

  get(authId: string): Snapshot | undefined {
    return this.latest.get(authId);
  }

  values(): Snapshot[] {
    return [...this.latest.values()];
  }
}

/** Rows sorted by auth id. */
export function closingRows(latest: readonly Snapshot[], day: string): ClosingRow[] {
  return latest
    .map((s) => ({
      authId: s.authId,
      name: s.name,
      currency: s.currency,
      balance: addAmounts(s.balance),
      observedAt: s.observedAt,
      observedDay: s.localDay,
      carriedForward: s.localDay !== day,
      level: s.level,
    }))
    .sort((a, b) => (a.authId < b.authId ? -1 : a.authId > b.authId ? 1 : 0));
}

export function closingTotals(rows: readonly ClosingRow[]): ClosingTotal[] {
  const totals = new Map<string, ClosingTotal>();
  for (const row of rows) {
    const t = totals.get(row.currency) ?? {
      currency: row.currency,
      accounts: 0,
      total: '0',
      carriedForward: 0,
    };
    t.accounts += 1;
    t.total = addAmounts(t.total, row.balance);
    if (row.carriedForward) t.carriedForward += 1;
    totals.set(row.currency, t);
  }
  return [...totals.values()].sort((a, b) => (a.currency < b.currency ? -1 : 1));
}
