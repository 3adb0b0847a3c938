// The response a handler writes. It renders the head (status line, Date, the handler's
// fields, Content-Length or chunked framing, Connection) and hands bytes to its
// ResponseSink — the connection — which decides when they may reach the socket (responses
// leave strictly in request order). No socket logic lives here.
import { Buffer } from 'node:buffer';
import { dateLine } from './date.js';
import type { FieldNameMemo, PassedString, ServerCaches } from './caches.js';
import { codedError } from './http-error.js';
import { bodyless, checkStatusCode, statusLine, statusText } from './status.js';
import type { WaferRequest, WaferResponse } from './types.js';
import {
  JSON_TYPE, Te, argTypeError, bodyBuffer, contentTypeFor, headersSentError, invalidChar,
  invalidValue, lengthMismatch, nullChunkError, parseLength, transferCoding, writeAfterEndError, type HeaderMap, type HeaderValue,
} from './response-input.js';

/** An access-logged response's clock (performance.now() at its request head) and bytes sent (head; body without chunk framing). */
export interface Meter {
  readonly start: number;
  head: number;
  body: number;
}

/** Where a response's bytes go. Implemented by Connection (lib/core/outbox.ts does the work). */
export interface ResponseSink {
  /**
   * Queue bytes of `res` for the wire; false when the writer should wait for drain(). `ascii`:
   * the string holds only code points below 0x80, so latin1 and UTF-8 encode it alike and the
   * cheaper one-byte copy may be used.
   */
  writeOut(res: Response, data: string | Buffer, ascii?: boolean): boolean;
  /** `res` is complete. */
  endOut(res: Response): void;
  /** Resolves when `res` may write again. */
  drainOut(res: Response): Promise<void>;
  /** The connection is gone. */
  isClosed(): boolean;
  /** The server's memos. */
  readonly caches: ServerCaches;
}

// RFC 9110 §5.1 field-name = token (§5.6.2).
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** A field name's lower-case form, once it is known to be a token. Header names a handler uses are few and repeat on every response. */
function fieldKey(memo: FieldNameMemo, name: string): string {
  if (name === memo.lastName) return memo.lastKey;
  const known = memo.lower.get(name);
  if (known !== undefined) {
    memo.rememberLast(name, known);
    return known;
  }
  if (typeof name !== 'string' || !TOKEN.test(name)) {
    throw codedError(TypeError, 'ERR_INVALID_HTTP_TOKEN', `Header name must be a valid HTTP token ["${String(name)}"]`);
  }
  const key = name.toLowerCase();
  memo.remember(name, key);
  return key;
}

const VALUE_BAD = 0, VALUE_ASCII = 1, VALUE_WIDE = 2;

/**
 * VALUE_BAD for a character a field value (RFC 9110 §5.5: HTAB, SP, VCHAR, obs-text) or a
 * reason phrase (RFC 9112 §4, the same set) cannot hold: a control character other than HTAB
 * (CR and LF would end the head or start a new field), DEL, or anything past U+00FF (no byte
 * for it) — what node:http refuses as ERR_INVALID_CHAR. VALUE_WIDE when some character is
 * obs-text (0x80..0xFF), else VALUE_ASCII.
 */
function checkFieldValue(memo: PassedString, value: string): number {
  if (value === memo.passed) return VALUE_ASCII;
  let wide = false;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if ((c < 0x20 && c !== 9) || c === 0x7f || c > 0xff) return VALUE_BAD;
    if (c > 0x7f) wide = true;
  }
  if (wide) return VALUE_WIDE;
  memo.remember(value);
  return VALUE_ASCII;
}

function indexOfKey(fields: HeaderValue[], key: string): number {
  for (let i = 0; i < fields.length; i += 3) if (fields[i] === key) return i;
  return -1;
}
/**
 * What the request tells a new Response about its answer (the constructor's `request`
 * argument, bits): it was HEAD, it spoke HTTP/1.0, the connection may carry another request.
 * RESPONSE_CLOSE: none of these (the engine's own answers, which close).
 */
export const RESPONSE_TO_HEAD = 1, RESPONSE_TO_HTTP10 = 2, RESPONSE_KEEP_ALIVE = 4, RESPONSE_CLOSE = 0;
// The rendered-head memo's inputs (the bits above) and outputs (lib/core/caches.ts RenderedHeadMemo).
const FLAG_HEAD = RESPONSE_TO_HEAD, FLAG_HTTP10 = RESPONSE_TO_HTTP10, FLAG_KEEPALIVE = RESPONSE_KEEP_ALIVE, FLAG_NOBODY = 8, FLAG_CHUNKED = 16;

/**
 * The same text as one flat string. A string built with + is a tree of its pieces, which
 * every write walks again (String::WriteToFlat); converting to a number makes V8 flatten it in
 * place, once (the result, NaN, is dropped).
 */
function flatten(s: string): string {
  void Number(s);
  return s;
}

function sameFields(a: HeaderValue[] | null, b: HeaderValue[] | null): boolean {
  if (a === b) return true;
  if (a === null || b === null || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Only string and number values may be remembered (an array could change afterwards). */
function memoizable(fields: HeaderValue[] | null): boolean {
  if (fields !== null) for (let i = 2; i < fields.length; i += 3) if (typeof fields[i] === 'object') return false;
  return true;
}

// The handler's framing (response-input.ts Te), under the names the rendering code uses.
const TE_NONE = Te.None, TE_CHUNKED = Te.Chunked, TE_OTHER = Te.Other;

const CHUNK_END = '\r\n';
const LAST_CHUNK = '0\r\n\r\n';

export class Response implements WaferResponse {
  statusCode = 200;
  private _statusMessage = '';
  /**
   * The handler's fields, flat: [key, name, value, key, name, value, …] with `key` lower-cased.
   * A handful of fields is searched faster in an array than in a dictionary-mode object, and
   * nothing is allocated until the first setHeader.
   */
  private fields: HeaderValue[] | null = null;
  headersSent = false;
  writableEnded = false;
  /** May the connection carry another request after this one? Decided by the connection, narrowed here. */
  keepAlive: boolean;
  /** The request was HEAD: send the head, never a body (RFC 9110 §9.3.2). */
  readonly isHead: boolean;
  /** The client spoke HTTP/1.0: no chunked framing; keep-alive only when asked. */
  readonly http10: boolean;
  private chunked = false;
  private noBody = false;
  /** The handler's Content-Length (-1: none set). */
  private declaredLength = -1;
  /** The handler's Transfer-Encoding: TE_NONE, TE_CHUNKED or TE_OTHER. */
  private teMode = TE_NONE;
  /** Body bytes written so far (counted only against a declaredLength). */
  private bodyBytes = 0;
  /** Every field value and the status message are ASCII (so is everything wafer adds). */
  private asciiHead = true;
  // The outbox's place in the response (lib/core/outbox.ts; not part of WaferResponse): output
  // held back while an earlier response on the connection is still being written.
  outboxHeld: (string | Buffer)[] | null = null;
  outboxHeldBytes = 0;
  /** The handler has been called (or the response is the engine's own): lib/core/dispatch.ts. */
  started = false;
  /** Access log (lib/core/access-log.ts): this response's clock and byte counts; null: not logged, nothing counted. */
  meter: Meter | null = null;
  readonly req: WaferRequest;
  private readonly sink: ResponseSink;

  /** `request`: RESPONSE_* bits. */
  constructor(req: WaferRequest, sink: ResponseSink, request: number) {
    this.req = req;
    this.sink = sink;
    this.keepAlive = (request & RESPONSE_KEEP_ALIVE) !== 0;
    this.isHead = (request & RESPONSE_TO_HEAD) !== 0;
    this.http10 = (request & RESPONSE_TO_HTTP10) !== 0;
  }

  get statusMessage(): string {
    return this._statusMessage === '' ? statusText(this.statusCode) : this._statusMessage;
  }

  /** '' or undefined: the default phrase for the code. */
  set statusMessage(value: string) {
    if (value === undefined || value === '') {
      this._statusMessage = '';
      return;
    }
    if (typeof value !== 'string') {
      throw argTypeError('The "statusMessage" property', 'type string', value);
    }
    const kind = checkFieldValue(this.sink.caches.asciiValue, value);
    if (kind === VALUE_BAD) throw invalidChar('statusMessage');
    if (kind === VALUE_WIDE) this.asciiHead = false;
    this._statusMessage = value;
  }

  setHeader(name: string, value: HeaderValue): this {
    if (this.headersSent) throw headersSentError();
    const key = fieldKey(this.sink.caches.fieldNames, name);
    if (typeof value === 'string') this.checkValue(name, value);
    else if (typeof value !== 'number') value = this.checkList(name, value);
    // The framing fields are read once here, so that what the body adds up to can be checked
    // against them as it is written.
    if (key === 'content-length') {
      const length = parseLength(value);
      if (length < 0) throw invalidValue(name, value);
      this.declaredLength = length;
    } else if (key === 'transfer-encoding') this.teMode = transferCoding(value);
    const fields = this.fields;
    if (fields === null) {
      this.fields = [key, name, value];
      return this;
    }
    const at = indexOfKey(fields, key);
    if (at === -1) fields.push(key, name, value);
    else {
      fields[at + 1] = name;
      fields[at + 2] = value;
    }
    return this;
  }

  private checkValue(name: string, value: string): void {
    const kind = checkFieldValue(this.sink.caches.asciiValue, value);
    if (kind === VALUE_BAD) throw invalidChar(`header content ["${name}"]`);
    if (kind === VALUE_WIDE) this.asciiHead = false;
  }

  /**
   * A list value, checked and copied: strings and numbers only (anything else would be
   * rendered by its own toString(), unchecked), and a copy, so that the caller changing its
   * array afterwards cannot put unchecked text into the head.
   */
  private checkList(name: string, value: unknown): string[] {
    if (!Array.isArray(value)) throw invalidValue(name, value);
    const list: string[] = new Array(value.length);
    for (let i = 0; i < value.length; i++) {
      const v: unknown = value[i];
      if (typeof v === 'string') this.checkValue(name, v);
      else if (typeof v !== 'number') throw invalidValue(name, v);
      list[i] = String(v);
    }
    return list;
  }

  getHeader(name: string): HeaderValue | undefined {
    const fields = this.fields;
    if (fields === null) return undefined;
    const at = indexOfKey(fields, name.toLowerCase());
    return at === -1 ? undefined : fields[at + 2];
  }

  hasHeader(name: string): boolean {
    return this.fields !== null && indexOfKey(this.fields, name.toLowerCase()) !== -1;
  }

  removeHeader(name: string): this {
    if (this.headersSent) throw headersSentError();
    const fields = this.fields;
    if (fields !== null) {
      const key = name.toLowerCase();
      const at = indexOfKey(fields, key);
      if (at !== -1) fields.splice(at, 3);
      if (key === 'content-length') this.declaredLength = -1;
      else if (key === 'transfer-encoding') this.teMode = TE_NONE;
    }
    return this;
  }

  /**
   * The engine answers in the handler's place (a 500 for a throw, a 4xx for an HttpError, the
   * connection's 400/408): what the handler set that frames or names a response would be wrong
   * for that answer (its Content-Length against another body, its chunked header over a
   * plain body), so it goes.
   */
  resetForEngineAnswer(): void {
    this._statusMessage = '';
    if (this.declaredLength >= 0) this.removeHeader('content-length');
    if (this.teMode !== TE_NONE) this.removeHeader('transfer-encoding');
    this.bodyBytes = 0;
  }

  /** The fields set so far, lower-cased names (for app helpers and tests). */
  getHeaders(): Record<string, HeaderValue> {
    const out: Record<string, HeaderValue> = {};
    const fields = this.fields;
    if (fields !== null) for (let i = 0; i < fields.length; i += 3) out[fields[i] as string] = fields[i + 2];
    return out;
  }

  /**
   * Set the status (and reason phrase, and fields) for the head, as node's
   * `writeHead(code[, reason][, headers])`. The head itself leaves with the first write() or
   * end(), so `res.writeHead(201).end(body)` still gets a Content-Length.
   */
  writeHead(statusCode: number, reason?: string | HeaderMap, headers?: HeaderMap): this {
    if (this.headersSent) throw headersSentError();
    checkStatusCode(statusCode);
    let fields = headers;
    if (typeof reason === 'string') this.statusMessage = reason;
    else if (reason !== undefined) fields = reason;
    this.statusCode = statusCode;
    if (fields !== undefined && fields !== null) {
      // node also takes a flat [name, value, …] list; here its indices would become field names.
      if (typeof fields !== 'object' || Array.isArray(fields)) {
        throw argTypeError('The "headers" argument', 'type object', fields);
      }
      for (const name of Object.keys(fields)) this.setHeader(name, fields[name]);
    }
    return this;
  }

  type(name: string): this {
    return this.setHeader('Content-Type', contentTypeFor(name));
  }

  json(value: unknown, statusCode?: number): void {
    if (statusCode !== undefined) checkStatusCode(statusCode);
    const text = JSON.stringify(value);
    if (statusCode !== undefined) this.statusCode = statusCode;
    if (this.fields === null || indexOfKey(this.fields, 'content-type') === -1) this.setHeader('Content-Type', JSON_TYPE);
    this.end(text);
  }

  redirect(location: string, statusCode = 302): void {
    checkStatusCode(statusCode);
    this.setHeader('Location', location);
    this.statusCode = statusCode;
    this.end();
  }

  drain(): Promise<void> {
    return this.sink.drainOut(this);
  }

  get destroyed(): boolean {
    return this.sink.isClosed();
  }

  /**
   * Everything is checked before anything is queued: a refused chunk (or a status code refused
   * with the head) throws into the handler while the client can still get a 500.
   */
  write(chunk: string | Buffer | Uint8Array): boolean {
    if (this.writableEnded) throw writeAfterEndError();
    let data: string | Buffer;
    if (typeof chunk === 'string') data = chunk;
    else if (chunk === null) throw nullChunkError();
    else data = bodyBuffer(chunk);
    const length = typeof data === 'string' ? Buffer.byteLength(data) : data.length;
    // Counted only once the head is out: a head refused (its status code) leaves no count behind.
    const counted = this.declaredLength >= 0 ? this.countBody(length, false) : -1;
    if (!this.headersSent) this.sendHead(-1);
    if (counted >= 0) this.bodyBytes = counted;
    if (this.noBody) return true;
    // An empty chunk would read as the last-chunk marker (RFC 9112 §7.1).
    if (length === 0) return true;
    if (this.meter !== null) this.meter.body += length;
    if (!this.chunked) return this.sink.writeOut(this, data);
    this.sink.writeOut(this, length.toString(16) + '\r\n');
    this.sink.writeOut(this, data);
    return this.sink.writeOut(this, CHUNK_END);
  }

  /** null, like undefined, ends without a last piece (as in node). */
  end(body?: string | Buffer | Uint8Array | null): void {
    if (this.writableEnded) return;
    if (body !== undefined && typeof body !== 'string') body = body === null ? undefined : bodyBuffer(body);
    if (!this.headersSent) {
      const memo = this.sink.caches.renderedHead;
      const length = body === undefined ? 0 : typeof body === 'string' ? (body === memo.body ? memo.bodyLength : Buffer.byteLength(body)) : body.length;
      if (this.declaredLength >= 0) this.countBody(length, true);
      const head = this.renderHead(length);
      this.writableEnded = true;
      if (this.meter !== null) this.countSent(this.meter, head, this.noBody ? 0 : length);
      if (this.chunked) {
        // The handler's own Transfer-Encoding: chunked; the engine frames the body under it.
        this.sink.writeOut(this, head, this.asciiHead);
        if (length > 0) {
          this.sink.writeOut(this, length.toString(16) + '\r\n');
          this.sink.writeOut(this, body as string | Buffer);
          this.sink.writeOut(this, CHUNK_END);
        }
        this.sink.writeOut(this, LAST_CHUNK);
      }
      else if (this.noBody || length === 0) this.sink.writeOut(this, head, this.asciiHead);
      // One string for head + text body: one write, one copy into the socket. A body whose
      // UTF-8 length equals its length is ASCII.
      else if (typeof body === 'string') {
        let whole: string;
        if (head === memo.head && body === memo.body) {
          // Answered a second time: make it one flat string, so the batches it goes into are
          // not walked through its concatenation tree again on every write.
          if (!memo.flat) {
            memo.whole = flatten(memo.whole);
            memo.flat = true;
          }
          whole = memo.whole;
        }
        else {
          whole = head + body;
          if (head === memo.head && body.length <= 4096 && memo.enabled) {
            memo.body = body;
            memo.bodyLength = length;
            memo.whole = whole;
            memo.flat = false;
          }
        }
        this.sink.writeOut(this, whole, this.asciiHead && length === body.length);
      }
      else {
        this.sink.writeOut(this, head, this.asciiHead);
        this.sink.writeOut(this, body as Buffer);
      }
    } else {
      const length = body === undefined ? 0 : typeof body === 'string' ? Buffer.byteLength(body) : body.length;
      if (this.declaredLength >= 0) this.countBody(length, true);
      this.writableEnded = true;
      if (this.meter !== null && !this.noBody) this.meter.body += length;
      if (!this.noBody) {
        if (length > 0) {
          if (this.chunked) {
            this.sink.writeOut(this, length.toString(16) + '\r\n');
            this.sink.writeOut(this, body as string | Buffer);
            this.sink.writeOut(this, CHUNK_END);
          } else this.sink.writeOut(this, body as string | Buffer);
        }
        if (this.chunked) this.sink.writeOut(this, LAST_CHUNK);
      }
    }
    this.sink.endOut(this);
  }

  private sendHead(length: number): void {
    const head = this.renderHead(length);
    if (this.meter !== null) this.countSent(this.meter, head, 0);
    this.sink.writeOut(this, head, this.asciiHead);
  }

  /** Access log only: the head's bytes as written (UTF-8 unless ASCII) and `body` more body bytes. */
  private countSent(meter: Meter, head: string, body: number): void {
    meter.head = this.asciiHead ? head.length : Buffer.byteLength(head);
    meter.body += body;
  }

  /**
   * `length` more body bytes (`last`: and no more) against the handler's Content-Length, when
   * that is what frames this body: the new total, or -1 when the body is not counted. Past
   * the declared length, the surplus would be read as the start of the next response; short of
   * it at the end, the next response as the rest of this body. Either way node's
   * ERR_HTTP_CONTENT_LENGTH_MISMATCH is thrown before a byte is queued: into the handler, which
   * gets a 500 if the head has not left, else a cut connection.
   */
  private countBody(length: number, last: boolean): number {
    // Transfer-Encoding frames the body instead (the Content-Length is not sent beside it,
    // RFC 9112 §6.2), except to HTTP/1.0, which gets no Transfer-Encoding.
    if (this.teMode !== TE_NONE && !this.http10) return -1;
    if (this.headersSent ? this.noBody : this.isHead || bodyless(this.statusCode)) return -1;
    const limit = this.declaredLength;
    const total = this.bodyBytes + length;
    if (total > limit || (last && total !== limit)) throw lengthMismatch(total, limit);
    return total;
  }

  /**
   * The head for a body of `length` bytes (-1: unknown — chunked on HTTP/1.1, close-delimited
   * on HTTP/1.0, RFC 9112 §6.3).
   */
  private renderHead(length: number): string {
    const code = this.statusCode;
    const input = (this.isHead ? FLAG_HEAD : 0) | (this.http10 ? FLAG_HTTP10 : 0) | (this.keepAlive ? FLAG_KEEPALIVE : 0);
    const date = dateLine();
    const memo = this.sink.caches.renderedHead;
    if (this._statusMessage === '' && code === memo.code && length === memo.length && input === memo.input &&
      date === memo.date && sameFields(this.fields, memo.fields)) {
      const out = memo.output;
      this.noBody = (out & FLAG_NOBODY) !== 0;
      this.chunked = (out & FLAG_CHUNKED) !== 0;
      this.keepAlive = (out & FLAG_KEEPALIVE) !== 0;
      this.headersSent = true;
      return memo.head;
    }
    // Before headersSent is set (the memo only ever holds a valid code): the handler sees the
    // throw and the client still gets a 500.
    checkStatusCode(code);
    const head = this.render(code, length, date);
    this.headersSent = true;
    if (this._statusMessage === '' && memo.enabled && memoizable(this.fields)) {
      memo.code = code;
      memo.length = length;
      memo.input = input;
      memo.date = date;
      memo.fields = this.fields;
      memo.head = head;
      memo.output = (this.noBody ? FLAG_NOBODY : 0) | (this.chunked ? FLAG_CHUNKED : 0) | (this.keepAlive ? FLAG_KEEPALIVE : 0);
      memo.body = '';
      memo.bodyLength = 0;
      memo.whole = '';
      memo.flat = true;
    }
    return head;
  }

  private render(code: number, length: number, date: string): string {
    let head = this._statusMessage === '' ? statusLine(code) : `HTTP/1.1 ${code} ${this._statusMessage}\r\n`;
    const fields = this.fields;
    // RFC 9110 §8.6 / RFC 9112 §6.1: no Content-Length or Transfer-Encoding in a 1xx or 204; no
    // Transfer-Encoding to an HTTP/1.0 client (it gets Content-Length or a close-delimited body).
    const noFraming = code < 200 || code === 204;
    const te = noFraming || this.http10 ? TE_NONE : this.teMode;
    if (fields !== null) {
      if (indexOfKey(fields, 'date') === -1) head += date;
      for (let i = 0; i < fields.length; i += 3) {
        const key = fields[i] as string;
        const value = fields[i + 2];
        if (key === 'content-length') {
          // RFC 9112 §6.2: not beside a Transfer-Encoding.
          if (noFraming || te !== TE_NONE) continue;
        } else if (key === 'transfer-encoding') {
          if (te === TE_NONE) continue;
        } else if (key === 'connection') {
          // The handler may ask to close; it may not keep open what the connection must close.
          if (/\bclose\b/i.test(String(value))) this.keepAlive = false;
          continue;
        }
        const name = fields[i + 1] as string;
        if (typeof value === 'object') for (const v of value) head += name + ': ' + v + '\r\n';
        else head += name + ': ' + value + '\r\n';
      }
    } else head += date;
    if (bodyless(code)) {
      this.noBody = true;
    } else {
      if (this.isHead) this.noBody = true;
      // The handler's framing, else the engine's. Whichever it is, the engine writes the body
      // to match it: chunks under chunked, bytes counted against a Content-Length.
      if (te === TE_CHUNKED) this.chunked = !this.isHead;
      // RFC 9112 §6.3: a response whose last coding is not chunked ends with the connection.
      else if (te === TE_OTHER) this.keepAlive = false;
      else if (this.declaredLength >= 0) {
        // sent as the handler set it
      } else if (length >= 0) head += 'Content-Length: ' + length + '\r\n';
      else if (this.http10) this.keepAlive = false; // close-delimited body
      else {
        this.chunked = !this.isHead;
        head += 'Transfer-Encoding: chunked\r\n';
      }
    }
    if (!this.keepAlive) head += 'Connection: close\r\n\r\n';
    else if (this.http10) head += 'Connection: keep-alive\r\n\r\n';
    else head += '\r\n';
    return head;
  }
}
