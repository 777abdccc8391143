import { isAmount } from '../core/money.ts';

/**
 * CSV that finance can open: RFC 4180 (CRLF line ends, fields holding a comma, a quote,
 * CR or LF are quoted, quotes doubled), UTF-8 with a byte order mark by default (Excel
 * reads BOM-less UTF-8 as the local ANSI code page and garbles every non-Latin name).
 *
 * Text cells that a spreadsheet would evaluate as a formula (CSV injection) get a leading
 * apostrophe. Amount cells are exact decimals validated as such, so a negative balance
 * stays a number; anything in an amount column that is not a decimal is treated as text.
 */

export type CsvKind = 'text' | 'amount' | 'integer';

export interface CsvColumn<T> {
  header: string;
  kind: CsvKind;
  value: (row: T) => string | number | boolean | null;
}

export const UTF8_BOM = '\uFEFF';
const CRLF = '\r\n';

/**
 * Leading characters that make Excel, LibreOffice or Google Sheets treat a cell as a
 * formula (OWASP's list), plus their full-width forms, which some locales also accept.
 */
const FORMULA_START = /^[=+\-@\t\r\uFF1D\uFF0B\uFF0D\uFF20]/;
const NEEDS_QUOTES = /[",\r\n]/;

export function neutraliseFormula(text: string): string {
  return FORMULA_START.test(text) ? `'${text}` : text;
}

export function quoteField(text: string): string {
  return NEEDS_QUOTES.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

function cell(kind: CsvKind, value: string | number | boolean | null): string {
  if (value === null) return '';
  if (kind === 'integer' && typeof value === 'number' && Number.isSafeInteger(value)) return String(value);
  const text = String(value);
  if (kind === 'amount' && isAmount(text)) return text.trim();
  return quoteField(neutraliseFormula(text));
}

export function toCsv<T>(
  columns: readonly CsvColumn<T>[],
  rows: Iterable<T>,
  options: { bom?: boolean } = {},
): string {
  const lines = [columns.map((c) => quoteField(neutraliseFormula(c.header))).join(',')];
  for (const row of rows) lines.push(columns.map((c) => cell(c.kind, c.value(row))).join(','));
  return `${options.bom === false ? '' : UTF8_BOM}${lines.join(CRLF)}${CRLF}`;
}
