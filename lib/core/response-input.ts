// What a handler hands its response — status messages, header names and values, framing
// fields, body chunks — is checked here as node:http checks it, and refused with node's error
// codes (ERR_INVALID_ARG_TYPE, ERR_HTTP_INVALID_HEADER_VALUE …), so code written for node:http
// meets the same errors. lib/core/response.ts calls these before anything is queued.
import { Buffer } from 'node:buffer';
import { codedError } from './http-error.js';

export type HeaderValue = string | number | readonly string[];
export type HeaderMap = Record<string, HeaderValue>;

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

export const JSON_TYPE = 'application/json; charset=utf-8';

/** res.type(name): the Content-Type for a short name or extension (`json`, `.png`), else `name` itself. */
export function contentTypeFor(name: string): string {
  if (typeof name !== 'string') throw argTypeError('The "name" argument', 'type string', name);
  const key = name.charCodeAt(0) === 46 ? name.slice(1) : name;
  return TYPES[key.toLowerCase()] ?? name;
}

/** What the handler's Transfer-Encoding asks for: nothing, chunked last (RFC 9112 §6.1), or a body that ends with the connection. */
export const enum Te { None = 0, Chunked = 1, Other = 2 }

/** A Content-Length value: 1*DIGIT (RFC 9110 §8.6), as a number, or -1. */
export function parseLength(value: HeaderValue): number {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value >= 0 ? value : -1;
  return typeof value === 'string' && /^[0-9]{1,15}$/.test(value) ? Number(value) : -1;
}

/** Te.Chunked when the last coding listed is chunked, else Te.Other. */
export function transferCoding(value: HeaderValue): Te {
  const list = typeof value === 'object' ? value.join(',') : String(value);
  const last = list.slice(list.lastIndexOf(',') + 1).trim().toLowerCase();
  return last === 'chunked' ? Te.Chunked : Te.Other;
}

/**
 * A body chunk that is not a string, as the Buffer written: a Buffer as is, any other
 * Uint8Array viewed as one (no copy). Anything else — an array (`query(req).q` for ?q=a&q=b),
 * a number, an object, another typed array — is refused as node:http refuses it: written, it
 * would crash the process in the socket write or leave bytes the head did not count.
 */
export function bodyBuffer(chunk: unknown): Buffer {
  if (chunk instanceof Uint8Array) return Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  throw argTypeError('The "chunk" argument', 'type string or an instance of Buffer or Uint8Array', chunk);
}

/** How node:http names a value it refused: `type number (42)`, `an instance of Array`. */
function received(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (typeof value === 'object' || typeof value === 'function') {
    const name = (value as { constructor?: { name?: unknown } }).constructor?.name;
    return typeof name === 'string' && name !== '' ? `an instance of ${name}` : `type ${typeof value}`;
  }
  return `type ${typeof value} (${String(value).slice(0, 32)})`;
}

/** ERR_INVALID_ARG_TYPE: `${what} must be of ${expected}. Received …`. */
export function argTypeError(what: string, expected: string, value: unknown): TypeError {
  return codedError(TypeError, 'ERR_INVALID_ARG_TYPE', `${what} must be of ${expected}. Received ${received(value)}`);
}

export function invalidValue(name: string, value: unknown): TypeError {
  return codedError(TypeError, 'ERR_HTTP_INVALID_HEADER_VALUE', `Invalid value "${received(value)}" for header "${name}"`);
}

/** A character a field value or reason phrase cannot hold (`where`: what held it). */
export function invalidChar(where: string): TypeError {
  return codedError(TypeError, 'ERR_INVALID_CHAR', `Invalid character in ${where}`);
}

export function headersSentError(): Error {
  return codedError(Error, 'ERR_HTTP_HEADERS_SENT', 'Cannot set headers after they are sent to the client');
}

export function writeAfterEndError(): Error {
  return codedError(Error, 'ERR_STREAM_WRITE_AFTER_END', 'write after end');
}

export function nullChunkError(): TypeError {
  return codedError(TypeError, 'ERR_STREAM_NULL_VALUES', 'May not write null values to stream');
}

/** The body adds up to `total` bytes against a Content-Length of `limit` (Response.countBody). */
export function lengthMismatch(total: number, limit: number): RangeError {
  return codedError(RangeError, 'ERR_HTTP_CONTENT_LENGTH_MISMATCH',
    `Response body's content-length of ${total} byte(s) does not match the content-length of ${limit} byte(s) set in header`);
}
