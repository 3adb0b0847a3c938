// The parser backends behind one factory.
import { createLlhttpParser } from './llhttp.js';
import { createWaferParser } from './wafer.js';
import type { ParserKind, ParserOptions, RequestParser, RequestSink } from './types.js';

export * from './types.js';
export * from './errors.js';
export { createLlhttpParser } from './llhttp.js';
export { createWaferParser } from './wafer.js';

export function createParser(kind: ParserKind, sink: RequestSink, options?: ParserOptions): RequestParser {
  switch (kind) {
    case 'llhttp':
      return createLlhttpParser(sink, options);
    case 'wafer':
      return createWaferParser(sink, options);
    default:
      throw new TypeError(`unknown parser: ${String(kind)} (expected 'wafer' or 'llhttp')`);
  }
}
