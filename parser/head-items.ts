// The head being read, as the wafer parser assembles it: while the head's bytes are in the
// buffer being parsed, only where the target, names and values lie is noted; at the end of the
// head one string is made of the whole head and the others cut from it (V8 substrings), or, for
// a head of a few short pieces, each is made with String.fromCharCode (parser/head-strings.ts
// shortString: no call into C++ at all) and remembered for the next head (parser/head-memo.ts
// ShortStrings). A head cut by a chunk boundary has what it holds so far turned into strings
// before execute() returns (release()), so no buffer is kept between calls.
import { SHORT_ITEMS, SHORT_PIECE, type ShortStrings } from './head-memo.js';
import { COMMON_NAMES, sameBytes, shortString, trimOws, type Latin1Buffer } from './head-strings.js';
import { HeadFields } from './head-fields.js';

/**
 * The head's items: 0 is the request target, then name, value, name, value… An item is a range
 * [itemStart, itemEnd) of `buf` (itemString null) or, once cut by a chunk boundary or folded,
 * a string.
 */
export class HeadItems {
  /** The buffer being executed; null between execute() calls. */
  buf: Buffer | null = null;
  count = 0;
  readonly itemStart: number[] = [];
  readonly itemEnd: number[] = [];
  readonly itemString: (string | null)[] = [];
  /** Items that are still ranges of `buf`. */
  ranges = 0;
  /** The request target of the head strings() last made. */
  url = '';
  /** Where the last rangeSlice() starts in the buffer. */
  private sliceStart = 0;
  private readonly shortStrings: ShortStrings;

  constructor(shortStrings: ShortStrings) {
    this.shortStrings = shortStrings;
  }

  /** A new head: no items. */
  clear(): void {
    this.count = 0;
    this.ranges = 0;
  }

  /** The end of execute()'s buffer: ranges must not outlive it. */
  release(): void {
    if (this.ranges !== 0) this.rangesToStrings();
    this.buf = null;
  }

  /** A new item of the head, starting as a range of the current buffer. */
  open(start: number, end: number): void {
    const i = this.count++;
    this.itemStart[i] = start;
    this.itemEnd[i] = end;
    this.itemString[i] = null;
    this.ranges++;
  }

  /** More bytes of item `i`: extend its range when contiguous, else go over to a string. */
  extend(i: number, buf: Buffer, start: number, end: number): void {
    const str = this.itemString[i];
    if (str === null && this.itemEnd[i] === start) {
      this.itemEnd[i] = end;
      return;
    }
    const piece = (buf as Latin1Buffer).latin1Slice(start, end);
    if (str === null) {
      this.itemString[i] = (buf as Latin1Buffer).latin1Slice(this.itemStart[i], this.itemEnd[i]) + piece;
      this.ranges--;
    } else {
      this.itemString[i] = str + piece;
    }
  }

  /** A whole header line: its name and its (trimmed) value as two new items. */
  openLine(nameStart: number, nameEnd: number, valueStart: number, valueEnd: number): void {
    let i = this.count;
    if (i === 0) this.open(nameStart, nameStart); // (no target: cannot happen, as in WaferParser.onHeaderField)
    i = this.count;
    this.itemStart[i] = nameStart;
    this.itemEnd[i] = nameEnd;
    this.itemString[i] = null;
    this.itemStart[i + 1] = valueStart;
    this.itemEnd[i + 1] = valueEnd;
    this.itemString[i + 1] = null;
    this.count = i + 2;
    this.ranges += 2;
  }

  /**
   * Every range of the head as one latin1 string, which starts at buffer offset `sliceStart`.
   * Ranges lie in the buffer in item order (earlier buffers' ones are strings by now, and only
   * the last item is ever extended), so it runs from the first range's start to the last one's
   * end. Call only with ranges !== 0.
   */
  private rangeSlice(): string {
    const itemString = this.itemString;
    let first = 0;
    while (itemString[first] !== null) first++;
    let last = this.count - 1;
    while (itemString[last] !== null) last--;
    this.sliceStart = this.itemStart[first];
    return (this.buf as Latin1Buffer).latin1Slice(this.sliceStart, this.itemEnd[last]);
  }

  /** Turn every range into a string (one slice of the buffer, cut up). */
  private rangesToStrings(): void {
    const all = this.rangeSlice();
    const lo = this.sliceStart;
    const itemString = this.itemString;
    for (let i = 0; i < this.count; i++) {
      if (itemString[i] === null) itemString[i] = all.substring(this.itemStart[i] - lo, this.itemEnd[i] - lo);
    }
    this.ranges = 0;
  }

  /**
   * The head's fields as one string and offsets (parser/head-fields.ts), the request target in
   * `url` — when every item is still a range of this buffer and the head is not a short one
   * (those strings() makes from the bytes, or remembers); else null, and strings() makes them.
   */
  lazyFields(): HeadFields | null {
    const n = this.count;
    if (n < 3 || (n & 1) === 0 || this.ranges !== n) return null;
    const itemStart = this.itemStart;
    const itemEnd = this.itemEnd;
    if (n <= SHORT_ITEMS) {
      let short = true;
      for (let i = 0; short && i < n; i++) if (itemEnd[i] - itemStart[i] > SHORT_PIECE) short = false;
      if (short) return null;
    }
    const buf = this.buf as Latin1Buffer;
    const lo = itemStart[0];
    const text = buf.latin1Slice(lo, itemEnd[n - 1]);
    this.url = text.substring(0, itemEnd[0] - lo);
    const fields = (n - 1) >> 1;
    const at = new Array<number>(4 * fields);
    for (let f = 0, i = 1; f < fields; f++, i += 2) {
      const valueStart = itemStart[i + 1];
      let valueEnd = itemEnd[i + 1];
      while (valueEnd > valueStart && (buf[valueEnd - 1] === 32 || buf[valueEnd - 1] === 9)) valueEnd--;
      at[4 * f] = itemStart[i] - lo;
      at[4 * f + 1] = itemEnd[i] - lo;
      at[4 * f + 2] = valueStart - lo;
      at[4 * f + 3] = valueEnd - lo;
    }
    this.ranges = 0;
    this.count = 0;
    return new HeadFields(text, at, fields, null);
  }

  /**
   * The raw headers as strings (values right-trimmed, as Node hands them over); the request
   * target is left in `url`.
   */
  strings(): string[] {
    const n = this.count;
    const buf = this.buf as Latin1Buffer;
    const itemStart = this.itemStart;
    const itemEnd = this.itemEnd;
    const itemString = this.itemString;
    if (n === 0) {
      this.url = '';
      return [];
    }
    const raw: string[] = new Array(n - 1);
    let all = '';
    let lo = 0;
    let short = n <= SHORT_ITEMS;
    if (this.ranges !== 0) {
      for (let i = 0; short && i < n; i++) if (itemString[i] === null && itemEnd[i] - itemStart[i] > SHORT_PIECE) short = false;
      if (!short) {
        all = this.rangeSlice();
        lo = this.sliceStart;
      }
    }
    for (let i = 0; i < n; i++) {
      const str = itemString[i];
      let v: string;
      if (str === null) {
        const s = itemStart[i];
        let e = itemEnd[i];
        if ((i & 1) === 0 && i > 0) {
          while (e > s && (buf[e - 1] === 32 || buf[e - 1] === 9)) e--;
        }
        v = short ? this.shortItem(i, buf, s, e - s) : all.substring(s - lo, e - lo);
      } else {
        v = i > 0 && (i & 1) === 0 ? trimOws(str) : str;
      }
      if (i === 0) this.url = v;
      else raw[i - 1] = v;
    }
    this.ranges = 0;
    this.count = 0;
    return raw;
  }

  /** Item i (i < SHORT_ITEMS) of a short head: the last head's string when the bytes match. */
  private shortItem(i: number, buf: Buffer, s: number, n: number): string {
    const memo = this.shortStrings;
    const last = memo.strings;
    const kept = memo.bytes;
    const at = i * SHORT_PIECE;
    if (last[i].length === n && sameBytes(buf, s, kept, at, n)) return last[i];
    let v = shortString(buf, s, n);
    if ((i & 1) === 1) v = COMMON_NAMES.get(v) ?? v;
    if (!memo.enabled) return v;
    last[i] = v;
    for (let k = 0; k < n; k++) kept[at + k] = buf[s + k];
    return v;
  }
}
