// The parser's limits, declared once, and the safe-size arithmetic every length off the wire and
// every buffer growth goes through. A value that does not pass these checks never becomes an
// allocation: callers get `-1` (or `false`) and turn it into a protocol error. Nothing here
// imports anything: the parser stands alone, and lib/core/limits.ts builds the server's
// DEFAULT_LIMITS on PARSER_LIMITS and re-exports the arithmetic.

/** The limits a parser enforces, with their defaults (part of DEFAULT_LIMITS). */
export const PARSER_LIMITS = {
  /** Bytes of request line + header block (Node's default is 16 KiB). → 431 (414 for URL) */
  maxHeaderSize: 16 * 1024,
  /** Number of header fields. → 431 */
  maxHeaderCount: 100,
  /** Bytes of the request target. → 414 */
  maxUrlLength: 8 * 1024,
  /** Bytes of chunk extensions per chunk (Node: 16 KiB). → 413 */
  maxChunkExtensionSize: 16 * 1024,
} as const;

/** Largest integer that survives arithmetic in a double without precision loss: 2^53 - 1. */
export const MAX_SAFE = Number.MAX_SAFE_INTEGER;

/**
 * Fold one more digit into an accumulating length: `acc * base + digit`.
 * Returns -1 when the result would pass `max` (default 2^53 - 1) — the caller reports overflow.
 * Checking before multiplying keeps every intermediate value exact.
 */
export function addDigit(acc: number, digit: number, base: 10 | 16, max: number = MAX_SAFE): number {
  if (acc > (max - digit) / base) return -1;
  return acc * base + digit;
}

/** A decimal string of digits only (no sign, no space) as a number, or -1 if invalid or past `max`. */
export function parseDecimal(text: string, max: number = MAX_SAFE): number {
  if (text.length === 0) return -1;
  let acc = 0;
  for (let i = 0; i < text.length; i++) {
    const d = text.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    acc = addDigit(acc, d, 10, max);
    if (acc < 0) return -1;
  }
  return acc;
}

/** `a + b` for non-negative sizes, or -1 when it passes `max`. */
export function addSize(a: number, b: number, max: number = MAX_SAFE): number {
  if (a < 0 || b < 0 || a > max - b) return -1;
  return a + b;
}

/** True when `n` is a whole, non-negative size no larger than `max`. */
export function isSize(n: number, max: number = MAX_SAFE): boolean {
  return Number.isInteger(n) && n >= 0 && n <= max;
}

/**
 * The capacity to grow a buffer to when it must hold `need` bytes: doubling from `current`,
 * never past `max`. Returns -1 when `need` itself is over `max` (the caller answers 413).
 */
export function growCapacity(current: number, need: number, max: number): number {
  if (!isSize(need, max)) return -1;
  let cap = current > 0 ? current : 256;
  while (cap < need) cap = cap * 2;
  return cap > max ? max : cap;
}
