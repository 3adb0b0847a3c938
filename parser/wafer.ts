// wafer's RequestParser: the state machine of parser/machine.ts turned into request heads,
// body views and message ends for a connection (parser/types.ts). It keeps the sink-level
// behaviour of parser/llhttp.ts (Node's llhttp binding) — same heads, same body bytes, same
// error codes — so the two can be fuzzed against each other, without crossing into C++.
//
// Strings are made once per head, by parser/head-items.ts (where the head's pieces lie while
// it is read; how they become strings at its end) with parser/head-strings.ts; body pieces are
// views into the buffer passed to execute(). Header bytes are counted the way Node counts them
// (request target, field names and values) and checked against the limits of parser/limits.ts.
import { HeadItems } from './head-items.js';
import type { HeadFields } from './head-fields.js';
import { WaferHead } from './wafer-head.js';
import { parserCacheOn, RepeatedHead, ShortStrings } from './head-memo.js';
import { PARSER_LIMITS } from './limits.js';
import type { HpeCode, ParseError } from './errors.js';
import { E, ERROR_NAMES, F, FINISH_SAFE, METHODS, RequestMachine, RULE_CHUNK_BWS_BEFORE_EXT, RULE_TE_EMPTY_ELEMENTS, type CbResult, type MachineCallbacks } from './machine.js';
import type { ParserOptions, RequestHead, RequestParser, RequestSink } from './types.js';
export class WaferParser implements RequestParser, MachineCallbacks {
  error: ParseError | null = null;
  upgraded = false;
  sink: RequestSink;
  private readonly machine: RequestMachine;
  private readonly maxHeaderSize: number;
  private readonly maxHeaderCount: number;
  private readonly maxUrlLength: number;
  private readonly maxChunkExtensionSize: number;
  /** The head being read: where its pieces lie, and its strings once it is whole. */
  private readonly head: HeadItems;
  /**
   * The head the machine remembers for onRepeatHead (parser/head-memo.ts), whose strings this
   * keeps (a copy: the arrays handed out are the requests' own) once it has come twice in a row
   * (`again`: the machine found it repeated before they were kept); whether the head being
   * read is a repeat.
   */
  private readonly repeated: RepeatedHead;
  private again = false;
  private repeat = false;
  private urlLength = 0;
  private url = '';
  private fieldOpen = false;
  private valueOpen = false;
  private headDone = false;
  // Limits, counted as Node counts them.
  private headerBytes = 0;
  private chunkExtensionBytes = 0;
  private limitError: ParseError | null = null;
  private headLimit = false;
  private upgradeNext = false;

  /** Between messages, nothing pending (RequestParser.idle). */
  get idle(): boolean {
    return this.error === null && !this.upgraded && this.machine.finishState === FINISH_SAFE;
  }

  constructor(sink: RequestSink, options: ParserOptions = {}) {
    this.sink = sink;
    this.maxHeaderSize = options.maxHeaderSize ?? PARSER_LIMITS.maxHeaderSize;
    this.maxHeaderCount = options.maxHeaderCount ?? PARSER_LIMITS.maxHeaderCount;
    this.maxUrlLength = options.maxUrlLength ?? PARSER_LIMITS.maxUrlLength;
    this.maxChunkExtensionSize = options.maxChunkExtensionSize ?? PARSER_LIMITS.maxChunkExtensionSize;
    this.head = new HeadItems(new ShortStrings({ enabled: parserCacheOn(options.caches, 'shortStrings') }));
    this.repeated = new RepeatedHead({ enabled: parserCacheOn(options.caches, 'repeatHead') });
    this.machine = new RequestMachine(this, options.lenient ?? 0,
      (options.chunkSpacesOnlyBeforeExtension === true ? RULE_CHUNK_BWS_BEFORE_EXT : 0) |
      (options.teEmptyListElements === true ? RULE_TE_EMPTY_ELEMENTS : 0), this.repeated);
  }

  execute(data: Buffer): number {
    if (this.error !== null) return 0;
    if (this.upgradeNext) {
      this.upgraded = true;
      return 0;
    }
    const m = this.machine;
    const head = this.head;
    head.buf = data;
    const code = m.execute(data, 0, data.length);
    head.release();
    if (code === 0) return data.length;
    // The target and field-count limits are wafer's own (checked at the end of the head);
    // the header-bytes and chunk-extension limits are Node's, which fall under its upgrade
    // rule below like any llhttp error.
    if (this.limitError !== null && (this.headLimit || m.upgrade !== 1)) {
      this.limitError.offset = m.errorPos;
      this.error = this.limitError;
      return m.errorPos;
    }
    if (code === E.PAUSED_UPGRADE) {
      // The upgrade request is complete: what follows belongs to the other protocol.
      this.upgraded = true;
      m.resumeAfterUpgrade();
      return m.errorPos;
    }
    if (m.upgrade === 1) {
      // Node reports no error once the message is known to be an upgrade (an error in its
      // body included): it only stops there, and what follows goes to the upgrade. Stopped
      // at the very end of this buffer, the upgrade shows with the next one (so any split
      // of the stream gives the same verdict).
      if (m.errorPos < data.length) {
        this.upgraded = true;
        return m.errorPos;
      }
      this.upgradeNext = true;
      return data.length;
    }
    this.error = { code: ERROR_NAMES[code] ?? 'HPE_INTERNAL', reason: m.reason, offset: m.errorPos, unsupportedVersion: m.unsupportedVersion };
    return m.errorPos;
  }

  finish(): ParseError | null {
    if (this.error !== null) return this.error;
    const code = this.machine.finish();
    // (Node says nothing at EOF once the message is an upgrade.)
    if (code !== 0 && this.machine.upgrade !== 1) {
      this.error = { code: ERROR_NAMES[code] ?? 'HPE_INTERNAL', reason: this.machine.reason, offset: 0 };
    }
    return this.error;
  }

  reset(): void {
    this.machine.reset();
    this.error = null;
    this.upgraded = false;
    this.upgradeNext = false;
    this.limitError = null;
    this.headLimit = false;
    this.headerBytes = 0;
    this.chunkExtensionBytes = 0;
    this.onMessageBegin();
  }

  private overflow(code: HpeCode, reason: string): CbResult {
    this.limitError = { code, reason, offset: 0 };
    return E.USER;
  }

  /** Node's header-size rule: the running count must stay below maxHeaderSize. */
  private countHeader(n: number): boolean {
    this.headerBytes += n;
    return this.headerBytes >= this.maxHeaderSize;
  }

  // ---- MachineCallbacks ----

  onMessageBegin(): CbResult {
    this.head.clear();
    this.urlLength = 0;
    this.fieldOpen = false;
    this.valueOpen = false;
    this.headDone = false;
    this.repeat = false;
    this.again = false;
    this.chunkExtensionBytes = 0;
    return 0;
  }

  onUrl(buf: Buffer, start: number, end: number): CbResult {
    if (this.countHeader(end - start)) return this.overflow('HPE_HEADER_OVERFLOW', 'Header overflow');
    if (this.urlLength === 0) this.head.open(start, end);
    else this.head.extend(0, buf, start, end);
    this.urlLength += end - start;
    return 0;
  }

  /** A whole request line (the machine's fast path): onUrl's work; declined on overflow. */
  onRequestLine(_buf: Buffer, urlStart: number, urlEnd: number): CbResult {
    if (this.urlLength !== 0 || this.headerBytes + (urlEnd - urlStart) >= this.maxHeaderSize) return 1;
    this.headerBytes += urlEnd - urlStart;
    this.head.open(urlStart, urlEnd);
    this.urlLength = urlEnd - urlStart;
    return 0;
  }

  /** The head repeats the one remembered: its strings again (nothing counted, as it passed). */
  onRepeatHead(): CbResult {
    if (this.head.count !== 0 || this.headerBytes !== 0 || this.headDone) return 1;
    if (this.repeated.rawHeaders === null) {
      // Read it again (and keep its strings this time).
      this.again = true;
      return 1;
    }
    this.repeat = true;
    return 0;
  }

  onHeaderField(buf: Buffer, start: number, end: number): CbResult {
    if (this.countHeader(end - start)) return this.overflow('HPE_HEADER_OVERFLOW', 'Header overflow');
    if (this.headDone) return 0; // trailer fields: counted, not kept
    const head = this.head;
    if (this.fieldOpen) {
      head.extend(head.count - 1, buf, start, end);
    } else {
      if (head.count === 0) head.open(start, start); // (no target: HTTP/0.9 cannot get here, but be safe)
      head.open(start, end);
      this.fieldOpen = true;
    }
    return 0;
  }

  onHeaderFieldComplete(): CbResult {
    this.fieldOpen = false;
    this.valueOpen = false;
    return 0;
  }

  onHeaderValue(buf: Buffer, start: number, end: number): CbResult {
    if (this.countHeader(end - start)) return this.overflow('HPE_HEADER_OVERFLOW', 'Header overflow');
    if (this.headDone) return 0;
    if (this.valueOpen) {
      this.head.extend(this.head.count - 1, buf, start, end);
    } else {
      this.head.open(start, end);
      this.valueOpen = true;
    }
    return 0;
  }

  onHeaderValueComplete(): CbResult {
    this.valueOpen = false;
    return 0;
  }

  /**
   * A whole header line (the machine's fast path): the four callbacks above in one, the
   * value kept without its trailing OWS. Declined (1) when the line would pass
   * maxHeaderSize, so the overflow is found by the callbacks above at llhttp's offset.
   */
  onHeaderLine(_buf: Buffer, nameStart: number, nameEnd: number, valueStart: number, valueEnd: number, trimmedEnd: number): CbResult {
    const field = this.headerBytes + (nameEnd - nameStart);
    const total = field + (valueEnd - valueStart);
    if (field >= this.maxHeaderSize || total >= this.maxHeaderSize || this.headDone) return 1;
    this.headerBytes = total;
    this.head.openLine(nameStart, nameEnd, valueStart, trimmedEnd);
    return 0;
  }

  onHeadersComplete(): CbResult {
    const m = this.machine;
    this.headDone = true;
    this.headerBytes = 0;
    if (this.repeat) {
      // The same bytes as a head that passed these limits and was handed over: hand over the same.
      this.repeat = false;
      this.url = this.repeated.url;
      return this.handOver(m, (this.repeated.rawHeaders as string[]).slice());
    }
    // Checked once the head is whole, as the llhttp backend does (both are bounded by
    // maxHeaderSize meanwhile).
    if (this.urlLength > this.maxUrlLength) {
      this.headLimit = true;
      return this.overflow('HPE_URL_OVERFLOW', 'Request target too long');
    }
    if ((this.head.count - 1) / 2 > this.maxHeaderCount) {
      this.headLimit = true;
      return this.overflow('HPE_HEADER_OVERFLOW', 'Too many header fields');
    }
    // A long head stays one string until its fields are read; short or cut ones become strings now.
    const fields = this.head.lazyFields();
    const rawHeaders = fields === null ? this.head.strings() : null;
    this.url = this.head.url;
    if (m.repeatable) {
      // The machine remembers this head now: its strings, when it has come twice in a row.
      this.repeated.url = this.url;
      this.repeated.rawHeaders = this.again ? (rawHeaders ?? (fields as HeadFields).raw()).slice() : null;
    }
    return this.handOver(m, rawHeaders, fields ?? undefined);
  }

  /** The head to the sink: its fields as strings, or kept as one string (`fields`). */
  private handOver(m: RequestMachine, rawHeaders: string[] | null, fields?: HeadFields): CbResult {
    const flags = m.flags;
    const chunked = (flags & F.CHUNKED) !== 0;
    const contentLength = !chunked && (flags & F.CONTENT_LENGTH) !== 0 ? m.contentLength : -1;
    if (rawHeaders !== null) {
      const head: RequestHead = {
        method: METHODS[m.method],
        url: this.url,
        versionMajor: m.httpMajor,
        versionMinor: m.httpMinor,
        rawHeaders,
        contentLength,
        chunked,
        keepAlive: m.shouldKeepAlive(),
        upgrade: m.upgrade === 1,
      };
      this.sink.onHead(head);
    } else {
      this.sink.onHead(new WaferHead(METHODS[m.method], this.url, m.httpMajor, m.httpMinor, fields as HeadFields,
        contentLength, chunked, m.shouldKeepAlive(), m.upgrade === 1));
    }
    return 0;
  }

  onBody(buf: Buffer, start: number, end: number): CbResult {
    if (end > start) this.sink.onBody(buf.subarray(start, end));
    return 0;
  }

  onMessageComplete(): CbResult {
    this.sink.onMessageComplete();
    return 0;
  }

  onChunkHeader(): CbResult {
    this.headerBytes = 0;
    this.chunkExtensionBytes = 0;
    return 0;
  }

  onChunkComplete(): CbResult {
    this.headerBytes = 0;
    return 0;
  }

  onChunkExtensionName(_buf: Buffer, start: number, end: number): CbResult {
    return this.countExtension(end - start);
  }

  onChunkExtensionValue(_buf: Buffer, start: number, end: number): CbResult {
    return this.countExtension(end - start);
  }

  private countExtension(n: number): CbResult {
    this.chunkExtensionBytes += n;
    if (this.chunkExtensionBytes > this.maxChunkExtensionSize) {
      return this.overflow('HPE_CHUNK_EXTENSIONS_OVERFLOW', 'Chunk extensions overflow');
    }
    return 0;
  }

  // Events the RequestParser has no use for.
  onMethod(): CbResult { return 0; }
  onMethodComplete(): CbResult { return 0; }
  onUrlComplete(): CbResult { return 0; }
  onProtocol(): CbResult { return 0; }
  onProtocolComplete(): CbResult { return 0; }
  onVersion(): CbResult { return 0; }
  onVersionComplete(): CbResult { return 0; }
  onChunkExtensionNameComplete(): CbResult { return 0; }
  onChunkExtensionValueComplete(): CbResult { return 0; }
  onReset(): CbResult { return 0; }
}

export function createWaferParser(sink: RequestSink, options?: ParserOptions): RequestParser {
  return new WaferParser(sink, options);
}
