import { describeRunway, displayName } from '../core/display.ts';
import { compareAmounts } from '../core/money.ts';
import { localDateTime, localDay } from './calendar.ts';
import { alignFraction, CurrencyDecimals, compactRunway, formatFixed } from './report-format.ts';
import { escapeHtml, nameHtml } from './report-markup.ts';
import type { CurrencySummary, ReportAccount } from './report-model.ts';

/**
 * The report's two tables, rendered complete so they read without JavaScript, and what the
 * page's script needs to search, filter and sort the accounts table without touching more
 * than one page of rows: per account its search text, level and currency, and per sortable
 * column the accounts' order, computed here exactly (amounts compared as decimals).
 */

/** Level codes the script filters on; NA: not alerted (postpaid, inactive, disabled). */
export type LevelCode = 'CRITICAL' | 'LOW' | 'OK' | 'NA';

/** The columns a header click sorts by, besides the table's own order ("rank"). */
export type SortKey =
  | 'name'
  | 'currency'
  | 'balance'
  | 'headroom'
  | 'topUps'
  | 'spend'
  | 'runway'
  | 'observed';

export interface TableData {
  /** Lower-cased "name authId" per account, in table order. */
  search: string[];
  level: LevelCode[];
  currency: string[];
  /** Per column, the account indexes in ascending order; the table's own order is the identity. */
  orders: Record<SortKey, number[]>;
}

export function levelOf(a: ReportAccount): LevelCode {
  return a.alerted ? a.standing : 'NA';
}

/** Decimals per currency over every amount the page shows. */
export function reportDecimals(
  accounts: readonly ReportAccount[],
  totals: readonly CurrencySummary[],
): CurrencyDecimals {
  const decimals = new CurrencyDecimals();
  for (const a of accounts) {
    decimals.see(
      a.currency,
      a.balance,
      a.thresholds.low,
      a.thresholds.critical,
      a.headroom,
      a.topUps,
      a.spend,
    );
  }
  for (const t of totals) decimals.see(t.currency, t.total, t.topUps, t.spend);
  return decimals;
}

/** Writes amounts with their currency's decimals, padded to the column's widest so points align. */
class AmountWriter {
  private readonly column: number;

  constructor(
    private readonly decimals: CurrencyDecimals,
    currencies: Iterable<string>,
  ) {
    this.column = decimals.widest(currencies);
  }

  html(amount: string, currency: string): string {
    const places = this.decimals.of(currency);
    return escapeHtml(alignFraction(formatFixed(amount, places), places, this.column));
  }
}

export function totalsTable(totals: readonly CurrencySummary[], decimals: CurrencyDecimals): string {
  const amount = new AmountWriter(
    decimals,
    totals.map((t) => t.currency),
  );
  const rows = totals
    .map(
      (t) =>
        `<tr><td>${escapeHtml(t.currency)}</td><td class="num">${t.accounts}</td><td class="num">${amount.html(t.total, t.currency)}</td>` +
        `<td class="num">${t.critical}</td><td class="num">${t.low}</td><td class="num">${t.notAlerted}</td>` +
        `<td class="num">${amount.html(t.topUps, t.currency)}</td><td class="num">${amount.html(t.spend, t.currency)}</td></tr>`,
    )
    .join('\n');
  return `<table id="totals-table"><thead><tr><th>Currency</th><th class="num">Accounts</th><th class="num">Total balance</th><th class="num">Critical</th><th class="num">Low</th><th class="num">Not alerted</th><th class="num">Top-ups in window</th><th class="num">Spend in window</th></tr></thead>
<tbody>
${rows}
</tbody></table>
<p class="note">Critical and Low count alerted accounts only. Not alerted: postpaid, inactive or disabled accounts, whose balances are kept but never alerted on; the table lists them last.</p>`;
}

function standingHtml(a: ReportAccount, timezone: string): string {
  const notes: string[] = [];
  if (!a.alerted) notes.push('not alerted');
  else if (a.alertLevel === 'UNKNOWN') notes.push('no alert yet');
  else if (a.alertLevel !== a.standing) notes.push(`alerted ${a.alertLevel}`);
  let title = '';
  if (a.mute) {
    // Two short lines rather than one that breaks inside the date.
    notes.push('muted until', localDay(a.mute.until, timezone));
    title = ` title="${escapeHtml(`muted until ${localDateTime(a.mute.until, timezone)}: ${displayName(a.mute.reason, 200)}`)}"`;
  }
  const standing = a.alerted ? a.standing : `(${a.standing})`;
  return `<td class="standing"${title}>${standing}${notes.map((note) => `<span class="sub">${escapeHtml(note)}</span>`).join('')}</td>`;
}

export function accountsTable(
  accounts: readonly ReportAccount[],
  timezone: string,
  decimals: CurrencyDecimals,
): string {
  const amount = new AmountWriter(
    decimals,
    accounts.map((a) => a.currency),
  );
  const rows = accounts
    .map((a, i) => {
      const [day, time] = localDateTime(a.observedAt, timezone).split(' ');
      const runway = describeRunway(a.runway);
      return (
        `<tr class="${levelOf(a)}" data-auth-id="${escapeHtml(a.authId)}"><td class="num">${i + 1}</td>` +
        `<td class="account">${nameHtml(a.name)}<span class="sub">${escapeHtml(a.authId)}</span></td>` +
        `<td>${escapeHtml(a.currency)}</td><td class="num">${amount.html(a.balance, a.currency)}</td>` +
        `<td class="num">${amount.html(a.headroom, a.currency)}<span class="sub">low ${amount.html(a.thresholds.low, a.currency)}</span></td>` +
        standingHtml(a, timezone) +
        `<td class="num">${amount.html(a.topUps, a.currency)}${a.topUpCount ? `<span class="sub">${a.topUpCount} top-up${a.topUpCount === 1 ? '' : 's'}</span>` : ''}</td>` +
        `<td class="num">${amount.html(a.spend, a.currency)}</td>` +
        `<td class="num runway"${runway ? ` title="${escapeHtml(runway)}"` : ''}>${escapeHtml(compactRunway(a.runway))}</td>` +
        `<td>${escapeHtml(day ?? '')}<span class="sub">${escapeHtml(time ?? '')}</span></td></tr>`
      );
    })
    .join('\n');
  return `<table id="accounts-table">
<colgroup><col class="rank"><col class="account"><col class="currency"><col class="amount"><col class="amount"><col class="standing"><col class="amount"><col class="amount"><col class="runway"><col class="observed"></colgroup>
<thead><tr><th class="num">#</th><th data-sort="name">Account</th><th data-sort="currency">Cur.</th><th class="num" data-sort="balance">Balance</th><th class="num" data-sort="headroom">Headroom</th><th data-sort="rank">Standing</th><th class="num" data-sort="topUps">Top-ups</th><th class="num" data-sort="spend">Spend</th><th class="num" data-sort="runway">Runway</th><th data-sort="observed">Last seen</th></tr></thead>
<tbody>
${rows}
</tbody></table>`;
}

const NAME_ORDER = new Intl.Collator('en', { sensitivity: 'base', numeric: true });

/** Known runways by hours left, then accounts with no spend, then those not analysed yet. */
function byRunway(a: ReportAccount, b: ReportAccount): number {
  const group = (r: ReportAccount['runway']) =>
    r?.status === 'known' ? 0 : r?.status === 'no_spend' ? 1 : 2;
  const ga = group(a.runway);
  const gb = group(b.runway);
  if (ga !== gb) return ga - gb;
  return a.runway?.status === 'known' && b.runway?.status === 'known' ? a.runway.hours - b.runway.hours : 0;
}

function byText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Account indexes in ascending order; Array sort is stable, so ties keep the table's own order. */
function orderBy(count: number, compare: (i: number, j: number) => number): number[] {
  return Array.from({ length: count }, (_, i) => i).sort(compare);
}

/** `accounts` in table order (lowest first). */
export function tableData(accounts: readonly ReportAccount[]): TableData {
  const names = accounts.map((a) => displayName(a.name, 80));
  const at = (i: number) => accounts[i] as ReportAccount;
  const amounts = (field: 'balance' | 'headroom' | 'topUps' | 'spend') =>
    orderBy(accounts.length, (i, j) => compareAmounts(at(i)[field], at(j)[field]));
  return {
    search: accounts.map((a, i) => `${names[i]} ${a.authId}`.toLowerCase()),
    level: accounts.map(levelOf),
    currency: accounts.map((a) => a.currency),
    orders: {
      name: orderBy(accounts.length, (i, j) => NAME_ORDER.compare(names[i] as string, names[j] as string)),
      currency: orderBy(accounts.length, (i, j) => byText(at(i).currency, at(j).currency)),
      balance: amounts('balance'),
      headroom: amounts('headroom'),
      topUps: amounts('topUps'),
      spend: amounts('spend'),
      runway: orderBy(accounts.length, (i, j) => byRunway(at(i), at(j))),
      observed: orderBy(accounts.length, (i, j) => byText(at(i).observedAt, at(j).observedAt)),
    },
  };
}
