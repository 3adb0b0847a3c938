// The parsers under test. `ours` goes through the public factory, so it is whatever
// `createParser('wafer', …)` returns — until parser/wafer.ts lands, that is llhttp itself,
// and `oursIsLlhttp()` says so.
import { createLlhttpParser, LlhttpParser } from '../parser/llhttp.js';
import { createParser } from '../parser/index.js';
import type { ParserFactory } from '../parser/types.js';

export interface Subject {
  name: string;
  factory: ParserFactory;
  /** Body pieces must be views into the buffer given to execute() (our zero-copy promise). */
  zeroCopy: boolean;
}

export const llhttp: Subject = { name: 'llhttp', factory: createLlhttpParser, zeroCopy: false };

export const ours: Subject = {
  name: 'wafer',
  factory: (sink, options) => createParser('wafer', sink, options),
  zeroCopy: !oursIsLlhttp(),
};

export function oursIsLlhttp(): boolean {
  const noop = { onHead() {}, onBody() {}, onMessageComplete() {} };
  return createParser('wafer', noop) instanceof LlhttpParser;
}
