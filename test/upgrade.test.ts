// ServerOptions.upgrade (issue 16 item 1): an Upgrade / CONNECT request hands the connection's
// socket to the app. A real `ws` server is mounted on wafer (noServer + handleUpgrade) and real
// `ws` clients talk to it, on every server kind: the edge loop on the raw libuv handle (whose
// reads wafer took over and must give back), the poll loop, and the edge loop on the stream
// API. Hand-made handshakes check the bytes that travel with the upgrade request (`head`) and
// the order of answers on a pipelined connection.
import t, { type Test } from 'tap';
import { createHash, randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import { WebSocket, type WebSocketServer } from 'ws';
import { clientFrame, closed, echoWsServer, handshake, nextMessage, openWs, readUntil, serverFrames } from './helpers/ws.js';
import { forEachServerKind, PARSERS, startServer, sleep, until, type ServerKind } from './helpers/server-kinds.js';
import { connect, raw, splitResponses } from './helpers/raw-client.js';
import type { Handler, ServerOptions, UpgradeRequest, WaferServer } from '../lib/index.js';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

interface Mounted {
  server: WaferServer;
  wss: WebSocketServer;
  /** What each upgrade callback got (`head` as it was then: ws unmasks frames in place). */
  seen: { req: UpgradeRequest; socket: Socket; head: Buffer }[];
}

const hello: Handler = (req, res) => res.end(`http:${req.url}`);

/**
 * A wafer server with a `ws` server mounted on its upgrade option. Each connection echoes
 * messages (text stays text, binary stays binary); the message 'close-me' makes the server
 * close with 4002 'server bye'.
 */
async function mount(t: Test, kind: ServerKind, options: ServerOptions = {}, handler: Handler = hello): Promise<Mounted> {
  const wss = echoWsServer(t);
  const seen: Mounted['seen'] = [];
  const server = await startServer(t, kind, handler, {
    upgrade(req, socket, head) {
      seen.push({ req, socket, head: Buffer.from(head) });
      wss.handleUpgrade(req as never, socket, head, (ws) => wss.emit('connection', ws, req));
    },
    ...options,
  });
  return { server, wss, seen };
}

function open(t: Test, port: number, path = '/ws'): Promise<WebSocket> {
  return openWs(t, `ws://127.0.0.1:${port}${path}`);
}

function acceptFor(key: string): string {
  return createHash('sha1').update(key + GUID).digest('base64');
}

// ---------------------------------------------------------------- ws clients

forEachServerKind(t, 'a ws client echoes text and binary through wafer, 1 MiB messages included', async (t, kind) => {
  const { server, seen } = await mount(t, kind);
  const ws = await open(t, server.port, '/chat?room=1');
  ws.send('hello');
  t.same(await nextMessage(ws), { data: Buffer.from('hello'), isBinary: false }, 'text');
  const bin = randomBytes(300);
  ws.send(bin);
  t.same(await nextMessage(ws), { data: bin, isBinary: true }, 'binary');
  const big = randomBytes(1 << 20);
  ws.send(big);
  const back = await nextMessage(ws);
  t.ok(back.isBinary && back.data.equals(big), '1 MiB binary, byte for byte');
  const text = 'é'.repeat(1 << 19); // 1 MiB of UTF-8
  ws.send(text);
  const backText = await nextMessage(ws);
  t.ok(!backText.isBinary && String(backText.data) === text, '1 MiB text');

  t.equal(seen.length, 1);
  const { req, socket, head } = seen[0];
  t.equal(req.method, 'GET');
  t.equal(req.url, '/chat?room=1');
  t.equal(req.path, '/chat');
  t.equal(req.query, 'room=1');
  t.equal(req.httpVersion, '1.1');
  t.equal(req.headers.upgrade, 'websocket', 'header names lower-cased');
  t.equal(req.headers['sec-websocket-version'], '13');
  t.equal(req.socket, socket, 'req.socket is the socket');
  t.equal(req.remoteAddress, '127.0.0.1');
  t.equal(head.length, 0, 'nothing came after the head');
  const stats = server.stats();
  t.equal(stats.upgraded, 1);
  t.equal(stats.upgradedOpen, 1);
  t.equal(stats.connections, 0, 'the upgraded connection left the connection count');
  ws.close();
  await closed(ws);
  t.ok(await until(() => server.stats().upgradedOpen === 0), 'upgradedOpen drops when the socket closes');
  t.equal(server.stats().upgraded, 1);
});

forEachServerKind(t, '50 ws clients at once, each with its own conversation', async (t, kind) => {
  const { server } = await mount(t, kind);
  const clients = await Promise.all(Array.from({ length: 50 }, () => open(t, server.port)));
  t.equal(server.stats().upgradedOpen, 50);
  const replies = await Promise.all(clients.map(async (ws, i) => {
    const got: string[] = [];
    for (let k = 0; k < 3; k++) {
      ws.send(`c${i}m${k}`);
      got.push(String((await nextMessage(ws)).data));
    }
    return got.join(',');
  }));
  t.same(replies, clients.map((_, i) => `c${i}m0,c${i}m1,c${i}m2`));
  await Promise.all(clients.map((ws) => {
    ws.close(1000);
    return closed(ws);
  }));
  t.ok(await until(() => server.stats().upgradedOpen === 0));
});

forEachServerKind(t, 'close handshakes carry code and reason both ways', async (t, kind) => {
  const { server, wss } = await mount(t, kind);
  // Client-initiated.
  const a = await open(t, server.port);
  const serverSide = new Promise<{ code: number; reason: string }>((resolve) => {
    for (const ws of wss.clients) ws.once('close', (code, reason) => resolve({ code, reason: String(reason) }));
  });
  a.close(4001, 'client bye');
  t.same(await closed(a), { code: 4001, reason: 'client bye' }, 'the client sees its close echoed');
  t.same(await serverSide, { code: 4001, reason: 'client bye' }, 'the server got the client close');
  // Server-initiated.
  const b = await open(t, server.port);
  b.send('close-me');
  t.same(await closed(b), { code: 4002, reason: 'server bye' }, 'the client got the server close');
  t.ok(await until(() => server.stats().upgradedOpen === 0), 'both sockets closed');
});

// ---------------------------------------------------------------- hand-made handshakes

forEachServerKind(t, 'a frame sent in the same write as the upgrade request reaches ws (head)', async (t, kind) => {
  const { server, seen } = await mount(t, kind);
  const key = randomBytes(16).toString('base64');
  const socket = await connect(server.port);
  t.teardown(() => socket.destroy());
  const frame = clientFrame(0x1, Buffer.from('in the head'));
  const second = clientFrame(0x1, Buffer.from('and after'));
  socket.write(Buffer.concat([Buffer.from(handshake('/h', key)), frame]));
  const got = await readUntil(socket, (b) => serverFrames(b, b.indexOf('\r\n\r\n') + 4).length >= 1);
  const headEnd = got.indexOf('\r\n\r\n') + 4;
  t.match(got.subarray(0, headEnd).toString('latin1'), /^HTTP\/1\.1 101 /);
  t.match(got.subarray(0, headEnd).toString('latin1'), new RegExp(`Sec-WebSocket-Accept: ${acceptFor(key).replace(/[+/]/g, '\\$&')}\r\n`, 'i'));
  t.same(serverFrames(got, headEnd), [[1, 'in the head']], 'the frame from the head was echoed');
  t.ok(seen[0].head.equals(frame), 'head holds exactly the frame');
  // And the socket goes on reading after the head.
  socket.write(second);
  const more = await readUntil(socket, (b) => serverFrames(b, 0).length >= 1);
  t.same(serverFrames(more, 0), [[1, 'and after']]);
}, PARSERS);

forEachServerKind(t, 'an upgrade pipelined behind a GET waits its turn: the GET answered first, then 101', async (t, kind) => {
  // The GET's handler answers late: the upgrade must not jump ahead of it.
  const { server, seen } = await mount(t, kind, {}, (req, res) => {
    setTimeout(() => res.end(`late:${req.url}`), 150);
  });
  const key = randomBytes(16).toString('base64');
  const socket = await connect(server.port);
  t.teardown(() => socket.destroy());
  const frame = clientFrame(0x1, Buffer.from('after both'));
  socket.write(Buffer.concat([Buffer.from(`GET /first HTTP/1.1\r\nHost: x\r\n\r\n${handshake('/ws', key)}`), frame]));
  await sleep(60);
  t.equal(seen.length, 0, 'not handed over while the GET is unanswered');
  // Sent while the upgrade waits: wafer must leave it in the socket for ws, after the head.
  socket.write(clientFrame(0x1, Buffer.from('while waiting')));
  const got = await readUntil(socket, (b) => {
    const s = b.toString('latin1');
    const at = s.indexOf('HTTP/1.1 101');
    return at !== -1 && serverFrames(b, s.indexOf('\r\n\r\n', at) + 4).length >= 2;
  });
  const text = got.toString('latin1');
  const { responses } = splitResponses(text);
  t.same(responses.map((r) => r.status), [200, 101], 'in request order');
  t.equal(responses[0].body, 'late:/first');
  t.not(responses[0].headers.connection, 'close', 'the GET kept the connection');
  t.same(serverFrames(got, text.indexOf('\r\n\r\n', text.indexOf('HTTP/1.1 101')) + 4), [[1, 'after both'], [1, 'while waiting']]);
  t.equal(seen.length, 1);
  t.equal(server.stats().requests, 2);
}, PARSERS);

forEachServerKind(t, 'a synchronous GET then an upgrade in one arrival: the GET answer still leaves first', async (t, kind) => {
  const { server } = await mount(t, kind);
  const key = randomBytes(16).toString('base64');
  const socket = await connect(server.port);
  t.teardown(() => socket.destroy());
  socket.write(`GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n${handshake('/ws', key)}`);
  const got = await readUntil(socket, (b) => b.includes('HTTP/1.1 101') && b.toString('latin1').endsWith('\r\n\r\n'));
  const { responses } = splitResponses(got.toString('latin1'));
  t.same(responses.map((r) => `${r.status} ${r.body}`), ['200 http:/a', '200 http:/b', '101 ']);
});

forEachServerKind(t, 'an upgrade head that straddles the engine\'s 1 KiB parse slices keeps every byte after it', async (t, kind) => {
  const { server, seen } = await mount(t, kind);
  const key = randomBytes(16).toString('base64');
  const socket = await connect(server.port);
  t.teardown(() => socket.destroy());
  // A GET across the 1024-byte mark, the handshake ending at byte 2000, then a 126-byte frame
  // across the 2048-byte mark: the bytes after the head run past the slice it ended in.
  const hs = handshake('/ws', key);
  const get = `GET /pad HTTP/1.1\r\nHost: x\r\nX-Pad: ${'p'.repeat(2000 - 39 - hs.length)}\r\n\r\n`;
  const payload = Buffer.from('f'.repeat(120));
  const frame = clientFrame(0x2, payload);
  const sent = Buffer.concat([Buffer.from(get + hs), frame]);
  t.equal(sent.indexOf(frame), 2000);
  socket.write(sent);
  const got = await readUntil(socket, (b) => {
    const s = b.toString('latin1');
    const at = s.indexOf('HTTP/1.1 101');
    return at !== -1 && serverFrames(b, s.indexOf('\r\n\r\n', at) + 4).length >= 1;
  });
  const text = got.toString('latin1');
  t.same(splitResponses(text).responses.map((r) => r.status), [200, 101]);
  t.same(serverFrames(got, text.indexOf('\r\n\r\n', text.indexOf('HTTP/1.1 101')) + 4), [[2, payload.toString('latin1')]]);
  t.ok(seen[0].head.equals(frame), 'head: the whole frame');
}, PARSERS);

forEachServerKind(t, 'streamBody: true changes nothing for upgrades', async (t, kind) => {
  const { server, seen } = await mount(t, kind, { streamBody: true });
  const ws = await open(t, server.port);
  ws.send('streamed?');
  t.equal(String((await nextMessage(ws)).data), 'streamed?');
  t.equal(seen.length, 1);
});

forEachServerKind(t, 'Upgrade without Connection: upgrade (or the reverse) is a plain request, kept alive', async (t, kind) => {
  const { server, seen } = await mount(t, kind);
  const r = await raw(server.port, 'GET /a HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n\r\n' +
    'GET /b HTTP/1.1\r\nHost: x\r\nConnection: upgrade\r\n\r\n', { responses: 2 });
  t.same(splitResponses(r.text).responses.map((x) => `${x.status} ${x.body}`), ['200 http:/a', '200 http:/b']);
  t.notOk(r.closed);
  t.equal(seen.length, 0);
});

forEachServerKind(t, 'CONNECT goes to upgrade, with the bytes after its head', async (t, kind) => {
  const seen: { req: UpgradeRequest; head: string; kept: Buffer }[] = [];
  const server = await startServer(t, kind, hello, {
    upgrade(req, socket, head) {
      seen.push({ req, head: head.toString('latin1'), kept: head });
      // A tunnel that echoes.
      socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      socket.write(head);
      socket.pipe(socket);
    },
  });
  const socket = await connect(server.port);
  t.teardown(() => socket.destroy());
  socket.write('CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\nearly bytes|');
  const first = await readUntil(socket, (b) => b.includes('early bytes|'));
  t.equal(first.toString('latin1'), 'HTTP/1.1 200 Connection Established\r\n\r\nearly bytes|');
  // Longer than the first read: on the raw handle it lands over the same shared read buffer.
  const later = 'later bytes '.repeat(50);
  socket.write(later);
  const echoed = await readUntil(socket, (b) => b.length >= later.length);
  t.equal(echoed.toString('latin1'), later);
  t.equal(seen[0].kept.toString('latin1'), 'early bytes|', 'head is a copy: later reads did not change it');
  t.equal(seen.length, 1);
  t.equal(seen[0].req.method, 'CONNECT');
  t.equal(seen[0].req.url, 'example.com:443');
  t.equal(seen[0].head, 'early bytes|');
}, PARSERS);

// ---------------------------------------------------------------- accounting and timers

forEachServerKind(t, 'an upgraded socket frees its maxConns slot', async (t, kind) => {
  const { server } = await mount(t, kind, { maxConns: 1 });
  const ws = await open(t, server.port);
  const r = await raw(server.port, 'GET /next HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
  const { responses } = splitResponses(r.text);
  t.same(responses.map((x) => `${x.status} ${x.body}`), ['200 http:/next'], 'admitted, not 503');
  t.equal(server.stats().refused, 0);
  ws.send('still here');
  t.equal(String((await nextMessage(ws)).data), 'still here');
});

forEachServerKind(t, "an upgraded socket outlives wafer's timeouts", async (t, kind) => {
  const { server } = await mount(t, kind, { headersTimeout: 300, keepAliveTimeout: 300, requestTimeout: 300 });
  const ws = await open(t, server.port);
  let closedEarly = false;
  ws.once('close', () => (closedEarly = true));
  await sleep(900);
  t.notOk(closedEarly, 'still open three timeouts later');
  ws.send('late');
  t.equal(String((await nextMessage(ws)).data), 'late');
  t.equal(server.stats().timeouts, 0);
});

forEachServerKind(t, 'server.close() neither waits for nor closes upgraded sockets', async (t, kind) => {
  const { server, wss } = await mount(t, kind);
  const ws = await open(t, server.port);
  const started = Date.now();
  await server.close();
  t.ok(Date.now() - started < 1000, 'close() resolved at once');
  ws.send('after close');
  t.equal(String((await nextMessage(ws)).data), 'after close', 'the app still owns its socket');
  for (const c of wss.clients) c.close(1001, 'going away');
  t.same(await closed(ws), { code: 1001, reason: 'going away' });
});

// ---------------------------------------------------------------- without the option, errors

forEachServerKind(t, 'without an upgrade option an Upgrade request goes to the handler and the connection closes', async (t, kind) => {
  const server = await startServer(t, kind, hello);
  const r = await raw(server.port, `${handshake('/ws', randomBytes(16).toString('base64'))}${clientFrame(1, Buffer.from('x')).toString('latin1')}`);
  const { responses } = splitResponses(r.text);
  t.same(responses.map((x) => `${x.status} ${x.body}`), ['200 http:/ws']);
  t.equal(responses[0].headers.connection, 'close');
  t.ok(r.closed);
  t.equal(server.stats().upgraded, 0);
});

forEachServerKind(t, 'an Upgrade request with a body goes to the handler (h2c over POST is ignored, RFC 9110 §7.8)', async (t, kind) => {
  const calls: string[] = [];
  const server = await startServer(t, kind, (req, res) => res.end(`body:${req.body.toString()}`), {
    upgrade: (req) => void calls.push(req.url),
  });
  const r = await raw(server.port, 'POST /h2 HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\n' +
    'HTTP2-Settings: AAMAAABkAAQAoAAAAAIAAAAA\r\nContent-Length: 5\r\n\r\nhello');
  const { responses } = splitResponses(r.text);
  t.same(responses.map((x) => `${x.status} ${x.body}`), ['200 body:hello']);
  t.equal(responses[0].headers.connection, 'close');
  t.same(calls, [], 'not handed over');
});

forEachServerKind(t, 'an upgrade callback that rejects: socket destroyed, error reported, server serves on', async (t, kind) => {
  const errors: unknown[] = [];
  let mode = 'throw';
  const server = await startServer(t, kind, hello, {
    onError: (err) => errors.push(err),
    upgrade: async (req) => {
      if (mode === 'throw') throw new Error(`boom ${req.url}`);
      await sleep(10);
      throw new Error(`later ${req.url}`);
    },
  });
  for (const m of ['throw', 'reject']) {
    mode = m; // (an async callback: both are rejections, at once and a little later)
    const r = await raw(server.port, handshake(`/${m}`, randomBytes(16).toString('base64')), { timeoutMs: 2000 });
    t.ok(r.closed, `${m}: the socket was closed`);
    t.equal(r.text, '', `${m}: nothing was written`);
  }
  t.same(errors.map((e) => (e as Error).message), ['boom /throw', 'later /reject']);
  t.equal(server.stats().handlerErrors, 2);
  const after = await raw(server.port, 'GET /ok HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
  t.same(splitResponses(after.text).responses.map((x) => x.body), ['http:/ok'], 'the server serves on');
});

forEachServerKind(t, 'an upgrade callback that throws synchronously', async (t, kind) => {
  const errors: unknown[] = [];
  const server = await startServer(t, kind, hello, {
    onError: (err) => errors.push(err),
    upgrade: () => {
      throw new Error('sync boom');
    },
  });
  const r = await raw(server.port, handshake('/s', randomBytes(16).toString('base64')), { timeoutMs: 2000 });
  t.ok(r.closed);
  t.same(errors.map((e) => (e as Error).message), ['sync boom']);
  t.equal(server.stats().handlerErrors, 1);
});

t.test('upgrade must be a function', async (t) => {
  const { listen } = await import('../lib/index.js');
  await t.rejects(listen(hello, { port: 0, upgrade: 'ws' as never }), { constructor: TypeError, message: /upgrade must be a function/ });
});
