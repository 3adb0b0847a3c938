// Faults over real sockets: half-close, clients that leave mid-request or mid-response,
// handlers that fail or never answer, writes after the client left. The server must not crash,
// must release every connection, and other clients must not notice. (Resets mid-head,
// mid-body and mid-response with a draining handler, and handler throw/reject → 500, are in
// server-errors.test.ts; this file extends them.)
import t from 'tap';
import { forEachServerKind, sleep, startServer, until } from './helpers/server-kinds.js';
import { connect, raw, responsesOf } from './helpers/raw-client.js';
import type { WaferServer } from '../lib/core/types.js';

const GET = (path: string) => `GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`;


const released = (server: WaferServer, ms?: number) => until(() => server.stats().connections === 0, ms);

forEachServerKind(t, 'half-close: a full request followed by FIN still gets its answer', async (t, kind) => {
  const server = await startServer(t, kind, (req, res) => res.end(`ok ${req.path}`));
  const r = await raw(server.port, GET('/a'), { end: true, quietMs: 1000 });
  t.same(responsesOf(r).map((x) => x.body), ['ok /a']);
  t.ok(r.closed, 'then the server closes');
  t.notOk(r.reset);
  t.ok(await released(server));
});

forEachServerKind(t, 'half-close: an async handler answers after the FIN arrived', async (t, kind) => {
  const server = await startServer(t, kind, async (req, res) => {
    await sleep(80);
    res.end(`late ${req.path}`);
  });
  const r = await raw(server.port, GET('/b'), { end: true, quietMs: 1000 });
  t.same(responsesOf(r).map((x) => x.body), ['late /b']);
  t.ok(r.closed);
  t.ok(await released(server));
});

forEachServerKind(t, 'half-close: every request of a pipeline sent before the FIN is answered, in order', async (t, kind) => {
  const server = await startServer(t, kind, async (req, res) => {
    await sleep(req.path === '/1' ? 40 : 5);
    res.end(req.path);
  });
  const r = await raw(server.port, GET('/1') + GET('/2') + GET('/3'), { end: true, quietMs: 1000 });
  t.same(responsesOf(r).map((x) => x.body), ['/1', '/2', '/3']);
  t.ok(r.closed);
  t.ok(await released(server));
});

forEachServerKind(t, 'a FIN in the middle of a head closes without an answer and releases the connection', async (t, kind) => {
  let calls = 0;
  const server = await startServer(t, kind, (_req, res) => {
    calls++;
    res.end();
  });
  const r = await raw(server.port, 'GET / HTTP/1.1\r\nHo', { end: true, quietMs: 1000 });
  t.equal(r.text, '');
  t.ok(r.closed);
  t.equal(calls, 0);
  t.ok(await released(server));
});

forEachServerKind(t, 'a FIN before the announced body is complete: the handler never runs', async (t, kind) => {
  let calls = 0;
  const server = await startServer(t, kind, (_req, res) => {
    calls++;
    res.end();
  });
  const r = await raw(server.port, 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc', { end: true, quietMs: 1000 });
  t.equal(r.text, '');
  t.ok(r.closed);
  t.equal(calls, 0);
  t.ok(await released(server));
});

forEachServerKind(t, 'a response written after the client reset is dropped: no throw, handler completes, connection released', async (t, kind) => {
  let completed = false;
  let thrown: unknown = null;
  const server = await startServer(t, kind, async (_req, res) => {
    await sleep(60);
    try {
      res.write('after ');
      await res.drain();
      res.end('the client left');
      completed = true;
    } catch (err) {
      thrown = err;
    }
  });
  const s = await connect(server.port);
  s.write(GET('/'));
  await sleep(10);
  s.resetAndDestroy();
  t.ok(await until(() => completed || thrown !== null), 'the handler finished');
  t.equal(thrown, null, 'nothing thrown at the handler');
  t.ok(await released(server));
  t.equal(server.stats().handlerErrors, 0);
});

forEachServerKind(t, 'a handler waiting in drain() is released when the client resets (ECONNRESET on write)', async (t, kind) => {
  let done = false;
  let chunks = 0;
  const server = await startServer(t, kind, async (_req, res) => {
    const big = Buffer.alloc(64 * 1024, 120);
    for (let i = 0; i < 1024; i++) {
      chunks++;
      if (!res.write(big)) await res.drain();
    }
    res.end();
    done = true;
  });
  const s = await connect(server.port);
  s.on('error', () => {});
  s.pause(); // read nothing: the handler blocks in drain()
  s.write(GET('/'));
  await until(() => chunks > 2);
  await sleep(50);
  const stalled = chunks;
  t.ok(stalled < 1024, `the handler was waiting (${stalled} chunks)`);
  s.resetAndDestroy();
  t.ok(await until(() => done), 'drain() resolved after the reset and the handler ran to its end');
  t.ok(await released(server));
});

forEachServerKind(t, 'writes that ignore backpressure after the client reset (EPIPE) do not throw', async (t, kind) => {
  let done = false;
  let thrown: unknown = null;
  let gotHead!: () => void;
  const headArrived = new Promise<void>((r) => (gotHead = r));
  const server = await startServer(t, kind, async (_req, res) => {
    const big = Buffer.alloc(64 * 1024, 120);
    try {
      res.write(big);
      await sleep(40); // the client resets here
      for (let i = 0; i < 64; i++) res.write(big);
      res.end();
      done = true;
    } catch (err) {
      thrown = err;
    }
  });
  const s = await connect(server.port);
  s.on('error', () => {});
  s.once('data', () => gotHead());
  s.write(GET('/'));
  await headArrived;
  s.resetAndDestroy();
  t.ok(await until(() => done || thrown !== null));
  t.equal(thrown, null);
  t.ok(await released(server));
});

forEachServerKind(t, 'a handler that never answers blocks only its own connection, which is released when the client resets', async (t, kind) => {
  const server = await startServer(t, kind, (req, res) => {
    if (req.path === '/never') return;
    res.end('fine');
  }, { headersTimeout: 200, requestTimeout: 200, keepAliveTimeout: 200 });
  const stuck = await connect(server.port);
  stuck.on('error', () => {});
  stuck.write(GET('/never'));
  await sleep(400); // past every timeout: a running handler is not timed (see server-lifecycle)
  t.equal(server.stats().connections, 1, 'still open while its handler runs');
  const others = await Promise.all([1, 2, 3].map(() => raw(server.port, GET('/'), { responses: 1 })));
  t.same(others.map((r) => responsesOf(r)[0]?.body), ['fine', 'fine', 'fine'], 'other clients unaffected');
  stuck.resetAndDestroy();
  t.ok(await released(server), 'released on the reset');
});

forEachServerKind(t, 'a handler that fails after the client left is counted, and the server keeps serving', async (t, kind) => {
  const errors: unknown[] = [];
  const server = await startServer(t, kind, async (req, res) => {
    if (req.path === '/fail') {
      await sleep(40);
      throw new Error('late failure');
    }
    res.end('fine');
  }, { onError: (e) => errors.push(e) });
  const s = await connect(server.port);
  s.on('error', () => {});
  s.write(GET('/fail'));
  await sleep(5);
  s.resetAndDestroy();
  t.ok(await until(() => errors.length === 1));
  t.equal(server.stats().handlerErrors, 1);
  const r = await raw(server.port, GET('/'), { responses: 1 });
  t.equal(responsesOf(r)[0]?.body, 'fine');
  t.ok(await until(() => server.stats().connections <= 1));
});

forEachServerKind(t, 'an onError hook that throws does not take the server down', async (t, kind) => {
  const server = await startServer(t, kind, (req, res) => {
    if (req.path === '/throw') throw new Error('boom');
    res.end('fine');
  }, {
    onError: () => {
      throw new Error('the hook fails too');
    },
  });
  const r = await raw(server.port, GET('/throw'));
  t.equal(responsesOf(r)[0]?.status, 500);
  const again = await raw(server.port, GET('/'), { responses: 1 });
  t.equal(responsesOf(again)[0]?.body, 'fine');
});

forEachServerKind(t, 'a handler that never answers: when the client leaves with a FIN, the connection is released at requestTimeout', async (t, kind) => {
  const server = await startServer(t, kind, () => {
    /* never answers */
  }, { requestTimeout: 200 });
  const s = await connect(server.port);
  s.on('error', () => {});
  s.write(GET('/never'));
  await sleep(30);
  s.destroy(); // FIN: the server cannot tell a half-close from a departure
  await sleep(80);
  t.equal(server.stats().connections, 1, 'kept a while: a half-closed client may still be waiting');
  const started = Date.now();
  t.ok(await released(server, 2000), 'then released');
  t.ok(Date.now() - started < 1000);
});

forEachServerKind(t, 'a client that pipelines and never reads its answers stops being read: the server buffers a bounded amount', async (t, kind) => {
  let handled = 0;
  const server = await startServer(t, kind, (_req, res) => {
    handled++;
    res.end(Buffer.alloc(16 * 1024, 97)); // a fresh buffer per answer: memory is really used
  });
  const s = await connect(server.port);
  t.teardown(() => s.destroy());
  s.on('error', () => {});
  s.pause(); // never read
  const burst = Buffer.from(GET('/').repeat(500));
  let stop = false;
  const pump = (): void => {
    while (!stop && s.write(burst));
  };
  s.on('drain', pump);
  pump();
  await sleep(500);
  const first = handled;
  await sleep(500);
  stop = true;
  t.equal(handled, first, `no more requests handled while the client reads nothing (${first})`);
  // Kernel buffers, highWaterMark and one read's worth of pipelined requests: not unbounded.
  t.ok(first < 5000, `${first} answers buffered, ${Math.round((first * 16) / 1024)} MiB`);
  // Reading resumes as soon as the client takes its answers.
  let got = 0;
  s.on('data', (d: Buffer) => (got += d.length));
  s.resume();
  t.ok(await until(() => handled > first, 3000), 'the server reads again once the client reads');
});

forEachServerKind(t, 'a handler returning a thenable whose then() throws gets 500, and nothing escapes', async (t, kind) => {
  const server = await startServer(t, kind, () => ({
    then() {
      throw new Error('then() threw');
    },
  }));
  const r = await raw(server.port, GET('/'));
  t.equal(responsesOf(r)[0]?.status, 500);
  t.ok(r.closed);
  t.equal(server.stats().handlerErrors, 1);
});

forEachServerKind(t, 'an error whose status getter throws cuts the connection, and nothing escapes', async (t, kind) => {
  const server = await startServer(t, kind, async () => {
    await sleep(1);
    throw Object.defineProperty(new Error('evil'), 'status', {
      get() {
        throw new Error('status getter threw');
      },
    });
  });
  const r = await raw(server.port, GET('/'));
  t.ok(r.closed, 'closed');
  t.ok(await released(server));
  const again = await raw(server.port, GET('/'), { quietMs: 200 });
  t.ok(again.closed, 'the server is still there');
});

forEachServerKind(t, 'slow read: a response the client never reads is cut after requestTimeout without progress', async (t, kind) => {
  let done = false;
  const server = await startServer(t, kind, async (_req, res) => {
    const big = Buffer.alloc(64 * 1024, 120);
    for (let i = 0; i < 4096; i++) if (!res.write(big)) await res.drain();
    res.end();
    done = true;
  }, { requestTimeout: 300 });
  const s = await connect(server.port);
  t.teardown(() => s.destroy());
  s.on('error', () => {});
  s.pause(); // reads nothing
  s.write(GET('/'));
  await sleep(200);
  t.equal(server.stats().connections, 1, 'still open while within requestTimeout');
  t.ok(await released(server, 3000), 'cut once drain() had waited past requestTimeout');
  t.ok(await until(() => done), 'the handler was released from drain() and ran to its end');
});

forEachServerKind(t, 'slow read: a client that reads slowly but steadily gets the whole response', async (t, kind) => {
  const total = 256; // 16 MiB: more than the socket buffers hold
  const server = await startServer(t, kind, async (_req, res) => {
    const big = Buffer.alloc(64 * 1024, 120);
    res.setHeader('Content-Length', String(total * big.length));
    for (let i = 0; i < total; i++) if (!res.write(big)) await res.drain();
    res.end();
  }, { requestTimeout: 300 });
  const s = await connect(server.port);
  t.teardown(() => s.destroy());
  let got = 0;
  s.on('data', (d: Buffer) => (got += d.length));
  s.write(GET('/'));
  // Read in bursts: 30 ms on, 100 ms off, so every drain() wait is well under requestTimeout.
  const want = total * 64 * 1024;
  const deadline = Date.now() + 20_000;
  while (got < want && Date.now() < deadline && !s.destroyed) {
    s.resume();
    await sleep(30);
    s.pause();
    await sleep(100);
  }
  s.resume();
  await until(() => got > want, 2000);
  t.ok(got > want, `the whole body arrived (${got} bytes with the head)`);
  t.notOk(s.destroyed, 'and the connection is still open (keep-alive)');
});
