// handlerTimeout and req.signal: a handler that never sends its head gets the client a 503 and
// frees the connection (and its maxConns slot); a response whose head is out is not timed;
// req.signal tells a handler that the client left, or that it ran out of time.
import t from 'tap';
import { forEachServerKind, sleep, startServer, until } from './helpers/server-kinds.js';
import { connect, raw, responsesOf } from './helpers/raw-client.js';
import { listen } from '../lib/index.js';
import type { WaferServer } from '../lib/core/types.js';

const GET = (path: string) => `GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`;


const released = (server: WaferServer) => until(() => server.stats().connections === 0);

forEachServerKind(t, 'a handler that never answers: 503 + Connection: close after handlerTimeout, and its maxConns slot is freed', async (t, kind) => {
  let signal: AbortSignal | undefined;
  const server = await startServer(t, kind, (req, res) => {
    if (req.path === '/hang') {
      signal = req.signal;
      res.setHeader('X-Meant-For-The-Real-Answer', '1');
      return; // never answers
    }
    res.end('ok');
  }, { handlerTimeout: 200, maxConns: 1 });
  const started = Date.now();
  const r = await raw(server.port, GET('/hang'), { quietMs: 1500, timeoutMs: 3000 });
  const took = Date.now() - started;
  const [res] = responsesOf(r);
  t.equal(res?.status, 503);
  t.equal(res?.headers.connection, 'close');
  t.equal(res?.headers['x-meant-for-the-real-answer'], undefined, "the handler's fields are not sent with it");
  t.ok(r.closed, 'the connection is closed');
  t.ok(took >= 190 && took < 1000, `answered after handlerTimeout (${took} ms)`);
  t.equal(server.stats().handlerTimeouts, 1);
  t.equal(signal?.aborted, true, 'req.signal aborted');
  t.equal((signal?.reason as Error | undefined)?.name, 'TimeoutError');
  // The one slot is free again: the next client is admitted and answered.
  t.ok(await released(server));
  const next = await raw(server.port, GET('/'), { responses: 1 });
  t.equal(responsesOf(next)[0]?.status, 200, 'admitted, not refused');
  t.equal(server.stats().refused, 0);
});

forEachServerKind(t, 'handlerTimeout counts from the complete request, and a head already sent is not timed', async (t, kind) => {
  const server = await startServer(t, kind, async (req, res) => {
    if (req.path === '/stream') {
      // The head leaves at once; the body takes longer than handlerTimeout.
      res.write('a');
      await sleep(400);
      res.end('b');
      return;
    }
    // /hang: never answers.
  }, { handlerTimeout: 200 });
  // A request body that takes longer than handlerTimeout to arrive does not eat into it.
  const started = Date.now();
  const body = raw(server.port, ['POST /hang HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n', 'a', 'b'], { gapMs: 150, quietMs: 1500 });
  const stream = raw(server.port, GET('/stream'), { responses: 1, timeoutMs: 3000 });
  const [s] = responsesOf(await stream);
  t.equal(s?.status, 200, 'the streaming response is not cut');
  t.equal(s?.body, 'ab', 'and it completes');
  const r = await body;
  const took = Date.now() - started;
  const [b] = responsesOf(r);
  t.equal(b?.status, 503, 'the handler that never answered is timed out');
  // The last body byte left at ~300 ms.
  t.ok(took >= 300 + 190, `handlerTimeout after the body was complete (${took} ms)`);
  t.equal(server.stats().handlerTimeouts, 1);
});

forEachServerKind(t, 'streamBody: a handler that read its body and never answers gets a 503 too', async (t, kind) => {
  const server = await startServer(t, kind, async (req) => {
    for await (const chunk of req) void chunk;
    // never answers
  }, { handlerTimeout: 200, streamBody: true });
  const r = await raw(server.port, 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc', { quietMs: 1500 });
  const [res] = responsesOf(r);
  t.equal(res?.status, 503);
  t.equal(res?.headers.connection, 'close');
  t.ok(r.closed);
  t.ok(await released(server));
});

forEachServerKind(t, 'req.signal aborts when the client resets while the handler runs, and not after the response ended', async (t, kind) => {
  const reasons: string[] = [];
  let finished: AbortSignal | undefined;
  let aborted!: () => void;
  const abortSeen = new Promise<void>((r) => (aborted = r));
  const server = await startServer(t, kind, (req, res) => {
    if (req.path === '/done') {
      finished = req.signal;
      res.end('done');
      return;
    }
    req.signal.addEventListener('abort', () => {
      reasons.push((req.signal.reason as Error).name);
      aborted();
    });
  });
  // Ended normally, then the client goes: nothing to abort.
  const ok = await raw(server.port, GET('/done'), { responses: 1 });
  t.equal(responsesOf(ok)[0]?.body, 'done');
  const socket = await connect(server.port);
  socket.on('error', () => {});
  socket.write(GET('/work'));
  await sleep(50);
  t.same(reasons, [], 'not aborted while the client waits');
  const cut = Date.now();
  socket.resetAndDestroy();
  await Promise.race([abortSeen, sleep(1000)]);
  t.same(reasons, ['AbortError'], 'aborted once, with an AbortError');
  t.ok(Date.now() - cut < 500, 'soon after the reset');
  t.equal(finished?.aborted, false, 'a request answered before its client left is not aborted');
  t.ok(await released(server));
});

forEachServerKind(t, 'req.signal read after the client left is already aborted', async (t, kind) => {
  let signal: AbortSignal | undefined;
  let gotSignal!: () => void;
  const read = new Promise<void>((r) => (gotSignal = r));
  const server = await startServer(t, kind, async (req, res) => {
    await sleep(150);
    signal = req.signal; // made lazily, after the abort
    gotSignal();
    res.end('late');
  });
  const socket = await connect(server.port);
  socket.on('error', () => {});
  socket.write(GET('/'));
  await sleep(40);
  socket.resetAndDestroy();
  await read;
  t.equal(signal?.aborted, true);
  t.equal((signal?.reason as Error | undefined)?.name, 'AbortError');
  t.ok(await released(server));
});

t.test('handlerTimeout is validated; 0 turns it off', async (t) => {
  await t.rejects(listen(() => {}, { port: 0, handlerTimeout: -1 }), /handlerTimeout/);
  await t.rejects(listen(() => {}, { port: 0, handlerTimeout: 1.5 }), /handlerTimeout/);
  const server = await listen(() => {}, { port: 0, host: '127.0.0.1', handlerTimeout: 0, closeGrace: 50 });
  t.teardown(() => server.close());
  const r = await raw(server.port, GET('/'), { quietMs: 400 });
  t.equal(r.text, '', 'no answer from the engine');
  t.notOk(r.closed, 'and the connection is still open');
});
