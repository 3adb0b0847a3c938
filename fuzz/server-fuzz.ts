// Whole-server fuzz over real sockets. The parser fuzz (properties.ts) checks verdicts byte by
// byte; this checks the server around them: arbitrary streams — valid pipelines, structured
// malformed requests, mutated and noise bytes (the parser fuzz's generators), cut at random
// points into separate writes, with or without a FIN — are sent to a live server, and
//   - every connection ends in a close by the server within the timeouts (short ones here),
//   - whatever came back is HTTP/1.1 responses with expected statuses, an error answer says
//     `Connection: close` and nothing follows it,
//   - the server process (run by the caller under --unhandled-rejections=strict) stays up.
// Connections run BATCH at a time so a budget takes seconds; fast-check shrinks a failing
// batch to the stream that fails. A second property (burstProperty, below) sends valid
// pipelined bursts whose answers are large string and Buffer writes, and checks that every
// request is answered, in order, byte for byte — the flow-control paths (pause, resume,
// drain) on every loop.
//
//   npm run fuzz:server -- --seed 42 --runs 200 --loop poll --parser llhttp   (fuzz/server-run.ts)
import fc from 'fast-check';
import net from 'node:net';
import { anyText } from './properties.js';
import { cutsFor, splitPlan, type SplitPlan } from './splits.js';
import { show, toBuffer } from './segments.js';
import { answerPath, burstRequest, expectedBody, type Answer } from './burst.js';
import { splitResponses } from '../test/helpers/raw-client.js';
import type { ServerOptions } from '../lib/core/types.js';

/** Server options for a fuzz target: short timeouts so every connection ends soon, small limits. */
export const FUZZ_SERVER: ServerOptions = {
  headersTimeout: 300, requestTimeout: 300, keepAliveTimeout: 150,
  maxBodySize: 4096, maxHeaderSize: 4096, maxUrlLength: 1024, maxHeaderCount: 40,
};
/** Longest a connection may stay open: the longest timeout, the sweep's resolution, and slack for a shared machine. */
const DEADLINE_MS = 300 + 100 + 2500;
export const BATCH = 16;
const STATUSES = new Set([100, 200, 400, 408, 413, 414, 417, 431, 501, 505]);

/** Requests a handler gets to answer (the generators' valid pipelines mostly lack Host). */
const GOOD = [
  'GET / HTTP/1.1\r\nHost: x\r\n\r\n',
  'POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc',
  'PUT /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3;e=1\r\nabc\r\n0\r\nT: 1\r\n\r\n',
  'GET /close HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
  'GET /old HTTP/1.0\r\n\r\n',
  'POST /expect HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nhi',
];
const goodPipeline = fc.array(fc.constantFrom(...GOOD), { minLength: 1, maxLength: 4 }).map((list) => list.join(''));

export interface Stream {
  text: string;
  plan: SplitPlan;
  /** Half-close after the last byte. */
  fin: boolean;
}

export const stream: fc.Arbitrary<Stream> = fc.record({
  text: fc.oneof({ weight: 8, arbitrary: anyText }, { weight: 2, arbitrary: goodPipeline }),
  plan: splitPlan,
  fin: fc.boolean(),
});

export interface Outcome {
  text: string;
  closedByServer: boolean;
  ms: number;
}

/** Send one stream on its own connection; resolve when the server closes it (or at the deadline). */
export function send(port: number, s: Stream): Promise<Outcome> {
  return new Promise((resolve) => {
    const started = Date.now();
    const chunks: Buffer[] = [];
    const socket = net.connect(port, '127.0.0.1');
    socket.setNoDelay(true);
    let done = false;
    const finish = (closedByServer: boolean): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ text: Buffer.concat(chunks).toString('latin1'), closedByServer, ms: Date.now() - started });
    };
    const timer = setTimeout(() => finish(false), DEADLINE_MS);
    socket.on('data', (d: Buffer) => chunks.push(d));
    socket.on('error', () => {}); // a reset after our bytes is a close too
    socket.on('close', () => finish(true));
    socket.once('connect', async () => {
      const bytes = toBuffer(s.text);
      let at = 0;
      for (const cut of [...cutsFor(s.plan, bytes.length), bytes.length]) {
        if (done || cut <= at) continue;
        socket.write(bytes.subarray(at, cut));
        at = cut;
        await new Promise((r) => setImmediate(r)); // separate writes, separate segments
      }
      if (s.fin && !done) socket.end();
    });
  });
}

/** What is wrong with an outcome, or null. */
export function judge(o: Outcome): string | null {
  if (!o.closedByServer) return `still open after ${o.ms} ms`;
  if (o.text.length === 0) return null;
  let pos = 0;
  let closed = false;
  while (pos < o.text.length) {
    if (closed) return `bytes after a Connection: close answer: ${show(o.text.slice(pos, pos + 60))}`;
    if (!o.text.startsWith('HTTP/1.1 ', pos)) return `not a response at ${pos}: ${show(o.text.slice(pos, pos + 60))}`;
    const end = o.text.indexOf('\r\n\r\n', pos);
    if (end === -1) return `a cut response head: ${show(o.text.slice(pos, pos + 60))}`;
    const head = o.text.slice(pos, end);
    const status = Number(head.slice(9, 12));
    if (!STATUSES.has(status)) return `unexpected status ${status}`;
    const lower = head.toLowerCase();
    const close = lower.includes('\r\nconnection: close');
    if (status >= 400 && !close) return `a ${status} without Connection: close`;
    closed = close;
    // Bodies: Content-Length (every answer here has one, or none for 1xx / HEAD); skip it.
    const m = /\r\ncontent-length: *(\d+)/.exec(lower);
    pos = end + 4;
    if (m !== null && status >= 200) {
      const n = Number(m[1]);
      // A HEAD answer carries the length but no body: only skip a body that is really there.
      if (!o.text.startsWith('HTTP/1.1 ', pos) || n === 0) pos += n;
    }
  }
  return null;
}

/** A fast-check property: a batch of streams, sent at once, each judged. */
export function serverProperty(port: number): fc.IAsyncPropertyWithHooks<[Stream[]]> {
  return fc.asyncProperty(fc.array(stream, { minLength: 1, maxLength: BATCH }), async (streams) => {
    const outcomes = await Promise.all(streams.map((s) => send(port, s)));
    for (let i = 0; i < outcomes.length; i++) {
      const why = judge(outcomes[i]);
      if (why !== null) throw new Error(`${why}\n  stream: ${show(streams[i].text)} (${JSON.stringify(streams[i].plan)}, fin ${streams[i].fin})\n  got: ${show(outcomes[i].text.slice(0, 300))}`);
    }
  });
}

// ---------------------------------------------------------------- pipelined bursts
// Valid requests only, many at once on one connection, answered by the burst handler
// (fuzz/burst.ts) with small and large bodies — ASCII and UTF-8 strings, Buffers, one or many
// writes, with and without waiting in drain(), at once or a tick later — to a client that may
// not read for a while. The answers pass the high-water mark again and again, so reading
// pauses and resumes and handlers wait in drain(): every request must be answered, in order,
// byte for byte, and the connection closed after the last (it says Connection: close).

/** Server options for the burst target: a small high-water mark and pipeline, so pauses come often. */
export const BURST_SERVER: ServerOptions = {
  headersTimeout: 2000, requestTimeout: 2000, keepAliveTimeout: 2000, highWaterMark: 16 * 1024, maxPipeline: 16,
};
/** Longest a burst may take: a stalled connection is cut by the client here and reported. */
const BURST_DEADLINE_MS = 6000;

const answer: fc.Arbitrary<Answer> = fc.record({
  type: fc.constantFrom<Answer['type']>('e', 'e', 's', 'u', 'b', 'p'),
  // Mostly small answers (many per high-water mark), sometimes past it in one go.
  size: fc.oneof({ weight: 6, arbitrary: fc.nat({ max: 400 }) }, { weight: 2, arbitrary: fc.integer({ min: 8 * 1024, max: 96 * 1024 }) }),
  pieces: fc.integer({ min: 1, max: 4 }),
  wait: fc.constantFrom<Answer['wait']>('d', 'a', 'n'),
  later: fc.boolean(),
}).map((a) => (a.type === 'p' ? { ...a, size: a.size % 2048 } : a));

export interface Burst {
  answers: Answer[];
  /** Cut points for the request bytes (each piece its own write). */
  cuts: number[];
  /** ms the client reads nothing at first (0: reads at once), so the answers back up. */
  readDelay: number;
}

/**
 * How a burst's answers are restyled: the stream API behaves differently for them — a batch of
 * strings leaves as one write() (which Node 20 may finish at once, with no 'drain'), one with a
 * Buffer in it as corked writes; handlers that answer a tick later write outside any batch.
 */
type Style = 'mixed' | 'strings' | 'strings-at-once' | 'buffers';
function restyle(a: Answer, style: Style): Answer {
  if (style === 'mixed') return a;
  if (style === 'buffers') return a.type === 'p' ? a : { ...a, type: 'b' };
  return { ...a, type: a.type === 'b' ? 's' : a.type, later: style === 'strings' && a.later };
}

export const burst: fc.Arbitrary<Burst> = fc.record({
  answers: fc.oneof(fc.array(answer, { minLength: 1, maxLength: 40 }), fc.array(answer, { minLength: 100, maxLength: 400 })),
  style: fc.constantFrom<Style>('mixed', 'strings', 'strings-at-once', 'buffers'),
  cuts: fc.array(fc.nat(), { maxLength: 6 }),
  readDelay: fc.constantFrom(0, 0, 20, 100),
}).map(({ answers, style, cuts, readDelay }) => ({ answers: answers.map((a) => restyle(a, style)), cuts, readDelay }));

/** What a burst must come back as: its statuses, bodies and close, or the first difference. */
export function sendBurst(port: number, b: Burst): Promise<string | null> {
  const text = b.answers.map((a, i) => burstRequest(i, a, i === b.answers.length - 1)).join('');
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const socket = net.connect(port, '127.0.0.1');
    socket.setNoDelay(true);
    let done = false;
    const finish = (closed: boolean): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(judgeBurst(b, Buffer.concat(chunks).toString('latin1'), closed));
    };
    const timer = setTimeout(() => finish(false), BURST_DEADLINE_MS);
    socket.on('data', (d: Buffer) => chunks.push(d));
    socket.on('error', () => {});
    socket.on('close', () => finish(true));
    if (b.readDelay > 0) {
      socket.pause();
      setTimeout(() => socket.resume(), b.readDelay);
    }
    socket.once('connect', async () => {
      const bytes = Buffer.from(text, 'latin1');
      let at = 0;
      for (const cut of [...cutsFor({ mode: 'random', points: b.cuts }, bytes.length), bytes.length]) {
        if (done || cut <= at) continue;
        socket.write(bytes.subarray(at, cut));
        at = cut;
        await new Promise((r) => setImmediate(r));
      }
    });
  });
}

export function judgeBurst(b: Burst, text: string, closed: boolean): string | null {
  const { responses, rest } = splitResponses(text);
  for (let i = 0; i < responses.length && i < b.answers.length; i++) {
    const r = responses[i];
    const want = expectedBody(i, b.answers[i]);
    if (r.status !== 200) return `answer ${i} has status ${r.status}`;
    const got = Buffer.from(r.body, 'latin1');
    if (!got.equals(want)) return `answer ${i} (${answerPath(i, b.answers[i])}): ${got.length} bytes ${show(r.body.slice(0, 40))}…, expected ${want.length}`;
  }
  if (responses.length !== b.answers.length) {
    return `${responses.length} of ${b.answers.length} requests answered${closed ? '' : ` (still open after ${BURST_DEADLINE_MS} ms)`}, ` +
      `${rest.length} bytes of a cut answer after them`;
  }
  if (rest.length > 0) return `${rest.length} bytes after the last answer`;
  if (!closed) return `not closed after the last answer (Connection: close)`;
  return null;
}

/** A fast-check property: a few bursts at once, on their own connections, each judged. */
export function burstProperty(port: number): fc.IAsyncPropertyWithHooks<[Burst[]]> {
  return fc.asyncProperty(fc.array(burst, { minLength: 1, maxLength: 3 }), async (bursts) => {
    const verdicts = await Promise.all(bursts.map((b) => sendBurst(port, b)));
    for (let i = 0; i < verdicts.length; i++) {
      const why = verdicts[i];
      if (why !== null) {
        const list = bursts[i].answers.map((a, k) => answerPath(k, a)).join(' ');
        throw new Error(`${why}\n  burst of ${bursts[i].answers.length} (cuts ${JSON.stringify(bursts[i].cuts)}, read delay ${bursts[i].readDelay} ms): ${list.slice(0, 600)}`);
      }
    }
  });
}
