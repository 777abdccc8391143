import { sameAmount } from './money.ts';
import { localDay } from './time.ts';
import type { AccountState } from './types.ts';

/**
 * When a reading is kept as a history snapshot. A snapshot per account per sweep would be
 * mostly repeats, since most balances do not move; one on every change plus the first of each
 * partner-local day keeps the history complete (every day has a closing balance) at far less cost.
 */
export function snapshotDue(
  previous: Pick<AccountState, 'balance' | 'lastSnapshotDay'> | undefined,
  observation: { balance: string; observedAt: string },
  timezone: string,
): boolean {
  if (!previous || !sameAmount(previous.balance, observation.balance)) return true;
  return previous.lastSnapshotDay !== localDay(observation.observedAt, timezone);
}
