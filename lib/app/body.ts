// Request bodies as JSON or form fields, parsed when the handler asks for them. Every
// failure is an HttpError the engine answers with its status and message, of a class (and
// `code`) that says which:
//   415 UnsupportedMediaTypeError — the Content-Type (or its charset) is not the one asked
//       for (RFC 9110 §15.5.16);
//   400 BodyParseError — the body is empty, not UTF-8, not JSON, or a malformed form;
//   413 BodyTooLargeError — the body is larger than the `limit` option (a buffered body is
//       also capped by the engine's maxBodySize before the handler runs).
// A body the connection could not deliver whole rejects with request.ts's RequestBodyError.
import { Buffer } from 'node:buffer';
import { DEFAULT_LIMITS, HttpError, type WaferRequest } from '../core/index.js';
import { addSize } from '../../parser/limits.js';
import { parseQuery, type Params } from './query.js';

/** The `code` of a body helper's error: stable, for code that tells failures apart. */
export type BodyErrorCode =
  | 'WAFER_BODY_TOO_LARGE'
  | 'WAFER_BODY_TYPE' | 'WAFER_BODY_CHARSET'
  | 'WAFER_BODY_EMPTY' | 'WAFER_BODY_NOT_UTF8' | 'WAFER_BODY_INVALID_JSON' | 'WAFER_BODY_INVALID_FORM';

/** What readBody(), readJson() and readForm() throw: an HttpError with a `code`. */
export class BodyError extends HttpError {
  readonly code: BodyErrorCode;

  constructor(status: 400 | 413 | 415, code: BodyErrorCode, message: string) {
    super(status, message);
    this.name = 'BodyError';
    this.code = code;
  }
}

/** 413: more body bytes than the limit (RFC 9110 §15.5.14). */
export class BodyTooLargeError extends BodyError {
  /** The limit passed, in bytes. */
  readonly limit: number;

  constructor(limit: number) {
    super(413, 'WAFER_BODY_TOO_LARGE', `request body larger than ${limit} bytes`);
    this.name = 'BodyTooLargeError';
    this.limit = limit;
  }
}

/** 415: a Content-Type or charset the helper does not read (RFC 9110 §15.5.16). */
export class UnsupportedMediaTypeError extends BodyError {
  constructor(code: 'WAFER_BODY_TYPE' | 'WAFER_BODY_CHARSET', message: string) {
    super(415, code, message);
    this.name = 'UnsupportedMediaTypeError';
  }
}

/** 400: a body that is empty, not UTF-8, not JSON, or not a well-formed form. */
export class BodyParseError extends BodyError {
  constructor(code: 'WAFER_BODY_EMPTY' | 'WAFER_BODY_NOT_UTF8' | 'WAFER_BODY_INVALID_JSON' | 'WAFER_BODY_INVALID_FORM', message: string) {
    super(400, code, message);
    this.name = 'BodyParseError';
  }
}

export interface BodyOptions {
  /** Check Content-Type before parsing (default true). false: parse whatever was sent. */
  checkType?: boolean;
  /**
   * Most body bytes accepted, buffered or streamed (→ 413). Default: for a buffered body the
   * engine's maxBodySize alone; for a streamed one DEFAULT_LIMITS.maxBodySize.
   */
  limit?: number;
}

export interface FormOptions extends BodyOptions {
  /** Most fields (default 1000); more → 400. */
  maxParams?: number;
}

/** The media type (lower case, no parameters) and charset of a Content-Type value. */
export function mediaType(value: string | string[] | undefined): { type: string; charset: string | undefined } {
  const text = Array.isArray(value) ? value[0] ?? '' : value ?? '';
  const parts = text.split(';');
  const type = parts[0]!.trim().toLowerCase();
  let charset: string | undefined;
  for (let i = 1; i < parts.length; i++) {
    const p = parts[i]!.trim();
    const eq = p.indexOf('=');
    if (eq === -1 || p.slice(0, eq).trim().toLowerCase() !== 'charset') continue;
    charset = p.slice(eq + 1).trim().replace(/^"(.*)"$/, '$1').toLowerCase();
  }
  return { type, charset };
}

/** `application/json` or any `+json` suffix type (RFC 6839 §3.1). */
function isJsonType(type: string): boolean {
  return type === 'application/json' || (type.startsWith('application/') && type.endsWith('+json'));
}

function requireType(req: WaferRequest, ok: (type: string) => boolean, expected: string): void {
  const { type, charset } = mediaType(req.headers['content-type']);
  if (!ok(type)) throw new UnsupportedMediaTypeError('WAFER_BODY_TYPE', `expected Content-Type ${expected}, got ${type || 'none'}`);
  // Only UTF-8 (and its subset US-ASCII) are decoded; anything else would be misread.
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8' && charset !== 'us-ascii') {
    throw new UnsupportedMediaTypeError('WAFER_BODY_CHARSET', `unsupported charset ${charset}; send utf-8`);
  }
}

/**
 * The whole body as bytes: `req.body` when the engine buffered it, otherwise read from the
 * request stream (streamBody mode). `options` is the limit, or `{ limit }`. More than `limit`
 * bytes → 413, in either mode. Without a limit, a buffered body is taken as the engine's
 * maxBodySize let it through, and a stream is read up to DEFAULT_LIMITS.maxBodySize.
 */
export async function readBody(req: WaferRequest, options?: number | { limit?: number }): Promise<Buffer> {
  const limit = typeof options === 'object' && options !== null ? options.limit : options;
  if (limit !== undefined && !(Number.isInteger(limit) && limit >= 0)) {
    throw new TypeError(`body limit must be a whole number of bytes, got ${String(limit)}`);
  }
  if (req.body.length > 0) {
    if (limit !== undefined && req.body.length > limit) throw new BodyTooLargeError(limit);
    return req.body;
  }
  const max = limit ?? DEFAULT_LIMITS.maxBodySize;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size = addSize(size, chunk.length, max);
    if (size < 0) throw new BodyTooLargeError(max);
    chunks.push(chunk);
  }
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function decodeUtf8(buf: Buffer): string {
  try {
    return utf8.decode(buf);
  } catch {
    throw new BodyParseError('WAFER_BODY_NOT_UTF8', 'request body is not valid UTF-8');
  }
}

/** Parse the body as JSON (RFC 8259). Empty or malformed bodies → 400, other types → 415. */
export async function readJson<T = unknown>(req: WaferRequest, options: BodyOptions = {}): Promise<T> {
  if (options.checkType !== false) requireType(req, isJsonType, 'application/json');
  const text = decodeUtf8(await readBody(req, options.limit));
  if (text.trim() === '') throw new BodyParseError('WAFER_BODY_EMPTY', 'request body is empty; expected JSON');
  try {
    return JSON.parse(text) as T;
  } catch (err) {
    throw new BodyParseError('WAFER_BODY_INVALID_JSON', `malformed JSON: ${(err as Error).message}`);
  }
}

/** Parse an application/x-www-form-urlencoded body strictly (malformed escapes → 400). */
export async function readForm(req: WaferRequest, options: FormOptions = {}): Promise<Params> {
  if (options.checkType !== false) {
    requireType(req, (t) => t === 'application/x-www-form-urlencoded', 'application/x-www-form-urlencoded');
  }
  const text = decodeUtf8(await readBody(req, options.limit));
  try {
    return parseQuery(text, { strict: true, maxParams: options.maxParams });
  } catch (err) {
    // parseQuery's own HttpError 400 (malformed escape, too many fields), as a body error.
    if (err instanceof HttpError) throw new BodyParseError('WAFER_BODY_INVALID_FORM', err.message);
    throw err;
  }
}
