import type { MeterReading } from './capacity-meter.ts';
import { WRITE_UNIT_BYTES } from './item-size.ts';
import type { Measurement } from './measure.ts';
import type { ModelOptions } from './model.ts';

/**
 * Levers the product does not pull (yet): each is what the measurement and the model's options
 * would be if it were built, so the model prices it line by line like the product itself. None
 * changes product code; the lead decides which to build.
 */

export const LEVERS = {
  ledger: 'a compact spend ledger in the state item (~2.5 KB) instead of the 7-day history Query',
  'no-byday': 'no byDay index; the nightly export queries each account instead',
  'balance-cache': "a cache of last balances in S3: unchanged accounts' states are not read",
  'window-30': 'DynamoDB keeps 30 days of snapshots instead of 90 (the archive has the rest)',
} as const;

export type LeverName = keyof typeof LEVERS;
export const LEVER_NAMES = Object.keys(LEVERS) as LeverName[];

/** The state item with a week of spend in it, as the lead sized it. */
export const LEDGER_STATE_BYTES = 2560;
const WINDOW_DAYS = 30;

export function withLevers(
  measured: Measurement,
  options: ModelOptions,
  levers: readonly LeverName[],
  tuning: { ledgerStateBytes?: number } = {},
): { measurement: Measurement; options: ModelOptions } {
  const ledgerBytes = tuning.ledgerStateBytes ?? LEDGER_STATE_BYTES;
  const m = structuredClone(measured);
  const o = { ...options };
  const readings = (): MeterReading[] => Object.values(m.sweeps).map((sweep) => sweep.dynamo);
  for (const lever of levers) {
    if (lever === 'ledger') {
      // The runway reads the ledger from the state the sweep has read anyway: no history Query. The
      // state grows, so each state write costs more units; reads stay one half-unit below 4 KB.
      const state = m.stored.state;
      if (!state) throw new Error('the measurement holds no state items');
      const factor =
        Math.ceil(ledgerBytes / WRITE_UNIT_BYTES) / Math.ceil(state.bytes / state.items / WRITE_UNIT_BYTES);
      for (const reading of readings()) {
        delete reading.uses['Query snapshot'];
        for (const [use, u] of Object.entries(reading.uses)) {
          if (/^(PutItem|UpdateItem) state$/.test(use)) {
            u.measuredUnits *= factor;
            u.unreportedUnits *= factor;
          }
        }
      }
      state.bytes = state.items * ledgerBytes;
    } else if (lever === 'no-byday') {
      for (const reading of readings()) {
        for (const name of Object.keys(reading.indexWrites))
          if (name.startsWith('byDay ')) delete reading.indexWrites[name];
      }
      for (const stored of Object.values(m.stored)) delete stored.indexes.byDay;
      o.exportPath = 'perAccount';
    } else if (lever === 'balance-cache') {
      o.stateReads = 'changed';
    } else {
      const snapshot = m.stored.snapshot;
      if (!snapshot?.ttlDays) throw new Error('the measurement holds no expiring snapshots');
      snapshot.ttlDays = Math.min(snapshot.ttlDays, WINDOW_DAYS);
    }
  }
  return { measurement: m, options: o };
}
