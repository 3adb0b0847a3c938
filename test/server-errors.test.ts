// Bad input gets the right status, Connection: close, then a close (RFC 9110 §15.5/15.6).
import t from 'tap';
import { forEachServerKind, sleep, startServer, PARSERS } from './helpers/server-kinds.js';
import { connect, raw, responsesOf } from './helpers/raw-client.js';
import type { WaferRequest, WaferResponse } from '../lib/core/types.js';

const ok = (req: WaferRequest, res: WaferResponse) => res.end(`ok ${req.body.length}`);
const LIMITS = { maxBodySize: 1000, maxUrlLength: 100, maxHeaderSize: 2000, maxHeaderCount: 20 };

const cases: [string, string, number][] = [
  ['a malformed request line', 'GET\r\n\r\n', 400],
  ['a bad header name', 'GET / HTTP/1.1\r\nHost: x\r\nBad Name: v\r\n\r\n', 400],
  ['Content-Length with Transfer-Encoding (smuggling, RFC 9112 §6.1)', 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n', 400],
  ['a malformed version', 'GET / HTTP/1.x\r\nHost: x\r\n\r\n', 400],
  ['a bad chunk size', 'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n', 400],
  ['a Transfer-Encoding whose final coding is not chunked (RFC 9112 §6.3)', 'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n', 400],
  ['a Content-Length over maxBodySize', 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1001\r\n\r\n', 413],
  ['a request target over maxUrlLength', `GET /${'a'.repeat(120)} HTTP/1.1\r\nHost: x\r\n\r\n`, 414],
  ['a header block over maxHeaderSize', `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'b'.repeat(2100)}\r\n\r\n`, 431],
  ['more fields than maxHeaderCount', `GET / HTTP/1.1\r\n${Array.from({ length: 25 }, (_, i) => `X-${i}: v\r\n`).join('')}\r\n`, 431],
  ['a transfer coding it cannot decode (RFC 9112 §6.1)', 'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n', 501],
  ['a well-formed but unsupported version', 'GET / HTTP/2.0\r\nHost: x\r\n\r\n', 505],
  ['a well-formed but unsupported minor version', 'GET / HTTP/1.2\r\nHost: x\r\n\r\n', 505],
  ['an expectation other than 100-continue (RFC 9110 §10.1.1)', 'POST / HTTP/1.1\r\nHost: x\r\nExpect: teapot\r\nContent-Length: 2\r\n\r\nhi', 417],
];

for (const [what, bytes, status] of cases) {
  forEachServerKind(t, `answers ${status} with Connection: close, then closes, for ${what}`, async (t, kind) => {
    const server = await startServer(t, kind, ok, LIMITS);
    const r = await raw(server.port, bytes);
    const [res] = responsesOf(r);
    t.equal(res?.status, status, JSON.stringify(r.text.slice(0, 60)));
    t.equal(res?.headers.connection, 'close');
    t.ok(r.closed, 'connection closed');
    t.notOk(r.reset, 'closed with FIN, not a reset');
    t.equal(server.stats().parseErrors, 1, 'counted as a rejected request');
  }, PARSERS);
}

forEachServerKind(t, 'answers 413 when a chunked body passes maxBodySize', async (t, kind) => {
  const server = await startServer(t, kind, ok, LIMITS);
  const chunk = `200\r\n${'c'.repeat(0x200)}\r\n`;
  const r = await raw(server.port, ['POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n', chunk, chunk, chunk]);
  t.equal(responsesOf(r)[0]?.status, 413);
  t.ok(r.closed);
}, PARSERS);

forEachServerKind(t, 'a chunked body within maxBodySize is delivered whole', async (t, kind) => {
  const server = await startServer(t, kind, ok, LIMITS);
  const chunk = `100\r\n${'c'.repeat(0x100)}\r\n`;
  const r = await raw(server.port, `POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n${chunk}${chunk}0\r\n\r\n`, { responses: 1 });
  t.equal(responsesOf(r)[0]?.body, 'ok 512');
});

forEachServerKind(t, 'the error answer waits for the responses pipelined before it', async (t, kind) => {
  const server = await startServer(t, kind, async (req, res) => {
    await sleep(20);
    res.end(req.path);
  }, LIMITS);
  const r = await raw(server.port, 'GET /first HTTP/1.1\r\nHost: x\r\n\r\nGET /second HTTP/1.1\r\nHost: x\r\n\r\nBROKEN\r\n\r\n');
  t.same(responsesOf(r).map((x) => x.status), [200, 200, 400]);
  t.same(responsesOf(r).slice(0, 2).map((x) => x.body), ['/first', '/second']);
  t.ok(r.closed);
});

forEachServerKind(t, 'sends 100 Continue before the body is read, then the answer', async (t, kind) => {
  const server = await startServer(t, kind, ok);
  const socket = await connect(server.port);
  t.teardown(() => socket.destroy());
  let text = '';
  socket.on('data', (d) => (text += d.toString('latin1')));
  socket.write('POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n');
  await sleep(50);
  t.equal(text, 'HTTP/1.1 100 Continue\r\n\r\n', 'the go-ahead comes before any body byte');
  socket.write('body');
  await sleep(50);
  t.match(text, /^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 OK\r\n[^]*\r\n\r\nok 4$/);
});

forEachServerKind(t, 'answers 413 instead of 100 Continue when the announced body is too large', async (t, kind) => {
  const server = await startServer(t, kind, ok, LIMITS);
  const r = await raw(server.port, 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\nExpect: 100-continue\r\n\r\n');
  t.notMatch(r.text, /100 Continue/);
  t.equal(responsesOf(r)[0]?.status, 413);
});

forEachServerKind(t, 'a handler that throws gets 500 and the server keeps serving', async (t, kind) => {
  const errors: unknown[] = [];
  const server = await startServer(t, kind, (req, res) => {
    if (req.path === '/throw') throw new Error('boom');
    res.end('fine');
  }, { onError: (e) => errors.push(e) });
  const r = await raw(server.port, 'GET /throw HTTP/1.1\r\nHost: x\r\n\r\n');
  const [res] = responsesOf(r);
  t.equal(res.status, 500);
  t.equal(res.headers.connection, 'close');
  t.equal((errors[0] as Error).message, 'boom');
  const again = await fetch(`http://127.0.0.1:${server.port}/`);
  t.equal(await again.text(), 'fine');
  t.equal(server.stats().handlerErrors, 1);
});

forEachServerKind(t, 'a handler that rejects gets 500', async (t, kind) => {
  const server = await startServer(t, kind, async () => {
    await sleep(5);
    throw new Error('later');
  });
  const r = await raw(server.port, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n');
  t.equal(responsesOf(r)[0]?.status, 500);
  t.ok(r.closed);
});

forEachServerKind(t, 'a handler that fails after sending the head cuts the connection', async (t, kind) => {
  const server = await startServer(t, kind, async (_req, res) => {
    res.write('partial');
    await sleep(5);
    throw new Error('midway');
  });
  const r = await raw(server.port, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n');
  t.ok(r.closed);
  t.match(r.text, /^HTTP\/1\.1 200 OK\r\n[^]*Transfer-Encoding: chunked\r\n\r\n7\r\npartial\r\n$/, 'no last-chunk: the client sees the cut');
});

forEachServerKind(t, 'survives clients that reset mid-request and mid-response', async (t, kind) => {
  const CHUNKS = 200; // 12.5 MiB: more than the socket buffers hold
  let finished = 0;
  let written = 0;
  const server = await startServer(t, kind, async (_req, res) => {
    for (let i = 0; i < CHUNKS; i++) {
      written++;
      res.write(Buffer.alloc(64 * 1024, 120));
      if (i % 5 === 0) await res.drain();
    }
    res.end();
    finished++;
  });
  // Reset in the middle of a head, and in the middle of a body.
  for (const partial of ['GET / HTTP/1.1\r\nHo', 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nabc']) {
    const s = await connect(server.port);
    s.write(partial);
    await sleep(10);
    s.resetAndDestroy();
  }
  // Reset while a large response is being written.
  const s = await connect(server.port);
  s.on('error', () => {});
  s.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
  await new Promise((r) => s.once('data', r));
  s.pause(); // the handler fills the socket buffers and waits in drain()
  await sleep(100);
  const before = written;
  s.resetAndDestroy();
  await sleep(100);
  t.ok(before < CHUNKS, `the reset came mid-response (${before} of ${CHUNKS} chunks written)`);
  const r = await fetch(`http://127.0.0.1:${server.port}/`);
  t.equal((await r.arrayBuffer()).byteLength, CHUNKS * 64 * 1024, 'the next client is served in full');
  await sleep(50);
  t.equal(server.stats().connections, 1, 'the reset connections are released');
  t.equal(finished, 2, 'the handler whose client reset mid-response ran to its end, as did the next one');
});
