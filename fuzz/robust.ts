// Robustness: floods and endless streams fed straight into our parser, without the trace
// recorder's copies, checking that it stops at its limits, stays linear in time, streams bodies
// without keeping them, and never throws.
import { runInNewContext } from 'node:vm';
import { setFlagsFromString } from 'node:v8';
import { DEFAULT_LIMITS } from '../lib/core/limits.js';
import type { ParseError, ParserOptions, RequestParser, RequestSink } from '../parser/types.js';
import { ours, type Subject } from './subjects.js';

export type Flood = 'header-value' | 'header-name' | 'header-count' | 'url' | 'trailer-value' | 'chunk-extension' | 'leading-crlf' | 'method';

export interface FloodResult {
  fed: number;
  code: string | null;
  /** Absolute offset of the error. */
  at: number;
  ms: number;
  heads: number;
}

const HEAD = 'POST /upload HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n';

/** The fixed start of each flood and the unit it then repeats without end. */
function floodParts(kind: Flood): [string, string] {
  switch (kind) {
    case 'header-value': return ['GET / HTTP/1.1\r\nX-Big: ', 'abcdefgh'];
    case 'header-name': return ['GET / HTTP/1.1\r\n', 'abcdefgh'];
    case 'header-count': return ['GET / HTTP/1.1\r\n', 'X-A: b\r\n'];
    case 'url': return ['GET /', 'abcdefgh'];
    case 'trailer-value': return [HEAD + '1\r\na\r\n0\r\nX-Trailer: ', 'abcdefgh'];
    case 'chunk-extension': return [HEAD + '1;', 'abcdefgh'];
    case 'leading-crlf': return ['', '\r\n'];
    case 'method': return ['', 'GETGET'];
  }
}

/**
 * What each flood must end in with default limits, and by which input byte at the latest
 * (plus one piece: limits are counted per span, as in Node's binding, so a span that started
 * in the current piece is counted when the piece ends). Header size counts field-name, value
 * and URL bytes the way Node does, so the count flood (4 counted bytes in each 8) may run to
 * twice maxHeaderSize; maxHeaderCount is checked when the head is complete, which a flood never is.
 * `code: null`: llhttp has no limit for it either (bytes that are skipped, not kept).
 */
export const FLOOD_VERDICT: Record<Flood, { code: string | null; within: number; or?: string }> = {
  'header-value': { code: 'HPE_HEADER_OVERFLOW', within: DEFAULT_LIMITS.maxHeaderSize },
  'header-name': { code: 'HPE_HEADER_OVERFLOW', within: DEFAULT_LIMITS.maxHeaderSize },
  'header-count': { code: 'HPE_HEADER_OVERFLOW', within: 2 * DEFAULT_LIMITS.maxHeaderSize },
  // The URL limit is checked when the target is complete (as the llhttp adapter does), so an
  // endless target meets the header-size limit first, which counts URL bytes too.
  url: { code: 'HPE_HEADER_OVERFLOW', within: DEFAULT_LIMITS.maxHeaderSize, or: 'HPE_URL_OVERFLOW' },
  'trailer-value': { code: 'HPE_HEADER_OVERFLOW', within: DEFAULT_LIMITS.maxHeaderSize },
  'chunk-extension': { code: 'HPE_CHUNK_EXTENSIONS_OVERFLOW', within: DEFAULT_LIMITS.maxChunkExtensionSize },
  'leading-crlf': { code: null, within: Infinity },
  method: { code: 'HPE_INVALID_METHOD', within: 16 },
};

const NULL_SINK: RequestSink = { onHead() {}, onBody() {}, onMessageComplete() {} };

/**
 * Feed `prefix` then `unit` repeated, in pieces of `piece` bytes, until the parser stops or
 * `total` bytes have gone in. Pieces are views of one preallocated buffer: no copying here.
 */
export function flood(kind: Flood, piece: number, total: number, options?: ParserOptions, subject: Subject = ours): FloodResult {
  const [prefix, unit] = floodParts(kind);
  // One buffer holding the prefix and enough units that any window of `piece` bytes exists.
  const reps = Math.ceil((piece + unit.length) / unit.length) + 1;
  const stream = Buffer.from(prefix + unit.repeat(reps), 'latin1');
  let heads = 0;
  const p: RequestParser = subject.factory({ ...NULL_SINK, onHead: () => void heads++ }, options);
  let fed = 0;
  const t0 = performance.now();
  // First the prefix, then windows over the repeating part that keep the unit phase.
  const first = p.execute(stream.subarray(0, prefix.length));
  if (p.error) return { fed: prefix.length, code: String(p.error.code), at: first, ms: performance.now() - t0, heads };
  fed = prefix.length;
  let phase = 0;
  while (fed < total) {
    const start = prefix.length + phase;
    const n = p.execute(stream.subarray(start, start + piece));
    const error = p.error as ParseError | null; // (TS keeps the narrowing from before the loop)
    if (error) return { fed: fed + piece, code: String(error.code), at: fed + n, ms: performance.now() - t0, heads };
    fed += piece;
    phase = (phase + piece) % unit.length;
  }
  return { fed, code: null, at: -1, ms: performance.now() - t0, heads };
}

let gcFn: (() => void) | null = null;
/** A full garbage collection, so heap figures compare live data only. */
export function collectGarbage(): void {
  if (gcFn === null) {
    setFlagsFromString('--expose-gc');
    gcFn = runInNewContext('gc') as () => void;
  }
  gcFn();
}

export interface StreamResult {
  bodyBytes: number;
  code: string | null;
  heapGrowth: number;
  notViews: number;
}

/**
 * A body announced as enormous — Content-Length 2^53-1, or one chunk of size `chunkHex` —
 * streamed for `total` bytes in `piece`-byte pieces. The parser must pass the bytes on as views
 * and keep nothing: the heap after a full GC must not grow with the stream.
 */
export function streamHugeBody(framing: 'content-length' | 'chunk', chunkHex: string, piece: number, total: number, subject: Subject = ours): StreamResult {
  const head = framing === 'content-length'
    ? 'PUT /big HTTP/1.1\r\nContent-Length: 9007199254740991\r\n\r\n'
    : `PUT /big HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n${chunkHex}\r\n`;
  const block = Buffer.alloc(piece, 0x61);
  let bodyBytes = 0;
  let notViews = 0;
  let current: Buffer = block;
  const p = subject.factory({
    onHead() {},
    onBody(chunk) {
      bodyBytes += chunk.length;
      if (chunk.buffer !== current.buffer) notViews++;
    },
    onMessageComplete() {},
  });
  current = Buffer.from(head, 'latin1');
  p.execute(current);
  collectGarbage();
  const before = process.memoryUsage().heapUsed;
  current = block;
  for (let fed = 0; fed < total && !p.error; fed += piece) p.execute(block);
  collectGarbage();
  const heapGrowth = process.memoryUsage().heapUsed - before;
  return { bodyBytes, code: p.error ? String(p.error.code) : null, heapGrowth, notViews };
}
