// Timeouts, admission, graceful close, streaming bodies and backpressure.
import t from 'tap';
import { forEachServerKind, sleep, startServer } from './helpers/server-kinds.js';
import { connect, raw, responsesOf } from './helpers/raw-client.js';
import { listen } from '../lib/index.js';

const hello = (_req: unknown, res: { end(b: string): void }) => res.end('hello');

forEachServerKind(t, 'answers 408 and closes when a head is not complete within headersTimeout', async (t, kind) => {
  const server = await startServer(t, kind, hello, { headersTimeout: 150 });
  const started = Date.now();
  const r = await raw(server.port, ['GET / HTTP/1.1\r\n', 'Host: x\r\n'], { gapMs: 50, quietMs: 1500 });
  t.equal(responsesOf(r)[0]?.status, 408);
  t.ok(r.closed);
  t.ok(Date.now() - started < 1000, 'not long after the deadline');
  t.equal(server.stats().timeouts, 1);
});

forEachServerKind(t, 'a slow trickle that never finishes the head is cut at headersTimeout (slowloris)', async (t, kind) => {
  const server = await startServer(t, kind, hello, { headersTimeout: 200 });
  const trickle = ('GET / HTTP/1.1\r\nHost: x\r\n' + 'X-A: b\r\n'.repeat(30)).split('');
  const r = await raw(server.port, trickle, { gapMs: 3, quietMs: 1500, timeoutMs: 3000 });
  t.equal(responsesOf(r)[0]?.status, 408);
  t.ok(r.closed);
});

forEachServerKind(t, 'answers 408 when the body does not arrive within requestTimeout', async (t, kind) => {
  const server = await startServer(t, kind, hello, { requestTimeout: 200 });
  const r = await raw(server.port, 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc', { quietMs: 1500 });
  t.equal(responsesOf(r)[0]?.status, 408);
  t.ok(r.closed);
});

forEachServerKind(t, 'closes an idle keep-alive connection after keepAliveTimeout, quietly', async (t, kind) => {
  const server = await startServer(t, kind, hello, { keepAliveTimeout: 150 });
  const started = Date.now();
  const r = await raw(server.port, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n', { quietMs: 1500 });
  t.equal(responsesOf(r).length, 1, 'one answer, no 408 after it');
  t.ok(r.closed);
  const took = Date.now() - started;
  t.ok(took >= 140 && took < 1000, `closed after ${took} ms`);
  t.equal(server.stats().timeouts, 1);
});

forEachServerKind(t, 'a connection that sends nothing is closed after headersTimeout', async (t, kind) => {
  const server = await startServer(t, kind, hello, { headersTimeout: 150 });
  const r = await raw(server.port, [], { quietMs: 1500 });
  t.ok(r.closed);
  t.equal(r.text, '');
});

forEachServerKind(t, 'a connection accepted after a late sweep gets its full headersTimeout', async (t, kind) => {
  const server = await startServer(t, kind, hello, { headersTimeout: 400 });
  await sleep(50);
  // Block this process (server included) well past headersTimeout: the sweep runs late, and the
  // coarse clock is stale when the next connection is accepted.
  const until = Date.now() + 700;
  while (Date.now() < until) { /* busy */ }
  // Connect and send the head within headersTimeout of connecting: it must be answered.
  const r = await raw(server.port, ['GET / HTTP/1.1\r\n', 'Host: x\r\n\r\n'], { gapMs: 100, responses: 1, timeoutMs: 2000 });
  t.equal(responsesOf(r)[0]?.status, 200, 'answered, not closed as idle');
  t.equal(server.stats().timeouts, 0);
});

forEachServerKind(t, 'a handler slower than every timeout is not cut', async (t, kind) => {
  const server = await startServer(t, kind, async (_req, res) => {
    await sleep(300);
    res.end('slow');
  }, { headersTimeout: 100, requestTimeout: 100, keepAliveTimeout: 100 });
  const r = await raw(server.port, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n', { responses: 1 });
  t.equal(responsesOf(r)[0]?.body, 'slow');
});

forEachServerKind(t, 'refuses the (maxConns+1)-th connection with 503, Retry-After and a close', async (t, kind) => {
  const server = await startServer(t, kind, hello, { maxConns: 2 });
  const a = await connect(server.port);
  const b = await connect(server.port);
  t.teardown(() => {
    a.destroy();
    b.destroy();
  });
  await sleep(30);
  const r = await raw(server.port, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n');
  const [res] = responsesOf(r);
  t.equal(res?.status, 503);
  t.equal(res?.headers.connection, 'close');
  t.equal(res?.headers['retry-after'], '1');
  t.ok(r.closed);
  t.equal(server.stats().refused, 1);
  t.equal(server.stats().connections, 2);
  // The admitted ones are unaffected.
  let text = '';
  a.on('data', (d) => (text += d));
  a.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
  await sleep(50);
  t.match(text, /^HTTP\/1\.1 200 OK\r\n[^]*hello$/);
  // A slot freed is a slot available.
  b.destroy();
  await sleep(50);
  const again = await raw(server.port, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n', { responses: 1 });
  t.equal(responsesOf(again)[0]?.status, 200);
});

forEachServerKind(t, 'close() ends idle connections at once, finishes in-flight requests, then resolves', async (t, kind) => {
  const server = await listen(async (req, res) => {
    if (req.path === '/slow') await sleep(200);
    res.end(req.path);
  }, { port: 0, host: '127.0.0.1', loop: kind.loop, parser: kind.parser, rawSocket: kind.rawSocket });
  const idle = await raw(server.port, 'GET /idle HTTP/1.1\r\nHost: x\r\n\r\n', { responses: 1 });
  t.equal(responsesOf(idle).length, 1);
  const idleSocket = await connect(server.port);
  const idleClosed = new Promise((r) => idleSocket.once('close', r));
  idleSocket.on('error', () => {});
  const slow = raw(server.port, 'GET /slow HTTP/1.1\r\nHost: x\r\n\r\n', { quietMs: 1500 });
  await sleep(50);
  const started = Date.now();
  const closing = server.close();
  await idleClosed;
  t.ok(Date.now() - started < 100, 'the idle connection was closed at once');
  await t.rejects(connect(server.port), { code: 'ECONNREFUSED' }, 'no longer accepting');
  const r = await slow;
  const [res] = responsesOf(r);
  t.equal(res?.body, '/slow', 'the in-flight request was answered');
  t.equal(res?.headers.connection, 'close');
  await closing;
  t.ok(Date.now() - started >= 140, 'close() waited for it');
  t.equal(server.stats().connections, 0);
});

forEachServerKind(t, 'close() cuts requests still running after closeGrace', async (t, kind) => {
  const server = await listen(() => {
    /* never answers */
  }, { port: 0, host: '127.0.0.1', loop: kind.loop, parser: kind.parser, rawSocket: kind.rawSocket, closeGrace: 150 });
  const pending = raw(server.port, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n', { quietMs: 2000 });
  await sleep(30);
  const started = Date.now();
  await server.close();
  const took = Date.now() - started;
  t.ok(took >= 140 && took < 1000, `resolved after ${took} ms`);
  const r = await pending;
  t.ok(r.closed);
});

forEachServerKind(t, 'streamBody delivers a large upload chunk by chunk, past maxBodySize', async (t, kind) => {
  const server = await startServer(t, kind, async (req, res) => {
    t.equal(req.body.length, 0, 'no buffered body in streaming mode');
    let total = 0;
    let chunks = 0;
    for await (const chunk of req) {
      total += chunk.length;
      chunks++;
      if (chunks % 20 === 0) await sleep(1); // a slow consumer
    }
    res.json({ total, chunks });
  }, { streamBody: true, maxBodySize: 1024 });
  const size = 4 * 1024 * 1024;
  const r = await fetch(`http://127.0.0.1:${server.port}/`, { method: 'POST', body: Buffer.alloc(size, 1) });
  const j = await r.json();
  t.equal(j.total, size);
  t.ok(j.chunks > 1);
});

forEachServerKind(t, 'streamBody: a client that stops mid-body ends the iterator with an error', async (t, kind) => {
  let caught: unknown = null;
  const done = new Promise<void>((resolve) => {
    void startServer(t, kind, async (req, res) => {
      try {
        for await (const _ of req) {
          /* read */
        }
      } catch (err) {
        caught = err;
      }
      resolve();
      res.end();
    }, { streamBody: true }).then(async (server) => {
      const s = await connect(server.port);
      s.on('error', () => {});
      s.write('POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nabc');
      await sleep(30);
      s.destroy();
    });
  });
  await done;
  t.type(caught, Error);
});

forEachServerKind(t, 'write() returns false under backpressure and drain() resolves when the client reads', async (t, kind) => {
  const chunk = Buffer.alloc(64 * 1024, 97);
  const total = 512; // 32 MiB: more than loopback socket buffers hold
  let written = 0;
  let falses = 0;
  let finished = false;
  const server = await startServer(t, kind, async (_req, res) => {
    while (written < total) {
      written++;
      if (!res.write(chunk)) {
        falses++;
        await res.drain();
      }
    }
    res.end();
    finished = true;
  });
  const s = await connect(server.port);
  t.teardown(() => s.destroy());
  s.pause(); // read nothing yet
  s.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
  await sleep(300);
  const stalledAt = written;
  t.ok(falses > 0, 'write() returned false');
  t.ok(stalledAt < total, `the handler waits in drain() (${stalledAt} of ${total} chunks written)`);
  await sleep(100);
  t.equal(written, stalledAt, 'no progress while the client reads nothing');
  let got = 0;
  s.on('data', (d) => (got += d.length));
  s.resume();
  for (let i = 0; i < 100 && !finished; i++) await sleep(20);
  t.ok(finished, 'the response completed once the client read');
  t.ok(got >= stalledAt * chunk.length);
});

forEachServerKind(t, 'a partial head sent right after a complete request is timed by headersTimeout, not keepAliveTimeout', async (t, kind) => {
  const server = await startServer(t, kind, hello, { headersTimeout: 200, keepAliveTimeout: 10_000 });
  const started = Date.now();
  const r = await raw(server.port, 'GET / HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHo', { quietMs: 2500, timeoutMs: 4000 });
  t.same(responsesOf(r).map((x) => x.status), [200, 408]);
  t.ok(r.closed);
  t.ok(Date.now() - started < 2000, 'cut near headersTimeout');
});

forEachServerKind(t, 'res.destroyed tells an endless writer that the client is gone', async (t, kind) => {
  let stopped = false;
  const server = await startServer(t, kind, async (_req, res) => {
    const piece = Buffer.alloc(16 * 1024, 120);
    while (!res.destroyed) if (!res.write(piece)) await res.drain();
    stopped = true;
  });
  const s = await connect(server.port);
  s.on('error', () => {});
  s.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
  await new Promise((r) => s.once('data', r));
  s.resetAndDestroy();
  for (let i = 0; i < 100 && !stopped; i++) await sleep(10);
  t.ok(stopped, 'the handler left its loop');
});

forEachServerKind(t, 'a large answer to a slow reader is not cut by keepAliveTimeout while it moves', async (t, kind) => {
  const size = 16 * 1024 * 1024;
  const server = await startServer(t, kind, (_req, res) => res.end(Buffer.alloc(size, 122)), { keepAliveTimeout: 150 });
  const s = await connect(server.port);
  t.teardown(() => s.destroy());
  s.setNoDelay(true);
  let got = 0;
  s.on('data', (d) => {
    got += d.length;
    // about 5 MiB/s: the transfer takes ~3 s, far past keepAliveTimeout and the 2 s linger
    if (got % (512 * 1024) < d.length) {
      s.pause();
      setTimeout(() => s.resume(), 100);
    }
  });
  s.on('error', () => {});
  s.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
  for (let i = 0; i < 800 && got < size; i++) await sleep(10);
  t.ok(got > size, `received ${got} bytes (head + ${size} of body)`);
});
