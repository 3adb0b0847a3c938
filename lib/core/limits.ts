// Limits, declared once: the parser's (parser/limits.ts) and the server's, here. The safe-size
// arithmetic lives with the parser (which stands alone) and is re-exported from here.
import { PARSER_LIMITS, isSize } from '../../parser/limits.js';

export { MAX_SAFE, addDigit, parseDecimal, addSize, isSize, growCapacity } from '../../parser/limits.js';

/** Every limit wafer enforces, with its default. Servers and parsers take overrides. */
export const DEFAULT_LIMITS = {
  ...PARSER_LIMITS,
  /** Bytes of a request body buffered for the handler. → 413 */
  maxBodySize: 1024 * 1024,
  /**
   * Bytes of request bodies buffered at once, server-wide (each body counted at its buffer's
   * size from allocation until its response ends or its connection closes). Without it
   * buffered bodies could reach maxBodySize × maxConns. A body that would pass it → 503 + Retry-After.
   */
  maxBodyBytes: 256 * 1024 * 1024,
  /** Pipelined requests parsed ahead of the one being answered before reading pauses. */
  maxPipeline: 64,
  /** Bytes queued on a socket before a writer is told to wait ('drain'). */
  highWaterMark: 64 * 1024,
} as const;

export type Limits = { -readonly [K in keyof typeof DEFAULT_LIMITS]: number };

/** Merge user overrides into the defaults, rejecting anything that is not a size. */
export function resolveLimits(overrides: Partial<Limits> = {}): Limits {
  const out = { ...DEFAULT_LIMITS } as Limits;
  for (const key of Object.keys(overrides) as (keyof Limits)[]) {
    const v = overrides[key];
    if (v === undefined) continue;
    if (!(key in DEFAULT_LIMITS)) throw new TypeError(`unknown limit: ${String(key)}`);
    if (!isSize(v) || v === 0) throw new RangeError(`limit ${key} must be a positive integer, got ${v}`);
    out[key] = v;
  }
  // One body of maxBodySize must fit in the server-wide budget, or such bodies could never be read.
  if (out.maxBodyBytes < out.maxBodySize) {
    throw new RangeError(`limit maxBodyBytes (${out.maxBodyBytes}) must be at least maxBodySize (${out.maxBodySize})`);
  }
  return out;
}
