import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { localDay } from '../functions/core/time.ts';

/**
 * What Intl says, from the test's own formatters (none of the code under test's: no cache to agree
 * with). A formatter keeps no state between calls, so one per zone answers as a new one would.
 */
const intlFormats = new Map<string, Intl.DateTimeFormat>();
function intlDay(ms: number, timeZone: string): string {
  let format = intlFormats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-CA', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
    });
    intlFormats.set(timeZone, format);
  }
  return format.format(ms);
}

describe('localDay', () => {
  it('turns the day at local midnight, on either side of it in any order', () => {
    // Midnight in Kolkata (+05:30) is 18:30 UTC.
    const before = '2026-11-27T18:29:59.999Z';
    const after = '2026-11-27T18:30:00.000Z';

    expect([before, after, before, after].map((t) => localDay(t, 'Asia/Kolkata'))).toEqual([
      '2026-11-27',
      '2026-11-28',
      '2026-11-27',
      '2026-11-28',
    ]);
  });

  it('turns the day mid-minute where the zone offset has seconds', () => {
    // Monrovia kept -00:44:30 until 1972: its midnight fell at 00:44:30 UTC.
    const days = ['1970-06-01T00:44:29Z', '1970-06-01T00:44:30Z'].map((t) => localDay(t, 'Africa/Monrovia'));

    expect(days).toEqual(['1970-05-31', '1970-06-01']);
  });

  it('agrees with Intl for any instant and zone, also in runs within one second', () => {
    const zones = ['Asia/Kolkata', 'America/St_Johns', 'Asia/Kathmandu', 'Africa/Monrovia', 'UTC'];
    const start = Date.UTC(1960, 0, 1);
    const end = Date.UTC(2040, 0, 1);
    const instants = fc
      .array(fc.integer({ min: start, max: end }), { minLength: 1, maxLength: 4 })
      .chain((seeds) =>
        fc.constant(seeds.flatMap((ms) => [ms, ms - (ms % 1000), ms - (ms % 1000) + 999, ms + 1])),
      );

    fc.assert(
      fc.property(instants, fc.constantFrom(...zones), (times, zone) => {
        for (const ms of times) {
          const expected = intlDay(ms, zone);
          expect(localDay(ms, zone)).toBe(expected);
          expect(localDay(new Date(ms).toISOString(), zone)).toBe(expected);
        }
      }),
      { numRuns: 2_000 },
    );
  });

  it('still refuses an instant that is not one', () => {
    expect(() => localDay('not a time', 'UTC')).toThrow(RangeError);
  });
});
