// Node's built-in llhttp (the C parser inside node:http) behind wafer's RequestParser
// contract. It is the oracle of the fuzz suite and a backend a server can pick
// (`parser: 'llhttp'`). Crossing into C++ costs per execute() and per callback, which is
// the overhead the TypeScript parser exists to avoid.
import { createRequire } from 'node:module';
import { PARSER_LIMITS, parseDecimal } from './limits.js';
import { isHpeCode, type ParseError } from './errors.js';
import { Lenient, type ParserOptions, type RequestParser, type RequestSink } from './types.js';

interface NodeHTTPParser {
  initialize(type: number, resource: object, maxHeaderSize: number, lenient: number): void;
  execute(data: Buffer): number | (Error & { code: string; reason: string; bytesParsed: number });
  finish(): undefined | (Error & { code: string; reason: string; bytesParsed: number });
  /** llhttp_resume(): go on after a callback answered HPE_PAUSED. */
  resume(): void;
  remove(): void;
  free(): void;
  [slot: number]: unknown;
}

const require = createRequire(import.meta.url);
const common = require('_http_common') as {
  HTTPParser: { new (): NodeHTTPParser; REQUEST: number; kOnMessageBegin: number; kOnHeaders: number; kOnHeadersComplete: number; kOnBody: number; kOnMessageComplete: number; kOnExecute: number };
  methods: string[];
};
const { HTTPParser, methods } = common;
// `methods` lists llhttp's HTTP methods, which number 0-33 in llhttp's enum too; past that the
// enum goes on with PRI, the RTSP methods and QUERY (46), which `methods` lists at 34.
const LLHTTP_METHODS = methods.slice(0, 34).concat([
  'PRI', 'DESCRIBE', 'ANNOUNCE', 'SETUP', 'PLAY', 'PAUSE', 'TEARDOWN', 'GET_PARAMETER', 'SET_PARAMETER', 'REDIRECT',
  'RECORD', 'FLUSH', 'QUERY',
]);

/** llhttp's HPE_PAUSED: an on_headers_complete answer that stops execute() right after the head. */
const HPE_PAUSED = 21;

// The chunk-line watch (ParserOptions.chunkSpacesOnlyBeforeExtension): where it stands in a
// chunked body. llhttp cannot tell `5 ;a` from `5 ` under SPACES_AFTER_CHUNK_SIZE and Node's
// binding reports no chunk headers, so the adapter follows the body's framing itself: from the
// end of the head (llhttp pauses there) through size lines, data and trailers. It only refuses
// whitespace then CR/LF after a size; on anything it does not expect it stops watching and
// leaves the verdict to llhttp, so it can miss a case but never refuse what llhttp accepts.
const W_OFF = 0, W_SIZE_START = 1, W_SIZE = 2, W_BWS = 3, W_EXT = 4, W_SIZE_LF = 5, W_DATA = 6,
  W_DATA_CR = 7, W_DATA_LF = 8, W_TRAILER_START = 9, W_TRAILER = 10, W_END_LF = 11;
/** Hex digits a watched size may have: past 13 the count is no longer exact in a double. */
const W_MAX_DIGITS = 13;

/**
 * The error Node's execute() returns, in wafer's shape; offset is relative to this buffer.
 * Node passes on whatever llhttp names: a code outside parser/errors.ts (a newer llhttp's) is
 * HPE_INTERNAL here, its name kept in the reason, so ParseError.code stays a closed set.
 */
export function toParseError(err: { code: string; reason: string; bytesParsed: number }): ParseError {
  const reason = err.reason ?? err.code;
  const offset = Math.max(0, err.bytesParsed);
  if (!isHpeCode(err.code)) return { code: 'HPE_INTERNAL', reason: `${err.code}: ${reason}`, offset };
  // llhttp gives a well-formed but unsupported version (HTTP/1.2) the code of a garbled one
  // (HTTP/1.x); only its reason tells them apart (llhttp's http.ts, mirrored by
  // parser/machine.ts and checked by the conformance fixtures).
  const unsupportedVersion = err.code === 'HPE_INVALID_VERSION' && reason === 'Invalid HTTP version';
  return { code: err.code, reason, offset, unsupportedVersion };
}

export class LlhttpParser implements RequestParser {
  error: ParseError | null = null;
  upgraded = false;
  private readonly native: NodeHTTPParser;
  sink: RequestSink;
  private readonly maxUrl: number;
  private readonly maxCount: number;
  private readonly maxHeaderSize: number;
  private readonly lenient: number;
  // llhttp hands headers over in batches of 32 (kOnHeaders) when a head spans executes.
  private pendingHeaders: string[] = [];
  private pendingUrl = '';
  private limitError: ParseError | null = null;
  private upgradePending = false;
  /** llhttp pauses for an upgrade when the upgrade request's message completes (after any body). */
  private upgradeDone = false;
  /** Watch chunk-size lines (chunkSpacesOnlyBeforeExtension with lenient SPACES_AFTER_CHUNK_SIZE). */
  private readonly watchChunks: boolean;
  /** A chunked head was just completed: llhttp pauses after it so the watch can start there. */
  private headPause = false;
  private watch = W_OFF;
  /** The size being read (digits so far), then the data bytes left of the chunk. */
  private watchSize = 0;
  private watchDigits = 0;

  constructor(sink: RequestSink, options: ParserOptions = {}) {
    this.sink = sink;
    this.maxUrl = options.maxUrlLength ?? PARSER_LIMITS.maxUrlLength;
    this.maxCount = options.maxHeaderCount ?? PARSER_LIMITS.maxHeaderCount;
    this.maxHeaderSize = options.maxHeaderSize ?? PARSER_LIMITS.maxHeaderSize;
    this.lenient = options.lenient ?? 0;
    this.watchChunks = options.chunkSpacesOnlyBeforeExtension === true && (this.lenient & Lenient.SPACES_AFTER_CHUNK_SIZE) !== 0;
    this.native = new HTTPParser();
    this.init();
  }

  private init(): void {
    const p = this.native;
    p.initialize(HTTPParser.REQUEST, {}, this.maxHeaderSize, this.lenient);
    p[HTTPParser.kOnHeaders] = (headers: string[], url: string) => {
      for (let i = 0; i < headers.length; i++) this.pendingHeaders.push(headers[i]);
      this.pendingUrl += url;
    };
    p[HTTPParser.kOnHeadersComplete] = (
      major: number, minor: number, headers: string[] | undefined, method: number, url: string | undefined,
      _status: unknown, _message: unknown, upgrade: boolean, keepAlive: boolean,
    ) => {
      if (this.limitError) return 1;
      let raw = headers ?? [];
      if (this.pendingHeaders.length > 0) raw = this.pendingHeaders.concat(raw);
      const target = this.pendingUrl + (url ?? '');
      this.pendingHeaders = [];
      this.pendingUrl = '';
      if (Buffer.byteLength(target, 'latin1') > this.maxUrl) {
        this.limitError = { code: 'HPE_URL_OVERFLOW', reason: 'Request target too long', offset: 0 };
        return 1;
      }
      if (raw.length / 2 > this.maxCount) {
        this.limitError = { code: 'HPE_HEADER_OVERFLOW', reason: 'Too many header fields', offset: 0 };
        return 1;
      }
      let contentLength = -1;
      let chunked = false;
      for (let i = 0; i < raw.length; i += 2) {
        // (lenient HEADERS lets spaces stand before the colon: llhttp still knows the field)
        const name = raw[i].toLowerCase().replace(/ +$/, '');
        // llhttp has already validated the digits; parse them through safe-size all the same.
        if (name === 'content-length') contentLength = parseDecimal(raw[i + 1].trim());
        else if (name === 'transfer-encoding') chunked = /(?:^|,)[ \t]*chunked[ \t]*$/i.test(raw[i + 1]);
      }
      if (chunked) contentLength = -1;
      if (upgrade) this.upgradePending = true;
      this.sink.onHead({
        method: LLHTTP_METHODS[method], url: target, versionMajor: major, versionMinor: minor,
        rawHeaders: raw, contentLength, chunked, keepAlive, upgrade,
      });
      if (chunked && this.watchChunks) {
        this.headPause = true;
        return HPE_PAUSED;
      }
      return 0;
    };
    // After a limit error llhttp still runs to the end of the buffer: the sink hears no more.
    p[HTTPParser.kOnBody] = (chunk: Buffer) => { if (!this.limitError) this.sink.onBody(chunk); };
    p[HTTPParser.kOnMessageComplete] = () => {
      // Trailer fields arrive through kOnHeaders; like node:http, drop them with the message
      // so they are not taken for the next request's headers (nor its URL prefix).
      this.pendingHeaders = [];
      this.pendingUrl = '';
      if (this.upgradePending) this.upgradeDone = true;
      if (!this.limitError) this.sink.onMessageComplete();
    };
  }

  execute(data: Buffer): number {
    if (this.error) return 0;
    if (!this.watchChunks) return this.run(data, 0, data.length);
    // Watched: run llhttp up to a refused size line, or up to the next chunked head (where it
    // pauses), then watch that body from its first byte.
    let at = 0;
    for (;;) {
      const stop = this.watch === W_OFF ? data.length : this.watchBody(data, at);
      const n = this.run(data, at, stop);
      if (this.error) return n;
      if (this.headPause) {
        this.headPause = false;
        this.native.resume();
        this.watch = this.sizeLineStart();
        at = n;
        continue;
      }
      if (stop < data.length && n === stop && !this.upgraded) {
        this.error = { code: 'HPE_INVALID_CHUNK_SIZE', reason: 'Whitespace after chunk size without a chunk extension', offset: stop };
        this.watch = W_OFF;
        return stop;
      }
      return n;
    }
  }

  /** llhttp over data[from, to): the offset it got to in `data` (an error's, if it failed). */
  private run(data: Buffer, from: number, to: number): number {
    const ret = this.native.execute(from === 0 && to === data.length ? data : data.subarray(from, to));
    if (this.limitError) {
      this.error = this.limitError;
      return 0;
    }
    if (typeof ret === 'number') {
      // On an upgrade llhttp stops after the head and reports how far it got.
      // It pauses when the upgrade request's message completes, or right after its head when it
      // has no body; Node also stops (without an error) at a body error once upgrade is set.
      this.upgraded = this.upgradePending && (this.upgradeDone || from + ret < data.length);
      return from + ret;
    }
    if (this.headPause && ret.code === 'HPE_PAUSED') return from + ret.bytesParsed;
    this.headPause = false;
    this.error = toParseError(ret);
    this.error.offset += from;
    return this.error.offset;
  }

  /**
   * Follow the watched chunked body through data[from…): the offset of a size line's CR/LF that
   * came after whitespace with no `;` (RFC 9112 §7.1.1), else data.length. Ends the watch where
   * the body ends, or where its bytes stop looking like chunked framing (llhttp judges those).
   */
  private watchBody(data: Buffer, from: number): number {
    let w = this.watch;
    let p = from;
    const end = data.length;
    while (p < end && w !== W_OFF) {
      const c = data[p];
      switch (w) {
        case W_SIZE_START:
        case W_SIZE: {
          const d = c >= 48 && c <= 57 ? c - 48 : (c | 0x20) >= 97 && (c | 0x20) <= 102 ? (c | 0x20) - 87 : -1;
          if (d >= 0) {
            if (++this.watchDigits > W_MAX_DIGITS) w = W_OFF;
            else {
              this.watchSize = this.watchSize * 16 + d;
              w = W_SIZE;
            }
          } else if (w === W_SIZE_START) w = W_OFF;
          else if (c === 32 || c === 9) w = W_BWS;
          else if (c === 59) w = W_EXT;
          else if (c === 13) w = W_SIZE_LF;
          else w = W_OFF;
          break;
        }
        case W_BWS:
          if (c === 59) w = W_EXT;
          else if (c === 13 || c === 10) {
            this.watch = W_BWS;
            return p;
          } else if (c !== 32 && c !== 9) w = W_OFF;
          break;
        case W_EXT:
          // (llhttp checks the extension's bytes; a quoted value cannot hold CR or LF)
          if (c === 10) w = this.sizeLineDone();
          break;
        case W_SIZE_LF:
          w = c === 10 ? this.sizeLineDone() : W_OFF;
          break;
        case W_DATA: {
          const take = Math.min(this.watchSize, end - p);
          this.watchSize -= take;
          p += take;
          if (this.watchSize === 0) w = W_DATA_CR;
          continue;
        }
        case W_DATA_CR:
          w = c === 13 ? W_DATA_LF : W_OFF;
          break;
        case W_DATA_LF:
          w = c === 10 ? this.sizeLineStart() : W_OFF;
          break;
        case W_TRAILER_START:
          w = c === 13 ? W_END_LF : c === 10 ? W_OFF : W_TRAILER;
          break;
        case W_TRAILER:
          if (c === 10) w = W_TRAILER_START;
          break;
        case W_END_LF:
          // The body ends here; what follows is the next message, llhttp's alone.
          w = W_OFF;
          break;
      }
      p++;
    }
    this.watch = w;
    return end;
  }

  private sizeLineStart(): number {
    this.watchSize = 0;
    this.watchDigits = 0;
    return W_SIZE_START;
  }

  /** After a size line: the chunk's data, or the trailer section after the last chunk. */
  private sizeLineDone(): number {
    return this.watchSize === 0 ? W_TRAILER_START : W_DATA;
  }

  finish(): ParseError | null {
    if (this.error) return this.error;
    const ret = this.native.finish();
    if (ret instanceof Error) this.error = toParseError(ret);
    return this.error;
  }

  reset(): void {
    this.error = null;
    this.upgraded = false;
    this.limitError = null;
    this.upgradePending = false;
    this.upgradeDone = false;
    this.headPause = false;
    this.watch = W_OFF;
    this.pendingHeaders = [];
    this.pendingUrl = '';
    this.init();
  }
}

export function createLlhttpParser(sink: RequestSink, options?: ParserOptions): RequestParser {
  return new LlhttpParser(sink, options);
}
