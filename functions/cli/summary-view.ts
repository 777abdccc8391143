import { describeRunway, displayName } from '../core/display.ts';
import { formatAmount } from '../core/money.ts';
import type { SweepSummary } from '../core/types.ts';
import type { Hue, Paint } from './colour.ts';

const HUES: Record<string, Hue> = {
  CRITICAL: 'red',
  critical: 'red',
  LOW: 'yellow',
  low: 'yellow',
  recovered: 'green',
};

/** A few lines a person can take in at a glance after a sweep; `paint` colours the levels at a terminal. */
export function renderSummary(s: SweepSummary, paint: Paint = (text) => text): string {
  // "3 LOW": coloured when there is any.
  const count = (n: number, what: string) => {
    const hue = HUES[what];
    return n > 0 && hue ? paint(`${n} ${what}`, hue) : `${n} ${what}`;
  };
  const byType = countBy(s.notifications.map((n) => n.type));
  const notified = Object.entries(byType)
    .map(([type, n]) => count(n, type))
    .join(', ');
  const state = s.interrupted ? 'INTERRUPTED' : s.complete ? 'complete' : 'INCOMPLETE';
  const lines = [
    `sweep ${state} in ${(s.durationMs / 1000).toFixed(1)} s: ` +
      `${s.accountsListed} listed, ${s.balancesFetched} read, ${s.failed} failed, ${s.gone} gone, ` +
      `${s.unreached} not reached${s.known !== s.accountsListed ? ` (of ${s.known} known)` : ''}`,
    `levels: ${s.levels.OK} OK, ${count(s.levels.LOW, 'LOW')}, ${count(s.levels.CRITICAL, 'CRITICAL')}` +
      (s.levels.NOT_ALERTED ? `, ${s.levels.NOT_ALERTED} not alerted (postpaid/inactive/disabled)` : ''),
    `stored: ${s.snapshotsWritten} snapshot(s), ${s.stateWrites} state write(s); ` +
      `notifications: ${notified || 'none'}${s.pendingNotifications ? `, ${s.pendingNotifications} pending for the next sweep` : ''}`,
  ];
  if (s.balanceSource === 'list') {
    lines.push(
      `balances from the list: ${s.balanceRequests} balance request(s), ${s.listConfirmations} confirmation(s), ` +
        `${s.listDisagreements} disagreed${s.listFallback ? '; too many: the rest was read from the endpoint' : ''}`,
    );
  }
  const soonest = s.shortestRunways[0];
  if (soonest) {
    lines.push(
      `shortest runway: ${displayName(soonest.name, 40)} (${soonest.authId}), ${describeRunway(soonest.runway)}`,
    );
  }
  if (s.partner) {
    lines.push(
      `partner wallet ${s.partner.authId}: ${formatAmount(s.partner.balance, s.partner.currency)} (${s.partner.level})`,
    );
  }
  return lines.join('\n');
}

function countBy(values: string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const v of values) counts[v] = (counts[v] ?? 0) + 1;
  return counts;
}
