/**
 * A few flag bits per account id, for every account of a sweep at once (issue 10 §5: at 200,000
 * accounts a Set of id strings, and the strings it keeps alive, were most of a sweep's live memory).
 * Ids in Vobiz's form (`MA_` and up to 10 of [0-9A-Z]) are kept as numbers in typed arrays: about
 * 12 to 24 bytes an account, outside V8's heap, instead of about 70 inside it (the string and its
 * entry). Any other id goes to an ordinary Map, so an id's form decides only where it is kept,
 * never whether its flags are right.
 */

const PREFIX = 'MA_';
const DIGITS = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const RADIX = DIGITS.length;
/** 36 x (36^10 - 1) / 35 (the largest key) is below 2^53: every key is an exact double. */
const MAX_DIGITS = 10;
/** Grown past this share of its slots in use: linear probing stays short below it. */
const MAX_LOAD = 0.75;
const MIN_CAPACITY = 16;
/** Marks a free slot: every key is at least 1. */
const FREE = 0;

/**
 * An id in Vobiz's form as a positive integer below 2^53, or null for any other id. Bijective base 36
 * (digit values 1 to 36): each such id has its own number, and the number gives the id back.
 */
export function accountIdKey(authId: string): number | null {
  const length = authId.length - PREFIX.length;
  if (length < 1 || length > MAX_DIGITS || !authId.startsWith(PREFIX)) return null;
  let key = 0;
  for (let i = PREFIX.length; i < authId.length; i++) {
    const c = authId.charCodeAt(i);
    let digit: number;
    if (c >= 48 && c <= 57) digit = c - 48;
    else if (c >= 65 && c <= 90) digit = c - 55;
    else return null;
    key = key * RADIX + digit + 1;
  }
  return key;
}

/** The id accountIdKey made `key` from. */
export function accountIdOfKey(key: number): string {
  let digits = '';
  for (let rest = key; rest > 0; ) {
    const digit = (rest - 1) % RADIX;
    digits = DIGITS.charAt(digit) + digits;
    rest = (rest - 1 - digit) / RADIX;
  }
  return PREFIX + digits;
}

/** Both halves of the key mixed (murmur3's finaliser), so ids alike in their last characters spread. */
function slotOf(key: number, mask: number): number {
  const high = (key / 0x1_0000_0000) | 0;
  let h = (key >>> 0) ^ Math.imul(high, 0x9e3779b1);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) & mask;
}

export class IdFlags {
  private keys: Float64Array;
  private flags: Uint8Array;
  private used = 0;
  private readonly others = new Map<string, number>();

  /** `capacity`: slots to start with (a power of two is kept); it doubles as ids arrive. */
  constructor(capacity = MIN_CAPACITY) {
    let slots = MIN_CAPACITY;
    while (slots < capacity) slots *= 2;
    this.keys = new Float64Array(slots);
    this.flags = new Uint8Array(slots);
  }

  /** Ids with at least one flag. */
  get size(): number {
    return this.used + this.others.size;
  }

  /** The id's flags; 0 for an id never flagged. */
  get(authId: string): number {
    const key = accountIdKey(authId);
    if (key === null) return this.others.get(authId) ?? 0;
    const slot = this.find(key);
    return this.keys[slot] === key ? (this.flags[slot] ?? 0) : 0;
  }

  /** Sets `bits` (1 to 255) on the id; returns the flags it had before. */
  add(authId: string, bits: number): number {
    if (bits < 1 || bits > 255 || !Number.isInteger(bits))
      throw new RangeError(`flag bits ${bits}: 1 to 255`);
    const key = accountIdKey(authId);
    if (key === null) {
      const before = this.others.get(authId) ?? 0;
      this.others.set(authId, before | bits);
      return before;
    }
    let slot = this.find(key);
    if (this.keys[slot] !== key) {
      if ((this.used + 1) / this.keys.length > MAX_LOAD) {
        this.grow();
        slot = this.find(key);
      }
      this.keys[slot] = key;
      this.used++;
    }
    const before = this.flags[slot] ?? 0;
    this.flags[slot] = before | bits;
    return before;
  }

  /** Calls `visit` with the flags of every id (in no particular order), without making the ids. */
  eachFlags(visit: (flags: number) => void): void {
    const { keys, flags } = this;
    for (let slot = 0; slot < keys.length; slot++) if (keys[slot] !== FREE) visit(flags[slot] ?? 0);
    for (const f of this.others.values()) visit(f);
  }

  /** The ids with any of `bits` set, in no particular order. */
  ids(bits: number): string[] {
    const out: string[] = [];
    const { keys, flags } = this;
    for (let slot = 0; slot < keys.length; slot++) {
      const key = keys[slot] ?? FREE;
      if (key !== FREE && ((flags[slot] ?? 0) & bits) !== 0) out.push(accountIdOfKey(key));
    }
    for (const [id, f] of this.others) if ((f & bits) !== 0) out.push(id);
    return out;
  }

  /** The key's slot, or the free slot where it would go. */
  private find(key: number): number {
    const { keys } = this;
    const mask = keys.length - 1;
    let slot = slotOf(key, mask);
    for (;;) {
      const k = keys[slot];
      if (k === key || k === FREE) return slot;
      slot = (slot + 1) & mask;
    }
  }

  private grow(): void {
    const { keys, flags } = this;
    this.keys = new Float64Array(keys.length * 2);
    this.flags = new Uint8Array(keys.length * 2);
    for (let slot = 0; slot < keys.length; slot++) {
      const key = keys[slot] ?? FREE;
      if (key === FREE) continue;
      const to = this.find(key);
      this.keys[to] = key;
      this.flags[to] = flags[slot] ?? 0;
    }
  }
}
