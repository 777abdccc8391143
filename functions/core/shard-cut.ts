import type { SweepResume } from './types.ts';

/**
 * Cutting the account list into shards, and ordering the work so that what a cut-short sweep did not
 * reach comes first next time.
 *
 * The list's pages 1..P are cut into shards of `shardPages` pages. A part of a shard reads one page
 * past its own (the next one's first: rows pushed over the boundary by accounts added meanwhile are
 * still seen); the last shard reads until the list ends, so accounts added while the sweep runs are
 * seen too.
 *
 * Each shard is read as a ring from where the previous sweep stopped in it: the stretch it did not
 * read (`main`, phase 0) first, then the rest of the ring (`wrap` parts, phase 2). Shards the previous
 * sweep finished run whole (phase 1). The plan lists phase 0 in the order the previous sweep recorded
 * its stretches (the order it scheduled them, so the longest unread come first), then phase 1, then
 * phase 2; the in-process runner follows that order, so pages read in the last sweep never take time
 * from pages that were not, and every account is read within ceil(1 / share) sweeps when each sweep
 * has time for that share of them.
 */

export interface ShardPlan {
  /** Its position in the plan's list of shards; runShard takes it by this. */
  index: number;
  /** The stretch of the list this shard stands for. */
  firstPage: number;
  /** null: the last shard, open-ended. */
  lastPage: number | null;
  part: 'main' | 'wrap';
  /** 0: what the previous sweep did not read; 1: shards it finished; 2: the rest of unfinished shards. */
  phase: 0 | 1 | 2;
  /** The pages this part reads: from `from` to `to` (null: until the list ends), plus `to + 1` with overlap. */
  from: number;
  to: number | null;
  overlap: boolean;
}

export interface ListShape {
  /** Accounts according to page 1. */
  total: number;
  /** The page size the API really used. */
  pageSize: number;
}

type Part = Omit<ShardPlan, 'index'>;

export function cutShards(list: ListShape, shardPages: number, resume: SweepResume | null): ShardPlan[] {
  const pages = Math.max(1, Math.ceil(list.total / list.pageSize));
  const shards = Math.ceil(pages / shardPages);
  const stretches = resume
    ? resume.stretches.map((s) => ({
        from: pageAt(s.from, resume.pageSize, list.pageSize),
        to: s.to === null ? null : lastPageAt(s.to, resume.pageSize, list.pageSize),
      }))
    : [];
  const unread: Array<{ order: number; part: Part }> = [];
  const phases: [Part[], Part[], Part[]] = [[], [], []];
  for (let s = 0; s < shards; s++) {
    const firstPage = s * shardPages + 1;
    const lastPage = s === shards - 1 ? null : firstPage + shardPages - 1;
    const shard = { firstPage, lastPage };
    const within = (page: number) => page >= firstPage && (lastPage === null || page <= lastPage);
    const order = stretches.findIndex((x) => within(x.from));
    const stretch = stretches[order];
    if (!stretch) {
      phases[1].push({
        ...shard,
        part: 'main',
        phase: 1,
        from: firstPage,
        to: lastPage,
        overlap: lastPage !== null,
      });
      continue;
    }
    // A stretch that runs to the shard's end (or past it, after the list grew) is the ring's rest.
    const to = stretch.to !== null && (lastPage === null || stretch.to < lastPage) ? stretch.to : null;
    const mainTo = to ?? lastPage;
    unread.push({
      order,
      part: { ...shard, part: 'main', phase: 0, from: stretch.from, to: mainTo, overlap: mainTo !== null },
    });
    if (to !== null) {
      phases[2].push({
        ...shard,
        part: 'wrap',
        phase: 2,
        from: to + 1,
        to: lastPage,
        overlap: lastPage !== null,
      });
    }
    if (stretch.from > firstPage) {
      phases[2].push({
        ...shard,
        part: 'wrap',
        phase: 2,
        from: firstPage,
        to: stretch.from - 1,
        overlap: true,
      });
    }
  }
  phases[0] = unread.sort((a, b) => a.order - b.order).map((u) => u.part);
  return phases.flat().map((part, index) => ({ index, ...part }));
}

/** The page that holds, at `size`, the first account of page `page` at `recordedSize`. */
function pageAt(page: number, recordedSize: number, size: number): number {
  return Math.floor(((page - 1) * recordedSize) / size) + 1;
}

/** The page that holds, at `size`, the last account of page `page` at `recordedSize`. */
function lastPageAt(page: number, recordedSize: number, size: number): number {
  return Math.floor((page * recordedSize - 1) / size) + 1;
}

/** The pages whose accounts may also be read by a neighbouring part: its first, and the overlap page. */
export function isEdgePage(shard: ShardPlan, page: number): boolean {
  return page === shard.from || (shard.to !== null && page > shard.to);
}

/**
 * The stretch of a shard the sweep did not read, from its parts' outcomes in ring order (the plan's
 * order within a shard): the first part not finished, from where it stopped to its end.
 */
export function unreadStretch(
  parts: ReadonlyArray<{ shard: ShardPlan; finished: boolean; resumePage: number | null }>,
): { from: number; to: number | null; scheduled: number } | null {
  const unfinished = parts.find((p) => !p.finished);
  if (!unfinished) return null;
  const { shard } = unfinished;
  const to = shard.to === null || (shard.lastPage !== null && shard.to >= shard.lastPage) ? null : shard.to;
  return { from: unfinished.resumePage ?? shard.from, to, scheduled: shard.index };
}
