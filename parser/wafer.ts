// wafer's RequestParser: the state machine of parser/machine.ts turned into request heads,
// body views and message ends for a connection (parser/types.ts). It keeps the sink-level
// behaviour of parser/llhttp.ts (Node's llhttp binding) — same heads, same body bytes, same
// error codes — so the two can be fuzzed against each other, without crossing into C++.
//
// Strings are made once per head (latin1, as Node does): while the head's bytes are in the
// buffer being parsed, the parser only notes where the target, names and values lie; at the
// end of the head it makes one string of the whole head and cuts the others from it (V8
// substrings), or, for a head of a few short pieces, makes each with String.fromCharCode
// (shortString below: no call into C++ at all), and remembers them for the next head
// (parser/head-memo.ts ShortStrings). A head cut by a chunk boundary has what it
// holds so far turned into strings before execute() returns, so no buffer is kept between
// calls. Body pieces are views into the buffer passed to execute(). Header bytes are counted
// the way Node counts them (request target, field names and values) and checked against the
// limits of parser/limits.ts.
import { parserCacheOn, RepeatedHead, SHORT_ITEMS, SHORT_PIECE, ShortStrings } from './head-memo.js';
import { PARSER_LIMITS } from './limits.js';
import type { HpeCode, ParseError } from './errors.js';
import { E, ERROR_NAMES, F, FINISH_SAFE, METHODS, RequestMachine, RULE_CHUNK_BWS_BEFORE_EXT, RULE_TE_EMPTY_ELEMENTS, type CbResult, type MachineCallbacks } from './machine.js';
import type { ParserOptions, RequestHead, RequestParser, RequestSink } from './types.js';

interface Latin1Buffer extends Buffer {
  latin1Slice(start: number, end: number): string;
}

/** Drop trailing SP / HTAB from a header value (Node hands values over right-trimmed). */
function trimOws(s: string): string {
  let n = s.length;
  while (n > 0) {
    const c = s.charCodeAt(n - 1);
    if (c !== 32 && c !== 9) break;
    n--;
  }
  return n === s.length ? s : s.slice(0, n);
}

const fromCharCode = String.fromCharCode;

/**
 * Common field names as lib/core/validate.ts and lib/core/connection.ts spell them (`name === 'Host'` is
 * tried first there): a short head's name is replaced by the constant when it is one, so those
 * checks meet the very same string. (Only names of at most SHORT_PIECE bytes can be short pieces.)
 */
const COMMON_NAMES = new Map<string, string>();
for (const name of ['Host', 'Content-Length', 'Content-Type', 'Connection', 'Expect', 'Accept', 'User-Agent', 'Cookie',
  'Authorization', 'Upgrade', 'Origin', 'Referer', 'Cache-Control', 'If-None-Match', 'Range', 'Accept-Encoding']) {
  COMMON_NAMES.set(name, name);
  COMMON_NAMES.set(name.toLowerCase(), name.toLowerCase());
}

/** b[s, s + n) equals kept[at, at + n). */
function sameBytes(b: Buffer, s: number, kept: Uint8Array, at: number, n: number): boolean {
  for (let k = 0; k < n; k++) if (b[s + k] !== kept[at + k]) return false;
  return true;
}

/**
 * buf[s, s + n) as a latin1 string, n ≤ SHORT_PIECE, made in JavaScript: fromCharCode with
 * exactly n arguments builds the flat one-byte string at once. For a head of a few short pieces
 * (`GET /` with a Host, a curl or a health check) this is cheaper than one latin1Slice — a call
 * into C++ — cut into substrings; for anything longer the slice wins (docs/performance.md).
 */
function shortString(b: Buffer, s: number, n: number): string {
  switch (n) {
    case 0: return '';
    case 1: return fromCharCode(b[s]);
    case 2: return fromCharCode(b[s], b[s + 1]);
    case 3: return fromCharCode(b[s], b[s + 1], b[s + 2]);
    case 4: return fromCharCode(b[s], b[s + 1], b[s + 2], b[s + 3]);
    case 5: return fromCharCode(b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4]);
    case 6: return fromCharCode(b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5]);
    case 7: return fromCharCode(b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5], b[s + 6]);
    case 8: return fromCharCode(b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5], b[s + 6], b[s + 7]);
    case 9: return fromCharCode(b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5], b[s + 6], b[s + 7], b[s + 8]);
    case 10: return fromCharCode(b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5], b[s + 6], b[s + 7], b[s + 8], b[s + 9]);
    case 11: return fromCharCode(b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5], b[s + 6], b[s + 7], b[s + 8], b[s + 9], b[s + 10]);
    case 12: return fromCharCode(b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5], b[s + 6], b[s + 7], b[s + 8], b[s + 9], b[s + 10], b[s + 11]);
    case 13: return fromCharCode(b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5], b[s + 6], b[s + 7], b[s + 8], b[s + 9], b[s + 10], b[s + 11], b[s + 12]);
    case 14: return fromCharCode(b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5], b[s + 6], b[s + 7], b[s + 8], b[s + 9], b[s + 10], b[s + 11], b[s + 12], b[s + 13]);
    case 15: return fromCharCode(b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5], b[s + 6], b[s + 7], b[s + 8], b[s + 9], b[s + 10], b[s + 11], b[s + 12], b[s + 13], b[s + 14]);
    case 16: return fromCharCode(b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5], b[s + 6], b[s + 7], b[s + 8], b[s + 9], b[s + 10], b[s + 11], b[s + 12], b[s + 13], b[s + 14], b[s + 15]);
    default: throw new RangeError(`shortString: ${n} bytes`);
  }
}

export class WaferParser implements RequestParser, MachineCallbacks {
  error: ParseError | null = null;
  upgraded = false;
  sink: RequestSink;
  private readonly machine: RequestMachine;
  private readonly maxHeaderSize: number;
  private readonly maxHeaderCount: number;
  private readonly maxUrlLength: number;
  private readonly maxChunkExtensionSize: number;
  // The head being read, as items: 0 is the request target, then name, value, name, value…
  // An item is a range [start, end) of `buf` (str null) or, once cut by a chunk boundary or
  // folded, a string.
  private buf: Buffer | null = null;
  private items = 0;
  private readonly itemStart: number[] = [];
  private readonly itemEnd: number[] = [];
  private readonly itemString: (string | null)[] = [];
  private ranges = 0;
  private readonly shortStrings: ShortStrings;
  /**
   * The head the machine remembers for onRepeatHead (parser/head-memo.ts), whose strings this
   * keeps (a copy: the arrays handed out are the requests' own) once it has come twice in a row
   * (`again`: the machine found it repeated before they were kept); whether the head being
   * read is a repeat.
   */
  private readonly repeated: RepeatedHead;
  private again = false;
  private repeat = false;
  /** Where the last rangeSlice() starts in the buffer. */
  private sliceStart = 0;
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
    this.shortStrings = new ShortStrings({ enabled: parserCacheOn(options.caches, 'shortStrings') });
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
    this.buf = data;
    const code = m.execute(data, 0, data.length);
    // Ranges must not outlive the buffer they point into.
    if (this.ranges !== 0) this.rangesToStrings();
    this.buf = null;
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

  /** A new item of the head, starting as a range of the current buffer. */
  private open(start: number, end: number): void {
    const i = this.items++;
    this.itemStart[i] = start;
    this.itemEnd[i] = end;
    this.itemString[i] = null;
    this.ranges++;
  }

  /** More bytes of item `i`: extend its range when contiguous, else go over to a string. */
  private extend(i: number, buf: Buffer, start: number, end: number): void {
    const str = this.itemString[i];
    if (str === null && this.itemEnd[i] === start) {
      this.itemEnd[i] = end;
      return;
    }
    const piece = (buf as Latin1Buffer).latin1Slice(start, end);
    if (str === null) {
      this.itemString[i] = (buf as Latin1Buffer).latin1Slice(this.itemStart[i], this.itemEnd[i]) + piece;
      this.ranges--;
    } else {
      this.itemString[i] = str + piece;
    }
  }

  /**
   * Every range of the head as one latin1 string, which starts at buffer offset `sliceStart`.
   * Ranges lie in the buffer in item order (earlier buffers' ones are strings by now, and only
   * the last item is ever extended), so it runs from the first range's start to the last one's
   * end. Call only with ranges !== 0.
   */
  private rangeSlice(): string {
    const itemString = this.itemString;
    let first = 0;
    while (itemString[first] !== null) first++;
    let last = this.items - 1;
    while (itemString[last] !== null) last--;
    this.sliceStart = this.itemStart[first];
    return (this.buf as Latin1Buffer).latin1Slice(this.sliceStart, this.itemEnd[last]);
  }

  /** Turn every range into a string (one slice of the buffer, cut up). */
  private rangesToStrings(): void {
    const all = this.rangeSlice();
    const lo = this.sliceStart;
    const itemString = this.itemString;
    for (let i = 0; i < this.items; i++) {
      if (itemString[i] === null) itemString[i] = all.substring(this.itemStart[i] - lo, this.itemEnd[i] - lo);
    }
    this.ranges = 0;
  }

  // ---- MachineCallbacks ----

  onMessageBegin(): CbResult {
    this.items = 0;
    this.ranges = 0;
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
    if (this.urlLength === 0) this.open(start, end);
    else this.extend(0, buf, start, end);
    this.urlLength += end - start;
    return 0;
  }

  /** A whole request line (the machine's fast path): onUrl's work; declined on overflow. */
  onRequestLine(_buf: Buffer, urlStart: number, urlEnd: number): CbResult {
    if (this.urlLength !== 0 || this.headerBytes + (urlEnd - urlStart) >= this.maxHeaderSize) return 1;
    this.headerBytes += urlEnd - urlStart;
    this.open(urlStart, urlEnd);
    this.urlLength = urlEnd - urlStart;
    return 0;
  }

  /** The head repeats the one remembered: its strings again (nothing counted, as it passed). */
  onRepeatHead(): CbResult {
    if (this.items !== 0 || this.headerBytes !== 0 || this.headDone) return 1;
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
    if (this.fieldOpen) {
      this.extend(this.items - 1, buf, start, end);
    } else {
      if (this.items === 0) this.open(start, start); // (no target: HTTP/0.9 cannot get here, but be safe)
      this.open(start, end);
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
      this.extend(this.items - 1, buf, start, end);
    } else {
      this.open(start, end);
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
    let i = this.items;
    if (i === 0) this.open(nameStart, nameStart); // (no target: cannot happen, as in onHeaderField)
    i = this.items;
    this.itemStart[i] = nameStart;
    this.itemEnd[i] = nameEnd;
    this.itemString[i] = null;
    this.itemStart[i + 1] = valueStart;
    this.itemEnd[i + 1] = trimmedEnd;
    this.itemString[i + 1] = null;
    this.items = i + 2;
    this.ranges += 2;
    return 0;
  }

  /**
   * The raw headers as strings (values right-trimmed, as Node hands them over); the request
   * target is left in `url`.
   */
  private strings(): string[] {
    const n = this.items;
    const buf = this.buf as Latin1Buffer;
    const itemStart = this.itemStart;
    const itemEnd = this.itemEnd;
    const itemString = this.itemString;
    if (n === 0) {
      this.url = '';
      return [];
    }
    const raw: string[] = new Array(n - 1);
    let all = '';
    let lo = 0;
    let short = n <= SHORT_ITEMS;
    if (this.ranges !== 0) {
      for (let i = 0; short && i < n; i++) if (itemString[i] === null && itemEnd[i] - itemStart[i] > SHORT_PIECE) short = false;
      if (!short) {
        all = this.rangeSlice();
        lo = this.sliceStart;
      }
    }
    for (let i = 0; i < n; i++) {
      const str = itemString[i];
      let v: string;
      if (str === null) {
        const s = itemStart[i];
        let e = itemEnd[i];
        if ((i & 1) === 0 && i > 0) {
          while (e > s && (buf[e - 1] === 32 || buf[e - 1] === 9)) e--;
        }
        v = short ? this.shortItem(i, buf, s, e - s) : all.substring(s - lo, e - lo);
      } else {
        v = i > 0 && (i & 1) === 0 ? trimOws(str) : str;
      }
      if (i === 0) this.url = v;
      else raw[i - 1] = v;
    }
    this.ranges = 0;
    this.items = 0;
    return raw;
  }

  /** Item i (i < SHORT_ITEMS) of a short head: the last head's string when the bytes match. */
  private shortItem(i: number, buf: Buffer, s: number, n: number): string {
    const memo = this.shortStrings;
    const last = memo.strings;
    const kept = memo.bytes;
    const at = i * SHORT_PIECE;
    if (last[i].length === n && sameBytes(buf, s, kept, at, n)) return last[i];
    let v = shortString(buf, s, n);
    if ((i & 1) === 1) v = COMMON_NAMES.get(v) ?? v;
    if (!memo.enabled) return v;
    last[i] = v;
    for (let k = 0; k < n; k++) kept[at + k] = buf[s + k];
    return v;
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
    if ((this.items - 1) / 2 > this.maxHeaderCount) {
      this.headLimit = true;
      return this.overflow('HPE_HEADER_OVERFLOW', 'Too many header fields');
    }
    const rawHeaders = this.strings();
    if (m.repeatable) {
      // The machine remembers this head now: its strings, when it has come twice in a row.
      this.repeated.url = this.url;
      this.repeated.rawHeaders = this.again ? rawHeaders.slice() : null;
    }
    return this.handOver(m, rawHeaders);
  }

  /** The head to the sink. */
  private handOver(m: RequestMachine, rawHeaders: string[]): CbResult {
    const flags = m.flags;
    const chunked = (flags & F.CHUNKED) !== 0;
    const head: RequestHead = {
      method: METHODS[m.method],
      url: this.url,
      versionMajor: m.httpMajor,
      versionMinor: m.httpMinor,
      rawHeaders,
      contentLength: !chunked && (flags & F.CONTENT_LENGTH) !== 0 ? m.contentLength : -1,
      chunked,
      keepAlive: m.shouldKeepAlive(),
      upgrade: m.upgrade === 1,
    };
    this.sink.onHead(head);
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
