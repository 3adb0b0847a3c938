// The engine's memos of the request and response path, one object per server. Each remembers
// the last input a check or a computation was made for, because keep-alive clients send the
// same Host, target and header names request after request and handlers set the same headers
// on every response. A Server makes one ServerCaches; its connections, requests and responses
// reach it through the connection (Connection.caches), so no entry is shared between two
// servers in one process. The parser's own memos live in parser/head-memo.ts, per parser.
//
// Every memo only ever answers what the uncached code would answer for the same input:
// `listen(handler, { caches: false })` turns them all off (a testing and diagnostic switch;
// test/cache-equivalence.test.ts compares the bytes answered both ways), and an object turns
// single ones off (bench/inproc-varied.js measures each: docs/performance.md).
import type { CacheName, CacheSwitch } from './types.js';

/** A header value as Response keeps it. */
type HeaderValue = string | number | readonly string[];

export const CACHE_NAMES: readonly CacheName[] = ['repeatHead', 'shortStrings', 'host', 'originForm', 'fieldNames', 'asciiValue', 'renderedHead'];

/** Whether memo `name` is on under `option`. */
export function cacheOn(option: CacheSwitch | undefined, name: CacheName): boolean {
  if (option === undefined || option === true) return true;
  if (option === false) return false;
  return option[name] !== false;
}

/** Checks `option` (a TypeError names what is wrong). */
export function checkCacheSwitch(option: unknown): void {
  if (option === undefined || typeof option === 'boolean') return;
  if (option === null || typeof option !== 'object') throw new TypeError(`caches: expected a boolean or an object, got ${String(option)}`);
  for (const [key, value] of Object.entries(option)) {
    if (!(CACHE_NAMES as readonly string[]).includes(key)) throw new TypeError(`caches: unknown cache '${key}' (expected one of ${CACHE_NAMES.join(', ')})`);
    if (typeof value !== 'boolean') throw new TypeError(`caches.${key}: expected a boolean`);
  }
}

/**
 * Held by a memo that remembers nothing yet (or is off): no input is === to it, not even one a
 * handler passes by mistake (null, undefined, '').
 */
const UNSET: unique symbol = Symbol('unset');

/** One remembered string that passed a check. Invariant: `passed` is UNSET or passed it. */
export class PassedString {
  passed: string | typeof UNSET = UNSET;
  constructor(readonly enabled: boolean) {}

  remember(value: string): void {
    if (this.enabled) this.passed = value;
  }
}

/**
 * Header names a handler set, each checked against the token grammar once. Invariant: every
 * key of `lower` is a valid field name and maps to its lower-case form, and so does
 * `lastName` to `lastKey`. Bounded, so hostile names cannot grow it without limit.
 */
export class FieldNameMemo {
  static readonly MAX = 512;
  readonly lower = new Map<string, string>();
  lastName: string | typeof UNSET = UNSET;
  lastKey = '';
  constructor(readonly enabled: boolean) {}

  remember(name: string, key: string): void {
    if (this.enabled && this.lower.size < FieldNameMemo.MAX) this.lower.set(name, key);
  }

  rememberLast(name: string, key: string): void {
    if (!this.enabled) return;
    this.lastName = name;
    this.lastKey = key;
  }
}

/**
 * The last response head rendered, for a server that answers most requests with the same
 * status, header strings and Date second: rendered once and reused (and head + a short text
 * body). Invariant: `head` is what response-head.ts render() makes of `code`, `length`, `input`, `date`
 * and `fields` (compared by value, === on the strings; array values are never remembered), and
 * rendering it left `output`; `whole` is `head` + `body`. `length` -2 (no body length is ever
 * -2) stands for nothing remembered.
 */
export class RenderedHeadMemo {
  code = 0;
  length = -2;
  date = '';
  /** isHead/http10/keepAlive on the way in (response-head.ts FLAG_* bits). */
  input = 0;
  fields: HeaderValue[] | null = null;
  head = '';
  /** noBody/chunked/keepAlive as rendering left them. */
  output = 0;
  body = '';
  /** The body's length in bytes. */
  bodyLength = 0;
  whole = '';
  /** `whole` has been flattened. */
  flat = true;
  constructor(readonly enabled: boolean) {}
}

export class ServerCaches {
  /** The last Host field value that passed isHostValue() (a string compare is cheaper than the check). */
  readonly host: PassedString;
  /** The last origin-form target that passed targetRule() (clients ask for the same path again and again). */
  readonly originForm: PassedString;
  readonly fieldNames: FieldNameMemo;
  /** The last field value or reason phrase found all ASCII (handlers set the same constant strings on every response). */
  readonly asciiValue: PassedString;
  readonly renderedHead: RenderedHeadMemo;

  constructor(option?: CacheSwitch) {
    this.host = new PassedString(cacheOn(option, 'host'));
    this.originForm = new PassedString(cacheOn(option, 'originForm'));
    this.fieldNames = new FieldNameMemo(cacheOn(option, 'fieldNames'));
    this.asciiValue = new PassedString(cacheOn(option, 'asciiValue'));
    this.renderedHead = new RenderedHeadMemo(cacheOn(option, 'renderedHead'));
  }
}

/** All off: for validateHead() called on its own (tests, tools), which then remembers nothing. */
export const NO_CACHES: ServerCaches = new ServerCaches({ host: false, originForm: false, fieldNames: false, asciiValue: false, renderedHead: false });
