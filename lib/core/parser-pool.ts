// Parsers lent to connections only while a message is being read. A keep-alive connection
// spends most of its life between requests; between messages a parser holds nothing worth
// keeping (RequestParser.idle), so it goes back to a small free list and the next arrival on
// any connection takes it. 10,000 idle connections then hold no parser at all, and a busy one
// reuses the same parser request after request without allocating.
import { createParser } from '../../parser/index.js';
import type { ParserKind, ParserOptions, RequestParser, RequestSink } from '../../parser/types.js';

/** The sink of a parser in the free list: nothing reaches it (a free parser is not fed). */
const NOBODY: RequestSink = {
  onHead: () => {},
  onBody: () => {},
  onMessageComplete: () => {},
};

export class ParserPool {
  private readonly free: RequestParser[] = [];

  constructor(
    private readonly kind: ParserKind,
    private readonly options: ParserOptions,
    /** Free parsers kept for reuse; more are dropped (a burst does not pin memory). */
    private readonly maxFree = 128,
  ) {}

  /** A parser for `sink` (the connection reading a message), reused or new. */
  acquire(sink: RequestSink): RequestParser {
    const parser = this.free.pop() ?? createParser(this.kind, NOBODY, this.options);
    parser.sink = sink;
    return parser;
  }

  /** Give a parser back; only one standing between messages can serve another connection. */
  release(parser: RequestParser): void {
    parser.sink = NOBODY;
    if (this.free.length >= this.maxFree || parser.idle !== true) return;
    parser.reset();
    this.free.push(parser);
  }
}
