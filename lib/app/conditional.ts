// Validators, preconditions and ranges for file responses (RFC 9110 §8.8, §13, §14).
import type { WaferRequest } from '../core/index.js';
import { parseDecimal } from '../../parser/limits.js';

/** Strong validator from size and mtime (as nginx does); changes whenever either does. */
export function etagFor(st: { size: number; mtimeMs: number }): string {
  return `"${st.size.toString(16)}-${Math.floor(st.mtimeMs).toString(16)}"`;
}

interface EntityTag {
  weak: boolean;
  opaque: string;
}

/** Parse `*` or a list of entity-tags (RFC 9110 §8.8.3); '*' → 'any', garbage → []. */
export function parseETags(value: string): EntityTag[] | 'any' {
  if (value.trim() === '*') return 'any';
  const tags: EntityTag[] = [];
  let i = 0;
  while (i < value.length) {
    const c = value[i]!;
    if (c === ' ' || c === '\t' || c === ',') {
      i++;
      continue;
    }
    const weak = value.startsWith('W/', i);
    if (weak) i += 2;
    if (value[i] !== '"') return tags; // not an entity-tag: stop at what parsed so far
    const end = value.indexOf('"', i + 1);
    if (end === -1) return tags;
    tags.push({ weak, opaque: value.slice(i + 1, end) });
    i = end + 1;
  }
  return tags;
}

/** A request field as one string (repeats joined). */
export function header(req: WaferRequest, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v.join(', ') : v;
}

/** Seconds since the epoch of an HTTP-date (RFC 9110 §5.6.7), or undefined if invalid. */
function httpDate(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : Math.floor(ms / 1000);
}

/**
 * RFC 9110 §13.2.2: evaluate preconditions in order. Returns 412, 304, or 200 (go on).
 * If-Match before If-Unmodified-Since; If-None-Match before If-Modified-Since, and the
 * date is ignored whenever the tag list is present.
 */
export function checkPreconditions(req: WaferRequest, etag: string, mtimeSec: number): 200 | 304 | 412 {
  const opaque = etag.slice(1, -1);
  const ifMatch = header(req, 'if-match');
  if (ifMatch !== undefined) {
    const tags = parseETags(ifMatch);
    // §13.1.1: strong comparison — a weak tag never matches.
    if (tags !== 'any' && !tags.some((t) => !t.weak && t.opaque === opaque)) return 412;
  } else {
    const since = httpDate(header(req, 'if-unmodified-since'));
    if (since !== undefined && mtimeSec > since) return 412;
  }
  const ifNoneMatch = header(req, 'if-none-match');
  if (ifNoneMatch !== undefined) {
    const tags = parseETags(ifNoneMatch);
    // §13.1.2: weak comparison.
    if (tags === 'any' || tags.some((t) => t.opaque === opaque)) return 304;
  } else {
    const since = httpDate(header(req, 'if-modified-since'));
    if (since !== undefined && mtimeSec <= since) return 304;
  }
  return 200;
}

/**
 * A byte position: 1*DIGIT (RFC 9110 §14.1.1). -1 when not digits; Infinity when the digits
 * are too many for an exact integer, which is still a valid position, just past any file.
 */
function bytePos(text: string): number {
  const n = parseDecimal(text);
  if (n >= 0) return n;
  return text.length > 0 && /^[0-9]+$/.test(text) ? Infinity : -1;
}

/**
 * A Range header against a representation of `size` bytes (RFC 9110 §14.1.2):
 * { start, end } (inclusive) for one satisfiable range, 'unsatisfiable' (→ 416), or
 * undefined to ignore it and send the whole file: not a bytes range, malformed, or several
 * ranges. Positions too large for a double are still positions: a first-pos past the end is
 * unsatisfiable however many digits it has, a last-pos or suffix past it is clamped.
 */
export function parseRange(value: string, size: number): { start: number; end: number } | 'unsatisfiable' | undefined {
  const eq = value.indexOf('=');
  if (eq === -1 || value.slice(0, eq).trim().toLowerCase() !== 'bytes') return undefined;
  const specs = value.slice(eq + 1).split(',');
  if (specs.length !== 1) return undefined;
  const spec = specs[0]!.trim();
  const dash = spec.indexOf('-');
  if (dash === -1) return undefined;
  const firstText = spec.slice(0, dash);
  const lastText = spec.slice(dash + 1);
  if (firstText === '') {
    const suffix = bytePos(lastText);
    if (suffix < 0) return undefined;
    if (suffix === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const first = bytePos(firstText);
  if (first < 0) return undefined;
  let last = size - 1;
  if (lastText !== '') {
    last = bytePos(lastText);
    if (last < 0 || last < first) return undefined;
  }
  if (first >= size) return 'unsatisfiable';
  return { start: first, end: Math.min(last, size - 1) };
}

/** §13.1.5: If-Range lets Range through only if the validator is exactly the current one. */
export function ifRangeHolds(req: WaferRequest, etag: string, lastModified: string): boolean {
  const v = header(req, 'if-range');
  if (v === undefined) return true;
  const t = v.trim();
  if (t.startsWith('"') || t.startsWith('W/')) return t === etag; // strong comparison
  return t === lastModified;
}
