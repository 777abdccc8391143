import type { SweepResume } from './types.ts';

/**
 * Cutting the account list into shards, and ordering them so that what a cut-short sweep did not
 * reach comes first next time.
 *
 * The list's pages 1..P are cut into shards of `shardPages` pages. A shard reads one page past its own
 * (the next shard's first: rows pushed over the boundary by accounts added meanwhile are still seen);
 * the last shard reads until the list ends, so accounts added while the sweep runs are seen too.
 * A shard the previous sweep left unfinished at page r runs in two parts: `main` from r to its end
 * first, and `wrap` from its first page up to r (one page of overlap) once every main part is done.
 */

export interface ShardPlan {
  /** Its position in the plan's list of shards; runShard takes it by this. */
  index: number;
  /** The stretch of the list this shard stands for (resume pages are recorded against it). */
  firstPage: number;
  /** null: the last shard, open-ended. */
  lastPage: number | null;
  part: 'main' | 'wrap';
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

export function cutShards(list: ListShape, shardPages: number, resume: SweepResume | null): ShardPlan[] {
  const pages = Math.max(1, Math.ceil(list.total / list.pageSize));
  const shards = Math.ceil(pages / shardPages);
  const resumePages = resume ? resume.pages.map((p) => pageAt(p, resume.pageSize, list.pageSize)) : [];
  const unfinished: Omit<ShardPlan, 'index'>[] = [];
  const rest: Omit<ShardPlan, 'index'>[] = [];
  const wraps: Omit<ShardPlan, 'index'>[] = [];
  for (let s = 0; s < shards; s++) {
    const firstPage = s * shardPages + 1;
    const lastPage = s === shards - 1 ? null : firstPage + shardPages - 1;
    const overlap = lastPage !== null;
    const r = resumePages
      .filter((p) => p >= firstPage && (lastPage === null || p <= lastPage))
      .reduce<number | null>((min, p) => (min === null || p < min ? p : min), null);
    const shard = { firstPage, lastPage, overlap };
    if (r === null) {
      rest.push({ ...shard, part: 'main', from: firstPage, to: lastPage });
      continue;
    }
    unfinished.push({ ...shard, part: 'main', from: r, to: lastPage });
    if (r > firstPage) wraps.push({ ...shard, part: 'wrap', from: firstPage, to: r - 1, overlap: true });
  }
  return [...unfinished, ...rest, ...wraps].map((shard, index) => ({ index, ...shard }));
}

/** The page that holds, at `size`, the first account of page `page` at `recordedSize`. */
function pageAt(page: number, recordedSize: number, size: number): number {
  return Math.floor(((page - 1) * recordedSize) / size) + 1;
}

/** The pages whose accounts may also be read by a neighbouring part: its first, and the overlap page. */
export function isEdgePage(shard: ShardPlan, page: number): boolean {
  return page === shard.from || (shard.to !== null && page > shard.to);
}
