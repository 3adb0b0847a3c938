// The handler side of the whole-server burst fuzz (server-fuzz.ts burstProperty): each request
// path says how to answer it — which body (ASCII string, UTF-8 string, Buffer), how big, in how
// many writes, whether to honour backpressure — so a client can predict every byte of every
// answer and check that a pipelined burst is answered completely and in order. No fast-check
// here: the server child (test/helpers/child-server-main.ts, mode 'burst') imports it.
import type { WaferRequest, WaferResponse } from '../lib/core/types.js';

/** How one request in a burst is answered. */
export interface Answer {
  /** e: res.end(body) after the writes; s: ASCII string writes; u: UTF-8 string writes; b: Buffer writes; p: a POST of `size` body bytes, answered with its length. */
  type: 'e' | 's' | 'u' | 'b' | 'p';
  /** Characters (strings) or bytes (Buffers, POST bodies). */
  size: number;
  /** The body leaves in this many writes (the last one by end() for type e). */
  pieces: number;
  /** d: await drain() when write() says false; a: await drain() after every write; n: ignore backpressure. */
  wait: 'd' | 'a' | 'n';
  /** Answer after a timer tick (outside the arrival's batch) rather than at once. */
  later: boolean;
}

export function answerPath(index: number, a: Answer): string {
  return `/${index}/${a.type}/${a.size}/${a.pieces}/${a.wait}/${a.later ? 1 : 0}`;
}

/** The request bytes for answer `a` as request number `index`. */
export function burstRequest(index: number, a: Answer, last: boolean): string {
  const close = last ? 'Connection: close\r\n' : '';
  if (a.type === 'p') return `POST ${answerPath(index, a)} HTTP/1.1\r\nHost: x\r\n${close}Content-Length: ${a.size}\r\n\r\n${'q'.repeat(a.size)}`;
  return `GET ${answerPath(index, a)} HTTP/1.1\r\nHost: x\r\n${close}\r\n`;
}

// Each answer's bytes depend on its index, so an answer out of place (or two mixed) shows.
const WIDE = ['é', '€', 'ж', 'x'];

/** The body request `index` is answered with, as written (a string or a Buffer). */
export function bodyFor(index: number, a: Answer): string | Buffer {
  if (a.type === 'b') return Buffer.alloc(a.size, 65 + (index % 26));
  if (a.type === 'u') {
    const unit = WIDE[index % WIDE.length] + String.fromCharCode(97 + (index % 26));
    return unit.repeat(Math.ceil(a.size / 2)).slice(0, a.size);
  }
  if (a.type === 'p') return `ok ${a.size}`;
  return String.fromCharCode(97 + (index % 26)).repeat(a.size);
}

/** The bytes the client must receive as the body of answer `index`. */
export function expectedBody(index: number, a: Answer): Buffer {
  const body = bodyFor(index, a);
  return typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
}

function piecesOf(body: string | Buffer, n: number): (string | Buffer)[] {
  const out: (string | Buffer)[] = [];
  const step = Math.max(1, Math.ceil(body.length / n));
  for (let at = 0; at < body.length; at += step) out.push(body.slice(at, at + step));
  return out;
}

export async function answerBurst(req: WaferRequest, res: WaferResponse): Promise<void> {
  const [, index, type, size, pieces, wait, later] = req.path.split('/');
  const a: Answer = { type: type as Answer['type'], size: Number(size), pieces: Number(pieces), wait: wait as Answer['wait'], later: later === '1' };
  if (a.later) await new Promise((r) => setTimeout(r, 1));
  if (a.type === 'p') return res.end(req.body.length === a.size ? `ok ${a.size}` : `wrong body length ${req.body.length}`);
  const parts = piecesOf(bodyFor(Number(index), a), a.pieces);
  const last = a.type === 'e' ? parts.pop() : undefined;
  for (const part of parts) {
    const ok = res.write(part);
    if (a.wait === 'a' || (a.wait === 'd' && !ok)) await res.drain();
  }
  res.end(last);
}
