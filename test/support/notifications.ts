import type { Notification, NotificationType } from '../../functions/core/types.ts';

/** A notification as the policy would decide it, for account number `i`. */
export function notification(
  i: number,
  type: NotificationType = 'low',
  name = `Customer ${i}`,
): Notification {
  const level = type === 'critical' ? 'CRITICAL' : type === 'recovered' ? 'OK' : 'LOW';
  const authId = `MA_${String(i).padStart(8, '0')}`;
  return {
    id: `${authId}:${type}:2026-11-27T03:30:00.000Z`,
    type,
    authId,
    name,
    currency: 'INR',
    balance: type === 'critical' ? '-12.50000' : '42.00000',
    level,
    previousLevel: 'OK',
    thresholds: { low: '100.00000', critical: '0.00000' },
    observedAt: '2026-11-27T03:30:00.000Z',
    sweepId: 'sweep-1',
  };
}
