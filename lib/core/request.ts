// The request a handler sees. Built from the parser's RequestHead; header names are only
// lower-cased and joined when someone reads `headers`. In streaming mode the body arrives
// through push()/finish() and is read with `for await (const chunk of req)`.
import { Buffer } from 'node:buffer';
import type { RequestHead } from '../../parser/types.js';
import type { HeadFields } from '../../parser/head-fields.js';
import type { WaferRequest } from './types.js';
import { sameName } from './validate.js';
import { clientAddress, forwardedProtocol, type ProxyTrust } from './proxy.js';

const EMPTY = Buffer.alloc(0);

/**
 * Why a streamed body stopped before its end (what reading `req` rejects with). Not an
 * HttpError: the engine has answered already, or nobody is left to answer.
 *   WAFER_BODY_CUT_SHORT — the client sent FIN inside the body;
 *   WAFER_CONNECTION_CLOSED — the connection closed (reset, timeout, server close);
 *   WAFER_REQUEST_FAILED — the engine refused the rest of the request (`answered`, e.g. 413).
 */
export class RequestBodyError extends Error {
  readonly code: 'WAFER_BODY_CUT_SHORT' | 'WAFER_CONNECTION_CLOSED' | 'WAFER_REQUEST_FAILED';
  /** WAFER_REQUEST_FAILED: the status the engine answered with; else 0. */
  readonly answered: number;

  constructor(code: RequestBodyError['code'], answered = 0) {
    super(code === 'WAFER_BODY_CUT_SHORT' ? 'request body cut short'
      : code === 'WAFER_CONNECTION_CLOSED' ? 'connection closed' : `request failed with ${answered}`);
    this.name = 'RequestBodyError';
    this.code = code;
    this.answered = answered;
  }
}

/** What a streaming body needs from its connection: more bytes, please. */
export interface BodySource {
  resumeBody(): void;
  remoteAddress(): string | undefined;
  /** The server's trustProxy (req.ip, req.protocol). */
  proxyTrust(): ProxyTrust | null;
  /** The connection's socket (a tls.TLSSocket has `encrypted`). */
  readonly socket: object;
}

export class Request implements WaferRequest {
  method: string;
  url: string;
  httpVersion: string;
  body: Buffer = EMPTY;
  private _params: Record<string, string> | null = null;
  private _headers: Record<string, string | string[] | undefined> | null = null;
  /** The head's fields: rawHeaders made from them on first read (parser/head-fields.ts), or given. */
  private fields: HeadFields | null;
  private _rawHeaders: string[] | null;
  private readonly source: BodySource;
  /** The body arrives through push()/finish() instead of `body`. */
  streaming = false;
  // Streaming mode only (allocated lazily).
  private chunks: Buffer[] | null = null;
  /** Bytes pushed and not yet taken by the reader. */
  buffered = 0;
  private bodyEnded = false;
  private bodyError: Error | null = null;
  private wake: (() => void) | null = null;
  /** When the request was complete (the server's coarse clock, ms); 0 while it is still arriving. */
  completeAt = 0;
  /** Bytes of the server's maxBodyBytes budget this request's body holds (returned when its response ends). */
  bodyReserved = 0;
  // req.signal: the controller is made only when a handler reads it; an abort before that is
  // remembered as its reason.
  private controller: AbortController | null = null;
  private abortReason: unknown = null;

  constructor(head: RequestHead, source: BodySource) {
    this.method = head.method;
    this.url = head.url;
    const fields = head.fields;
    this.fields = fields ?? null;
    this._rawHeaders = fields === undefined ? head.rawHeaders : null;
    // Constants for the versions served (no string built per request).
    this.httpVersion = head.versionMajor === 1 ? (head.versionMinor === 1 ? '1.1' : head.versionMinor === 0 ? '1.0' : `1.${head.versionMinor}`) : `${head.versionMajor}.${head.versionMinor}`;
    this.source = source;
  }

  /** Route parameters; the object is made on first use (most requests never need one). */
  get params(): Record<string, string> {
    if (this._params === null) this._params = {};
    return this._params;
  }

  set params(value: Record<string, string>) {
    this._params = value;
  }

  get path(): string {
    const url = this.url;
    const q = url.indexOf('?');
    return q === -1 ? url : url.slice(0, q);
  }

  get query(): string {
    const q = this.url.indexOf('?');
    return q === -1 ? '' : this.url.slice(q + 1);
  }

  get remoteAddress(): string | undefined {
    return this.source.remoteAddress();
  }

  /** The client's address: the peer's, or with trustProxy what trusted proxies report (lib/core/proxy.ts). */
  get ip(): string | undefined {
    const source = this.source;
    const trust = source.proxyTrust();
    const peer = source.remoteAddress();
    return trust === null ? peer : clientAddress(this.rawHeaders, peer, trust);
  }

  /** 'https' on a TLS connection, else what a trusted proxy reports, else 'http'. */
  get protocol(): 'http' | 'https' {
    const source = this.source;
    if ((source.socket as { encrypted?: boolean }).encrypted === true) return 'https';
    const trust = source.proxyTrust();
    return trust === null ? 'http' : forwardedProtocol(this.rawHeaders, source.remoteAddress(), trust);
  }

  /** Header fields as sent, flat: [name, value, …] (made on first read when the parser kept one string). */
  get rawHeaders(): string[] {
    let raw = this._rawHeaders;
    if (raw === null) raw = this._rawHeaders = (this.fields as HeadFields).raw();
    return raw;
  }

  set rawHeaders(value: string[]) {
    this._rawHeaders = value;
    this.fields = null;
  }

  get headers(): Record<string, string | string[] | undefined> {
    if (this._headers === null) {
      const raw = this._rawHeaders;
      this._headers = raw !== null ? buildHeaders(raw) : fieldsToHeaders(this.fields as HeadFields);
    }
    return this._headers;
  }

  set headers(value: Record<string, string | string[] | undefined>) {
    this._headers = value;
  }

  /** The first value of a header, case-insensitive, without building the whole object. */
  header(name: string): string | undefined {
    const want = name.toLowerCase();
    const raw = this._rawHeaders;
    if (raw === null) {
      const fields = this.fields as HeadFields;
      for (let i = 0; i < fields.count; i++) if (fields.nameIs(i, want)) return fields.value(i);
      return undefined;
    }
    for (let i = 0; i < raw.length; i += 2) {
      if (sameName(raw[i], want)) return raw[i + 1];
    }
    return undefined;
  }

  get signal(): AbortSignal {
    let controller = this.controller;
    if (controller === null) {
      controller = this.controller = new AbortController();
      if (this.abortReason !== null) controller.abort(this.abortReason);
    }
    return controller.signal;
  }

  /** The answer will never reach the client (it left, or the handler timed out): abort req.signal, once. */
  abort(reason: unknown): void {
    if (this.abortReason !== null) return;
    this.abortReason = reason;
    if (this.controller !== null) this.controller.abort(reason);
  }

  // ---- streaming body (connection side) ----

  /** A body chunk that the connection has already copied out of its read buffer. */
  push(chunk: Buffer): void {
    if (this.chunks === null) this.chunks = [];
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    this.notify();
  }

  /** The body is complete (err: it was cut short). */
  finish(err: Error | null): void {
    if (this.bodyEnded) return;
    this.bodyEnded = true;
    this.bodyError = err;
    this.notify();
  }

  private notify(): void {
    const w = this.wake;
    if (w !== null) {
      this.wake = null;
      w();
    }
  }

  // ---- streaming body (handler side) ----

  async *[Symbol.asyncIterator](): AsyncIterator<Buffer> {
    // Buffered mode: the whole body is already here.
    if (!this.streaming) {
      if (this.body.length > 0) yield this.body;
      return;
    }
    for (;;) {
      const chunks = this.chunks;
      if (chunks !== null && chunks.length > 0) {
        const chunk = chunks.shift() as Buffer;
        this.buffered -= chunk.length;
        this.source.resumeBody();
        yield chunk;
        continue;
      }
      if (this.bodyError !== null) throw this.bodyError;
      if (this.bodyEnded) return;
      this.source.resumeBody();
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
    }
  }
}

/**
 * Lower-cased names; repeated fields joined with ', ' (RFC 9110 §5.3), `cookie` pairs with
 * '; ' (RFC 6265 §5.4), `set-cookie` kept as an array (RFC 9110 §5.3 names it the exception).
 */
export function buildHeaders(raw: string[]): Record<string, string | string[] | undefined> {
  const out = new HeaderObject() as Record<string, string | string[] | undefined>;
  for (let i = 0; i < raw.length; i += 2) addHeader(out, lowerName(raw[i]), raw[i + 1]);
  return out;
}

/** buildHeaders() straight from a head's fields (no rawHeaders array made on the way). */
export function fieldsToHeaders(fields: HeadFields): Record<string, string | string[] | undefined> {
  const out = new HeaderObject() as Record<string, string | string[] | undefined>;
  for (let i = 0; i < fields.count; i++) addHeader(out, lowerName(fields.name(i)), fields.value(i));
  return out;
}

/**
 * req.headers' class: its prototype is an empty object without a prototype, so no name a client
 * sends (`__proto__`, `constructor`, `toString`) meets anything inherited, as with
 * Object.create(null) — and V8 keeps its properties in fast mode (an object made by
 * Object.create(null) starts as a hash table). Node's querystring.parse does the same.
 */
const HeaderObject = function HeaderObject(): void {} as unknown as new () => object;
HeaderObject.prototype = Object.create(null);

function addHeader(out: Record<string, string | string[] | undefined>, name: string, value: string): void {
  const prev = out[name];
  if (name === 'set-cookie') {
    if (prev === undefined) out[name] = [value];
    else (prev as string[]).push(value);
  } else if (prev === undefined) out[name] = value;
  else out[name] = prev + (name === 'cookie' ? '; ' : ', ') + value;
}

/**
 * The common request field names, as browsers, curl and proxies spell them, to their lower
 * case: one lookup instead of toLowerCase() making a new string for every mixed-case name of
 * every request. Any other name is lower-cased.
 */
const LOWER_NAMES = new Map<string, string>();
for (const name of ['Host', 'User-Agent', 'Accept', 'Accept-Language', 'Accept-Encoding', 'Accept-Charset', 'Cookie',
  'Connection', 'Content-Type', 'Content-Length', 'Transfer-Encoding', 'Authorization', 'Cache-Control', 'Pragma',
  'Referer', 'Origin', 'Upgrade', 'Upgrade-Insecure-Requests', 'If-None-Match', 'If-Modified-Since', 'Range',
  'Expect', 'DNT', 'TE', 'Priority', 'X-Request-Id', 'X-Requested-With', 'X-Forwarded-For', 'X-Forwarded-Proto',
  'X-Forwarded-Host', 'X-Real-IP', 'Forwarded', 'Via', 'Sec-Fetch-Dest', 'Sec-Fetch-Mode', 'Sec-Fetch-Site',
  'Sec-Fetch-User', 'Sec-CH-UA', 'Sec-CH-UA-Mobile', 'Sec-CH-UA-Platform', 'Sec-WebSocket-Key',
  'Sec-WebSocket-Version', 'Sec-WebSocket-Extensions', 'Sec-WebSocket-Protocol']) {
  const lower = name.toLowerCase();
  LOWER_NAMES.set(name, lower);
  LOWER_NAMES.set(lower, lower);
}

function lowerName(name: string): string {
  return LOWER_NAMES.get(name) ?? name.toLowerCase();
}
