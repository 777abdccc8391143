import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseAmount } from '../functions/core/money.ts';
import { snapshotDue } from '../functions/core/snapshot-rule.ts';
import { addMs } from '../functions/core/time.ts';

const ZONE = 'Asia/Kolkata';
const HOUR = 3_600_000;

/** Asia/Kolkata is UTC+05:30 all year: its calendar day worked out without Intl, as an independent check. */
function kolkataDay(iso: string): string {
  return new Date(Date.parse(iso) + 5.5 * HOUR).toISOString().slice(0, 10);
}

function kept(balance: string, lastSnapshotDay: string | null) {
  return { balance: parseAmount(balance), lastSnapshotDay };
}

describe('snapshotDue', () => {
  it('asks for a snapshot of an account never seen before', () => {
    // Arrange
    const reading = { balance: '10.00000', observedAt: '2026-11-27T10:00:00.000Z' };

    // Act
    const due = snapshotDue(undefined, reading, ZONE);

    // Assert
    expect(due).toBe(true);
  });

  it('asks for one whenever the balance moved, however often that happens in a day', () => {
    // Arrange
    const previous = kept('10', '2026-11-27');

    // Act
    const due = snapshotDue(previous, { balance: '9.99999', observedAt: '2026-11-27T10:00:00.000Z' }, ZONE);

    // Assert
    expect(due).toBe(true);
  });

  it('asks for none when the same balance is read again on the same partner-local day', () => {
    // Arrange
    const previous = kept('10', '2026-11-27');

    // Act
    const due = snapshotDue(previous, { balance: '10.00000', observedAt: '2026-11-27T10:00:00.000Z' }, ZONE);

    // Assert
    expect(due).toBe(false);
  });

  it('compares amounts, not their spelling: 100.5 and 100.50000 are one balance', () => {
    // Arrange
    const previous = { balance: '100.5', lastSnapshotDay: '2026-11-27' };

    // Act
    const due = snapshotDue(previous, { balance: '100.50000', observedAt: '2026-11-27T10:00:00.000Z' }, ZONE);

    // Assert
    expect(due).toBe(false);
  });

  it('asks for the first reading of a new partner-local day even when nothing moved', () => {
    // Arrange: 23:59 on the 27th and 00:01 on the 28th in Asia/Kolkata.
    const previous = kept('10', kolkataDay('2026-11-27T18:29:00.000Z'));

    // Act
    const due = snapshotDue(previous, { balance: '10', observedAt: '2026-11-27T18:31:00.000Z' }, ZONE);

    // Assert
    expect(previous.lastSnapshotDay).toBe('2026-11-27');
    expect(due).toBe(true);
  });

  it("counts days in the partner's zone, not in UTC", () => {
    // Arrange: 20:00Z on the 27th is already the 28th in Kolkata; 01:00Z on the 28th is still the 28th.
    const previous = kept('10', '2026-11-28');

    // Act
    const lateUtc = snapshotDue(previous, { balance: '10', observedAt: '2026-11-27T20:00:00.000Z' }, ZONE);
    const earlyUtc = snapshotDue(previous, { balance: '10', observedAt: '2026-11-28T01:00:00.000Z' }, ZONE);
    const inLondon = snapshotDue(previous, { balance: '10', observedAt: '2026-11-27T20:00:00.000Z' }, 'UTC');

    // Assert
    expect([lateUtc, earlyUtc, inLondon]).toEqual([false, false, true]);
  });
});

const instantArb = fc
  .integer({ min: 0, max: 20 * 24 * 60 })
  .map((minutes) => addMs('2026-11-20T00:00:00.000Z', minutes * 60_000));
const balanceArb = fc.constantFrom('0', '10', '10.00000', '10.00001', '-10', '99999999.99999');

describe('snapshotDue: properties', () => {
  it('never asks for a snapshot without a balance change unless the local day changed, and always asks when one did', () => {
    fc.assert(
      fc.property(balanceArb, instantArb, balanceArb, instantArb, (before, keptAt, balance, observedAt) => {
        // Arrange
        const previous = kept(before, kolkataDay(keptAt));
        const moved = parseAmount(before) !== parseAmount(balance);

        // Act
        const due = snapshotDue(previous, { balance, observedAt }, ZONE);

        // Assert
        expect(due).toBe(moved || kolkataDay(observedAt) !== kolkataDay(keptAt));
      }),
    );
  });

  it('leaves every partner-local day that had a reading with a snapshot, and adds one only for a change after that', () => {
    const readingsArb = fc.array(
      fc.record({ gapMinutes: fc.integer({ min: 1, max: 30 * 60 }), balance: balanceArb }),
      {
        minLength: 1,
        maxLength: 60,
      },
    );
    fc.assert(
      fc.property(readingsArb, (readings) => {
        // Arrange
        let minutes = 0;
        let previous: { balance: string; lastSnapshotDay: string | null } | undefined;
        const daysRead = new Set<string>();
        const daysSnapshotted = new Set<string>();

        // Act: keep the state as the sweep would, the snapshot day moving only when a snapshot is written.
        for (const { gapMinutes, balance } of readings) {
          minutes += gapMinutes;
          const observedAt = addMs('2026-11-20T00:00:00.000Z', minutes * 60_000);
          const day = kolkataDay(observedAt);
          const moved = previous !== undefined && parseAmount(previous.balance) !== parseAmount(balance);
          const due = snapshotDue(previous, { balance, observedAt }, ZONE);
          if (due && daysSnapshotted.has(day)) expect(moved).toBe(true);
          daysRead.add(day);
          if (due) daysSnapshotted.add(day);
          previous = { balance, lastSnapshotDay: due ? day : (previous?.lastSnapshotDay ?? null) };
        }

        // Assert
        expect([...daysSnapshotted]).toEqual([...daysRead]);
      }),
    );
  });
});
