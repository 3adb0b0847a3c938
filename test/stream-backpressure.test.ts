// Output backpressure on every loop: the stream paths (poll, and edge with rawSocket: false)
// must never wait for a 'drain' the socket will not emit. On Node 20 a socket.write() that the
// kernel takes at once returns true and emits no 'drain', even when the batch was larger than
// the high-water mark — so a connection that paused reading, or a handler in res.drain(), on
// the strength of our own byte count must be released when the write returns, not on 'drain'.
import t from 'tap';
import net from 'node:net';
import { forEachServerKind, sleep, startServer } from './helpers/server-kinds.js';
import { connect, raw, responsesOf, splitResponses } from './helpers/raw-client.js';
import type { WaferServer } from '../lib/core/types.js';

/** Short timeouts: a stall shows as a missing answer within seconds, not as a 60 s wait. */
const SHORT = { headersTimeout: 4000, requestTimeout: 4000, keepAliveTimeout: 4000 };

/** Read from `socket` until `count` complete responses have arrived (or `ms` pass). */
function responsesFrom(socket: net.Socket, count: number, ms = 3000): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    const done = (): void => {
      clearTimeout(timer);
      socket.removeListener('data', onData);
      resolve(text);
    };
    const onData = (d: Buffer): void => {
      text += d.toString('latin1');
      if (splitResponses(text).complete >= count) done();
    };
    const timer = setTimeout(done, ms);
    socket.on('data', onData);
  });
}

async function released(server: WaferServer, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (server.stats().connections === 0) return true;
    await sleep(10);
  }
  return server.stats().connections === 0;
}

forEachServerKind(t, '600 pipelined GETs in one write are all answered, in order, when the answers pass the high-water mark', async (t, kind) => {
  // ~250 bytes an answer: the burst's answers fill the socket past 64 KiB several times over,
  // so reading pauses and must resume when the kernel has taken them.
  const pad = 'p'.repeat(200);
  const server = await startServer(t, kind, (req, res) => res.end(`${req.path} ${pad}`), SHORT);
  const burst = Array.from({ length: 600 }, (_, i) => `GET /${i} HTTP/1.1\r\nHost: x\r\n\r\n`).join('');
  const r = await raw(server.port, burst, { responses: 600, timeoutMs: 3000 });
  const bodies = responsesOf(r).map((x) => x.body.split(' ')[0]);
  t.equal(bodies.length, 600, 'every request answered');
  t.same(bodies, Array.from({ length: 600 }, (_, i) => `/${i}`), 'in request order');
});

forEachServerKind(t, 'after three pipelined 40 KiB answers, a fourth request on the same connection is read', async (t, kind) => {
  const big = 'y'.repeat(40 * 1024);
  const server = await startServer(t, kind, (req, res) => res.end(req.path === '/big' ? big : 'fourth'), SHORT);
  const socket = await connect(server.port);
  t.teardown(() => socket.destroy());
  const three = responsesFrom(socket, 3);
  socket.write('GET /big HTTP/1.1\r\nHost: x\r\n\r\n'.repeat(3));
  const first = splitResponses(await three).responses;
  t.same(first.map((x) => x.body.length), [big.length, big.length, big.length], 'three 40 KiB answers');
  const fourth = responsesFrom(socket, 1);
  socket.write('GET /4 HTTP/1.1\r\nHost: x\r\n\r\n');
  const next = splitResponses(await fourth).responses;
  t.same(next.map((x) => x.body), ['fourth'], 'the fourth request is answered');
});

// Each body passes the 64 KiB mark in our count; the socket may take all of it at once.
const WRITES: [string, () => string, number][] = [
  ['an ASCII string of 64 KiB', () => 'x'.repeat(65536), 65536],
  ['a 256 KiB string', () => 'z'.repeat(256 * 1024), 256 * 1024],
  // 40,000 characters, 80,000 bytes: node counts the string's length, the wire its bytes.
  ['a UTF-8 string of 80,000 bytes', () => 'é'.repeat(40000), 80000],
];
for (const [what, make, bytes] of WRITES) {
  forEachServerKind(t, `res.write(${what}) says wait, and then drain() and end() complete the response`, async (t, kind) => {
    const said: boolean[] = [];
    let ended = 0;
    const server = await startServer(t, kind, async (_req, res) => {
      said.push(res.write(make()));
      await res.drain();
      res.end();
      ended++;
    }, SHORT);
    // Twice on one connection: the second answer also needs the connection to read again.
    const r = await raw(server.port, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n'.repeat(2), { responses: 2, timeoutMs: 3000 });
    const answers = responsesOf(r);
    t.same(said, [false, false], 'write() returned false: the body alone passes highWaterMark (64 KiB) in bytes');
    t.equal(answers.length, 2, 'both responses complete (chunked, with the last chunk)');
    t.same(answers.map((x) => Buffer.byteLength(x.body, 'latin1')), [bytes, bytes], 'with every byte of the body');
    t.equal(ended, 2, 'both handlers got past drain()');
  });
}

forEachServerKind(t, 'a client that floods a pipeline, reading its answers, and resets is released at once', async (t, kind) => {
  // The answers (~300 bytes each) pass the high-water mark many times over: reading pauses and
  // resumes as they leave. A connection stalled in that cycle reads nothing more, so it would
  // not see the reset until a timeout (60 s here).
  const body = 'b'.repeat(256);
  const server = await startServer(t, kind, (_req, res) => res.end(body), { headersTimeout: 60_000, requestTimeout: 60_000, keepAliveTimeout: 60_000 });
  const socket = await connect(server.port);
  socket.on('error', () => {});
  let received = 0;
  socket.on('data', (d: Buffer) => (received += d.length));
  socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n'.repeat(20000));
  for (let i = 0; i < 300 && received === 0; i++) await sleep(10);
  t.ok(received > 0, 'answers came');
  await sleep(200); // long enough for a stalled connection to stall
  t.equal(server.stats().connections, 1, 'the connection is open');
  socket.resetAndDestroy();
  t.ok(await released(server, 1000), 'released within a second of the reset, not at a timeout');
});

forEachServerKind(t, 'reading paused by a backlog of answers resumes for a request whose body is still to come', async (t, kind) => {
  // The first answer passes the high-water mark, so reading pauses right after the POST's head;
  // its body comes later. Resuming only when every answer is done would wait for ever: the POST
  // is one of them, and cannot be answered before its body is read.
  const big = 'y'.repeat(80 * 1024);
  const server = await startServer(t, kind, (req, res) => res.end(req.method === 'POST' ? `got ${req.body.length}` : big), SHORT);
  const r = await raw(server.port, [
    'GET / HTTP/1.1\r\nHost: x\r\n\r\nPOST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n01234',
    '56789',
  ], { gapMs: 50, responses: 2, timeoutMs: 3000 });
  const answers = responsesOf(r);
  t.same(answers.map((x) => x.status), [200, 200], 'both answered (no 408)');
  t.equal(answers[1]?.body, 'got 10');
});

forEachServerKind(t, 'reading paused at maxPipeline resumes when a slot frees, for a request whose body is still to come', async (t, kind) => {
  const server = await startServer(t, kind, async (req, res) => {
    if (req.method === 'GET') await sleep(30);
    res.end(req.method === 'POST' ? `got ${req.body.length}` : 'slow');
  }, { ...SHORT, maxPipeline: 2 });
  const r = await raw(server.port, [
    'GET / HTTP/1.1\r\nHost: x\r\n\r\nPOST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n01234',
    '56789',
  ], { gapMs: 50, responses: 2, timeoutMs: 3000 });
  const answers = responsesOf(r);
  t.same(answers.map((x) => x.status), [200, 200], 'both answered (no 408)');
  t.equal(answers[1]?.body, 'got 10');
});
