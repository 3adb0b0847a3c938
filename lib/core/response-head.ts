// A response's head: the status line, Date, the handler's fields, the framing the engine adds
// (Content-Length or chunked) and Connection, rendered from the state of a Response
// (lib/core/response.ts) — or taken from the server's rendered-head memo (RenderedHeadMemo,
// lib/core/caches.ts) when the server answers the same way again. Here the memo's head is
// checked and filled; Response.end() remembers a short text body after it (response.ts).
import type { RenderedHeadMemo } from './caches.js';
import { dateLine } from './date.js';
import { indexOfKey } from './response-fields.js';
import { Te, type HeaderValue } from './response-input.js';
import { bodyless, checkStatusCode, statusLine } from './status.js';

/**
 * What a head is rendered from (read) and what rendering it decides (set): the part of a
 * Response this file works on, named here so that it need not import the class.
 */
export interface HeadState {
  readonly statusCode: number;
  /** The handler's reason phrase; '' for the code's default. */
  readonly reasonPhrase: string;
  /** The handler's fields, flat (lib/core/response-fields.ts). */
  readonly fields: HeaderValue[] | null;
  readonly isHead: boolean;
  readonly http10: boolean;
  /** The handler's Content-Length (-1: none set). */
  readonly declaredLength: number;
  /** The handler's Transfer-Encoding. */
  readonly teMode: Te;
  keepAlive: boolean;
  /** No body goes out (a HEAD request, a 1xx, 204 or 304). */
  noBody: boolean;
  /** The engine frames the body in chunks. */
  chunked: boolean;
  headersSent: boolean;
}

// The rendered-head memo's inputs (isHead, http10, keepAlive) and outputs (noBody, chunked, keepAlive), as bits.
const FLAG_HEAD = 1, FLAG_HTTP10 = 2, FLAG_KEEPALIVE = 4, FLAG_NOBODY = 8, FLAG_CHUNKED = 16;

/**
 * The same text as one flat string. A string built with + is a tree of its pieces, which
 * every write walks again (String::WriteToFlat); converting to a number makes V8 flatten it in
 * place, once (the result, NaN, is dropped).
 */
export function flatten(s: string): string {
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

/**
 * The head of `res` for a body of `length` bytes (-1: unknown — chunked on HTTP/1.1,
 * close-delimited on HTTP/1.0, RFC 9112 §6.3); sets headersSent and what the head decided.
 */
export function renderHead(res: HeadState, memo: RenderedHeadMemo, length: number): string {
  const code = res.statusCode;
  const input = (res.isHead ? FLAG_HEAD : 0) | (res.http10 ? FLAG_HTTP10 : 0) | (res.keepAlive ? FLAG_KEEPALIVE : 0);
  const date = dateLine();
  if (res.reasonPhrase === '' && code === memo.code && length === memo.length && input === memo.input &&
    date === memo.date && sameFields(res.fields, memo.fields)) {
    const out = memo.output;
    res.noBody = (out & FLAG_NOBODY) !== 0;
    res.chunked = (out & FLAG_CHUNKED) !== 0;
    res.keepAlive = (out & FLAG_KEEPALIVE) !== 0;
    res.headersSent = true;
    return memo.head;
  }
  // Before headersSent is set (the memo only ever holds a valid code): the handler sees the
  // throw and the client still gets a 500.
  checkStatusCode(code);
  const head = render(res, code, length, date);
  res.headersSent = true;
  if (res.reasonPhrase === '' && memo.enabled && memoizable(res.fields)) {
    memo.code = code;
    memo.length = length;
    memo.input = input;
    memo.date = date;
    memo.fields = res.fields;
    memo.head = head;
    memo.output = (res.noBody ? FLAG_NOBODY : 0) | (res.chunked ? FLAG_CHUNKED : 0) | (res.keepAlive ? FLAG_KEEPALIVE : 0);
    memo.body = '';
    memo.bodyLength = 0;
    memo.whole = '';
    memo.flat = true;
  }
  return head;
}

function render(res: HeadState, code: number, length: number, date: string): string {
  let head = res.reasonPhrase === '' ? statusLine(code) : `HTTP/1.1 ${code} ${res.reasonPhrase}\r\n`;
  const fields = res.fields;
  // RFC 9110 §8.6 / RFC 9112 §6.1: no Content-Length or Transfer-Encoding in a 1xx or 204; no
  // Transfer-Encoding to an HTTP/1.0 client (it gets Content-Length or a close-delimited body).
  const noFraming = code < 200 || code === 204;
  const te = noFraming || res.http10 ? Te.None : res.teMode;
  if (fields !== null) {
    if (indexOfKey(fields, 'date') === -1) head += date;
    for (let i = 0; i < fields.length; i += 3) {
      const key = fields[i] as string;
      const value = fields[i + 2];
      if (key === 'content-length') {
        // RFC 9112 §6.2: not beside a Transfer-Encoding.
        if (noFraming || te !== Te.None) continue;
      } else if (key === 'transfer-encoding') {
        if (te === Te.None) continue;
      } else if (key === 'connection') {
        // The handler may ask to close; it may not keep open what the connection must close.
        if (/\bclose\b/i.test(String(value))) res.keepAlive = false;
        continue;
      }
      const name = fields[i + 1] as string;
      if (typeof value === 'object') for (const v of value) head += name + ': ' + v + '\r\n';
      else head += name + ': ' + value + '\r\n';
    }
  } else head += date;
  if (bodyless(code)) {
    res.noBody = true;
  } else {
    if (res.isHead) res.noBody = true;
    // The handler's framing, else the engine's. Whichever it is, the engine writes the body
    // to match it: chunks under chunked, bytes counted against a Content-Length.
    if (te === Te.Chunked) res.chunked = !res.isHead;
    // RFC 9112 §6.3: a response whose last coding is not chunked ends with the connection.
    else if (te === Te.Other) res.keepAlive = false;
    else if (res.declaredLength >= 0) {
      // sent as the handler set it
    } else if (length >= 0) head += 'Content-Length: ' + length + '\r\n';
    else if (res.http10) res.keepAlive = false; // close-delimited body
    else {
      res.chunked = !res.isHead;
      head += 'Transfer-Encoding: chunked\r\n';
    }
  }
  if (!res.keepAlive) head += 'Connection: close\r\n\r\n';
  else if (res.http10) head += 'Connection: keep-alive\r\n\r\n';
  else head += '\r\n';
  return head;
}
