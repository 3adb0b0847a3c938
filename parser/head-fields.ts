// A head's fields kept as one string and offsets into it, each name and value cut out only when
// someone reads it. The wafer parser hands a long head over this way (parser/head-items.ts
// lazyFields): one latin1 string of the head is made while its bytes are still in the buffer
// being parsed, and nothing else — a browser head of 8–15 fields no longer costs 16–30 strings
// and an array when the handler reads two of them, or none (docs/performance.md, "Lazy header
// strings"). The engine's own checks (Host, Content-Length, Transfer-Encoding, Expect) find
// their fields by length and spelling without cutting the others.

/** Header fields, by index: name(i), value(i), or all of them as rawHeaders (raw()). */
export class HeadFields {
  /** How many fields. */
  readonly count: number;
  /** The head's string ('' when made from strings). */
  private readonly text: string;
  /** Per field: name start, name end, value start, value end (right-trimmed), into `text`. */
  private readonly at: number[];
  /** [name, value, …]: given, or made by raw(). */
  private list: string[] | null;

  constructor(text: string, at: number[], count: number, list: string[] | null) {
    this.text = text;
    this.at = at;
    this.count = count;
    this.list = list;
  }

  /** Fields that are strings already (rawHeaders from llhttp, a short head, a test). */
  static of(raw: string[]): HeadFields {
    return new HeadFields('', EMPTY_AT, raw.length >> 1, raw);
  }

  nameLength(i: number): number {
    const list = this.list;
    return list !== null ? list[2 * i].length : this.at[4 * i + 1] - this.at[4 * i];
  }

  name(i: number): string {
    const list = this.list;
    return list !== null ? list[2 * i] : this.text.substring(this.at[4 * i], this.at[4 * i + 1]);
  }

  value(i: number): string {
    const list = this.list;
    return list !== null ? list[2 * i + 1] : this.text.substring(this.at[4 * i + 2], this.at[4 * i + 3]);
  }

  /**
   * Field i's name is `lower` (lower-case) ignoring ASCII case, read in place. Only A–Z fold,
   * as in lib/core/validate.ts sameName().
   */
  nameIs(i: number, lower: string): boolean {
    const n = lower.length;
    if (this.nameLength(i) !== n) return false;
    const list = this.list;
    const s = list !== null ? list[2 * i] : this.text;
    const from = list !== null ? 0 : this.at[4 * i];
    for (let k = 0; k < n; k++) {
      let c = s.charCodeAt(from + k);
      if (c >= 65 && c <= 90) c |= 0x20;
      if (c !== lower.charCodeAt(k)) return false;
    }
    return true;
  }

  /** [name, value, name, value, …] as Node's rawHeaders (made once). */
  raw(): string[] {
    let list = this.list;
    if (list === null) {
      const n = this.count;
      const text = this.text;
      const at = this.at;
      list = new Array<string>(2 * n);
      for (let i = 0; i < n; i++) {
        list[2 * i] = text.substring(at[4 * i], at[4 * i + 1]);
        list[2 * i + 1] = text.substring(at[4 * i + 2], at[4 * i + 3]);
      }
      this.list = list;
    }
    return list;
  }
}

const EMPTY_AT: number[] = [];
