import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IdFlags } from '../functions/core/id-flags.ts';
import { cutShards, isEdgePage, unreadStretch } from '../functions/core/shard-cut.ts';
import { ACCOUNT, emptyResult, REACHED, type ShardResult } from '../functions/core/shard-result.ts';
import { mergeResults } from '../functions/core/sweep-merge.ts';
import type { SweepPlan } from '../functions/core/sweep-plan.ts';
import { emptyTally } from '../functions/core/tally.ts';

describe('cutting the list into shards', () => {
  it("cuts 2,950 accounts in pages of 100 into shards of 10 pages, each reading the next one's first page, the last open-ended", () => {
    // Act
    const shards = cutShards({ total: 2_950, pageSize: 100 }, 10, null);

    // Assert
    expect(shards.map((s) => [s.from, s.to, s.overlap, s.phase])).toEqual([
      [1, 10, true, 1],
      [11, 20, true, 1],
      [21, null, false, 1],
    ]);
  });

  it('puts what the last sweep did not read first, in the order it recorded, the shards it finished next, the rest of the others last', () => {
    // Arrange: the last sweep stopped in shard 3 at page 34, and never reached shard 1 beyond page 17.
    const resume = {
      pageSize: 100,
      stretches: [
        { from: 34, to: null },
        { from: 17, to: 18 },
      ],
    };

    // Act
    const shards = cutShards({ total: 4_000, pageSize: 100 }, 10, resume);

    // Assert
    expect(shards.map((s) => [s.index, s.phase, s.part, s.from, s.to])).toEqual([
      [0, 0, 'main', 34, null],
      [1, 0, 'main', 17, 18],
      [2, 1, 'main', 1, 10],
      [3, 1, 'main', 21, 30],
      [4, 2, 'wrap', 19, 20],
      [5, 2, 'wrap', 11, 16],
      [6, 2, 'wrap', 31, 33],
    ]);
    expect(shards.every((s) => s.to === null || s.overlap)).toBe(true);
  });

  it('finds the same accounts when the API now uses another page size', () => {
    // Arrange: recorded at 100 a page, now 50 a page.
    const resume = { pageSize: 100, stretches: [{ from: 3, to: 4 }] };

    // Act
    const [first] = cutShards({ total: 1_000, pageSize: 50 }, 20, resume);

    // Assert: accounts 201..400 are pages 5..8 at 50 a page.
    expect(first).toMatchObject({ phase: 0, from: 5, to: 8 });
  });

  it("calls the first page and the pages past a part's own its edges", () => {
    // Arrange
    const [shard] = cutShards({ total: 2_000, pageSize: 100 }, 10, null);
    if (!shard) throw new Error('no shard');

    // Act
    const edges = Array.from({ length: 12 }, (_, i) => i + 1).filter((p) => isEdgePage(shard, p));

    // Assert
    expect(edges).toEqual([1, 11, 12]);
  });

  it('records a part that stopped from where it stopped, and a finished ring as nothing', () => {
    // Arrange
    const shards = cutShards({ total: 3_000, pageSize: 100 }, 10, {
      pageSize: 100,
      stretches: [{ from: 5, to: null }],
    });
    const main = shards.find((s) => s.firstPage === 1 && s.part === 'main');
    const wrap = shards.find((s) => s.firstPage === 1 && s.part === 'wrap');
    if (!main || !wrap) throw new Error('no parts');

    // Act
    const stopped = unreadStretch([
      { shard: main, finished: false, resumePage: 8 },
      { shard: wrap, finished: false, resumePage: null },
    ]);
    const wrapStopped = unreadStretch([
      { shard: main, finished: true, resumePage: null },
      { shard: wrap, finished: false, resumePage: 3 },
    ]);
    const done = unreadStretch([
      { shard: main, finished: true, resumePage: null },
      { shard: wrap, finished: true, resumePage: null },
    ]);

    // Assert
    expect(stopped).toMatchObject({ from: 8, to: null });
    expect(wrapStopped).toMatchObject({ from: 3, to: 4 });
    expect(done).toBeNull();
  });
});

function plan(shards = cutShards({ total: 400, pageSize: 100 }, 2, null)): SweepPlan {
  return {
    sweepId: 's',
    startedAt: '2026-11-27T00:00:00.000Z',
    startedMs: 0,
    now: null,
    deadline: null,
    readDeadline: null,
    config: {} as SweepPlan['config'],
    customer: {} as SweepPlan['customer'],
    previousSweepAt: null,
    balanceSource: 'endpoint',
    slot: 0,
    confirmationCycle: 96,
    list: { total: 400, pageSize: 100 },
    shards,
    partner: null,
    tally: emptyTally(),
    claimed: [],
  };
}

function result(shard: number, fill: Partial<ShardResult>): ShardResult {
  return { ...emptyResult(shard, 'list'), finished: true, ...fill };
}

describe("merging the results of a sweep's parts", () => {
  it('counts an account two parts read once, as one duplicate read, and its balance once', () => {
    // Arrange: both shards read MA_B, on the overlap page of one and the first page of the other.
    const a = result(0, { listed: ['MA_A', 'MA_B'], read: ['MA_A', 'MA_B'], listEnded: false });
    a.tally.fetched = 1;
    a.tally.levels.OK = 1;
    a.tally.totals = { INR: '10.00000' };
    a.edges = [{ authId: 'MA_B', outcome: 'read', currency: 'INR', balance: '5.00000', level: 'LOW' }];
    const b = result(1, { listed: ['MA_B', 'MA_C'], read: ['MA_B', 'MA_C'], listEnded: true });
    b.tally.fetched = 1;
    b.tally.levels.OK = 1;
    b.tally.totals = { INR: '20.00000' };
    b.edges = [{ authId: 'MA_B', outcome: 'read', currency: 'INR', balance: '5.00000', level: 'LOW' }];

    // Act
    const merged = mergeResults(plan(), [a, b]);

    // Assert
    expect(merged).toMatchObject({
      accountsListed: 3,
      known: 3,
      fetched: 3,
      duplicateReads: 1,
      unreached: 0,
    });
    expect(merged.tally.totals).toEqual({ INR: '35.00000' });
    expect(merged.tally.levels).toEqual({ OK: 2, LOW: 1, CRITICAL: 0, NOT_ALERTED: 0 });
    expect(merged.listComplete).toBe(true);
  });

  it('does not count a failure of an account another part read after all', () => {
    // Arrange
    const a = result(0, { listed: ['MA_A'], failed: ['MA_A'] });
    a.edges = [{ authId: 'MA_A', outcome: 'failed', reason: 'HTTP 502' }];
    const b = result(1, { listed: ['MA_A'], read: ['MA_A'], listEnded: true });

    // Act
    const merged = mergeResults(plan(), [a, b]);

    // Assert
    expect(merged).toMatchObject({ failed: 0, fetched: 1, unreached: 0 });
    expect(merged.tally.failures).toEqual([]);
  });

  it('knows the accounts the API counts that no part listed, and a missing part as not run', () => {
    // Arrange: the first shard listed 100 and read 60; the second returned nothing.
    const ids = Array.from({ length: 100 }, (_, i) => `MA_${i}`);
    const a = result(0, { listed: ids, read: ids.slice(0, 60), finished: false, resumePage: 1 });

    // Act
    const merged = mergeResults(plan(), [a]);

    // Assert
    expect(merged).toMatchObject({ known: 400, fetched: 60, unreached: 340, listComplete: false });
    expect(merged.stoppedReason).toBe('shard 1 (pages 3-end) failed: no result');
    expect(merged.resume).toEqual({
      pageSize: 100,
      stretches: [
        { from: 1, to: null },
        { from: 3, to: null },
      ],
    });
  });

  it("counts the same from one book the parts shared (in-process) as from each part's id lists", () => {
    const ids = ['MA_A', 'MA_B', 'MA_00000001', 'MA_ZZZZZZZZ', 'customer-7', 'ma_lower', 'MA_C', 'MA_D'];
    const outcome = fc.constantFrom(null, 'read', 'gone', 'failed');
    const part = fc.record({
      listed: fc.subarray(ids),
      outcomes: fc.array(fc.tuple(fc.constantFrom(...ids), outcome), { maxLength: 8 }),
    });
    fc.assert(
      fc.property(fc.tuple(part, part, part), fc.boolean(), (parts, ended) => {
        // Arrange: shards 0 and 1, and the unlisted part (its `listed` are its known ids).
        const indexes = [0, 1, -1];
        const asLists = parts.map((p, n) => {
          const kind = indexes[n] === -1 ? 'unlisted' : 'list';
          const outcomes = new Map(p.outcomes.filter(([, o]) => o !== null));
          const having = (o: string) => [...outcomes].filter(([, x]) => x === o).map(([id]) => id);
          return result(indexes[n] ?? 0, {
            kind,
            listed: kind === 'list' ? p.listed : [],
            known: kind === 'unlisted' ? p.listed : [],
            read: having('read'),
            gone: having('gone'),
            failed: having('failed'),
            listEnded: ended && n === 1,
          });
        });
        // The same parts as in-process: each records into the one book, counting duplicates as it goes.
        const book = new IdFlags();
        const inBook = asLists.map((r) => {
          for (const id of r.listed) book.add(id, ACCOUNT.listed);
          for (const id of r.known) book.add(id, ACCOUNT.known);
          let duplicates = 0;
          for (const [list, bit] of [
            [r.read, ACCOUNT.read],
            [r.gone, ACCOUNT.gone],
            [r.failed, ACCOUNT.failed],
          ] as const) {
            for (const id of list) if (book.add(id, bit) & REACHED) duplicates++;
          }
          return { ...r, listed: [], known: [], read: [], gone: [], failed: [], duplicates };
        });

        // Act
        const fromLists = mergeResults(plan(), asLists);
        const fromBook = mergeResults(plan(), inBook, book);

        // Assert
        const counts = (m: typeof fromLists) => ({
          listed: m.accountsListed,
          known: m.known,
          fetched: m.fetched,
          failed: m.failed,
          gone: m.gone,
          unreached: m.unreached,
          duplicateReads: m.duplicateReads,
          listComplete: m.listComplete,
        });
        expect(counts(fromBook)).toEqual(counts(fromLists));
      }),
    );
  });
});
