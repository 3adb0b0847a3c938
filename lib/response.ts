// The response a handler writes. It renders the head (status line, Date, the handler's
// fields, Content-Length or chunked framing, Connection) and hands bytes to its
// ResponseSink — the connection — which decides when they may reach the socket (responses
// leave strictly in request order). No socket logic lives here.
import { Buffer } from 'node:buffer';
import { dateLine } from './date.js';
import { bodyless, statusLine, statusText } from './status.js';
import type { WaferRequest, WaferResponse } from './types.js';

type HeaderValue = string | number | readonly string[];

/** Where a response's bytes go. Implemented by Connection. */
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
  readonly closed: boolean;
}

// RFC 9110 §5.1 field-name = token; §5.5 field values must not carry CR, LF or NUL
// (header injection / response splitting).
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

const TYPES: Readonly<Record<string, string>> = {
  html: 'text/html; charset=utf-8', htm: 'text/html; charset=utf-8',
  txt: 'text/plain; charset=utf-8', text: 'text/plain; charset=utf-8',
  json: 'application/json; charset=utf-8', js: 'text/javascript; charset=utf-8',
  mjs: 'text/javascript; charset=utf-8', css: 'text/css; charset=utf-8',
  xml: 'application/xml; charset=utf-8', svg: 'image/svg+xml', png: 'image/png',
  jpg: 'image/jpeg', jpeg: 'image/jpeg', gif: 'image/gif', webp: 'image/webp',
  ico: 'image/x-icon', wasm: 'application/wasm', pdf: 'application/pdf',
  bin: 'application/octet-stream', form: 'application/x-www-form-urlencoded',
};

const JSON_TYPE = 'application/json; charset=utf-8';

// Header names a handler uses are few and repeat on every request: each is checked against
// the token grammar once and its lower-case form remembered (up to a bound, so hostile names
// cannot grow the cache without limit).
const KEYS = new Map<string, string>();
const MAX_KEYS = 512;

let lastName = '';
let lastKey = '';

function fieldKey(name: string): string {
  if (name === lastName) return lastKey;
  const known = KEYS.get(name);
  if (known !== undefined) {
    lastName = name;
    lastKey = known;
    return known;
  }
  if (!TOKEN.test(name)) throw new TypeError(`invalid header name: ${JSON.stringify(name)}`);
  const key = name.toLowerCase();
  if (KEYS.size < MAX_KEYS) KEYS.set(name, key);
  return key;
}

const VALUE_BAD = 0, VALUE_ASCII = 1, VALUE_WIDE = 2;
// The last value checked: handlers set the same constant strings on every request.
let lastAsciiValue = '';

/**
 * VALUE_BAD for CR, LF or NUL (RFC 9110 §5.5: a field value can never end the head or start a
 * new field), VALUE_WIDE when some character is past 0x7F, else VALUE_ASCII.
 */
function checkFieldValue(value: string): number {
  if (value === lastAsciiValue) return VALUE_ASCII;
  let wide = false;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 13 || c === 10 || c === 0) return VALUE_BAD;
    if (c > 0x7f) wide = true;
  }
  if (wide) return VALUE_WIDE;
  lastAsciiValue = value;
  return VALUE_ASCII;
}

function indexOfKey(fields: HeaderValue[], key: string): number {
  for (let i = 0; i < fields.length; i += 3) if (fields[i] === key) return i;
  return -1;
}
// A one-entry memo of the last head rendered: a server answers most requests with the same
// status, the same header strings and the same Date second, so the head (and head + text body)
// is rendered once and reused — no string building or flattening per response. Inputs are
// compared by value (=== on the strings); array values are never memoized.
const FLAG_HEAD = 1, FLAG_HTTP10 = 2, FLAG_KEEPALIVE = 4, FLAG_NOBODY = 8, FLAG_CHUNKED = 16;
const memo = {
  code: 0,
  length: -2,
  date: '',
  /** isHead/http10/keepAlive on the way in. */
  input: 0,
  fields: null as HeaderValue[] | null,
  head: '',
  /** noBody/chunked/keepAlive as rendering left them. */
  output: 0,
  body: '',
  /** The body's length in bytes. */
  bodyLength: 0,
  whole: '',
  /** `whole` has been flattened. */
  flat: true,
};

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
  /** Every field value and the status message are ASCII (so is everything wafer adds). */
  private asciiHead = true;
  // Output held by the connection while an earlier response is still being written.
  pending: (string | Buffer)[] | null = null;
  pendingBytes = 0;
  /** The handler has been called (or the response is the engine's own). */
  started = false;
  readonly req: WaferRequest;
  private readonly sink: ResponseSink;

  constructor(req: WaferRequest, sink: ResponseSink, keepAlive: boolean, isHead: boolean, http10: boolean) {
    this.req = req;
    this.sink = sink;
    this.keepAlive = keepAlive;
    this.isHead = isHead;
    this.http10 = http10;
  }

  get statusMessage(): string {
    return this._statusMessage === '' ? statusText(this.statusCode) : this._statusMessage;
  }

  set statusMessage(value: string) {
    const kind = checkFieldValue(value);
    if (kind === VALUE_BAD) throw new TypeError('invalid status message');
    if (kind === VALUE_WIDE) this.asciiHead = false;
    this._statusMessage = value;
  }

  setHeader(name: string, value: HeaderValue): this {
    if (this.headersSent) throw new Error('cannot set headers after they are sent');
    const key = fieldKey(name);
    if (typeof value === 'string') this.checkValue(name, value);
    else if (typeof value !== 'number') for (const v of value) this.checkValue(name, v);
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
    const kind = checkFieldValue(value);
    if (kind === VALUE_BAD) throw new TypeError(`invalid value for header ${name}`);
    if (kind === VALUE_WIDE) this.asciiHead = false;
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
    if (this.headersSent) throw new Error('cannot remove headers after they are sent');
    const fields = this.fields;
    if (fields !== null) {
      const at = indexOfKey(fields, name.toLowerCase());
      if (at !== -1) fields.splice(at, 3);
    }
    return this;
  }

  /** The fields set so far, lower-cased names (for app helpers and tests). */
  getHeaders(): Record<string, HeaderValue> {
    const out: Record<string, HeaderValue> = {};
    const fields = this.fields;
    if (fields !== null) for (let i = 0; i < fields.length; i += 3) out[fields[i] as string] = fields[i + 2];
    return out;
  }

  /**
   * Set the status (and fields) for the head. The head itself leaves with the first write()
   * or end(), so `res.writeHead(201).end(body)` still gets a Content-Length.
   */
  writeHead(statusCode: number, headers?: Record<string, HeaderValue>): this {
    if (this.headersSent) throw new Error('headers already sent');
    this.statusCode = statusCode;
    if (headers !== undefined) for (const name of Object.keys(headers)) this.setHeader(name, headers[name]);
    return this;
  }

  type(name: string): this {
    const key = name.charCodeAt(0) === 46 ? name.slice(1) : name;
    return this.setHeader('Content-Type', TYPES[key.toLowerCase()] ?? name);
  }

  json(value: unknown, statusCode?: number): void {
    if (statusCode !== undefined) this.statusCode = statusCode;
    if (this.fields === null || indexOfKey(this.fields, 'content-type') === -1) this.setHeader('Content-Type', JSON_TYPE);
    this.end(JSON.stringify(value));
  }

  redirect(location: string, statusCode = 302): void {
    this.statusCode = statusCode;
    this.setHeader('Location', location);
    this.end();
  }

  drain(): Promise<void> {
    return this.sink.drainOut(this);
  }

  get destroyed(): boolean {
    return this.sink.closed;
  }

  write(chunk: string | Buffer): boolean {
    if (this.writableEnded) throw new Error('write after end');
    if (!this.headersSent) this.sendHead(-1);
    if (this.noBody) return true;
    const length = typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length;
    // An empty chunk would read as the last-chunk marker (RFC 9112 §7.1).
    if (length === 0) return true;
    if (!this.chunked) return this.sink.writeOut(this, chunk);
    this.sink.writeOut(this, length.toString(16) + '\r\n');
    this.sink.writeOut(this, chunk);
    return this.sink.writeOut(this, CHUNK_END);
  }

  end(body?: string | Buffer): void {
    if (this.writableEnded) return;
    this.writableEnded = true;
    if (!this.headersSent) {
      const length = body === undefined ? 0 : typeof body === 'string' ? (body === memo.body ? memo.bodyLength : Buffer.byteLength(body)) : body.length;
      const head = this.renderHead(length);
      if (this.noBody || length === 0) this.sink.writeOut(this, head, this.asciiHead);
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
          if (head === memo.head && body.length <= 4096) {
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
    } else if (!this.noBody) {
      if (body !== undefined) {
        const length = typeof body === 'string' ? Buffer.byteLength(body) : body.length;
        if (length > 0) {
          if (this.chunked) {
            this.sink.writeOut(this, length.toString(16) + '\r\n');
            this.sink.writeOut(this, body);
            this.sink.writeOut(this, CHUNK_END);
          } else this.sink.writeOut(this, body);
        }
      }
      if (this.chunked) this.sink.writeOut(this, LAST_CHUNK);
    }
    this.sink.endOut(this);
  }

  private sendHead(length: number): void {
    this.sink.writeOut(this, this.renderHead(length), this.asciiHead);
  }

  /**
   * The head for a body of `length` bytes (-1: unknown — chunked on HTTP/1.1, close-delimited
   * on HTTP/1.0, RFC 9112 §6.3).
   */
  private renderHead(length: number): string {
    this.headersSent = true;
    const code = this.statusCode;
    const input = (this.isHead ? FLAG_HEAD : 0) | (this.http10 ? FLAG_HTTP10 : 0) | (this.keepAlive ? FLAG_KEEPALIVE : 0);
    const date = dateLine();
    if (this._statusMessage === '' && code === memo.code && length === memo.length && input === memo.input &&
      date === memo.date && sameFields(this.fields, memo.fields)) {
      const out = memo.output;
      this.noBody = (out & FLAG_NOBODY) !== 0;
      this.chunked = (out & FLAG_CHUNKED) !== 0;
      this.keepAlive = (out & FLAG_KEEPALIVE) !== 0;
      return memo.head;
    }
    const head = this.render(code, length, date);
    if (this._statusMessage === '' && memoizable(this.fields)) {
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
    let framed = false;
    if (fields !== null) {
      if (indexOfKey(fields, 'date') === -1) head += date;
      for (let i = 0; i < fields.length; i += 3) {
        const key = fields[i] as string;
        const value = fields[i + 2];
        if (key === 'content-length' || key === 'transfer-encoding') framed = true;
        else if (key === 'connection') {
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
      if (!framed) {
        if (length >= 0) head += 'Content-Length: ' + length + '\r\n';
        else if (this.http10) this.keepAlive = false; // close-delimited body
        else {
          this.chunked = !this.isHead;
          head += 'Transfer-Encoding: chunked\r\n';
        }
      }
    }
    if (!this.keepAlive) head += 'Connection: close\r\n\r\n';
    else if (this.http10) head += 'Connection: keep-alive\r\n\r\n';
    else head += '\r\n';
    return head;
  }
}
