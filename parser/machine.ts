// The low-level HTTP/1.1 request state machine: llhttp's model (src/llhttp/http.ts) written
// by hand in TypeScript. Every state below is named after the llhttp node it mirrors and
// makes the same decisions: which bytes go where, which span starts or ends, which
// callback fires, which error (code, reason, offset) ends the stream.
//
// Zero-copy: spans are delivered as (buffer, start, end) into the caller's buffer. A span
// still open when a chunk ends is delivered up to the chunk end and continues in the next
// chunk, so the state kept between chunks is a handful of counters and flags.
//
// Callbacks may return 'pause' (or HPE_PAUSED): execute() then stops with HPE_PAUSED at
// `errorPos`; resume() and execute the rest of the buffer from there. Any other non-zero
// return is a callback error, as in llhttp.
import { REPEAT_MAX, RepeatedHead } from './head-memo.js';
import { addDigit } from './limits.js';
import { HPE, type HpeCode } from './errors.js';
import {
  ALPHA, CONNECTION_TOKEN_CHARS, HEADER_CHARS, HEX_VALUE, HTAB_SP_VCHAR_OBS_TEXT, LOWER, QDTEXT,
  RELAXED_HEADER_CHARS, TOKEN, TRIE_MISMATCH, TRIE_MORE, URL_CHAR, USERINFO_CHARS, buildTrie, type Trie,
} from './tables.js';

/**
 * llhttp's error numbers (llhttp_errno_t), from the one table in parser/errors.ts, without
 * the `HPE_` prefix: `E.INVALID_METHOD` is `HPE.HPE_INVALID_METHOD`.
 */
type Unprefixed<K> = K extends `HPE_${infer R}` ? R : never;
export const E = Object.fromEntries(
  Object.entries(HPE).map(([k, v]) => [k.slice(4), v]),
) as { readonly [K in Unprefixed<keyof typeof HPE>]: (typeof HPE)[`HPE_${K}`] };

/** The name of an llhttp error number ('HPE_INVALID_METHOD' …). */
export const ERROR_NAMES: HpeCode[] = [];
for (const [k, v] of Object.entries(HPE) as [HpeCode, number][]) ERROR_NAMES[v] = k;

/** llhttp's message flags (the `flags=` of the fixtures' headers-complete line). */
export const F = {
  CONNECTION_KEEP_ALIVE: 1, CONNECTION_CLOSE: 2, CONNECTION_UPGRADE: 4, CHUNKED: 8, UPGRADE: 16,
  CONTENT_LENGTH: 32, SKIPBODY: 64, TRAILING: 128, TRANSFER_ENCODING: 512,
} as const;

/** Lenient flags: the same bits as parser/types.ts `Lenient` and Node's kLenient*. */
const L_HEADERS = 1, L_CHUNKED_LENGTH = 2, L_KEEP_ALIVE = 4, L_TRANSFER_ENCODING = 8, L_VERSION = 16,
  L_DATA_AFTER_CLOSE = 32, L_OPTIONAL_LF_AFTER_CR = 64, L_OPTIONAL_CRLF_AFTER_CHUNK = 128,
  L_OPTIONAL_CR_BEFORE_LF = 256, L_SPACES_AFTER_CHUNK_SIZE = 512, L_HEADER_VALUE_RELAXED = 1024;
/** Lenient flags that do not change how request and header lines are read. */
const LINE_NEUTRAL = L_CHUNKED_LENGTH | L_KEEP_ALIVE | L_TRANSFER_ENCODING | L_DATA_AFTER_CLOSE |
  L_OPTIONAL_CRLF_AFTER_CHUNK | L_SPACES_AFTER_CHUNK_SIZE;

/**
 * Rules the server adds where RFC 9110/9112 and llhttp disagree (RequestMachine `rules`; off by
 * default, so the machine alone is llhttp, as the fixtures and the fuzz oracle expect):
 * RULE_CHUNK_BWS_BEFORE_EXT — with lenient SPACES_AFTER_CHUNK_SIZE, whitespace after a chunk
 *   size only before a chunk extension's `;` (RFC 9112 §7.1.1 has BWS there and nowhere else):
 *   `5 ;a` passes, `5 \r\n` is HPE_INVALID_CHUNK_SIZE (llhttp's flag lets both through);
 * RULE_TE_EMPTY_ELEMENTS — empty list elements after `chunked` are ignored (RFC 9110 §5.6.1):
 *   `Transfer-Encoding: chunked,` is chunked (llhttp refuses it).
 */
export const RULE_CHUNK_BWS_BEFORE_EXT = 1, RULE_TE_EMPTY_ELEMENTS = 2;

/** llhttp_finish() verdicts: what the end of the stream would mean now. */
export const FINISH_SAFE = 0, FINISH_SAFE_WITH_CB = 1, FINISH_UNSAFE = 2;

/** Method names by llhttp's method number. */
export const METHODS = [
  'DELETE', 'GET', 'HEAD', 'POST', 'PUT', 'CONNECT', 'OPTIONS', 'TRACE', 'COPY', 'LOCK', 'MKCOL', 'MOVE',
  'PROPFIND', 'PROPPATCH', 'SEARCH', 'UNLOCK', 'BIND', 'REBIND', 'UNBIND', 'ACL', 'REPORT', 'MKACTIVITY',
  'CHECKOUT', 'MERGE', 'M-SEARCH', 'NOTIFY', 'SUBSCRIBE', 'UNSUBSCRIBE', 'PATCH', 'PURGE', 'MKCALENDAR',
  'LINK', 'UNLINK', 'SOURCE', 'PRI', 'DESCRIBE', 'ANNOUNCE', 'SETUP', 'PLAY', 'PAUSE', 'TEARDOWN',
  'GET_PARAMETER', 'SET_PARAMETER', 'REDIRECT', 'RECORD', 'FLUSH', 'QUERY',
];
const U64_MAX = (1n << 64n) - 1n;
const M_GET = 1, M_POST = 3, M_CONNECT = 5, M_PRI = 34;

// Bytes the fast paths test, by name.
const SP = 0x20, HTAB = 0x09, CR = 0x0d, LF = 0x0a, COLON = 0x3a, SLASH = 0x2f, QUESTION_MARK = 0x3f, DIGIT_0 = 0x30, DIGIT_1 = 0x31;

/** buf[p, p + 4) is `GET ` (the caller knows the bytes are there). */
function isGetSp(buf: Buffer, p: number): boolean {
  return buf[p + 3] === SP && buf[p] === 0x47 && buf[p + 1] === 0x45 && buf[p + 2] === 0x54; // G E T
}

/** buf[p, p + 5) is `POST `. */
function isPostSp(buf: Buffer, p: number): boolean {
  return buf[p + 4] === SP && buf[p] === 0x50 && buf[p + 1] === 0x4f && buf[p + 2] === 0x53 && buf[p + 3] === 0x54; // P O S T
}

/** buf[p, p + 10) is `HTTP/1.1` or `HTTP/1.0`, then CR LF (the minor version is buf[p + 7] - DIGIT_0). */
function isHttp1Crlf(buf: Buffer, p: number): boolean {
  return buf[p] === 0x48 && buf[p + 1] === 0x54 && buf[p + 2] === 0x54 && buf[p + 3] === 0x50 && // H T T P
    buf[p + 4] === SLASH && buf[p + 5] === DIGIT_1 && buf[p + 6] === 0x2e && // / 1 .
    (buf[p + 7] === DIGIT_1 || buf[p + 7] === DIGIT_0) && buf[p + 8] === CR && buf[p + 9] === LF;
}
const RTSP_ONLY = new Set([35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45]);
/** Which methods each protocol name allows (llhttp's METHODS_HTTP / _RTSP / _ICECAST). */
const ALLOWED_HTTP = new Uint8Array(64), ALLOWED_RTSP = new Uint8Array(64), ALLOWED_ICE = new Uint8Array(64);
METHODS.forEach((_, m) => {
  if (!RTSP_ONLY.has(m)) ALLOWED_HTTP[m] = 1;
  if (RTSP_ONLY.has(m) || m === 1 || m === 3 || m === 6) ALLOWED_RTSP[m] = 1;
});
ALLOWED_ICE[33] = 1;

const METHOD_TRIE = buildTrie(Object.fromEntries(METHODS.map((m, i) => [m, i])));
const PROTO_HTTP = 1, PROTO_RTSP = 2, PROTO_ICE = 3;
const PROTOCOL_TRIE = buildTrie({ HTTP: PROTO_HTTP, RTSP: PROTO_RTSP, ICE: PROTO_ICE });

// Header states (llhttp HEADER_STATE): which special header is being parsed.
const H_GENERAL = 0, H_CONNECTION = 1, H_CONTENT_LENGTH = 2, H_TRANSFER_ENCODING = 3, H_UPGRADE = 4,
  H_CONNECTION_KEEP_ALIVE = 5, H_CONNECTION_CLOSE = 6, H_CONNECTION_UPGRADE = 7, H_TRANSFER_ENCODING_CHUNKED = 8;
const SPECIAL_HEADER_TRIE = buildTrie({
  connection: H_CONNECTION, 'content-length': H_CONTENT_LENGTH, 'proxy-connection': H_CONNECTION,
  'transfer-encoding': H_TRANSFER_ENCODING, upgrade: H_UPGRADE,
});
const CONNECTION_TRIE = buildTrie({
  close: H_CONNECTION_CLOSE, upgrade: H_CONNECTION_UPGRADE, 'keep-alive': H_CONNECTION_KEEP_ALIVE,
});
/** Query bytes: URL_CHAR and '?'; fragment bytes: those and '#'. */
const QUERY_CHAR = URL_CHAR.slice();
QUERY_CHAR[63] = 1;
const FRAGMENT_CHAR = QUERY_CHAR.slice();
FRAGMENT_CHAR[35] = 1;
/** The special header names (lower case) by length: any other length is a general field. */
const SPECIAL_BY_LENGTH: (Uint8Array | undefined)[] = [];
const SPECIAL_STATE_BY_LENGTH: number[] = [];
for (const [name, state] of [['connection', H_CONNECTION], ['content-length', H_CONTENT_LENGTH],
  ['proxy-connection', H_CONNECTION], ['transfer-encoding', H_TRANSFER_ENCODING], ['upgrade', H_UPGRADE]] as const) {
  SPECIAL_BY_LENGTH[name.length] = Buffer.from(name, 'latin1');
  SPECIAL_STATE_BY_LENGTH[name.length] = state;
}
/** The header state of the name buf[p, p + n): a special one when it is one (any case), else H_GENERAL. */
function specialName(buf: Buffer, p: number, n: number): number {
  const name = SPECIAL_BY_LENGTH[n];
  if (name === undefined) return H_GENERAL;
  for (let i = 0; i < n; i++) if (LOWER[buf[p + i]] !== name[i]) return H_GENERAL;
  return SPECIAL_STATE_BY_LENGTH[n];
}
/** The tokens a Connection value may be on its own, lower case, with the flag each sets. */
const CONNECTION_KEEP_ALIVE = Buffer.from('keep-alive', 'latin1'), CONNECTION_CLOSE = Buffer.from('close', 'latin1'),
  CONNECTION_UPGRADE = Buffer.from('upgrade', 'latin1');
/**
 * The flag a Connection value buf[s, e) (no OWS around it) sets when it is exactly one of
 * keep-alive, close, upgrade (any case) — what the CONNECTION_TRIE states would decide — or 0.
 */
function connectionFlag(buf: Buffer, s: number, e: number): number {
  const n = e - s;
  const word = n === 10 ? CONNECTION_KEEP_ALIVE : n === 5 ? CONNECTION_CLOSE : n === 7 ? CONNECTION_UPGRADE : null;
  if (word === null) return 0;
  for (let i = 0; i < n; i++) if (LOWER[buf[s + i]] !== word[i]) return 0;
  return n === 10 ? F.CONNECTION_KEEP_ALIVE : n === 5 ? F.CONNECTION_CLOSE : F.CONNECTION_UPGRADE;
}
/** First bytes of the special header names (any case): only these need the trie. */
const SPECIAL_FIRST = new Uint8Array(256);
for (const ch of 'cptuCPTU') SPECIAL_FIRST[ch.charCodeAt(0)] = 1;
const CHUNKED_TRIE = buildTrie({ chunked: 1 });
const CRLF_TRIE = buildTrie({ '\r\n': 1 });
const SLASH2_TRIE = buildTrie({ '//': 1 });
const PRI_TRIE = buildTrie({ '\r\n\r\nSM\r\n\r\n': 1 });

/** Spans, numbered for the one open-span slot. */
export const SPAN_NONE = 0, SPAN_METHOD = 1, SPAN_URL = 2, SPAN_PROTOCOL = 3, SPAN_VERSION = 4,
  SPAN_HEADER_FIELD = 5, SPAN_HEADER_VALUE = 6, SPAN_BODY = 7, SPAN_CHUNK_EXTENSION_NAME = 8,
  SPAN_CHUNK_EXTENSION_VALUE = 9;

// Scanners: the longest run of bytes of one class from `p`. Eight bytes per step where
// they are there (V8 spends most of a byte loop on the loop itself).
function scan(t: Uint8Array, buf: Buffer, p: number, end: number): number {
  const e8 = end - 8;
  while (p <= e8 && (t[buf[p]] & t[buf[p + 1]] & t[buf[p + 2]] & t[buf[p + 3]] &
    t[buf[p + 4]] & t[buf[p + 5]] & t[buf[p + 6]] & t[buf[p + 7]]) === 1) p += 8;
  while (p < end && t[buf[p]] === 1) p++;
  return p;
}

/**
 * buf[p, p + n) equals kept[at, at + n). parser/wafer.ts's sameBytes is the same loop for its
 * short-head strings, kept apart on purpose: one function shared by both call sites measured
 * slower on pipelined identical GETs (docs/performance.md).
 */
function sameHead(buf: Buffer, p: number, kept: Buffer, at: number, n: number): boolean {
  for (let k = 0; k < n; k++) if (buf[p + k] !== kept[at + k]) return false;
  return true;
}

/** What a callback may answer: nothing / 0 to go on, 'pause' (or HPE_PAUSED) to pause. */
export type CbResult = number | 'pause' | void;

/** llhttp's settings: every callback the machine fires. */
export interface MachineCallbacks {
  onMessageBegin(): CbResult;
  onMethod(buf: Buffer, start: number, end: number): CbResult;
  onMethodComplete(): CbResult;
  onUrl(buf: Buffer, start: number, end: number): CbResult;
  onUrlComplete(): CbResult;
  onProtocol(buf: Buffer, start: number, end: number): CbResult;
  onProtocolComplete(): CbResult;
  onVersion(buf: Buffer, start: number, end: number): CbResult;
  onVersionComplete(): CbResult;
  onHeaderField(buf: Buffer, start: number, end: number): CbResult;
  onHeaderFieldComplete(): CbResult;
  onHeaderValue(buf: Buffer, start: number, end: number): CbResult;
  onHeaderValueComplete(): CbResult;
  /**
   * Optional, strict mode only: one whole, regular header line of a general (not special)
   * field, or of a Connection field holding one keep-alive / close / upgrade token, at once, in place of the field / field-complete / value / value-complete quartet
   * (name [nameStart, nameEnd), value [valueStart, valueEnd) as the value span would be, `trimmedEnd` its end without trailing
   * SP/HTAB). Answer 0 to take it; any other answer declines (nothing may have changed) and
   * the line goes through the byte states and the four callbacks.
   */
  onHeaderLine?(buf: Buffer, nameStart: number, nameEnd: number, valueStart: number, valueEnd: number, trimmedEnd: number): CbResult;
  /**
   * Optional, strict mode only: a whole, regular `GET`/`POST` origin-form request line
   * ending in ` HTTP/1.0` or ` HTTP/1.1` CR LF, in place of the method, url, protocol and
   * version spans and their *_complete callbacks (the target is [urlStart, urlEnd)). Answer 0 to take
   * it; any other answer declines (nothing may have changed) and the byte states run.
   */
  onRequestLine?(buf: Buffer, urlStart: number, urlEnd: number): CbResult;
  /**
   * Optional, strict mode only: the head starting here is byte for byte the last head the
   * fast paths read whole (request line, header lines and the CR LF that ends it, at most
   * REPEAT_MAX bytes), whose onHeadersComplete() was the last one called and took it. It
   * stands in for onRequestLine and the onHeaderLine calls: the machine is left as they would
   * leave it, and onHeadersComplete() follows as usual. Answer 0 to take it; any other answer
   * declines (nothing may have changed) and the head is read as usual. Without this callback
   * no head is remembered.
   */
  onRepeatHead?(): CbResult;
  /** 0: go on; 1: the message has no body; 2: no body, and treat as upgrade; or 'pause'. */
  onHeadersComplete(): CbResult;
  onBody(buf: Buffer, start: number, end: number): CbResult;
  onChunkHeader(): CbResult;
  onChunkExtensionName(buf: Buffer, start: number, end: number): CbResult;
  onChunkExtensionNameComplete(): CbResult;
  onChunkExtensionValue(buf: Buffer, start: number, end: number): CbResult;
  onChunkExtensionValueComplete(): CbResult;
  onChunkComplete(): CbResult;
  onMessageComplete(): CbResult;
  onReset(): CbResult;
}

// States, one per llhttp node that reads bytes or must survive a chunk boundary or a pause.
const enum S {
  START, AFTER_START, START_REQ, METHOD, FIRST_SPACE_BEFORE_URL, SPACES_BEFORE_URL,
  URL_START, URL_SCHEMA, URL_SCHEMA_DELIM, URL_SERVER, URL_SERVER_WITH_AT, URL_PATH,
  URL_QUERY_OR_FRAGMENT, URL_QUERY, URL_FRAGMENT, URL_SKIP_CRLF, URL_TO_HTTP, URL_TO_HTTP09,
  REQ_HTTP_START, REQ_AFTER_HTTP_START, REQ_CHECK_METHOD, REQ_AFTER_PROTOCOL, REQ_HTTP_MAJOR,
  REQ_HTTP_DOT, REQ_HTTP_MINOR, REQ_HTTP_END, REQ_AFTER_VERSION, REQ_HTTP_COMPLETE,
  REQ_HTTP_COMPLETE_CRLF, REQ_PRI_UPGRADE,
  HEADERS_START, HEADER_FIELD_START, HEADER_FIELD, HEADER_FIELD_COLON, HEADER_FIELD_COLON_DISCARD_WS,
  HEADER_FIELD_GENERAL, AFTER_HEADER_FIELD_COMPLETE, HEADER_VALUE_DISCARD_WS,
  HEADER_VALUE_DISCARD_WS_ALMOST_DONE, HEADER_VALUE_DISCARD_LWS, HEADER_VALUE_START,
  HEADER_VALUE_TE_CHUNKED, HEADER_VALUE_TE_CHUNKED_LAST, HEADER_VALUE_TE_TOKEN, HEADER_VALUE_TE_TOKEN_OWS,
  HEADER_VALUE_CONTENT_LENGTH, HEADER_VALUE_CONTENT_LENGTH_WS, HEADER_VALUE_CONNECTION,
  HEADER_VALUE_CONNECTION_WS, HEADER_VALUE_CONNECTION_TOKEN, HEADER_VALUE, HEADER_VALUE_OTHERWISE,
  HEADER_VALUE_LENIENT, HEADER_VALUE_RELAXED, HEADER_VALUE_ALMOST_DONE, HEADER_VALUE_LWS,
  HEADERS_ALMOST_DONE, HEADERS_COMPLETE, HEADERS_DONE, UPGRADE_PAUSE,
  BODY_IDENTITY, BODY_IDENTITY_EOF, EOF,
  CHUNK_SIZE_START, CHUNK_SIZE_DIGIT, CHUNK_SIZE, CHUNK_SIZE_OTHERWISE, CHUNK_EXTENSIONS,
  CHUNK_EXTENSION_NAME, CHUNK_EXTENSION_VALUE, CHUNK_EXTENSION_QUOTED_VALUE,
  CHUNK_EXTENSION_QUOTED_VALUE_QUOTED_PAIR, CHUNK_EXTENSION_QUOTED_VALUE_DONE, CHUNK_SIZE_ALMOST_DONE,
  CHUNK_SIZE_ALMOST_DONE_LF, AFTER_CHUNK_HEADER, CHUNK_DATA, CHUNK_DATA_ALMOST_DONE,
  CHUNK_DATA_ALMOST_DONE_LF, CHUNK_COMPLETE, MESSAGE_DONE, AFTER_MESSAGE_DONE, CLEANUP, CLOSED, RESTART,
  URL_TO_HTTP_CHECK, METHOD_COMPLETE, PROTOCOL_COMPLETE, VERSION_COMPLETE, URL_SKIP_LF, HEADER_FIELD_COLON_SKIP,
  HEADER_VALUE_EMPTY_COMPLETE, HEADER_VALUE_EOL, HEADER_VALUE_LENIENT_EOL, CHUNK_EXTENSION_NAME_END,
  CHUNK_EXTENSION_VALUE_END, CHUNK_EXTENSION_QUOTED_VALUE_END, CHUNK_SIZE_BWS, HEADER_VALUE_TE_CHUNKED_COMMA,
  DEAD,
}

function isOk(r: CbResult): boolean {
  return r === undefined || r === 0;
}
function isPause(r: CbResult): boolean {
  return r === 'pause' || r === E.PAUSED;
}

export class RequestMachine {
  /** 0, or the llhttp error number that stopped the machine (HPE_PAUSED: resumable). */
  error = 0;
  reason = '';
  /** Offset in the buffer of the failing execute() where the error or pause happened. */
  errorPos = 0;
  /**
   * The error is HPE_INVALID_VERSION for a well-formed version llhttp does not speak (its
   * reason 'Invalid HTTP version'), not for a garbled one: RFC 9110 §15.6.6 answers it 505.
   */
  unsupportedVersion = false;
  method = 0;
  httpMajor = 0;
  httpMinor = 0;
  flags = 0;
  /** Content-Length, then the size of the current chunk; counts down while body is read. */
  contentLength = 0;
  /** 1 once an Upgrade / CONNECT request has been recognised (llhttp's `upgrade`). */
  upgrade = 0;
  /** llhttp's `finish`: FINISH_SAFE, FINISH_SAFE_WITH_CB or FINISH_UNSAFE. */
  finishState = FINISH_SAFE;
  /** Offset, in the buffer being executed, of the byte where the current callback fires. */
  pos = 0;
  lenient: number;
  /** RULE_* bits: the server's RFC rules on top of llhttp's (0: llhttp exactly). */
  readonly rules: number;
  readonly cb: MachineCallbacks;

  private state = S.START;
  private headerState = H_GENERAL;
  private initialMessageCompleted = 0;
  private spanKind = SPAN_NONE;
  private spanStart = 0;
  // Where a multi-byte match stands (trie node, index in a run of bytes).
  private trieNode = 0;
  private trieIndex = 0;
  private trieEnd = 0;
  private proto = 0;
  /** A length past 2^53 - 1 being read (only to place the overflow error as llhttp does). */
  private big: bigint | null = null;
  /**
   * The last head read whole by the fast paths, for onRepeatHead (parser/head-memo.ts). While
   * execute() runs, the head is compared where it lies in the buffer; only the one remembered
   * last is copied out, as execute() returns. Cleared when any other head starts, or its
   * onHeadersComplete() did not take it.
   */
  readonly repeated: RepeatedHead;

  /** The head being completed is the one remembered for onRepeatHead (its first or a repeat). */
  get repeatable(): boolean {
    return this.repeated.length !== 0;
  }

  constructor(callbacks: MachineCallbacks, lenient = 0, rules = 0, repeated: RepeatedHead = new RepeatedHead({ enabled: true })) {
    this.cb = callbacks;
    this.lenient = lenient;
    this.rules = rules;
    this.repeated = repeated;
  }

  /** llhttp_reset(): a fresh stream, same callbacks and lenient flags. */
  reset(): void {
    this.error = 0; this.reason = ''; this.errorPos = 0; this.unsupportedVersion = false; this.method = 0; this.httpMajor = 0;
    this.httpMinor = 0; this.flags = 0; this.contentLength = 0; this.upgrade = 0;
    this.finishState = FINISH_SAFE; this.state = S.START; this.headerState = H_GENERAL;
    this.initialMessageCompleted = 0; this.spanKind = SPAN_NONE; this.spanStart = 0;
    this.trieNode = 0; this.trieIndex = 0; this.proto = 0; this.big = null;
    // The remembered head stays (it depends only on bytes read from START, where this leaves
    // the machine), unless it still lies in a buffer being executed.
    if (this.repeated.from >= 0) this.repeated.clear();
  }

  /** llhttp_resume(): continue after HPE_PAUSED (execute the rest from errorPos). */
  resume(): void {
    if (this.error === E.PAUSED) this.error = 0;
  }

  /** llhttp_resume_after_upgrade(). */
  resumeAfterUpgrade(): void {
    if (this.error === E.PAUSED_UPGRADE) this.error = 0;
  }

  /** llhttp_should_keep_alive() for the message being parsed. */
  shouldKeepAlive(): boolean {
    if (this.httpMajor > 0 && this.httpMinor > 0) {
      if (this.flags & F.CONNECTION_CLOSE) return false;
    } else if (!(this.flags & F.CONNECTION_KEEP_ALIVE)) {
      return false;
    }
    return true; // requests never need EOF to end (llhttp_message_needs_eof)
  }

  /**
   * llhttp_finish(): the peer closed the stream. Returns 0, or HPE_INVALID_EOF_STATE (with
   * `reason`) when that cuts a message short, or a callback's error.
   */
  finish(): number {
    if (this.error !== 0) return 0;
    if (this.finishState === FINISH_SAFE_WITH_CB) {
      const r = this.cb.onMessageComplete();
      if (!isOk(r)) return isPause(r) ? E.PAUSED : E.CB_MESSAGE_COMPLETE;
      return 0;
    }
    if (this.finishState === FINISH_SAFE) return 0;
    this.reason = 'Invalid EOF state';
    return E.INVALID_EOF_STATE;
  }

  private fail(code: number, reason: string, pos: number): number {
    this.error = code;
    this.reason = reason;
    this.errorPos = pos;
    this.state = S.DEAD;
    return code;
  }

  private pause(code: number, reason: string, pos: number, next: S): number {
    this.error = code;
    this.reason = reason;
    this.errorPos = pos;
    this.state = next;
    return code;
  }

  /** A pausable callback said something other than "go on": pause or fail. */
  private cbStop(r: CbResult, pos: number, next: S, code: number, name: string): number {
    if (isPause(r)) return this.pause(E.PAUSED, `${name} pause`, pos, next);
    return this.fail(code, `\`${name}\` callback error`, pos);
  }

  private spanCall(kind: number, buf: Buffer, start: number, end: number): CbResult {
    const cb = this.cb;
    switch (kind) {
      case SPAN_METHOD: return cb.onMethod(buf, start, end);
      case SPAN_URL: return cb.onUrl(buf, start, end);
      case SPAN_PROTOCOL: return cb.onProtocol(buf, start, end);
      case SPAN_VERSION: return cb.onVersion(buf, start, end);
      case SPAN_HEADER_FIELD: return cb.onHeaderField(buf, start, end);
      case SPAN_HEADER_VALUE: return cb.onHeaderValue(buf, start, end);
      case SPAN_BODY: return cb.onBody(buf, start, end);
      case SPAN_CHUNK_EXTENSION_NAME: return cb.onChunkExtensionName(buf, start, end);
      case SPAN_CHUNK_EXTENSION_VALUE: return cb.onChunkExtensionValue(buf, start, end);
      default: return 0;
    }
  }

  /**
   * End the open span at `pos`; a non-zero answer pauses (resuming at `next`, at `pos`) or
   * fails. `skip` is 1 where llhttp consumes the terminating byte in the same step
   * (`span.end().skipTo(...)`): its error offset is then one further, as llhttp reports it.
   */
  private spanEnd(buf: Buffer, pos: number, next: S, skip = 0): number {
    const kind = this.spanKind;
    this.spanKind = SPAN_NONE;
    const r = this.spanCall(kind, buf, this.spanStart, pos);
    if (isOk(r)) return 0;
    if (isPause(r)) return this.pause(E.PAUSED, 'Span callback pause', pos, next);
    return this.fail(typeof r === 'number' ? r : E.USER, 'Span callback error', pos + skip);
  }

  /**
   * A transfer coding after chunked, at `p`: refused as llhttp refuses it (RFC 9112 §6.1:
   * chunked must be the final coding of a request; §6.3 ¶4: else 400), the error returned; or,
   * with lenient TRANSFER_ENCODING, read on as llhttp would (0: the trie reset for the next coding).
   */
  private codingAfterChunked(buf: Buffer, p: number, lenient: number): number {
    if ((lenient & L_TRANSFER_ENCODING) === 0) {
      if (this.spanEnd(buf, p, S.DEAD, 1) !== 0) return this.error;
      return this.fail(E.INVALID_TRANSFER_ENCODING, 'Invalid `Transfer-Encoding` header value', p + 1);
    }
    this.trieNode = 0;
    this.trieIndex = 0;
    return 0;
  }

  /** A span callback answered non-zero: pause (resuming at `next`, at `pos`) or fail. */
  private spanStop(r: CbResult, pos: number, next: S, skip: number): number {
    if (isPause(r)) return this.pause(E.PAUSED, 'Span callback pause', pos, next);
    return this.fail(typeof r === 'number' ? r : E.USER, 'Span callback error', pos + skip);
  }

  /**
   * Run a trie from where it stopped. Returns the key's value, TRIE_MISMATCH or TRIE_MORE;
   * the position after it is left in `trieEnd`.
   */
  private trie(t: Trie, buf: Buffer, p: number, end: number, lower: boolean): number {
    let node = this.trieNode;
    let idx = this.trieIndex;
    for (;;) {
      if (t.leaf[node] === 1) {
        this.trieNode = 0; this.trieIndex = 0; this.trieEnd = p;
        return t.value[node];
      }
      const k = t.kind[node];
      if (k < 0) {
        if (p === end) {
          this.trieNode = node; this.trieIndex = 0; this.trieEnd = p;
          return TRIE_MORE;
        }
        const c = lower ? LOWER[buf[p]] : buf[p];
        const child = t.next[node * 256 + c];
        if (child < 0) {
          this.trieNode = 0; this.trieIndex = 0; this.trieEnd = p;
          return t.value[node] >= 0 ? t.value[node] : TRIE_MISMATCH;
        }
        p++;
        node = child;
        continue;
      }
      const len = t.seqLen[node];
      while (idx < len) {
        if (p === end) {
          this.trieNode = node; this.trieIndex = idx; this.trieEnd = p;
          return TRIE_MORE;
        }
        const c = lower ? LOWER[buf[p]] : buf[p];
        if (c !== t.seq[k + idx]) {
          this.trieNode = 0; this.trieIndex = 0; this.trieEnd = p;
          return TRIE_MISMATCH;
        }
        p++;
        idx++;
      }
      idx = 0;
      node = t.seqNext[node];
    }
  }

  /**
   * Fold a digit into contentLength through parser/limits.ts addDigit. A number that passes
   * 2^53 - 1 is no longer a safe length; it is carried on as a BigInt only to find where
   * llhttp's uint64 would overflow, so the error lands on the same byte as llhttp's.
   * Returns true on uint64 overflow.
   */
  private digits(d: number, base: 10 | 16): boolean {
    if (this.big === null) {
      const n = addDigit(this.contentLength, d, base);
      if (n >= 0) {
        this.contentLength = n;
        return false;
      }
      this.big = BigInt(this.contentLength);
    }
    this.big = this.big * BigInt(base) + BigInt(d);
    if (this.big > U64_MAX) {
      this.big = null;
      return true;
    }
    return false;
  }

  /** llhttp__after_headers_complete(): how the body is framed. */
  private afterHeadersComplete(): number {
    const flags = this.flags;
    const hasBody = (flags & F.CHUNKED) !== 0 || this.contentLength > 0;
    if (this.upgrade && (this.method === M_CONNECT || (flags & F.SKIPBODY) !== 0 || !hasBody)) return 1;
    if (flags & F.SKIPBODY) return 0;
    if (flags & F.CHUNKED) return 2;
    if (flags & F.TRANSFER_ENCODING) {
      // RFC 9112 §6.3 (7230 §3.3.3): a request whose final coding is not chunked has no
      // reliable length: 400, unless a lenient flag asks to read until EOF.
      if ((this.lenient & (L_CHUNKED_LENGTH | L_TRANSFER_ENCODING)) === 0) return 5;
      return 4;
    }
    if (!(flags & F.CONTENT_LENGTH)) return 0;
    if (this.contentLength === 0) return 0;
    return 3;
  }

  /**
   * The header-line fast path (strict mode): whole, regular lines of general fields — name
   * token up to ':', OWS, value bytes up to CR LF, and a next byte that is no obs-fold, all
   * in this buffer. The byte states would take exactly these steps with the same spans;
   * anything else (a special name other than a one-token Connection, an empty value, a byte
   * the tables refuse, a line cut by the buffer end) is left to them. Returns where the
   * lines taken end. (A method of its own: inside execute() V8 compiles it worse.)
   */
  private headerLines(buf: Buffer, p: number, end: number): number {
    const cb = this.cb;
    while (p < end) {
      const c0 = buf[p];
      if (TOKEN[c0] !== 1) break;
      const nameEnd = scan(TOKEN, buf, p + 1, end);
      if (nameEnd + 3 >= end || buf[nameEnd] !== COLON) break;
      // Special names go through the byte states, but for a Connection value of one
      // keep-alive / close / upgrade token, which sets its flag here.
      const nameState = SPECIAL_FIRST[c0] === 1 ? specialName(buf, p, nameEnd - p) : H_GENERAL;
      if (nameState !== H_GENERAL && nameState !== H_CONNECTION) break;
      let valueStart = nameEnd + 1;
      while (valueStart < end && (buf[valueStart] === SP || buf[valueStart] === HTAB)) valueStart++;
      if (valueStart === end || HEADER_CHARS[buf[valueStart]] !== 1) break;
      const valueEnd = scan(HEADER_CHARS, buf, valueStart + 1, end);
      if (valueEnd + 2 >= end || buf[valueEnd] !== CR || buf[valueEnd + 1] !== LF) break;
      const nextByte = buf[valueEnd + 2];
      if (nextByte === SP || nextByte === HTAB) break;
      let trimmedEnd = valueEnd;
      while (buf[trimmedEnd - 1] === SP || buf[trimmedEnd - 1] === HTAB) trimmedEnd--;
      let flag = 0;
      if (nameState === H_CONNECTION) {
        flag = connectionFlag(buf, valueStart, trimmedEnd);
        if (flag === 0) break;
      }
      this.headerState = nameState;
      this.pos = valueEnd + 2;
      const r = cb.onHeaderLine!(buf, p, nameEnd, valueStart, valueEnd, trimmedEnd);
      if (!isOk(r)) break;
      this.flags |= flag; // (setHeaderFlags; headerState goes back to H_CONNECTION there too)
      p = valueEnd + 2;
    }
    return p;
  }

  /** Remember the head buf[p0, p) the fast paths just read whole, and the state it left. */
  private remember(p0: number, p: number): void {
    const repeated = this.repeated;
    repeated.from = p0;
    repeated.length = p - p0;
    repeated.method = this.method;
    repeated.minor = this.httpMinor;
    repeated.flags = this.flags;
    repeated.headerState = this.headerState;
  }

  /**
   * llhttp_execute() over buf[start, end). Returns 0 or the error number (see `error`,
   * `reason`, `errorPos`). After HPE_PAUSED, resume() and execute(buf, errorPos, end).
   */
  execute(buf: Buffer, start = 0, end = buf.length): number {
    const repeated = this.repeated;
    // A callback threw out of the last run, and the head it remembered lay in that buffer.
    if (repeated.from >= 0) repeated.clear();
    const code = this.run(buf, start, end);
    const from = repeated.from;
    if (from >= 0) {
      // The remembered head must not outlive the buffer it lies in: copy it out.
      repeated.from = -1;
      const kept = repeated.bytes;
      const n = repeated.length;
      for (let k = 0; k < n; k++) kept[k] = buf[from + k];
    }
    return code;
  }

  private run(buf: Buffer, start: number, end: number): number {
    if (this.error !== 0) return this.error;
    if (this.spanKind !== SPAN_NONE) this.spanStart = start;
    const cb = this.cb;
    const lenient = this.lenient;
    // The fast paths take the strict byte states' steps: they run unless a lenient flag that
    // changes how a start line or a header line is read is set (those that touch only chunk
    // framing, keep-alive, data after close or the CL/TE verdict leave the lines alone).
    const lineFast = (lenient & ~LINE_NEUTRAL) === 0 && cb.onHeaderLine !== undefined;
    let p = start;
    let s = this.state;
    let r: CbResult;
    let v = 0;

    for (;;) {
      switch (s) {
        case S.START: {
          if (p === end) break;
          const c = buf[p];
          if (c === 13 || c === 10) {
            p++;
            continue;
          }
          if (this.initialMessageCompleted === 1) {
            this.pos = p;
            r = cb.onReset();
            if (!isOk(r)) return this.cbStop(r, p, S.AFTER_START, E.CB_RESET, 'on_reset');
          }
          // AFTER_START's step, without going round the loop.
          this.finishState = FINISH_UNSAFE;
          this.pos = p;
          r = cb.onMessageBegin();
          if (!isOk(r)) return this.cbStop(r, p, S.START_REQ, E.CB_MESSAGE_BEGIN, 'on_message_begin');
          s = S.START_REQ;
          continue;
        }
        case S.AFTER_START:
          this.finishState = FINISH_UNSAFE;
          this.pos = p;
          r = cb.onMessageBegin();
          if (!isOk(r)) return this.cbStop(r, p, S.START_REQ, E.CB_MESSAGE_BEGIN, 'on_message_begin');
          s = S.START_REQ;
          continue;
        case S.START_REQ:
          this.spanKind = SPAN_METHOD;
          this.spanStart = p;
          this.trieNode = 0;
          this.trieIndex = 0;
          repeat: if (this.repeated.length !== 0) {
            const repeated = this.repeated;
            const headLength = repeated.length;
            // The same head as the last one read whole: take the steps it took, at once.
            // (Any other head, whichever way it is read, forgets it.)
            repeated.length = 0;
            const from = repeated.from;
            if (lineFast && p + headLength <= end && this.flags === 0) {
              if (from < 0 ? !sameHead(buf, p, repeated.bytes, 0, headLength) : !sameHead(buf, p, buf, from, headLength)) {
                // Another head: while heads keep changing, remember one less and less often
                // (up to one in 64), so traffic that never repeats pays almost nothing.
                const misses = repeated.misses;
                repeated.misses = repeated.wait = misses >= 32 ? 63 : misses * 2 + 1;
                break repeat;
              }
              repeated.misses = 0;
              this.spanKind = SPAN_NONE;
              this.pos = p + headLength;
              r = cb.onRepeatHead!();
              if (isOk(r)) {
                repeated.length = headLength;
                this.method = repeated.method;
                this.httpMajor = 1;
                this.httpMinor = repeated.minor;
                this.flags = repeated.flags;
                this.headerState = repeated.headerState;
                p += headLength;
                s = S.HEADERS_COMPLETE;
                continue;
              }
              this.spanKind = SPAN_METHOD;
            }
          }
          if (lineFast && p + 16 < end) {
            const p0 = p;
            const clean = this.flags === 0;
            // Fast path for a whole "GET|POST /path[?query] HTTP/1.x" CR LF line: the states
            // from METHOD to REQ_HTTP_COMPLETE_CRLF would take exactly these steps. Anything
            // else (another method or target form, a fragment, extra spaces, a byte the URL
            // tables refuse, a line cut by the buffer end) goes through them.
            let method = -1;
            let urlStart = 0;
            if (isGetSp(buf, p)) {
              method = M_GET;
              urlStart = p + 4;
            } else if (isPostSp(buf, p)) {
              method = M_POST;
              urlStart = p + 5;
            }
            if (method >= 0 && buf[urlStart] === SLASH) {
              let urlEnd = scan(URL_CHAR, buf, urlStart + 1, end);
              if (urlEnd < end && buf[urlEnd] === QUESTION_MARK) urlEnd = scan(QUERY_CHAR, buf, urlEnd + 1, end);
              const version = urlEnd + 1;
              if (version + 10 <= end && buf[urlEnd] === SP && isHttp1Crlf(buf, version)) {
                this.spanKind = SPAN_NONE;
                this.pos = version + 10;
                r = cb.onRequestLine!(buf, urlStart, urlEnd);
                if (isOk(r)) {
                  this.method = method;
                  this.httpMajor = 1;
                  this.httpMinor = buf[version + 7] - DIGIT_0;
                  p = version + 10;
                  // HEADERS_START (no SP first), HEADER_FIELD_START's whole lines and the
                  // CR LF that ends the head (HEADERS_ALMOST_DONE), without going round the
                  // loop; anything else is left to those states, from where this got to.
                  s = S.HEADERS_START;
                  if (p < end && buf[p] !== SP && (this.flags & F.TRAILING) === 0) {
                    p = this.headerLines(buf, p, end);
                    s = S.HEADER_FIELD_START;
                    if (p + 1 < end && buf[p] === CR && buf[p + 1] === LF) {
                      p += 2;
                      s = S.HEADERS_COMPLETE;
                      if (clean && p - p0 <= REPEAT_MAX && cb.onRepeatHead !== undefined && this.repeated.enabled) {
                        if (this.repeated.wait === 0) this.remember(p0, p);
                        else this.repeated.wait--;
                      }
                    }
                  }
                  continue;
                }
                this.spanKind = SPAN_METHOD;
              }
            }
          }
          // Fast path: "GET " and "POST " decide the method trie at once (same result, same offsets).
          if (p + 4 < end && isGetSp(buf, p)) {
            p += 3;
            this.method = M_GET;
            if (this.spanEnd(buf, p, S.METHOD_COMPLETE) !== 0) return this.error;
            s = S.METHOD_COMPLETE;
            continue;
          }
          if (p + 5 < end && isPostSp(buf, p)) {
            p += 4;
            this.method = M_POST;
            if (this.spanEnd(buf, p, S.METHOD_COMPLETE) !== 0) return this.error;
            s = S.METHOD_COMPLETE;
            continue;
          }
          s = S.METHOD;
          continue;
        case S.METHOD:
          v = this.trie(METHOD_TRIE, buf, p, end, false);
          p = this.trieEnd;
          if (v === TRIE_MORE) break;
          if (v === TRIE_MISMATCH) return this.fail(E.INVALID_METHOD, 'Invalid method encountered', p);
          this.method = v;
          if (this.spanEnd(buf, p, S.METHOD_COMPLETE) !== 0) return this.error;
          s = S.METHOD_COMPLETE;
          continue;
        case S.METHOD_COMPLETE:
          this.pos = p;
          r = cb.onMethodComplete();
          if (!isOk(r)) return this.cbStop(r, p, S.FIRST_SPACE_BEFORE_URL, E.CB_METHOD_COMPLETE, 'on_method_complete');
          s = S.FIRST_SPACE_BEFORE_URL;
          continue;
        case S.FIRST_SPACE_BEFORE_URL:
          if (p === end) break;
          if (buf[p] !== 32) return this.fail(E.INVALID_METHOD, 'Expected space after method', p);
          p++;
          s = S.SPACES_BEFORE_URL;
          continue;
        case S.SPACES_BEFORE_URL:
          if (p === end) break;
          if (buf[p] === 32) {
            p++;
            continue;
          }
          this.spanKind = SPAN_URL;
          this.spanStart = p;
          s = this.method === M_CONNECT ? S.URL_SERVER : S.URL_START;
          continue;

        // ---- request target (llhttp src/llhttp/url.ts) ----
        case S.URL_START: {
          if (p === end) break;
          const c = buf[p];
          if (c === 47 || c === 42) { // '/' '*'
            p++;
            s = S.URL_PATH;
            continue;
          }
          if (ALPHA[c] === 1) {
            s = S.URL_SCHEMA;
            continue;
          }
          if (c === 32 || c === 13 || c === 10 || c === 9 || c === 12) {
            return this.fail(E.INVALID_URL, 'Invalid characters in url', p + 1);
          }
          return this.fail(E.INVALID_URL, 'Unexpected start char in url', p);
        }
        case S.URL_SCHEMA: {
          while (p < end && ALPHA[buf[p]] === 1) p++;
          if (p === end) break;
          const c = buf[p];
          if (c === 58) { // ':'
            p++;
            this.trieNode = 0;
            this.trieIndex = 0;
            s = S.URL_SCHEMA_DELIM;
            continue;
          }
          if (c === 32 || c === 13 || c === 10 || c === 9 || c === 12) {
            return this.fail(E.INVALID_URL, 'Invalid characters in url', p + 1);
          }
          return this.fail(E.INVALID_URL, 'Unexpected char in url schema', p);
        }
        case S.URL_SCHEMA_DELIM: {
          if (p === end) break;
          if (this.trieNode === 0 && this.trieIndex === 0) {
            const c = buf[p];
            if (c === 32 || c === 13 || c === 10 || c === 9 || c === 12) {
              return this.fail(E.INVALID_URL, 'Invalid characters in url', p + 1);
            }
          }
          v = this.trie(SLASH2_TRIE, buf, p, end, false);
          p = this.trieEnd;
          if (v === TRIE_MORE) break;
          if (v === TRIE_MISMATCH) return this.fail(E.INVALID_URL, 'Unexpected char in url schema', p);
          s = S.URL_SERVER;
          continue;
        }
        case S.URL_SERVER:
        case S.URL_SERVER_WITH_AT: {
          if (p === end) break;
          const c = buf[p];
          if (USERINFO_CHARS[c] === 1 || c === 91 || c === 93) { // '[' ']'
            p++;
            s = S.URL_SERVER;
            continue;
          }
          switch (c) {
            case 47: // '/': the path starts
              p++;
              s = S.URL_PATH;
              continue;
            case 63: // '?'
              p++;
              s = S.URL_QUERY;
              continue;
            case 64: // '@'
              if (s === S.URL_SERVER_WITH_AT) return this.fail(E.INVALID_URL, 'Double @ in url', p + 1);
              p++;
              s = S.URL_SERVER_WITH_AT;
              continue;
            case 32: case 13: case 10:
              s = this.urlEnd(c);
              if (this.spanEnd(buf, p, s) !== 0) return this.error;
              continue;
            case 9: case 12:
              return this.fail(E.INVALID_URL, 'Invalid characters in url', p + 1);
            default:
              return this.fail(E.INVALID_URL, 'Unexpected char in url server', p);
          }
        }
        case S.URL_PATH: {
          p = scan(URL_CHAR, buf, p, end);
          if (p === end) break;
          const c = buf[p];
          if (c === 9 || c === 12) return this.fail(E.INVALID_URL, 'Invalid characters in url', p + 1);
          s = S.URL_QUERY_OR_FRAGMENT;
          continue;
        }
        case S.URL_QUERY_OR_FRAGMENT: {
          const c = buf[p]; // a byte is always there: URL_PATH peeked it
          switch (c) {
            case 63: p++; s = S.URL_QUERY; continue;
            case 35: p++; s = S.URL_FRAGMENT; continue;
            case 32: case 13: case 10:
              s = this.urlEnd(c);
              if (this.spanEnd(buf, p, s) !== 0) return this.error;
              continue;
            case 9: case 12:
              return this.fail(E.INVALID_URL, 'Invalid characters in url', p + 1);
            default:
              return this.fail(E.INVALID_URL, 'Invalid char in url path', p);
          }
        }
        case S.URL_QUERY: {
          p = scan(QUERY_CHAR, buf, p, end);
          if (p === end) break;
          const c = buf[p];
          switch (c) {
            case 35: p++; s = S.URL_FRAGMENT; continue;
            case 32: case 13: case 10:
              s = this.urlEnd(c);
              if (this.spanEnd(buf, p, s) !== 0) return this.error;
              continue;
            case 9: case 12:
              return this.fail(E.INVALID_URL, 'Invalid characters in url', p + 1);
            default:
              return this.fail(E.INVALID_URL, 'Invalid char in url query', p);
          }
        }
        case S.URL_FRAGMENT: {
          p = scan(FRAGMENT_CHAR, buf, p, end);
          if (p === end) break;
          const c = buf[p];
          switch (c) {
            case 32: case 13: case 10:
              s = this.urlEnd(c);
              if (this.spanEnd(buf, p, s) !== 0) return this.error;
              continue;
            case 9: case 12:
              return this.fail(E.INVALID_URL, 'Invalid characters in url', p + 1);
            default:
              return this.fail(E.INVALID_URL, 'Invalid char in url fragment start', p);
          }
        }
        case S.URL_SKIP_CRLF:
          v = this.trie(CRLF_TRIE, buf, p, end, false);
          p = this.trieEnd;
          if (v === TRIE_MORE) break;
          if (v === TRIE_MISMATCH) return this.fail(E.INVALID_URL, 'Expected CRLF', p);
          s = S.URL_TO_HTTP09;
          continue;
        case S.URL_TO_HTTP:
          // skip_to_http: the space after the target
          if (p === end) break;
          p++;
          s = S.URL_TO_HTTP_CHECK;
          continue;
        case S.URL_TO_HTTP_CHECK:
          // llhttp's url adaptor nodes still refuse HTAB and FF, so the byte after the
          // space is looked at before the target is complete.
          if (p === end) break;
          if (buf[p] === 9 || buf[p] === 12) return this.fail(E.INVALID_URL, 'Invalid characters in url', p + 1);
          this.pos = p;
          r = cb.onUrlComplete();
          if (!isOk(r)) return this.cbStop(r, p, S.REQ_HTTP_START, E.CB_URL_COMPLETE, 'on_url_complete');
          s = S.REQ_HTTP_START;
          continue;
        case S.URL_SKIP_LF:
          // llhttp 9.3/9.4 take a bare LF after the target as the end of an HTTP/0.9 request
          // line whatever the lenient flags say; kept for parity with the oracle.
          if (p === end) break;
          p++;
          s = S.URL_TO_HTTP09;
          continue;
        case S.URL_TO_HTTP09:
          if (p === end) break;
          if (buf[p] === 9 || buf[p] === 12) return this.fail(E.INVALID_URL, 'Invalid characters in url', p + 1);
          this.httpMajor = 0;
          this.httpMinor = 9;
          this.pos = p;
          r = cb.onUrlComplete();
          if (!isOk(r)) return this.cbStop(r, p, S.HEADERS_START, E.CB_URL_COMPLETE, 'on_url_complete');
          s = S.HEADERS_START;
          continue;

        // ---- protocol and version ----
        case S.REQ_HTTP_START:
          if (p === end) break;
          if (buf[p] === 32) {
            p++;
            continue;
          }
          this.spanKind = SPAN_PROTOCOL;
          this.spanStart = p;
          this.trieNode = 0;
          this.trieIndex = 0;
          // Fast path for "HTTP/1.1\r\n" and "HTTP/1.0\r\n": the same callbacks at the same
          // offsets as the states from REQ_AFTER_HTTP_START to HEADERS_START, in one step.
          if (p + 10 <= end && isHttp1Crlf(buf, p) && ALLOWED_HTTP[this.method] === 1) {
            const at = p;
            p += 4;
            this.proto = PROTO_HTTP;
            if (this.spanEnd(buf, p, S.PROTOCOL_COMPLETE) !== 0) return this.error;
            this.pos = p;
            r = cb.onProtocolComplete();
            if (!isOk(r)) return this.cbStop(r, p, S.REQ_CHECK_METHOD, E.CB_PROTOCOL_COMPLETE, 'on_protocol_complete');
            this.proto = 0;
            p++;
            this.httpMajor = 1;
            this.httpMinor = buf[at + 7] - DIGIT_0;
            this.spanKind = SPAN_VERSION;
            this.spanStart = p;
            p += 3;
            if (this.spanEnd(buf, p, S.VERSION_COMPLETE) !== 0) return this.error;
            this.pos = p;
            r = cb.onVersionComplete();
            if (!isOk(r)) return this.cbStop(r, p, S.REQ_AFTER_VERSION, E.CB_VERSION_COMPLETE, 'on_version_complete');
            if (this.method === M_PRI) {
              s = S.REQ_AFTER_VERSION;
              continue;
            }
            p += 2;
            s = S.HEADERS_START;
            continue;
          }
          s = S.REQ_AFTER_HTTP_START;
          continue;
        case S.REQ_AFTER_HTTP_START:
          v = this.trie(PROTOCOL_TRIE, buf, p, end, false);
          p = this.trieEnd;
          if (v === TRIE_MORE) break;
          if (v === TRIE_MISMATCH) {
            if (this.spanEnd(buf, p, S.DEAD) !== 0) return this.error;
            return this.fail(E.INVALID_CONSTANT, 'Expected HTTP/, RTSP/ or ICE/', p);
          }
          this.proto = v;
          if (this.spanEnd(buf, p, S.PROTOCOL_COMPLETE) !== 0) return this.error;
          s = S.PROTOCOL_COMPLETE;
          continue;
        case S.PROTOCOL_COMPLETE:
          this.pos = p;
          r = cb.onProtocolComplete();
          if (!isOk(r)) return this.cbStop(r, p, S.REQ_CHECK_METHOD, E.CB_PROTOCOL_COMPLETE, 'on_protocol_complete');
          s = S.REQ_CHECK_METHOD;
          continue;
        case S.REQ_CHECK_METHOD: {
          const proto = this.proto;
          this.proto = 0;
          if (proto === PROTO_HTTP) {
            if (ALLOWED_HTTP[this.method] !== 1) return this.fail(E.INVALID_CONSTANT, 'Invalid method for HTTP/x.x request', p);
          } else if (proto === PROTO_RTSP) {
            if (ALLOWED_RTSP[this.method] !== 1) return this.fail(E.INVALID_CONSTANT, 'Invalid method for RTSP/x.x request', p);
          } else if (ALLOWED_ICE[this.method] !== 1) {
            return this.fail(E.INVALID_CONSTANT, 'Expected SOURCE method for ICE/x.x request', p);
          }
          s = S.REQ_AFTER_PROTOCOL;
          continue;
        }
        case S.REQ_AFTER_PROTOCOL:
          if (p === end) break;
          if (buf[p] !== 47) return this.fail(E.INVALID_CONSTANT, 'Expected HTTP/, RTSP/ or ICE/', p);
          p++;
          this.spanKind = SPAN_VERSION;
          this.spanStart = p;
          s = S.REQ_HTTP_MAJOR;
          continue;
        case S.REQ_HTTP_MAJOR: {
          if (p === end) break;
          const d = buf[p] - 48;
          if (d < 0 || d > 9) {
            if (this.spanEnd(buf, p, S.DEAD) !== 0) return this.error;
            return this.fail(E.INVALID_VERSION, 'Invalid major version', p);
          }
          this.httpMajor = d;
          p++;
          s = S.REQ_HTTP_DOT;
          continue;
        }
        case S.REQ_HTTP_DOT:
          if (p === end) break;
          if (buf[p] !== 46) {
            if (this.spanEnd(buf, p, S.DEAD) !== 0) return this.error;
            return this.fail(E.INVALID_VERSION, 'Expected dot', p);
          }
          p++;
          s = S.REQ_HTTP_MINOR;
          continue;
        case S.REQ_HTTP_MINOR: {
          if (p === end) break;
          const d = buf[p] - 48;
          if (d < 0 || d > 9) {
            if (this.spanEnd(buf, p, S.DEAD) !== 0) return this.error;
            return this.fail(E.INVALID_VERSION, 'Invalid minor version', p);
          }
          this.httpMinor = d;
          p++;
          if ((lenient & L_VERSION) === 0) {
            const M = this.httpMajor;
            const ok = (M === 0 && d === 9) || (M === 1 && (d === 0 || d === 1)) || (M === 2 && d === 0);
            if (!ok) {
              if (this.spanEnd(buf, p, S.DEAD) !== 0) return this.error;
              this.unsupportedVersion = true;
              return this.fail(E.INVALID_VERSION, 'Invalid HTTP version', p);
            }
          }
          s = S.REQ_HTTP_END;
          continue;
        }
        case S.REQ_HTTP_END:
          if (this.spanEnd(buf, p, S.VERSION_COMPLETE) !== 0) return this.error;
          s = S.VERSION_COMPLETE;
          continue;
        case S.VERSION_COMPLETE:
          this.pos = p;
          r = cb.onVersionComplete();
          if (!isOk(r)) return this.cbStop(r, p, S.REQ_AFTER_VERSION, E.CB_VERSION_COMPLETE, 'on_version_complete');
          s = S.REQ_AFTER_VERSION;
          continue;
        case S.REQ_AFTER_VERSION:
          if (this.method === M_PRI) {
            this.trieNode = 0;
            this.trieIndex = 0;
            s = S.REQ_PRI_UPGRADE;
          } else {
            s = S.REQ_HTTP_COMPLETE;
          }
          continue;
        case S.REQ_HTTP_COMPLETE: {
          if (p === end) break;
          const c = buf[p];
          if (c === 13) {
            p++;
            s = S.REQ_HTTP_COMPLETE_CRLF;
            continue;
          }
          if (c === 10 && (lenient & L_OPTIONAL_CR_BEFORE_LF) !== 0) {
            p++;
            s = S.REQ_HTTP_COMPLETE_CRLF;
            continue;
          }
          return this.fail(E.INVALID_VERSION, 'Expected CRLF after version', c === 10 ? p + 1 : p);
        }
        case S.REQ_HTTP_COMPLETE_CRLF:
          if (p === end) break;
          if (buf[p] === 10) {
            p++;
          } else if ((lenient & L_OPTIONAL_LF_AFTER_CR) === 0) {
            return this.fail(E.STRICT, 'Expected CRLF after version', p);
          }
          s = S.HEADERS_START;
          continue;
        case S.REQ_PRI_UPGRADE:
          v = this.trie(PRI_TRIE, buf, p, end, false);
          p = this.trieEnd;
          if (v === TRIE_MORE) break;
          if (v === TRIE_MISMATCH) return this.fail(E.INVALID_VERSION, 'Expected HTTP/2 Connection Preface', p);
          return this.fail(E.PAUSED_H2_UPGRADE, 'Pause on PRI/Upgrade', p);

        // ---- header fields ----
        case S.HEADERS_START:
          if (p === end) break;
          if (buf[p] === 32) {
            if ((lenient & L_HEADERS) === 0) {
              return this.fail(E.UNEXPECTED_SPACE, 'Unexpected space after start line', p + 1);
            }
            p++;
          }
          s = S.HEADER_FIELD_START;
          continue;
        case S.HEADER_FIELD_START: {
          // Whole regular lines at once (headerLines); the rest byte by byte below.
          if (lineFast && (this.flags & F.TRAILING) === 0) p = this.headerLines(buf, p, end);
          if (p === end) break;
          const c = buf[p];
          if (c === 13) {
            p++;
            s = S.HEADERS_ALMOST_DONE;
            continue;
          }
          if (c === 10) {
            p++;
            if ((lenient & L_OPTIONAL_CR_BEFORE_LF) === 0) {
              return this.fail(E.INVALID_HEADER_TOKEN, 'Invalid header field char', p);
            }
            if (this.flags & F.TRAILING) {
              this.pos = p;
              r = cb.onChunkComplete();
              if (!isOk(r)) return this.cbStop(r, p, S.MESSAGE_DONE, E.CB_CHUNK_COMPLETE, 'on_chunk_complete');
              s = S.MESSAGE_DONE;
            } else {
              s = S.HEADERS_COMPLETE;
            }
            continue;
          }
          if (c === 58) return this.fail(E.INVALID_HEADER_TOKEN, 'Invalid header token', p);
          this.spanKind = SPAN_HEADER_FIELD;
          this.spanStart = p;
          if (SPECIAL_FIRST[c] === 1) {
            this.trieNode = 0;
            this.trieIndex = 0;
            s = S.HEADER_FIELD;
          } else {
            // No special header starts so: the trie would miss on this very byte.
            this.headerState = H_GENERAL;
            s = S.HEADER_FIELD_GENERAL;
          }
          continue;
        }
        case S.HEADER_FIELD:
          v = this.trie(SPECIAL_HEADER_TRIE, buf, p, end, true);
          p = this.trieEnd;
          if (v === TRIE_MORE) break;
          if (v === TRIE_MISMATCH) {
            this.headerState = H_GENERAL;
            s = S.HEADER_FIELD_GENERAL;
          } else {
            this.headerState = v;
            s = S.HEADER_FIELD_COLON;
          }
          continue;
        case S.HEADER_FIELD_COLON: {
          if (p === end) break;
          const c = buf[p];
          if (c === 32) {
            if ((lenient & L_HEADERS) !== 0) {
              s = S.HEADER_FIELD_COLON_DISCARD_WS;
              continue;
            }
            if (this.spanEnd(buf, p, S.DEAD, 1) !== 0) return this.error;
            return this.fail(E.INVALID_HEADER_TOKEN, 'Invalid header field char', p + 1);
          }
          if (c === 58) {
            if (this.spanEnd(buf, p, S.HEADER_FIELD_COLON_SKIP, 1) !== 0) return this.error;
            s = S.HEADER_FIELD_COLON_SKIP;
            continue;
          }
          this.headerState = H_GENERAL;
          s = S.HEADER_FIELD_GENERAL;
          continue;
        }
        case S.HEADER_FIELD_COLON_DISCARD_WS:
          while (p < end && buf[p] === 32) p++;
          if (p === end) break;
          s = S.HEADER_FIELD_COLON;
          continue;
        case S.HEADER_FIELD_GENERAL:
          p = scan(TOKEN, buf, p, end);
          if (p === end) break;
          if (buf[p] !== 58) return this.fail(E.INVALID_HEADER_TOKEN, 'Invalid header token', p);
          this.spanKind = SPAN_NONE;
          r = cb.onHeaderField(buf, this.spanStart, p);
          if (!isOk(r)) return this.spanStop(r, p, S.HEADER_FIELD_COLON_SKIP, 1);
          // The ':' and the completion callback at once (HEADER_FIELD_COLON_SKIP); a general
          // header has nothing for AFTER_HEADER_FIELD_COMPLETE to check.
          p++;
          this.pos = p;
          r = cb.onHeaderFieldComplete();
          if (!isOk(r)) return this.cbStop(r, p, S.AFTER_HEADER_FIELD_COMPLETE, E.CB_HEADER_FIELD_COMPLETE, 'on_header_field_complete');
          {
            // Fast path, as HEADER_VALUE_DISCARD_WS then HEADER_VALUE: skip SP/HTAB; a value
            // byte other than those, CR and LF starts the value, scanned right away.
            let q = p;
            while (q < end && (buf[q] === 32 || buf[q] === 9)) q++;
            if (q < end && HEADER_CHARS[buf[q]] === 1) {
              this.spanKind = SPAN_HEADER_VALUE;
              this.spanStart = q;
              p = scan(HEADER_CHARS, buf, q, end);
              // (at `end` the value goes on in the next chunk)
              s = p === end ? S.HEADER_VALUE : S.HEADER_VALUE_OTHERWISE;
              continue;
            }
          }
          s = S.HEADER_VALUE_DISCARD_WS;
          continue;
        case S.HEADER_FIELD_COLON_SKIP:
          if (p === end) break;
          p++; // the ':'
          this.pos = p;
          r = cb.onHeaderFieldComplete();
          if (!isOk(r)) return this.cbStop(r, p, S.AFTER_HEADER_FIELD_COMPLETE, E.CB_HEADER_FIELD_COMPLETE, 'on_header_field_complete');
          s = S.AFTER_HEADER_FIELD_COMPLETE;
          continue;
        case S.AFTER_HEADER_FIELD_COMPLETE:
          // RFC 9112 §6.1 / §6.3: Content-Length with Transfer-Encoding is a smuggling
          // vector; llhttp 9 rejects the pair unless lenient CHUNKED_LENGTH.
          if ((lenient & L_CHUNKED_LENGTH) === 0) {
            if (this.headerState === H_TRANSFER_ENCODING && (this.flags & F.CONTENT_LENGTH) !== 0) {
              return this.fail(E.INVALID_TRANSFER_ENCODING, "Transfer-Encoding can't be present with Content-Length", p);
            }
            if (this.headerState === H_CONTENT_LENGTH && (this.flags & F.TRANSFER_ENCODING) !== 0) {
              return this.fail(E.INVALID_CONTENT_LENGTH, "Content-Length can't be present with Transfer-Encoding", p);
            }
          }
          s = S.HEADER_VALUE_DISCARD_WS;
          continue;

        // ---- header values ----
        case S.HEADER_VALUE_DISCARD_WS: {
          if (p === end) break;
          const c = buf[p];
          if (c === 32 || c === 9) {
            p++;
            continue;
          }
          if (c === 13) {
            p++;
            s = S.HEADER_VALUE_DISCARD_WS_ALMOST_DONE;
            continue;
          }
          if (c === 10) {
            p++;
            if ((lenient & L_OPTIONAL_CR_BEFORE_LF) === 0) {
              return this.fail(E.INVALID_HEADER_TOKEN, 'Invalid header value char', p);
            }
            s = S.HEADER_VALUE_DISCARD_LWS;
            continue;
          }
          this.spanKind = SPAN_HEADER_VALUE;
          this.spanStart = p;
          s = this.headerState === H_GENERAL ? S.HEADER_VALUE : S.HEADER_VALUE_START;
          continue;
        }
        case S.HEADER_VALUE_DISCARD_WS_ALMOST_DONE:
          if (p === end) break;
          if (buf[p] === 10) {
            p++;
          } else if ((lenient & L_HEADERS) === 0) {
            return this.fail(E.STRICT, 'Expected LF after CR', p);
          }
          s = S.HEADER_VALUE_DISCARD_LWS;
          continue;
        case S.HEADER_VALUE_DISCARD_LWS: {
          if (p === end) break;
          const c = buf[p];
          if (c === 32 || c === 9) {
            p++;
            if ((lenient & L_HEADERS) === 0) return this.fail(E.INVALID_HEADER_TOKEN, 'Invalid header value char', p);
            s = S.HEADER_VALUE_DISCARD_WS;
            continue;
          }
          // An empty value.
          if (this.headerState === H_CONTENT_LENGTH) return this.fail(E.INVALID_CONTENT_LENGTH, 'Empty Content-Length', p);
          if (this.headerState === H_TRANSFER_ENCODING) return this.fail(E.INVALID_TRANSFER_ENCODING, 'Empty Transfer-Encoding', p);
          this.setHeaderFlags();
          this.spanKind = SPAN_HEADER_VALUE;
          this.spanStart = p;
          if (this.spanEnd(buf, p, S.HEADER_VALUE_EMPTY_COMPLETE) !== 0) return this.error;
          s = S.HEADER_VALUE_EMPTY_COMPLETE;
          continue;
        }
        case S.HEADER_VALUE_EMPTY_COMPLETE: {
          this.pos = p;
          r = cb.onHeaderValueComplete();
          if (!isOk(r)) return this.cbStop(r, p, S.HEADER_FIELD_START, E.CB_HEADER_VALUE_COMPLETE, 'on_header_value_complete');
          s = S.HEADER_FIELD_START;
          continue;
        }
        case S.HEADER_VALUE_START:
          // Entered with the value's first byte at hand (the span has just started on it).
          switch (this.headerState) {
            case H_UPGRADE:
              this.flags |= F.UPGRADE;
              this.headerState = H_GENERAL;
              s = S.HEADER_VALUE;
              continue;
            case H_TRANSFER_ENCODING:
              // A second Transfer-Encoding field after one that ended in chunked.
              if ((this.flags & F.CHUNKED) !== 0 && this.codingAfterChunked(buf, p, lenient) !== 0) return this.error;
              this.flags = (this.flags | F.TRANSFER_ENCODING) & ~F.CHUNKED;
              this.trieNode = 0;
              this.trieIndex = 0;
              s = S.HEADER_VALUE_TE_CHUNKED;
              continue;
            case H_CONTENT_LENGTH:
              if (this.flags & F.CONTENT_LENGTH) {
                return this.fail(E.UNEXPECTED_CONTENT_LENGTH, 'Duplicate Content-Length', p);
              }
              s = S.HEADER_VALUE_CONTENT_LENGTH;
              continue;
            case H_CONNECTION:
              this.trieNode = 0;
              this.trieIndex = 0;
              s = S.HEADER_VALUE_CONNECTION;
              continue;
            default:
              s = S.HEADER_VALUE;
              continue;
          }
        case S.HEADER_VALUE_TE_CHUNKED:
          v = this.trie(CHUNKED_TRIE, buf, p, end, true);
          p = this.trieEnd;
          if (v === TRIE_MORE) break;
          s = v === TRIE_MISMATCH ? S.HEADER_VALUE_TE_TOKEN : S.HEADER_VALUE_TE_CHUNKED_LAST;
          continue;
        case S.HEADER_VALUE_TE_CHUNKED_LAST: {
          while (p < end && buf[p] === 32) p++;
          if (p === end) break;
          const c = buf[p];
          if (c === 13 || c === 10) {
            this.headerState = H_TRANSFER_ENCODING_CHUNKED;
            s = S.HEADER_VALUE_OTHERWISE;
            continue;
          }
          if (c === 44) {
            if ((this.rules & RULE_TE_EMPTY_ELEMENTS) !== 0) {
              p++;
              s = S.HEADER_VALUE_TE_CHUNKED_COMMA;
              continue;
            }
            if (this.codingAfterChunked(buf, p, lenient) !== 0) return this.error;
            s = S.HEADER_VALUE_TE_CHUNKED;
            continue;
          }
          s = S.HEADER_VALUE_TE_TOKEN;
          continue;
        }
        case S.HEADER_VALUE_TE_CHUNKED_COMMA: {
          // After `chunked,` (RULE_TE_EMPTY_ELEMENTS): RFC 9110 §5.6.1 ignores empty list
          // elements, so a value that ends in OWS and commas is still chunked.
          while (p < end && (buf[p] === 32 || buf[p] === 9 || buf[p] === 44)) p++;
          if (p === end) break;
          const c = buf[p];
          if (c === 13 || c === 10) {
            this.headerState = H_TRANSFER_ENCODING_CHUNKED;
            s = S.HEADER_VALUE_OTHERWISE;
            continue;
          }
          if (this.codingAfterChunked(buf, p, lenient) !== 0) return this.error;
          s = S.HEADER_VALUE_TE_CHUNKED;
          continue;
        }
        case S.HEADER_VALUE_TE_TOKEN: {
          while (p < end && CONNECTION_TOKEN_CHARS[buf[p]] === 1) p++;
          if (p === end) break;
          if (buf[p] === 44) {
            p++;
            s = S.HEADER_VALUE_TE_TOKEN_OWS;
            continue;
          }
          this.headerState = H_GENERAL;
          s = S.HEADER_VALUE;
          continue;
        }
        case S.HEADER_VALUE_TE_TOKEN_OWS:
          while (p < end && (buf[p] === 32 || buf[p] === 9)) p++;
          if (p === end) break;
          this.trieNode = 0;
          this.trieIndex = 0;
          s = S.HEADER_VALUE_TE_CHUNKED;
          continue;
        case S.HEADER_VALUE_CONTENT_LENGTH: {
          for (;;) {
            if (p === end) break;
            const d = buf[p] - 48;
            if (d < 0 || d > 9) break;
            p++;
            if (this.digits(d, 10)) {
              if (this.spanEnd(buf, p, S.DEAD) !== 0) return this.error;
              return this.fail(E.INVALID_CONTENT_LENGTH, 'Content-Length overflow', p);
            }
          }
          if (p === end) break;
          if (this.big !== null) {
            // Past 2^53 - 1 but within llhttp's 2^64 - 1: rejected where the number ends
            // (RFC 9110 §8.6: no precision loss in a length). llhttp would accept it.
            this.big = null;
            if (this.spanEnd(buf, p, S.DEAD) !== 0) return this.error;
            return this.fail(E.INVALID_CONTENT_LENGTH, 'Content-Length overflow', p);
          }
          s = S.HEADER_VALUE_CONTENT_LENGTH_WS;
          continue;
        }
        case S.HEADER_VALUE_CONTENT_LENGTH_WS: {
          while (p < end && (buf[p] === 32 || buf[p] === 9)) p++;
          if (p === end) break;
          const c = buf[p];
          if (c === 13 || c === 10) {
            this.flags |= F.CONTENT_LENGTH;
            s = S.HEADER_VALUE_OTHERWISE;
            continue;
          }
          if (this.spanEnd(buf, p, S.DEAD) !== 0) return this.error;
          return this.fail(E.INVALID_CONTENT_LENGTH, 'Invalid character in Content-Length', p);
        }
        case S.HEADER_VALUE_CONNECTION: {
          if (this.trieNode === 0) {
            while (p < end && (buf[p] === 32 || buf[p] === 9)) p++;
          }
          v = this.trie(CONNECTION_TRIE, buf, p, end, true);
          p = this.trieEnd;
          if (v === TRIE_MORE) break;
          if (v === TRIE_MISMATCH) {
            s = S.HEADER_VALUE_CONNECTION_TOKEN;
          } else {
            this.headerState = v;
            s = S.HEADER_VALUE_CONNECTION_WS;
          }
          continue;
        }
        case S.HEADER_VALUE_CONNECTION_WS: {
          while (p < end && (buf[p] === 32 || buf[p] === 9)) p++;
          if (p === end) break;
          const c = buf[p];
          if (c === 44) {
            p++;
            this.setHeaderFlags();
            this.trieNode = 0;
            this.trieIndex = 0;
            s = S.HEADER_VALUE_CONNECTION;
            continue;
          }
          if (c === 13 || c === 10) {
            s = S.HEADER_VALUE_OTHERWISE;
            continue;
          }
          this.headerState = H_GENERAL;
          s = S.HEADER_VALUE_CONNECTION_TOKEN;
          continue;
        }
        case S.HEADER_VALUE_CONNECTION_TOKEN:
          while (p < end && CONNECTION_TOKEN_CHARS[buf[p]] === 1) p++;
          if (p === end) break;
          if (buf[p] === 44) {
            p++;
            this.trieNode = 0;
            this.trieIndex = 0;
            s = S.HEADER_VALUE_CONNECTION;
            continue;
          }
          s = S.HEADER_VALUE_OTHERWISE;
          continue;
        case S.HEADER_VALUE:
          // The hot loop: until CR, LF or a byte a value may not hold.
          p = scan(HEADER_CHARS, buf, p, end);
          if (p === end) break;
          s = S.HEADER_VALUE_OTHERWISE;
          continue;
        case S.HEADER_VALUE_OTHERWISE: {
          if (p === end) break;
          const c = buf[p];
          if (c === 13 || c === 10) {
            this.spanKind = SPAN_NONE;
            r = cb.onHeaderValue(buf, this.spanStart, p);
            if (!isOk(r)) return this.spanStop(r, p, S.HEADER_VALUE_EOL, c === 13 ? 1 : 0);
            // Fast path for CR LF followed by a byte that is no fold: the value is complete
            // (the same steps as HEADER_VALUE_EOL → ALMOST_DONE → LWS, in one go).
            if (c === 13 && p + 2 < end && buf[p + 1] === 10) {
              const n = buf[p + 2];
              if (n !== 32 && n !== 9) {
                p += 2;
                this.setHeaderFlags();
                this.pos = p;
                r = cb.onHeaderValueComplete();
                if (!isOk(r)) return this.cbStop(r, p, S.HEADER_FIELD_START, E.CB_HEADER_VALUE_COMPLETE, 'on_header_value_complete');
                s = S.HEADER_FIELD_START;
                continue;
              }
            }
            s = S.HEADER_VALUE_EOL;
            continue;
          }
          if ((lenient & L_HEADERS) !== 0) {
            s = S.HEADER_VALUE_LENIENT;
            continue;
          }
          if ((lenient & L_HEADER_VALUE_RELAXED) !== 0) {
            s = S.HEADER_VALUE_RELAXED;
            continue;
          }
          if (this.spanEnd(buf, p, S.DEAD) !== 0) return this.error;
          return this.fail(E.INVALID_HEADER_TOKEN, 'Invalid header value char', p);
        }
        case S.HEADER_VALUE_EOL:
          if (p === end) break;
          if (buf[p] === 13) {
            p++;
          } else if ((lenient & L_OPTIONAL_CR_BEFORE_LF) === 0) {
            return this.fail(E.CR_EXPECTED, 'Missing expected CR after header value', p);
          }
          s = S.HEADER_VALUE_ALMOST_DONE;
          continue;
        case S.HEADER_VALUE_LENIENT:
          while (p < end && buf[p] !== 13 && buf[p] !== 10) p++;
          if (p === end) break;
          if (this.spanEnd(buf, p, S.HEADER_VALUE_LENIENT_EOL, (buf[p] === 13 ? 1 : 0)) !== 0) return this.error;
          s = S.HEADER_VALUE_LENIENT_EOL;
          continue;
        case S.HEADER_VALUE_LENIENT_EOL:
          // lenient HEADERS: a bare LF ends the value too
          if (p === end) break;
          if (buf[p] === 13) p++;
          s = S.HEADER_VALUE_ALMOST_DONE;
          continue;
        case S.HEADER_VALUE_RELAXED:
          if (RELAXED_HEADER_CHARS[buf[p]] === 1) {
            p++;
            s = S.HEADER_VALUE;
            continue;
          }
          if (this.spanEnd(buf, p, S.DEAD) !== 0) return this.error;
          return this.fail(E.INVALID_HEADER_TOKEN, 'Invalid header value char', p);
        case S.HEADER_VALUE_ALMOST_DONE:
          if (p === end) break;
          if (buf[p] !== 10) return this.fail(E.LF_EXPECTED, 'Missing expected LF after header value', p);
          p++;
          s = S.HEADER_VALUE_LWS;
          continue;
        case S.HEADER_VALUE_LWS: {
          if (p === end) break;
          const c = buf[p];
          if (c === 32 || c === 9) {
            // obs-fold (RFC 9112 §5.2): rejected unless lenient HEADERS.
            if ((lenient & L_HEADERS) === 0) {
              return this.fail(E.INVALID_HEADER_TOKEN, 'Unexpected whitespace after header value', p);
            }
            if (this.headerState === H_TRANSFER_ENCODING_CHUNKED) this.headerState = H_GENERAL;
            this.spanKind = SPAN_HEADER_VALUE;
            this.spanStart = p;
            s = S.HEADER_VALUE_START;
            continue;
          }
          this.setHeaderFlags();
          this.pos = p;
          r = cb.onHeaderValueComplete();
          if (!isOk(r)) return this.cbStop(r, p, S.HEADER_FIELD_START, E.CB_HEADER_VALUE_COMPLETE, 'on_header_value_complete');
          s = S.HEADER_FIELD_START;
          continue;
        }
        case S.HEADERS_ALMOST_DONE:
          if (p === end) break;
          if (buf[p] === 10) {
            p++;
          } else if ((lenient & L_OPTIONAL_LF_AFTER_CR) === 0) {
            return this.fail(E.STRICT, 'Expected LF after headers', p);
          }
          if (this.flags & F.TRAILING) {
            this.pos = p;
            r = cb.onChunkComplete();
            if (!isOk(r)) return this.cbStop(r, p, S.MESSAGE_DONE, E.CB_CHUNK_COMPLETE, 'on_chunk_complete');
            s = S.MESSAGE_DONE;
          } else {
            s = S.HEADERS_COMPLETE;
          }
          continue;
        case S.HEADERS_COMPLETE:
          // llhttp__before_headers_complete: an upgrade needs Upgrade + Connection: upgrade,
          // or is a CONNECT.
          if ((this.flags & F.UPGRADE) !== 0 && (this.flags & F.CONNECTION_UPGRADE) !== 0) this.upgrade = 1;
          else this.upgrade = this.method === M_CONNECT ? 1 : 0;
          this.pos = p;
          r = cb.onHeadersComplete();
          if (r === 1) {
            this.flags |= F.SKIPBODY;
          } else if (r === 2) {
            this.upgrade = 1;
            this.flags |= F.SKIPBODY;
          } else if (!isOk(r)) {
            this.repeated.length = 0;
            if (isPause(r)) return this.pause(E.PAUSED, 'Paused by on_headers_complete', p, S.HEADERS_DONE);
            return this.fail(E.CB_HEADERS_COMPLETE, 'User callback error', p);
          }
          s = S.HEADERS_DONE;
          continue;
        case S.HEADERS_DONE:
          switch (this.afterHeadersComplete()) {
            case 1:
              this.pos = p;
              r = cb.onMessageComplete();
              if (!isOk(r)) return this.cbStop(r, p, S.UPGRADE_PAUSE, E.CB_MESSAGE_COMPLETE, 'on_message_complete');
              s = S.UPGRADE_PAUSE;
              continue;
            case 2:
              s = S.CHUNK_SIZE_START;
              continue;
            case 3:
              s = S.BODY_IDENTITY;
              this.spanKind = SPAN_BODY;
              this.spanStart = p;
              continue;
            case 4:
              this.finishState = FINISH_SAFE_WITH_CB;
              this.spanKind = SPAN_BODY;
              this.spanStart = p;
              s = S.EOF;
              continue;
            case 5:
              return this.fail(E.INVALID_TRANSFER_ENCODING, 'Request has invalid `Transfer-Encoding`', p);
            default:
              this.pos = p;
              r = cb.onMessageComplete();
              if (!isOk(r)) return this.cbStop(r, p, S.CLEANUP, E.CB_MESSAGE_COMPLETE, 'on_message_complete');
              s = this.cleanup(); // (CLEANUP's step, and RESTART's when the connection stays open)
              continue;
          }
        case S.UPGRADE_PAUSE:
          // The rest of the stream is another protocol: stop here (resumable, as llhttp).
          return this.pause(E.PAUSED_UPGRADE, 'Pause on CONNECT/Upgrade', p, S.CLEANUP);

        // ---- body ----
        case S.BODY_IDENTITY: {
          const avail = end - p;
          const need = this.contentLength;
          if (avail < need) {
            this.contentLength = need - avail;
            p = end;
            break;
          }
          p += need;
          this.contentLength = 0;
          if (this.spanEnd(buf, p, S.MESSAGE_DONE) !== 0) return this.error;
          s = S.MESSAGE_DONE;
          continue;
        }
        case S.EOF:
          // Body until the peer closes (lenient, non-chunked Transfer-Encoding).
          p = end;
          break;
        case S.CHUNK_SIZE_START:
          this.contentLength = 0;
          s = S.CHUNK_SIZE_DIGIT;
          continue;
        case S.CHUNK_SIZE_DIGIT:
        case S.CHUNK_SIZE: {
          for (;;) {
            if (p === end) break;
            const d = HEX_VALUE[buf[p]];
            if (d === 255) break;
            p++;
            if (this.digits(d, 16)) return this.fail(E.INVALID_CHUNK_SIZE, 'Chunk size overflow', p);
            s = S.CHUNK_SIZE;
          }
          if (p === end) break;
          if (this.big !== null) {
            // Past 2^53 - 1 but within 2^64 - 1 (see Content-Length above).
            this.big = null;
            return this.fail(E.INVALID_CHUNK_SIZE, 'Chunk size overflow', p);
          }
          if (s === S.CHUNK_SIZE_DIGIT) return this.fail(E.INVALID_CHUNK_SIZE, 'Invalid character in chunk size', p);
          s = S.CHUNK_SIZE_OTHERWISE;
          continue;
        }
        case S.CHUNK_SIZE_OTHERWISE: {
          if (p === end) break;
          const c = buf[p];
          switch (c) {
            case 32: case 9:
              p++;
              if ((lenient & L_SPACES_AFTER_CHUNK_SIZE) === 0) {
                return this.fail(E.INVALID_CHUNK_SIZE, 'Invalid character in chunk size', p);
              }
              if ((this.rules & RULE_CHUNK_BWS_BEFORE_EXT) !== 0) s = S.CHUNK_SIZE_BWS;
              continue;
            case 13:
              p++;
              s = S.CHUNK_SIZE_ALMOST_DONE;
              continue;
            case 10:
              p++;
              if ((lenient & L_OPTIONAL_CR_BEFORE_LF) === 0) {
                return this.fail(E.CR_EXPECTED, 'Missing expected CR after chunk size', p);
              }
              s = S.CHUNK_SIZE_ALMOST_DONE;
              continue;
            case 59: // ';'
              p++;
              s = S.CHUNK_EXTENSIONS;
              continue;
            default:
              return this.fail(E.INVALID_CHUNK_SIZE, 'Invalid character in chunk size', p);
          }
        }
        case S.CHUNK_SIZE_BWS: {
          // RULE_CHUNK_BWS_BEFORE_EXT: RFC 9112 §7.1.1 allows BWS after the size only before `;`.
          while (p < end && (buf[p] === 32 || buf[p] === 9)) p++;
          if (p === end) break;
          if (buf[p] === 59) {
            p++;
            s = S.CHUNK_EXTENSIONS;
            continue;
          }
          if (buf[p] === 13 || buf[p] === 10) {
            return this.fail(E.INVALID_CHUNK_SIZE, 'Whitespace after chunk size without a chunk extension', p);
          }
          return this.fail(E.INVALID_CHUNK_SIZE, 'Invalid character in chunk size', p);
        }
        case S.CHUNK_EXTENSIONS: {
          if (p === end) break;
          const c = buf[p];
          if (c === 32 || c === 13) return this.fail(E.STRICT, 'Invalid character in chunk extensions', p + 1);
          this.spanKind = SPAN_CHUNK_EXTENSION_NAME;
          this.spanStart = p;
          s = S.CHUNK_EXTENSION_NAME;
          continue;
        }
        case S.CHUNK_EXTENSION_NAME: {
          while (p < end && TOKEN[buf[p]] === 1) p++;
          if (p === end) break;
          const c = buf[p];
          if (c !== 61 && c !== 59 && c !== 13 && c !== 10) {
            if (this.spanEnd(buf, p, S.DEAD, 1) !== 0) return this.error;
            return this.fail(E.STRICT, 'Invalid character in chunk extensions name', p + 1);
          }
          if (this.spanEnd(buf, p, S.CHUNK_EXTENSION_NAME_END, (c === 10 ? 0 : 1)) !== 0) return this.error;
          s = S.CHUNK_EXTENSION_NAME_END;
          continue;
        }
        case S.CHUNK_EXTENSION_NAME_END: {
          // At the '=', ';', CR or LF that ended the name.
          if (p === end) break;
          const c = buf[p];
          let next: S;
          if (c === 10) {
            next = (lenient & L_OPTIONAL_CR_BEFORE_LF) !== 0 ? S.CHUNK_SIZE_ALMOST_DONE : S.DEAD;
          } else {
            p++;
            if (c === 61) {
              this.spanKind = SPAN_CHUNK_EXTENSION_VALUE;
              this.spanStart = p;
              next = S.CHUNK_EXTENSION_VALUE;
            } else {
              next = c === 59 ? S.CHUNK_EXTENSIONS : S.CHUNK_SIZE_ALMOST_DONE;
            }
          }
          this.pos = p;
          r = cb.onChunkExtensionNameComplete();
          if (!isOk(r)) return this.cbStop(r, p, next, E.CB_CHUNK_EXTENSION_NAME_COMPLETE, 'on_chunk_extension_name');
          if (next === S.DEAD) return this.fail(E.CR_EXPECTED, 'Missing expected CR after chunk extension name', p);
          s = next;
          continue;
        }
        case S.CHUNK_EXTENSION_VALUE: {
          while (p < end && TOKEN[buf[p]] === 1) p++;
          if (p === end) break;
          const c = buf[p];
          if (c === 34) { // '"'
            p++;
            s = S.CHUNK_EXTENSION_QUOTED_VALUE;
            continue;
          }
          if (c !== 59 && c !== 13 && c !== 10) {
            if (this.spanEnd(buf, p, S.DEAD, 1) !== 0) return this.error;
            return this.fail(E.STRICT, 'Invalid character in chunk extensions value', p + 1);
          }
          if (this.spanEnd(buf, p, S.CHUNK_EXTENSION_VALUE_END, (c === 10 ? 0 : 1)) !== 0) return this.error;
          s = S.CHUNK_EXTENSION_VALUE_END;
          continue;
        }
        case S.CHUNK_EXTENSION_VALUE_END: {
          // At the ';', CR or LF that ended the value.
          if (p === end) break;
          const c = buf[p];
          let next: S;
          if (c === 10) {
            next = (lenient & L_OPTIONAL_CR_BEFORE_LF) !== 0 ? S.CHUNK_SIZE_ALMOST_DONE : S.DEAD;
          } else {
            p++;
            next = c === 59 ? S.CHUNK_EXTENSIONS : S.CHUNK_SIZE_ALMOST_DONE;
          }
          this.pos = p;
          r = cb.onChunkExtensionValueComplete();
          if (!isOk(r)) return this.cbStop(r, p, next, E.CB_CHUNK_EXTENSION_VALUE_COMPLETE, 'on_chunk_extension_value');
          if (next === S.DEAD) return this.fail(E.CR_EXPECTED, 'Missing expected CR after chunk extension value', p);
          s = next;
          continue;
        }
        case S.CHUNK_EXTENSION_QUOTED_VALUE: {
          while (p < end && QDTEXT[buf[p]] === 1) p++;
          if (p === end) break;
          const c = buf[p];
          if (c === 34) {
            p++;
            if (this.spanEnd(buf, p, S.CHUNK_EXTENSION_QUOTED_VALUE_END) !== 0) return this.error;
            s = S.CHUNK_EXTENSION_QUOTED_VALUE_END;
            continue;
          }
          if (c === 92) { // '\\'
            p++;
            s = S.CHUNK_EXTENSION_QUOTED_VALUE_QUOTED_PAIR;
            continue;
          }
          if (this.spanEnd(buf, p, S.DEAD, 1) !== 0) return this.error;
          return this.fail(E.STRICT, 'Invalid character in chunk extensions quoted value', p + 1);
        }
        case S.CHUNK_EXTENSION_QUOTED_VALUE_END:
          this.pos = p;
          r = cb.onChunkExtensionValueComplete();
          if (!isOk(r)) return this.cbStop(r, p, S.CHUNK_EXTENSION_QUOTED_VALUE_DONE, E.CB_CHUNK_EXTENSION_VALUE_COMPLETE, 'on_chunk_extension_value');
          s = S.CHUNK_EXTENSION_QUOTED_VALUE_DONE;
          continue;
        case S.CHUNK_EXTENSION_QUOTED_VALUE_QUOTED_PAIR:
          if (p === end) break;
          if (HTAB_SP_VCHAR_OBS_TEXT[buf[p]] === 1) {
            p++;
            s = S.CHUNK_EXTENSION_QUOTED_VALUE;
            continue;
          }
          if (this.spanEnd(buf, p, S.DEAD, 1) !== 0) return this.error;
          return this.fail(E.STRICT, 'Invalid quoted-pair in chunk extensions quoted value', p + 1);
        case S.CHUNK_EXTENSION_QUOTED_VALUE_DONE: {
          if (p === end) break;
          const c = buf[p];
          if (c === 59) {
            p++;
            s = S.CHUNK_EXTENSIONS;
            continue;
          }
          if (c === 13) {
            p++;
            s = S.CHUNK_SIZE_ALMOST_DONE;
            continue;
          }
          if (c === 10) {
            if ((lenient & L_OPTIONAL_CR_BEFORE_LF) === 0) {
              return this.fail(E.CR_EXPECTED, 'Missing expected CR after chunk extension value', p);
            }
            s = S.CHUNK_SIZE_ALMOST_DONE;
            continue;
          }
          return this.fail(E.STRICT, 'Invalid character in chunk extensions quote value', p);
        }
        case S.CHUNK_SIZE_ALMOST_DONE:
          if (p === end) break;
          if (buf[p] === 10) {
            p++;
          } else if ((lenient & L_OPTIONAL_LF_AFTER_CR) === 0) {
            return this.fail(E.STRICT, 'Expected LF after chunk size', p);
          }
          s = S.CHUNK_SIZE_ALMOST_DONE_LF;
          continue;
        case S.CHUNK_SIZE_ALMOST_DONE_LF:
          this.pos = p;
          r = cb.onChunkHeader();
          if (!isOk(r)) return this.cbStop(r, p, S.AFTER_CHUNK_HEADER, E.CB_CHUNK_HEADER, 'on_chunk_header');
          s = S.AFTER_CHUNK_HEADER;
          continue;
        case S.AFTER_CHUNK_HEADER:
          if (this.contentLength === 0) {
            // The last chunk: trailer fields follow, parsed as headers.
            this.flags |= F.TRAILING;
            s = S.HEADER_FIELD_START;
          } else {
            this.spanKind = SPAN_BODY;
            this.spanStart = p;
            s = S.CHUNK_DATA;
          }
          continue;
        case S.CHUNK_DATA: {
          const avail = end - p;
          const need = this.contentLength;
          if (avail < need) {
            this.contentLength = need - avail;
            p = end;
            break;
          }
          p += need;
          this.contentLength = 0;
          if (this.spanEnd(buf, p, S.CHUNK_DATA_ALMOST_DONE) !== 0) return this.error;
          s = S.CHUNK_DATA_ALMOST_DONE;
          continue;
        }
        case S.CHUNK_DATA_ALMOST_DONE: {
          if (p === end) break;
          const c = buf[p];
          if (c === 13) {
            p++;
            s = S.CHUNK_DATA_ALMOST_DONE_LF;
            continue;
          }
          if (c === 10) {
            p++;
            if ((lenient & L_OPTIONAL_CR_BEFORE_LF) === 0) {
              return this.fail(E.CR_EXPECTED, 'Missing expected CR after chunk data', p);
            }
            s = S.CHUNK_COMPLETE;
            continue;
          }
          if ((lenient & L_OPTIONAL_CRLF_AFTER_CHUNK) === 0) return this.fail(E.STRICT, 'Expected LF after chunk data', p);
          s = S.CHUNK_COMPLETE;
          continue;
        }
        case S.CHUNK_DATA_ALMOST_DONE_LF:
          if (p === end) break;
          if (buf[p] === 10) {
            p++;
          } else if ((lenient & L_OPTIONAL_CRLF_AFTER_CHUNK) === 0) {
            return this.fail(E.STRICT, 'Expected LF after chunk data', p);
          }
          s = S.CHUNK_COMPLETE;
          continue;
        case S.CHUNK_COMPLETE:
          this.pos = p;
          r = cb.onChunkComplete();
          if (!isOk(r)) return this.cbStop(r, p, S.CHUNK_SIZE_START, E.CB_CHUNK_COMPLETE, 'on_chunk_complete');
          s = S.CHUNK_SIZE_START;
          continue;

        // ---- end of message ----
        case S.MESSAGE_DONE:
          this.pos = p;
          r = cb.onMessageComplete();
          if (!isOk(r)) return this.cbStop(r, p, S.AFTER_MESSAGE_DONE, E.CB_MESSAGE_COMPLETE, 'on_message_complete');
          s = S.AFTER_MESSAGE_DONE;
          continue;
        case S.AFTER_MESSAGE_DONE:
          s = this.upgrade === 1 ? S.UPGRADE_PAUSE : S.CLEANUP;
          continue;
        case S.CLEANUP:
          s = this.cleanup();
          continue;
        case S.CLOSED: {
          while (p < end && (buf[p] === 13 || buf[p] === 10)) p++;
          if (p === end) break;
          p++;
          if ((lenient & L_DATA_AFTER_CLOSE) === 0) {
            return this.fail(E.CLOSED_CONNECTION, 'Data after `Connection: close`', p);
          }
          continue;
        }
        case S.RESTART:
          this.initialMessageCompleted = 1;
          this.finishState = FINISH_SAFE;
          s = S.START;
          continue;
        default:
          return this.fail(E.INTERNAL, 'Internal state', p);
      }
      // Out of input in a state that needs a byte: keep the state, deliver the open span.
      this.state = s;
      // (An empty piece is not delivered: llhttp does not report a span that has no bytes yet.)
      if (this.spanKind !== SPAN_NONE && this.spanStart < end) {
        r = this.spanCall(this.spanKind, buf, this.spanStart, end);
        if (!isOk(r)) {
          this.error = isPause(r) ? E.PAUSED : typeof r === 'number' ? r : E.USER;
          this.reason = 'Span callback error';
          this.errorPos = end;
          return this.error;
        }
      }
      return 0;
    }
  }

  /**
   * llhttp__after_message_complete (the CLEANUP state): returns the next state — START (having
   * taken RESTART's step) while the connection stays open, else CLOSED, or RESTART when the
   * lenient keep-alive flag reads on after a close.
   */
  private cleanup(): S {
    const keepAlive = this.shouldKeepAlive();
    this.finishState = FINISH_SAFE;
    this.flags = 0;
    if (keepAlive) {
      this.contentLength = 0;
      this.initialMessageCompleted = 1;
      return S.START;
    }
    return (this.lenient & L_KEEP_ALIVE) !== 0 ? S.RESTART : S.CLOSED;
  }

  /** The target ended on SP, CR or LF: where the url span's end leads (llhttp url.ts adaptors). */
  private urlEnd(c: number): S {
    if (c === 32) return S.URL_TO_HTTP;
    if (c === 13) {
      this.trieNode = 0;
      this.trieIndex = 0;
      return S.URL_SKIP_CRLF;
    }
    return S.URL_SKIP_LF;
  }

  /** llhttp's setHeaderFlags: turn what the value said into message flags. */
  private setHeaderFlags(): void {
    switch (this.headerState) {
      case H_CONNECTION_KEEP_ALIVE:
        this.flags |= F.CONNECTION_KEEP_ALIVE;
        this.headerState = H_CONNECTION;
        break;
      case H_CONNECTION_CLOSE:
        this.flags |= F.CONNECTION_CLOSE;
        this.headerState = H_CONNECTION;
        break;
      case H_CONNECTION_UPGRADE:
        this.flags |= F.CONNECTION_UPGRADE;
        this.headerState = H_CONNECTION;
        break;
      case H_TRANSFER_ENCODING_CHUNKED:
        this.flags |= F.CHUNKED;
        break;
      default:
        break;
    }
  }
}
