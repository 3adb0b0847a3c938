// The response a handler writes: it keeps what the handler sets (checked as it is set:
// lib/core/response-fields.ts, lib/core/response-input.ts), has the head rendered
// (lib/core/response-head.ts), frames the body to match it, and hands bytes to its
// ResponseSink — the connection — which decides when they may reach the socket (responses
// leave strictly in request order). No socket logic lives here.
import { Buffer } from 'node:buffer';
import type { ServerCaches } from './caches.js';
import { FieldValue, checkFieldValue, fieldKey, indexOfKey } from './response-fields.js';
import { flatten, renderHead, type HeadState } from './response-head.js';
import { bodyless, checkStatusCode, statusText } from './status.js';
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

/**
 * What the request tells a new Response about its answer (the constructor's `request`
 * argument, bits): it was HEAD, it spoke HTTP/1.0, the connection may carry another request.
 * RESPONSE_CLOSE: none of these (the engine's own answers, which close).
 */
export const RESPONSE_TO_HEAD = 1, RESPONSE_TO_HTTP10 = 2, RESPONSE_KEEP_ALIVE = 4, RESPONSE_CLOSE = 0;

const CHUNK_END = '\r\n';
const LAST_CHUNK = '0\r\n\r\n';

// The fields HeadState names are read, and some set, where the head is rendered
// (lib/core/response-head.ts): that is why they are public, not for handlers (WaferResponse).
export class Response implements WaferResponse, HeadState {
  statusCode = 200;
  /** The handler's reason phrase, as statusMessage sets it; '' for the code's default. */
  reasonPhrase = '';
  /** The handler's fields, flat (lib/core/response-fields.ts). */
  fields: HeaderValue[] | null = null;
  headersSent = false;
  writableEnded = false;
  /** May the connection carry another request after this one? Decided by the connection, narrowed here. */
  keepAlive: boolean;
  /** The request was HEAD: send the head, never a body (RFC 9110 §9.3.2). */
  readonly isHead: boolean;
  /** The client spoke HTTP/1.0: no chunked framing; keep-alive only when asked. */
  readonly http10: boolean;
  chunked = false;
  noBody = false;
  /** The handler's Content-Length (-1: none set). */
  declaredLength = -1;
  /** The handler's Transfer-Encoding. */
  teMode = Te.None;
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
    return this.reasonPhrase === '' ? statusText(this.statusCode) : this.reasonPhrase;
  }

  /** '' or undefined: the default phrase for the code. */
  set statusMessage(value: string) {
    if (value === undefined || value === '') {
      this.reasonPhrase = '';
      return;
    }
    if (typeof value !== 'string') {
      throw argTypeError('The "statusMessage" property', 'type string', value);
    }
    const kind = checkFieldValue(this.sink.caches.asciiValue, value);
    if (kind === FieldValue.Bad) throw invalidChar('statusMessage');
    if (kind === FieldValue.Wide) this.asciiHead = false;
    this.reasonPhrase = value;
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
    if (kind === FieldValue.Bad) throw invalidChar(`header content ["${name}"]`);
    if (kind === FieldValue.Wide) this.asciiHead = false;
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
      else if (key === 'transfer-encoding') this.teMode = Te.None;
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
    this.reasonPhrase = '';
    if (this.declaredLength >= 0) this.removeHeader('content-length');
    if (this.teMode !== Te.None) this.removeHeader('transfer-encoding');
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
      const head = renderHead(this, memo, length);
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
      // UTF-8 length equals its length is ASCII. Joined here, not by a helper: code inlined
      // into end() counts against V8's inlining budget for it.
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
    const head = renderHead(this, this.sink.caches.renderedHead, length);
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
    if (this.teMode !== Te.None && !this.http10) return -1;
    if (this.headersSent ? this.noBody : this.isHead || bodyless(this.statusCode)) return -1;
    const limit = this.declaredLength;
    const total = this.bodyBytes + length;
    if (total > limit || (last && total !== limit)) throw lengthMismatch(total, limit);
    return total;
  }
}
