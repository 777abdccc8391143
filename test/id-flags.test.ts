import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { accountIdKey, accountIdOfKey, IdFlags } from '../functions/core/id-flags.ts';

const ALNUM = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const vobizId = fc
  .array(fc.constantFrom(...ALNUM), { minLength: 1, maxLength: 10 })
  .map((chars) => `MA_${chars.join('')}`);
/** Ids near the numeric form that must not be taken for it, and some anywhere else. */
const otherId = fc.oneof(
  fc.constant('MA_'),
  fc.array(fc.constantFrom(...ALNUM), { minLength: 11, maxLength: 12 }).map((c) => `MA_${c.join('')}`),
  fc.constantFrom('ma_ABC', 'MA_abc', 'MA_A-1', 'PA_ABC', 'MB_ABC', ' MA_A', 'MA_A '),
  fc.string({ maxLength: 14 }),
);
const anyId = fc.oneof(vobizId, otherId);
const bits = fc.integer({ min: 1, max: 255 });

describe('account ids as numbers', () => {
  it('gives every id of the Vobiz form a number below 2^53 that gives the id back', () => {
    fc.assert(
      fc.property(vobizId, (id) => {
        const key = accountIdKey(id);
        expect(key).not.toBeNull();
        expect(Number.isSafeInteger(key)).toBe(true);
        expect(key).toBeGreaterThanOrEqual(1);
        expect(accountIdOfKey(key as number)).toBe(id);
      }),
    );
  });

  it('gives two different ids two different numbers, whatever their lengths', () => {
    fc.assert(
      fc.property(vobizId, vobizId, (a, b) => {
        fc.pre(a !== b);
        expect(accountIdKey(a)).not.toBe(accountIdKey(b));
      }),
    );
  });

  it('keeps the extremes exact: the shortest ids and the longest, up to the last', () => {
    for (const id of ['MA_0', 'MA_Z', 'MA_00', 'MA_0000000000', 'MA_ZZZZZZZZZY', 'MA_ZZZZZZZZZZ']) {
      expect(accountIdOfKey(accountIdKey(id) as number)).toBe(id);
    }
    expect(accountIdKey('MA_0')).toBe(1);
    expect(accountIdKey('MA_ZZZZZZZZZZ')).toBeLessThan(2 ** 53);
  });

  it('has no number for an id of any other form (lower case, other prefix, too long, empty)', () => {
    for (const id of ['', 'MA_', 'ma_ABC', 'MA_abc', 'PA_ABCDEFGH', 'MA_A-B', 'MA_ABCDEFGHIJK', 'MA_ÄB']) {
      expect(accountIdKey(id)).toBeNull();
    }
  });
});

describe('flags per account id', () => {
  it('holds exactly what a Map of ids to OR-ed bits holds, for ids of every form', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(anyId, bits), { maxLength: 400 }), (ops) => {
        // Arrange: a small start, so that the table grows several times and slots collide.
        const flags = new IdFlags(16);
        const model = new Map<string, number>();

        // Act, and Assert each answer: the flags the id had before.
        for (const [id, b] of ops) {
          expect(flags.add(id, b)).toBe(model.get(id) ?? 0);
          model.set(id, (model.get(id) ?? 0) | b);
        }

        // Assert
        expect(flags.size).toBe(model.size);
        for (const [id, f] of model) expect(flags.get(id)).toBe(f);
        for (const bit of [1, 2, 4, 8, 16, 32, 64, 128, 6]) {
          const expected = [...model].filter(([, f]) => (f & bit) !== 0).map(([id]) => id);
          expect(flags.ids(bit).sort()).toEqual(expected.sort());
        }
        const visited: number[] = [];
        flags.eachFlags((f) => visited.push(f));
        expect(visited.sort()).toEqual([...model.values()].sort());
      }),
    );
  });

  it('answers 0 for an id never flagged, in a full table and an empty one', () => {
    const flags = new IdFlags();
    expect(flags.get('MA_NEVER')).toBe(0);
    expect(flags.get('someone-else')).toBe(0);
    for (let i = 0; i < 1_000; i++) flags.add(`MA_${i.toString(36).toUpperCase()}`, 1);
    expect(flags.get('MA_NEVER')).toBe(0);
    expect(flags.get('MA_RR')).toBe(1);
  });

  it('keeps 200,000 ids of the simulator form through growth, each with its own flags', () => {
    // Arrange: ids that differ only in their last characters, as sequential ones do.
    const ids = Array.from(
      { length: 200_000 },
      (_, i) => `MA_${i.toString(36).toUpperCase().padStart(8, '0')}`,
    );
    const flags = new IdFlags();

    // Act
    for (const [i, id] of ids.entries()) flags.add(id, 1 << (i % 8));

    // Assert
    expect(flags.size).toBe(200_000);
    expect(ids.every((id, i) => flags.get(id) === 1 << (i % 8))).toBe(true);
    expect(flags.ids(1)).toHaveLength(25_000);
  });

  it('keeps ids of another form exactly, apart from numeric ones that look alike', () => {
    // Arrange
    const flags = new IdFlags();

    // Act
    flags.add('MA_ABC', 1);
    flags.add('ma_abc', 2);
    flags.add('MA_ABC ', 4);
    flags.add('customer-7', 8);

    // Assert
    expect([flags.get('MA_ABC'), flags.get('ma_abc'), flags.get('MA_ABC '), flags.get('customer-7')]).toEqual(
      [1, 2, 4, 8],
    );
    expect(flags.size).toBe(4);
    expect(flags.ids(15).sort()).toEqual(['MA_ABC', 'MA_ABC ', 'customer-7', 'ma_abc']);
  });

  it('refuses flag bits it cannot hold, naming them', () => {
    const flags = new IdFlags();
    expect(() => flags.add('MA_A', 0)).toThrow('flag bits 0: 1 to 255');
    expect(() => flags.add('MA_A', 256)).toThrow('flag bits 256: 1 to 255');
  });
});
