// Node's built-in llhttp (the C parser inside node:http) behind wafer's RequestParser
// contract. It is the oracle of the fuzz suite and a backend a server can pick
// (`parser: 'llhttp'`). Crossing into C++ costs per execute() and per callback, which is
// the overhead the TypeScript parser exists to avoid.
import { createRequire } from 'node:module';
import { DEFAULT_LIMITS, parseDecimal } from '../lib/limits.js';
import type { ParseError } from './errors.js';
import type { ParserOptions, RequestParser, RequestSink } from './types.js';

interface NodeHTTPParser {
  initialize(type: number, resource: object, maxHeaderSize: number, lenient: number): void;
  execute(data: Buffer): number | (Error & { code: string; reason: string; bytesParsed: number });
  finish(): undefined | (Error & { code: string; reason: string; bytesParsed: number });
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

/** The error Node's execute() returns, in wafer's shape; offset is relative to this buffer. */
function toParseError(err: { code: string; reason: string; bytesParsed: number }): ParseError {
  return { code: err.code, reason: err.reason ?? err.code, offset: Math.max(0, err.bytesParsed) };
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

  constructor(sink: RequestSink, options: ParserOptions = {}) {
    this.sink = sink;
    this.maxUrl = options.maxUrlLength ?? DEFAULT_LIMITS.maxUrlLength;
    this.maxCount = options.maxHeaderCount ?? DEFAULT_LIMITS.maxHeaderCount;
    this.maxHeaderSize = options.maxHeaderSize ?? DEFAULT_LIMITS.maxHeaderSize;
    this.lenient = options.lenient ?? 0;
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
    const ret = this.native.execute(data);
    if (this.limitError) {
      this.error = this.limitError;
      return 0;
    }
    if (typeof ret === 'number') {
      // On an upgrade llhttp stops after the head and reports how far it got.
      // It pauses when the upgrade request's message completes, or right after its head when it
      // has no body; Node also stops (without an error) at a body error once upgrade is set.
      this.upgraded = this.upgradePending && (this.upgradeDone || ret < data.length);
      return ret;
    }
    this.error = toParseError(ret);
    return this.error.offset;
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
    this.pendingHeaders = [];
    this.pendingUrl = '';
    this.init();
  }
}

export function createLlhttpParser(sink: RequestSink, options?: ParserOptions): RequestParser {
  return new LlhttpParser(sink, options);
}
