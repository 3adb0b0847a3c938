// Percent-decoding and application/x-www-form-urlencoded parsing, used for query strings,
// form bodies and router path parameters.
//
// Two modes. Lenient (query strings, path segments): a '%' not followed by two hex digits
// stays a literal '%', and bytes that are not UTF-8 become U+FFFD — what the WHATWG URL
// standard's urlencoded parser does, so a mangled link still reaches the handler. Strict
// (form bodies): the same faults throw HttpError 400, because a real form submission is
// always well formed and silently repairing a broken one hides the client's bug.
import { HttpError, type WaferRequest } from '../core/index.js';

export type Params = Record<string, string | string[]>;

export interface DecodeOptions {
  /** Throw HttpError 400 on malformed '%' sequences or invalid UTF-8 (default false). */
  strict?: boolean;
  /** Most name=value pairs accepted (default 1000); more → HttpError 400. */
  maxParams?: number;
}

export const DEFAULT_MAX_PARAMS = 1000;

/** -1 for a non-hex char code, else its value. Both cases, RFC 3986 §2.1. */
function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  const lower = c | 0x20;
  if (lower >= 97 && lower <= 102) return lower - 87;
  return -1;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Decode one URL component. `plus` turns '+' into a space (form encoding only; in a path
 * '+' is a literal plus). Runs of %XX are gathered into bytes and decoded as UTF-8 together,
 * so multi-byte characters split across escapes come out whole.
 */
export function decodeComponent(text: string, plus = false, strict = false): string {
  const pct = text.indexOf('%');
  if (pct === -1) return plus && text.includes('+') ? text.replaceAll('+', ' ') : text;
  let out = '';
  let i = 0;
  const n = text.length;
  const bytes: number[] = [];
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 37 /* % */) {
      const hi = i + 2 < n ? hexValue(text.charCodeAt(i + 1)) : -1;
      const lo = hi >= 0 ? hexValue(text.charCodeAt(i + 2)) : -1;
      if (lo >= 0) {
        bytes.push(hi * 16 + lo);
        i += 3;
        continue;
      }
      if (strict) throw new HttpError(400, `malformed percent-encoding at offset ${i}`);
    }
    if (bytes.length > 0) {
      out += decodeBytes(bytes, strict);
      bytes.length = 0;
    }
    out += plus && c === 43 /* + */ ? ' ' : text[i];
    i++;
  }
  if (bytes.length > 0) out += decodeBytes(bytes, strict);
  return out;
}

function decodeBytes(bytes: number[], strict: boolean): string {
  const buf = Buffer.from(bytes);
  if (!strict) return buf.toString('utf8');
  try {
    return strictUtf8.decode(buf);
  } catch {
    throw new HttpError(400, 'percent-encoded bytes are not valid UTF-8');
  }
}

/**
 * Parse `a=1&b=x+y&a=2` into { a: ['1', '2'], b: 'x y' }. The result has no prototype, so
 * names like `__proto__` or `constructor` are plain keys. A name without '=' gets ''.
 */
export function parseQuery(text: string, options: DecodeOptions = {}): Params {
  const strict = options.strict ?? false;
  const maxParams = options.maxParams ?? DEFAULT_MAX_PARAMS;
  const out: Params = Object.create(null);
  let count = 0;
  let start = 0;
  while (start <= text.length) {
    let end = text.indexOf('&', start);
    if (end === -1) end = text.length;
    if (end > start) {
      if (++count > maxParams) throw new HttpError(400, `too many parameters (more than ${maxParams})`);
      const piece = text.slice(start, end);
      const eq = piece.indexOf('=');
      const name = decodeComponent(eq === -1 ? piece : piece.slice(0, eq), true, strict);
      const value = eq === -1 ? '' : decodeComponent(piece.slice(eq + 1), true, strict);
      const prev = out[name];
      if (prev === undefined) out[name] = value;
      else if (typeof prev === 'string') out[name] = [prev, value];
      else prev.push(value);
    }
    start = end + 1;
  }
  return out;
}

/**
 * Where query() keeps a request's parsed parameters: a property of the request under a symbol
 * of this module's own (a WeakMap per request cost more than the parse of a short query:
 * docs/performance.md, "Reading headers and the query").
 */
const PARSED = Symbol('wafer.query');

/** The request's query parameters, decoded leniently; parsed once per request. */
export function query(req: WaferRequest): Params {
  const holder = req as WaferRequest & { [PARSED]?: Params };
  let q = holder[PARSED];
  if (q === undefined) {
    q = parseQuery(req.query);
    try {
      holder[PARSED] = q;
    } catch {
      // A frozen object (not a wafer request): parsed again next time.
    }
  }
  return q;
}
