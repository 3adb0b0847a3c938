// Request rules a server must enforce that a parser does not: llhttp (and the TypeScript parser
// that mirrors it) checks bytes, but leaves Host, request-target forms and part of the framing
// rules to the server. validateHead() runs once per request head, before the handler; a
// result other than null names the rule the head broke (headRuleStatus() is its status), and
// the connection closes after the answer (the engine's fail()), so nothing after a rejected
// head is ever read as a request.
//
// Some of these checks repeat what a strict parser already refuses (CL with TE, duplicate CL):
// they are kept so that the answer does not depend on the parser or on its lenient flags.
// parser/RULES.md lists every rule, which layer enforces it, and the test that checks it.
import type { RequestHead } from '../../parser/types.js';
import { NO_CACHES, type ServerCaches } from './caches.js';
import { MAX_SAFE, parseDecimal } from './limits.js';

/**
 * A field name equal to `lower` (lower-case) ignoring ASCII case, without allocating.
 * Only A-Z fold, so token characters such as '^' and '~' never match each other. `title`, the
 * usual capitalised spelling, then `lower` are tried first with `===` (the names clients send
 * are one of the two, and parser/wafer.ts hands common ones over as these very constants, so
 * the charCodeAt loop is rarely reached).
 */
export function sameName(name: string, lower: string, title?: string): boolean {
  if (name.length !== lower.length) return false;
  if (name === title || name === lower) return true;
  for (let i = 0; i < lower.length; i++) {
    let c = name.charCodeAt(i);
    if (c >= 65 && c <= 90) c |= 0x20;
    if (c !== lower.charCodeAt(i)) return false;
  }
  return true;
}

// A head's fields, read in place when the parser kept them as one string (head.fields), else
// from rawHeaders — without making a wrapper for either.

/** How many header fields the head has. */
export function fieldCount(head: RequestHead): number {
  const fields = head.fields;
  return fields !== undefined ? fields.count : head.rawHeaders.length >> 1;
}

export function fieldNameLength(head: RequestHead, i: number): number {
  const fields = head.fields;
  return fields !== undefined ? fields.nameLength(i) : head.rawHeaders[2 * i].length;
}

/** Field i's name is `lower`, ignoring ASCII case (`title`: the usual spelling, tried first on strings). */
export function fieldNameIs(head: RequestHead, i: number, lower: string, title?: string): boolean {
  const fields = head.fields;
  return fields !== undefined ? fields.nameIs(i, lower) : sameName(head.rawHeaders[2 * i], lower, title);
}

export function fieldValue(head: RequestHead, i: number): string {
  const fields = head.fields;
  return fields !== undefined ? fields.value(i) : head.rawHeaders[2 * i + 1];
}

/**
 * The rules validateHead() enforces, by the ids of parser/RULES.md ("Rule ids"). Stable: code
 * may switch on them (the engine answers with headRuleStatus(); tests assert them).
 */
export type HeadRule =
  | 'version-unsupported'
  | 'host-missing' | 'host-repeated' | 'host-userinfo' | 'host-invalid'
  | 'target-fragment' | 'target-asterisk' | 'target-form' | 'target-connect'
  | 'target-absolute-userinfo' | 'target-absolute-empty-host' | 'target-absolute-host'
  | 'cl-with-te' | 'cl-repeated' | 'cl-invalid' | 'cl-beyond-2^53'
  | 'te-http10' | 'te-empty' | 'te-invalid' | 'te-final-not-chunked' | 'te-chunked-twice' | 'te-unknown-coding';

/** The status a head that broke `rule` is answered with. Exhaustive: a new rule needs one. */
export function headRuleStatus(rule: HeadRule): 400 | 501 | 505 {
  switch (rule) {
    case 'version-unsupported':
      return 505; // RFC 9110 §15.6.6
    case 'te-unknown-coding':
      return 501; // RFC 9112 §6.1: a transfer coding we do not decode
    case 'host-missing':
    case 'host-repeated':
    case 'host-userinfo':
    case 'host-invalid':
    case 'target-fragment':
    case 'target-asterisk':
    case 'target-form':
    case 'target-connect':
    case 'target-absolute-userinfo':
    case 'target-absolute-empty-host':
    case 'target-absolute-host':
    case 'cl-with-te':
    case 'cl-repeated':
    case 'cl-invalid':
    case 'cl-beyond-2^53':
    case 'te-http10':
    case 'te-empty':
    case 'te-invalid':
    case 'te-final-not-chunked':
    case 'te-chunked-twice':
      return 400;
    default:
      return unknownRule(rule);
  }
}

function unknownRule(rule: never): never {
  throw new TypeError(`no status for request rule ${String(rule)}`);
}

/** null when the head may be served; else the rule it broke (see headRuleStatus()). */
export function validateHead(head: RequestHead, caches: ServerCaches = NO_CACHES): HeadRule | null {
  // RFC 9110 §15.6.6 / RFC 9112 §2.3: only HTTP/1.x is spoken here (a parser passes 0.9 and
  // 2.0; it refuses other well-formed versions itself, HPE_UNSUPPORTED_VERSION).
  if (head.versionMajor !== 1) return 'version-unsupported';
  let hosts = 0;
  let host = '';
  let lengths = 0;
  let length = '';
  let te: string | null = null;
  // By length first (most fields are none of these three), then by spelling, read in place:
  // only the values of these fields are made into strings (parser/head-fields.ts).
  const count = fieldCount(head);
  for (let i = 0; i < count; i++) {
    const n = fieldNameLength(head, i);
    if (n === 4 && fieldNameIs(head, i, 'host', 'Host')) {
      hosts++;
      host = fieldValue(head, i);
    } else if (n === 14 && fieldNameIs(head, i, 'content-length', 'Content-Length')) {
      lengths++;
      length = fieldValue(head, i);
    } else if (n === 17 && fieldNameIs(head, i, 'transfer-encoding', 'Transfer-Encoding')) {
      // RFC 9110 §5.3: repeated field lines are one list, joined with commas.
      const value = fieldValue(head, i);
      te = te === null ? value : te + ',' + value;
    }
  }

  // RFC 9112 §3.2: 400 for an HTTP/1.1 request without Host, for any request with more than
  // one Host line, and for a Host with an invalid value (which includes userinfo).
  if (hosts === 0 && head.versionMinor >= 1) return 'host-missing';
  if (hosts > 1) return 'host-repeated';
  // (=== is the cheapest compare here: startsWith and charCodeAt loops cost more.)
  if (hosts === 1 && host !== caches.host.passed) {
    if (!isHostValue(trimOws(host), true)) return host.indexOf('@') !== -1 ? 'host-userinfo' : 'host-invalid';
    caches.host.remember(host);
  }

  const target = targetRule(head.method, head.url, caches);
  if (target !== null) return target;

  if (te !== null) {
    // RFC 9112 §6.1: CL with TE is how requests are smuggled; never honour both. Reject, and
    // the connection closes after the answer (a MUST even for servers that accept such requests).
    if (lengths > 0) return 'cl-with-te';
    // RFC 9112 §6.1: TE in an HTTP/1.0 message means faulty framing.
    if (head.versionMinor === 0) return 'te-http10';
    return codingsRule(te);
  }
  if (lengths > 0) {
    // RFC 9110 §8.6 / RFC 9112 §6.3 ¶5: several or invalid Content-Length values are an
    // unrecoverable framing error. (Identical repeats may be merged; rejecting is also allowed
    // and is what llhttp does.)
    if (lengths > 1) return 'cl-repeated';
    const value = trimOws(length);
    if (!isDigits(value)) return 'cl-invalid';
    // Past 2^53 - 1 a length is no longer exact in a double (RFC 9110 §8.6: no precision loss).
    // llhttp accepts up to 2^64 - 1; parser/wafer.ts refuses with 400, and so does this.
    if (parseDecimal(value, MAX_SAFE) < 0) return 'cl-beyond-2^53';
  }
  return null;
}

// ---------------------------------------------------------------- Transfer-Encoding

/**
 * The rule a Transfer-Encoding list breaks: null when it is exactly `chunked` (possibly after
 * codings); chunked not last or twice (RFC 9112 §6.3 ¶4, §6.1) are 400s; a coding other than
 * chunked before it is a 501 (RFC 9112 §6.1: we decode none).
 */
function codingsRule(te: string): HeadRule | null {
  const codings = listItems(te);
  if (codings === null) return 'te-invalid'; // an unclosed quoted-string
  if (codings.length === 0) return 'te-empty';
  const last = codings.length - 1;
  // names are case-insensitive (§7)
  if (codings[last].toLowerCase() !== 'chunked') return 'te-final-not-chunked';
  let unknown = false;
  for (let i = 0; i < last; i++) {
    const item = codings[i];
    const semi = item.indexOf(';');
    const name = trimOws(semi === -1 ? item : item.slice(0, semi));
    if (!isToken(name)) return 'te-invalid';
    if (name.toLowerCase() === 'chunked') return 'te-chunked-twice'; // applied more than once (§6.1)
    unknown = true;
  }
  return unknown ? 'te-unknown-coding' : null;
}

/**
 * RFC 9110 §5.6.1: the elements of a #list, OWS around each trimmed and empty elements
 * dropped. Commas inside a quoted-string (a parameter value) do not split. null when a
 * quoted-string is not closed.
 */
export function listItems(value: string): string[] | null {
  const out: string[] = [];
  let start = 0;
  let quoted = false;
  for (let i = 0; i <= value.length; i++) {
    const c = i < value.length ? value.charCodeAt(i) : 44;
    if (quoted) {
      if (c === 92) i++; // quoted-pair: `\` escapes the next octet
      else if (c === 34) quoted = false;
      else if (i === value.length) return null;
      continue;
    }
    if (c === 34) quoted = true;
    else if (c === 44) {
      const item = trimOws(value.slice(start, i));
      if (item.length > 0) out.push(item);
      start = i + 1;
    }
  }
  return out;
}

// ---------------------------------------------------------------- request target

/**
 * RFC 9112 §3.2: origin-form for any method, absolute-form for any method, authority-form
 * only for CONNECT (and CONNECT only with it), asterisk-form only for OPTIONS. The parser has
 * already refused bytes no target may hold; this checks the form.
 */
export function isTargetFor(method: string, url: string): boolean {
  return targetRule(method, url, NO_CACHES) === null;
}

/** isTargetFor() naming the rule a refused target breaks. */
function targetRule(method: string, url: string, caches: ServerCaches): HeadRule | null {
  // §3.2.3: uri-host ":" port
  if (method === 'CONNECT') return isHostValue(url, false) ? null : 'target-connect';
  if (url === caches.originForm.passed) return null;
  if (url === '*') return method === 'OPTIONS' ? null : 'target-asterisk'; // §3.2.4
  // A fragment is never part of a request target (§3.2: origin-form is path ["?" query]).
  if (url.indexOf('#') !== -1) return 'target-fragment';
  if (url.charCodeAt(0) === 47) {
    caches.originForm.remember(url);
    return null; // origin-form: "/" …
  }
  if (url.charCodeAt(0) === 42) return 'target-asterisk'; // asterisk-form is `*` alone
  return absoluteFormRule(url);
}

/** §3.2.2 absolute-form `scheme://authority[/path][?query]`, without userinfo (RFC 9110 §4.2.4). */
function absoluteFormRule(url: string): HeadRule | null {
  const colon = url.indexOf('://');
  // Neither absolute-form nor any other this method may use (authority-form is CONNECT's).
  if (colon <= 0 || !isScheme(url.slice(0, colon))) return 'target-form';
  let end = colon + 3;
  while (end < url.length && url.charCodeAt(end) !== 47 && url.charCodeAt(end) !== 63) end++;
  const authority = url.slice(colon + 3, end);
  // RFC 9110 §4.2.1: an http(s) URI with an empty host MUST be rejected as invalid.
  if (authority.length === 0 || authority.charCodeAt(0) === 58) return 'target-absolute-empty-host';
  if (isHostValue(authority, true)) return null;
  return authority.indexOf('@') !== -1 ? 'target-absolute-userinfo' : 'target-absolute-host';
}

function isScheme(s: string): boolean {
  // RFC 3986 §3.1: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )
  if (!isAlpha(s.charCodeAt(0))) return false;
  for (let i = 1; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (!isAlpha(c) && !isDigit(c) && c !== 43 && c !== 45 && c !== 46) return false;
  }
  return true;
}

// ---------------------------------------------------------------- Host and authority

/**
 * `uri-host [":" port]` (RFC 9110 §7.2, RFC 3986 §3.2.2): an IP-literal in brackets or a
 * reg-name (unreserved, pct-encoded, sub-delims: no "@", so userinfo is refused). With
 * `portOptional` false (authority-form, RFC 9112 §3.2.3) the host and the port must both be
 * present. An empty value is a valid Host (RFC 9110 §7.2: a target without authority).
 */
export function isHostValue(v: string, portOptional: boolean): boolean {
  let i = 0;
  const n = v.length;
  if (n > 0 && v.charCodeAt(0) === 91) {
    const close = v.indexOf(']');
    if (close < 2) return false;
    for (let k = 1; k < close; k++) if (!isIpLiteralChar(v.charCodeAt(k))) return false;
    i = close + 1;
  } else {
    while (i < n) {
      const c = v.charCodeAt(i);
      if (c === 58) break;
      if (c === 37) {
        if (i + 2 >= n || !isHex(v.charCodeAt(i + 1)) || !isHex(v.charCodeAt(i + 2))) return false;
        i += 3;
        continue;
      }
      if (!isRegNameChar(c)) return false;
      i++;
    }
  }
  if (!portOptional && i === 0) return false;
  if (i === n) return portOptional;
  if (v.charCodeAt(i) !== 58) return false;
  const port = v.slice(i + 1);
  return port.length === 0 ? portOptional : isDigits(port);
}

// ---------------------------------------------------------------- byte classes

// 256-entry tables built once: bit 1 digit, 2 hex, 4 alpha, 8 reg-name (RFC 3986 unreserved
// and sub-delims), 16 tchar (RFC 9110 §5.6.2).
const DIGIT = 1, HEX = 2, ALPHA = 4, REG_NAME = 8, TCHAR = 16;
const CLASS = new Uint8Array(256);
for (let c = 48; c <= 57; c++) CLASS[c] |= DIGIT | HEX | REG_NAME | TCHAR;
for (let c = 65; c <= 90; c++) CLASS[c] |= ALPHA | REG_NAME | TCHAR | (c <= 70 ? HEX : 0);
for (let c = 97; c <= 122; c++) CLASS[c] |= ALPHA | REG_NAME | TCHAR | (c <= 102 ? HEX : 0);
for (const ch of "-._~!$&'()*+,;=") CLASS[ch.charCodeAt(0)] |= REG_NAME;
for (const ch of "!#$%&'*+-.^_`|~") CLASS[ch.charCodeAt(0)] |= TCHAR;

function is(c: number, cls: number): boolean {
  return c < 256 && (CLASS[c] & cls) !== 0;
}

function isAlpha(c: number): boolean {
  return is(c, ALPHA);
}

function isDigit(c: number): boolean {
  return is(c, DIGIT);
}

function isHex(c: number): boolean {
  return is(c, HEX);
}

function isDigits(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) if (!is(s.charCodeAt(i), DIGIT)) return false;
  return true;
}

function isRegNameChar(c: number): boolean {
  return is(c, REG_NAME);
}

/** Inside brackets: IPv6address or IPvFuture ("v" HEXDIG "." …), RFC 3986 §3.2.2. */
function isIpLiteralChar(c: number): boolean {
  return c === 58 || is(c, REG_NAME);
}

/** RFC 9110 §5.6.2 token. */
function isToken(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) if (!is(s.charCodeAt(i), TCHAR)) return false;
  return true;
}

/** Strip OWS (SP / HTAB, RFC 9110 §5.6.3) from both ends. */
function trimOws(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && (s.charCodeAt(a) === 32 || s.charCodeAt(a) === 9)) a++;
  while (b > a && (s.charCodeAt(b - 1) === 32 || s.charCodeAt(b - 1) === 9)) b--;
  return a === 0 && b === s.length ? s : s.slice(a, b);
}
