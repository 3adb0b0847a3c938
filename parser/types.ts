// The contract between a connection and a request parser. Two implementations keep it:
// `parser/wafer.ts` (ours, TypeScript) and `parser/llhttp.ts` (Node's built-in llhttp).
import type { ParseError } from './errors.js';
import type { HeadFields } from './head-fields.js';

export type { ParseError } from './errors.js';

/** What a parser knows about a request once its head (request line + headers) is complete. */
export interface RequestHead {
  method: string;
  /** The raw request target, exactly as sent. */
  url: string;
  versionMajor: number;
  versionMinor: number;
  /** Header fields as sent, flat: [name, value, name, value, …]; names keep their case. */
  rawHeaders: string[];
  /**
   * The same fields, when the parser kept them as one string and offsets: then `rawHeaders` is
   * made on first read, and these read one field without making the rest (parser/head-fields.ts).
   */
  readonly fields?: HeadFields;
  /** Content-Length when one was given, else -1. */
  contentLength: number;
  /** Transfer-Encoding ends in chunked. */
  chunked: boolean;
  /** llhttp_should_keep_alive(): the connection may carry another request after this one. */
  keepAlive: boolean;
  /** An Upgrade or CONNECT request: the parser stops after the head; what follows is not HTTP. */
  upgrade: boolean;
}

/** Where a parser delivers a request. Calls come synchronously from inside execute(). */
export interface RequestSink {
  onHead(head: RequestHead): void;
  /** A piece of body. A view into the buffer passed to execute(): copy it to keep it. */
  onBody(chunk: Buffer): void;
  onMessageComplete(): void;
}

/** llhttp's lenient flags, as bits (the same values as Node's HTTPParser.kLenient*). */
export const Lenient = {
  NONE: 0,
  HEADERS: 1,
  CHUNKED_LENGTH: 2,
  KEEP_ALIVE: 4,
  TRANSFER_ENCODING: 8,
  VERSION: 16,
  DATA_AFTER_CLOSE: 32,
  OPTIONAL_LF_AFTER_CR: 64,
  OPTIONAL_CRLF_AFTER_CHUNK: 128,
  OPTIONAL_CR_BEFORE_LF: 256,
  SPACES_AFTER_CHUNK_SIZE: 512,
  HEADER_VALUE_RELAXED: 1024,
} as const;

export interface ParserOptions {
  /** Bitwise OR of `Lenient` flags. Default 0: strict. */
  lenient?: number;
  /** Request line + header block bytes (→ HPE_HEADER_OVERFLOW). */
  maxHeaderSize?: number;
  /** Header field count (→ HPE_HEADER_OVERFLOW). */
  maxHeaderCount?: number;
  /** Request-target bytes (→ HPE_URL_OVERFLOW). */
  maxUrlLength?: number;
  /** Chunk extension bytes per chunk (→ HPE_CHUNK_EXTENSIONS_OVERFLOW). */
  maxChunkExtensionSize?: number;
  /**
   * With Lenient.SPACES_AFTER_CHUNK_SIZE: whitespace after a chunk size only before a chunk
   * extension's `;` (RFC 9112 §7.1.1 BWS), so `5 ;a=b` passes and `5 \r\n` is
   * HPE_INVALID_CHUNK_SIZE; llhttp's flag alone accepts both. Default false (llhttp's verdicts).
   * Both backends. The server sets it.
   */
  chunkSpacesOnlyBeforeExtension?: boolean;
  /**
   * Empty list elements after `chunked` in Transfer-Encoding are ignored (RFC 9110 §5.6.1):
   * `chunked,` and `chunked, ,` are chunked. Default false: llhttp refuses them (400). The wafer
   * parser only (llhttp cannot be told); the server sets it.
   */
  teEmptyListElements?: boolean;
  /**
   * The wafer parser's memos (parser/head-memo.ts): the repeated head and the short-head
   * strings. false turns both off, an object the ones it names with false; the result is the
   * same either way. Default true. A testing and diagnostic switch (the server's `caches`).
   */
  caches?: boolean | { repeatHead?: boolean; shortStrings?: boolean };
}

export interface RequestParser {
  /**
   * Parse the next bytes of the stream. Returns how many bytes were consumed: all of them,
   * unless the parser stopped early — on an error (then `error` is set and the return value
   * is the offset of the failing byte) or after the head of an upgrade request (then
   * `upgraded` is true and the rest of `data` belongs to the upgraded protocol).
   */
  execute(data: Buffer): number;
  /** The peer ended the stream. Returns an error when that cuts a message short. */
  finish(): ParseError | null;
  readonly error: ParseError | null;
  readonly upgraded: boolean;
  /**
   * Optional: true when the parser stands between messages (llhttp's finish state SAFE: no byte
   * of a next message consumed). A connection may then drop the parser while it idles and start
   * a fresh one on the next byte (memory per idle keep-alive connection).
   */
  readonly idle?: boolean;
  /** Forget all state: ready for a new stream. */
  reset(): void;
  /**
   * Who hears the events. May be changed between messages: a server lends one parser to
   * whichever connection is reading a message (lib/core/parser-pool.ts).
   */
  sink: RequestSink;
}

export type ParserKind = 'wafer' | 'llhttp';
export type ParserFactory = (sink: RequestSink, options?: ParserOptions) => RequestParser;
