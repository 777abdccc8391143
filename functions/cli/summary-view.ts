import { describeRunway, displayName } from '../core/display.ts';
import { formatAmount } from '../core/money.ts';
import type { SweepSummary } from '../core/types.ts';

/** A few lines a person can take in at a glance after a sweep. */
export function renderSummary(s: SweepSummary): string {
  const byType = countBy(s.notifications.map((n) => n.type));
  const notified = Object.entries(byType)
    .map(([type, count]) => `${count} ${type}`)
    .join(', ');
  const lines = [
    `sweep ${s.complete ? 'complete' : 'INCOMPLETE'} in ${(s.durationMs / 1000).toFixed(1)} s: ` +
      `${s.accountsListed} listed, ${s.balancesFetched} read, ${s.failed} failed, ${s.gone} gone, ${s.unreached} not reached`,
    `levels: ${s.levels.OK} OK, ${s.levels.LOW} LOW, ${s.levels.CRITICAL} CRITICAL` +
      (s.levels.UNKNOWN ? `, ${s.levels.UNKNOWN} not alerted (postpaid/inactive)` : ''),
    `stored: ${s.snapshotsWritten} snapshot(s), ${s.stateWrites} state write(s); ` +
      `notifications: ${notified || 'none'}${s.pendingNotifications ? `, ${s.pendingNotifications} pending for the next sweep` : ''}`,
  ];
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
