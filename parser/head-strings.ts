// Head bytes into strings, as the wafer parser makes them (latin1, as Node does): the short
// pieces built in JavaScript, the common field names spelled as one constant, the values
// right-trimmed. parser/head-items.ts decides which of these a head's pieces go through.

/** Node's Buffer has latin1Slice (what buf.toString('latin1', …) calls, without the checks). */
export interface Latin1Buffer extends Buffer {
  latin1Slice(start: number, end: number): string;
}

/** Drop trailing SP / HTAB from a header value (Node hands values over right-trimmed). */
export function trimOws(s: string): string {
  let n = s.length;
  while (n > 0) {
    const c = s.charCodeAt(n - 1);
    if (c !== 32 && c !== 9) break;
    n--;
  }
  return n === s.length ? s : s.slice(0, n);
}

const fromCharCode = String.fromCharCode;

/**
 * Common field names as lib/core/validate.ts and lib/core/connection.ts spell them (`name === 'Host'` is
 * tried first there): a short head's name is replaced by the constant when it is one, so those
 * checks meet the very same string. (Only names of at most SHORT_PIECE bytes can be short pieces.)
 */
export const COMMON_NAMES = new Map<string, string>();
for (const name of ['Host', 'Content-Length', 'Content-Type', 'Connection', 'Expect', 'Accept', 'User-Agent', 'Cookie',
  'Authorization', 'Upgrade', 'Origin', 'Referer', 'Cache-Control', 'If-None-Match', 'Range', 'Accept-Encoding']) {
  COMMON_NAMES.set(name, name);
  COMMON_NAMES.set(name.toLowerCase(), name.toLowerCase());
}

/** b[s, s + n) equals kept[at, at + n). */
export function sameBytes(b: Buffer, s: number, kept: Uint8Array, at: number, n: number): boolean {
  for (let k = 0; k < n; k++) if (b[s + k] !== kept[at + k]) return false;
  return true;
}

/**
 * buf[s, s + n) as a latin1 string, n ≤ SHORT_PIECE, made in JavaScript: fromCharCode with
 * exactly n arguments builds the flat one-byte string at once. For a head of a few short pieces
 * (`GET /` with a Host, a curl or a health check) this is cheaper than one latin1Slice — a call
 * into C++ — cut into substrings; for anything longer the slice wins (docs/performance.md).
 */
export function shortString(b: Buffer, s: number, n: number): string {
  switch (n) {
    case 0: return '';
    case 1: return fromCharCode(b[s]);
    case 2: return fromCharCode(b[s], b[s + 1]);
    case 3: return fromCharCode(b[s], b[s + 1], b[s + 2]);
    case 4: return fromCharCode(b[s], b[s + 1], b[s + 2], b[s + 3]);
    case 5: return fromCharCode(b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4]);
    case 6: return fromCharCode(b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5]);
    case 7: return fromCharCode(b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5], b[s + 6]);
    case 8: return fromCharCode(b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5], b[s + 6], b[s + 7]);
    case 9: return fromCharCode(b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5], b[s + 6], b[s + 7], b[s + 8]);
    case 10: return fromCharCode(b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5], b[s + 6], b[s + 7], b[s + 8], b[s + 9]);
    case 11: return fromCharCode(b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5], b[s + 6], b[s + 7], b[s + 8], b[s + 9], b[s + 10]);
    case 12: return fromCharCode(b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5], b[s + 6], b[s + 7], b[s + 8], b[s + 9], b[s + 10], b[s + 11]);
    case 13: return fromCharCode(b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5], b[s + 6], b[s + 7], b[s + 8], b[s + 9], b[s + 10], b[s + 11], b[s + 12]);
    case 14: return fromCharCode(b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5], b[s + 6], b[s + 7], b[s + 8], b[s + 9], b[s + 10], b[s + 11], b[s + 12], b[s + 13]);
    case 15: return fromCharCode(b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5], b[s + 6], b[s + 7], b[s + 8], b[s + 9], b[s + 10], b[s + 11], b[s + 12], b[s + 13], b[s + 14]);
    case 16: return fromCharCode(b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5], b[s + 6], b[s + 7], b[s + 8], b[s + 9], b[s + 10], b[s + 11], b[s + 12], b[s + 13], b[s + 14], b[s + 15]);
    default: throw new RangeError(`shortString: ${n} bytes`);
  }
}
