// One table for the engine suites: every test runs on both loops, and on both parsers
// where the parser matters. Each run gets a fresh server on 127.0.0.1:0 that is closed
// however the test ends.
import type { Test } from 'tap';
import { listen } from '../../lib/index.js';
import type { Handler, LoopKind, ServerOptions, WaferServer } from '../../lib/core/types.js';
import type { ParserKind } from '../../parser/types.js';

export interface ServerKind {
  loop: LoopKind;
  parser: ParserKind;
  /** edge only: false runs the loop on node:net's stream API instead of the libuv handle. */
  rawSocket: boolean;
  /** `edge/wafer` etc., for test names. */
  name: string;
}

export const LOOPS: LoopKind[] = ['edge', 'poll'];
export const PARSERS: ParserKind[] = ['wafer', 'llhttp'];

export function serverKinds(parsers: ParserKind[] = ['wafer']): ServerKind[] {
  const out: ServerKind[] = [];
  for (const loop of LOOPS) for (const parser of parsers) out.push({ loop, parser, rawSocket: true, name: `${loop}/${parser}` });
  // The edge loop's fallback when the handle can't be driven directly (loop/raw-socket.ts).
  out.push({ loop: 'edge', parser: 'wafer', rawSocket: false, name: 'edge-stream/wafer' });
  return out;
}

/**
 * Run `fn` as a subtest per server kind. `parsers` defaults to ['wafer']; pass PARSERS for
 * tests about parsing verdicts.
 */
export function forEachServerKind(
  t: Test,
  title: string,
  fn: (t: Test, kind: ServerKind) => Promise<void>,
  parsers?: ParserKind[],
): void {
  for (const kind of serverKinds(parsers)) t.test(`${title} [${kind.name}]`, (tt) => fn(tt, kind));
}

/** Start a server of this kind for the rest of test `t` (closed in t.teardown). */
export async function startServer(t: Test, kind: ServerKind, handler: Handler, options: ServerOptions = {}): Promise<WaferServer> {
  const server = await listen(handler, { port: 0, host: '127.0.0.1', loop: kind.loop, parser: kind.parser, rawSocket: kind.rawSocket, onError: () => {}, ...options });
  t.teardown(() => server.close());
  return server;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Poll until `cond` holds (or `ms` pass); returns whether it held. */
export async function until(cond: () => boolean, ms = 2000): Promise<boolean> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) return false;
    await sleep(10);
  }
  return true;
}
