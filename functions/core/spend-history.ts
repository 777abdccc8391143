import { analyseSpend, type ForecastSettings, type SpendAnalysis } from './forecast.ts';
import type { StorePort } from './ports.ts';
import { addMs } from './time.ts';
import type { AccountState } from './types.ts';

/**
 * The spend analysis behind runway, forecast and spike: the last 7 days of stored history,
 * plus the balance before them, plus the reading just made.
 * `previousSweepAt` is when the last sweep that read every account started, if any.
 */
export async function analyseHistory(
  store: Pick<StorePort, 'history'>,
  prev: AccountState,
  observation: { authId: string; balance: string; observedAt: string },
  previousSweepAt: string | null,
  settings: ForecastSettings,
): Promise<SpendAnalysis> {
  const { authId, observedAt } = observation;
  const since = addMs(observedAt, -7 * 24 * 3_600_000);
  const [window, before] = await Promise.all([
    store.history(authId, { from: since, to: observedAt }),
    store.history(authId, { to: since, limit: 1 }),
  ]);
  const points = [...before, ...window]
    .map((s) => ({ observedAt: s.observedAt, balance: s.balance }))
    .filter((p) => p.observedAt < observedAt);
  // Snapshots are written on change, so a quiet spell leaves no point: the previous sweep saw the
  // old balance still, and without that point a sudden drop would be spread back over the whole spell.
  if (previousSweepAt && previousSweepAt > prev.balanceSince && previousSweepAt < observedAt)
    points.push({ observedAt: previousSweepAt, balance: prev.balance });
  points.push({ observedAt, balance: observation.balance });
  return analyseSpend(points, observedAt, settings);
}
