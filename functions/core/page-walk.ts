import { ApiError } from './errors.ts';
import type { AccountPage, ListPage } from './types.ts';

/**
 * Paging through a stretch of the account list, as a list that shifts while it is paged demands.
 * One page is yielded per page fetched, including the last (possibly empty) one, so callers see
 * `total` and progress. Rows already yielded in this walk are left out: new accounts arrive newest
 * first and push rows onto the next page, so a page may hold no new accounts at all. When `total`
 * shrinks between two pages, accounts were removed and unseen rows may have slid back onto the
 * previous page, so that page is read once more and its unseen rows join the current one.
 */

export interface PageRange {
  /** The first page to read. */
  from: number;
  /** The last page to read (inclusive); null: until the list ends. */
  to: number | null;
  /** The page size the API uses, when known (the plan learnt it from page 1); else learnt here. */
  pageSize?: number;
  /** The page size asked for: an upper bound until the API shows what it uses. */
  perPage: number;
  /** Guard against a list that never ends. */
  maxPages: number;
}

export interface WalkedPage extends AccountPage {
  /** True on the page where the list ended (a short or empty page, or the last by `total`). */
  listEnded: boolean;
}

export async function* walkPages(
  listPage: (page: number) => Promise<ListPage>,
  range: PageRange,
): AsyncGenerator<WalkedPage> {
  const seen = new Set<string>();
  let previousTotal: number | null = null;
  let pageSize = range.pageSize ?? 0;
  const last = range.to ?? range.from + range.maxPages - 1;
  for (let page = range.from; page <= last; page++) {
    const result = await listPage(page);
    let rows = result.accounts;
    let rejected = result.rejected;
    if (previousTotal !== null && result.total < previousTotal) {
      const again = await listPage(page - 1);
      rows = [...again.accounts, ...rows];
      rejected = [...again.rejected, ...rejected];
    }
    previousTotal = result.total;
    const fresh = rows.filter((account) => {
      if (seen.has(account.authId)) return false;
      seen.add(account.authId);
      return true;
    });
    const freshRejected = rejected.filter((row) => {
      if (row.authId === null) return true;
      if (seen.has(row.authId)) return false;
      seen.add(row.authId);
      return true;
    });
    const count = result.accounts.length + result.rejected.length;
    // The page size the API really used: an echo of what was asked for is not proof that it was
    // honoured, and trusting it would end paging after a silently clamped first page.
    pageSize = Math.max(pageSize, count);
    const size = Math.min(result.size ?? range.perPage, pageSize || range.perPage);
    const listEnded = count === 0 || count < size || page * size >= result.total;
    yield { page, accounts: fresh, rejected: freshRejected, total: result.total, listEnded };
    if (listEnded) return;
  }
  if (range.to === null) {
    throw new ApiError(
      `account list paging did not end after ${range.maxPages} pages of ${range.perPage} (maxPages guard); ` +
        'the list may be growing faster than it can be read',
      null,
    );
  }
}
