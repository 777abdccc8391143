/**
 * DynamoDB's documented size rules (developer guide, "DynamoDB item sizes and formats"), applied to
 * items as they travel on the wire (low-level AttributeValue JSON):
 * - a string: UTF-8 bytes of the name + UTF-8 bytes of the value;
 * - a number: name + 1 byte per two significant digits (as base-100 pairs aligned on the decimal
 *   point, leading and trailing zero pairs trimmed) + 1;
 * - binary: name + raw bytes; null and boolean: name + 1;
 * - a list or map: name + 3 bytes + the size of each element + 1 byte per element; a map's
 *   element size includes its key's bytes;
 * - sets: name + the sum of their members.
 * Storage adds 100 bytes per item (and per index entry) for indexing.
 * dynalite counts JavaScript string lengths rather than UTF-8 bytes, so its ConsumedCapacity can
 * differ from DynamoDB's for names in Devanagari, Chinese or emoji; this module is the DynamoDB rule.
 */

export type AttributeValue =
  | { S: string }
  | { N: string }
  | { B: string }
  | { BOOL: boolean }
  | { NULL: true }
  | { L: AttributeValue[] }
  | { M: Record<string, AttributeValue> }
  | { SS: string[] }
  | { NS: string[] }
  | { BS: string[] };

export type WireItem = Record<string, AttributeValue>;

export const STORAGE_OVERHEAD_BYTES = 100;
export const WRITE_UNIT_BYTES = 1024;
export const READ_UNIT_BYTES = 4096;

const utf8 = (text: string) => Buffer.byteLength(text, 'utf8');

export function numberBytes(text: string): number {
  // DynamoDB stores a number as base-100 digit pairs aligned on the decimal point, plus a byte of
  // exponent: 150.00000 is 01|50 (3 bytes), 0.01 is .01 (2), 1500 is 15|00 with the zero pair dropped (2).
  const [whole = '', fraction = ''] = text
    .replace(/^[+-]/, '')
    .replace(/[eE].*$/, '')
    .split('.');
  const w = whole.replace(/^0+/, '');
  const f = fraction.replace(/0+$/, '');
  const pairs = `${w.length % 2 ? '0' : ''}${w}${f}${f.length % 2 ? '0' : ''}`
    .replace(/^(00)+/, '')
    .replace(/(00)+$/, '');
  return Math.max(1, pairs.length / 2) + 1;
}

export function valueBytes(value: AttributeValue): number {
  if ('S' in value) return utf8(value.S);
  if ('N' in value) return numberBytes(value.N);
  if ('B' in value) return Buffer.from(value.B, 'base64').length;
  if ('BOOL' in value || 'NULL' in value) return 1;
  if ('L' in value) return 3 + value.L.reduce((sum, v) => sum + 1 + valueBytes(v), 0);
  if ('M' in value) {
    return 3 + Object.entries(value.M).reduce((sum, [k, v]) => sum + 1 + utf8(k) + valueBytes(v), 0);
  }
  if ('SS' in value) return value.SS.reduce((sum, s) => sum + utf8(s), 0);
  if ('NS' in value) return value.NS.reduce((sum, n) => sum + numberBytes(n), 0);
  if ('BS' in value) return value.BS.reduce((sum, b) => sum + Buffer.from(b, 'base64').length, 0);
  throw new Error(`unknown DynamoDB attribute value: ${JSON.stringify(value)}`);
}

/** The item's size by DynamoDB's rules: what write and read units are counted on. */
export function itemBytes(item: WireItem): number {
  return Object.entries(item).reduce((sum, [name, value]) => sum + utf8(name) + valueBytes(value), 0);
}

/** Write units for one write of an item of this size (1 KB each, rounded up, at least 1). */
export function writeUnits(bytes: number): number {
  return Math.max(1, Math.ceil(bytes / WRITE_UNIT_BYTES));
}

/** Read units for reading this many bytes in one request (4 KB each, rounded up; half when eventually consistent). */
export function readUnits(bytes: number, consistent: boolean): number {
  const units = Math.max(1, Math.ceil(bytes / READ_UNIT_BYTES));
  return consistent ? units : units / 2;
}

/**
 * What an item puts in a global secondary index: nothing unless it has the index's key attributes
 * (a sparse index); else the table and index keys, or the whole item with an ALL projection.
 */
export function indexEntry(
  item: WireItem,
  index: { tableKeys: readonly string[]; indexKeys: readonly string[]; projection: 'ALL' | 'KEYS_ONLY' },
): WireItem | null {
  if (!index.indexKeys.every((k) => k in item)) return null;
  if (index.projection === 'ALL') return item;
  const keys = [...index.tableKeys, ...index.indexKeys];
  return Object.fromEntries(keys.map((k) => [k, item[k] as AttributeValue]));
}
