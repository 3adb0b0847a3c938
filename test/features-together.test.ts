// The options of issue 16 used together: `upgrade` over `tls` (wss://) and over a Unix socket
// (`path`), req.ip / req.protocol on TLS and Unix-socket connections (with and without
// trustProxy), onResponse / log: true next to upgrades, and stats()/maxConns after upgrades
// over TLS. Each option has its own suite (upgrade, tls, unix-socket, trust-proxy, access-log);
// this one checks the seams between them. Real `ws` clients, https.request, raw TLS sockets.
import t, { type Test } from 'tap';
import http from 'node:http';
import https from 'node:https';
import tls from 'node:tls';
import net from 'node:net';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { WebSocket, WebSocketServer } from 'ws';
import { clientFrame, closed, echoWsServer, handshake, nextMessage, openWs, readUntil, serverFrames } from './helpers/ws.js';
import { serverKinds, sleep, startServer as startTcp, until, type ServerKind } from './helpers/server-kinds.js';
import { splitResponses } from './helpers/raw-client.js';
import { makeTestCert } from './helpers/tls-cert.js';
import { OPENSSL } from './helpers/tools.js';
import { listen } from '../lib/index.js';
import type { Handler, ResponseInfo, ServerOptions, WaferRequest, WaferServer } from '../lib/index.js';

const { key, cert } = makeTestCert(t);
const dir = mkdtempSync(join(tmpdir(), 'wafer-together-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

/** TLS always runs on the stream API, so edge-stream would repeat edge: edge and poll. */
const TLS_KINDS = serverKinds().filter((k) => k.rawSocket);
/** A Unix socket runs on the raw handle (edge) too: every kind. */
const UNIX_KINDS = serverKinds();

const hello: Handler = (req, res) => res.end(`http:${req.url}`);

interface Mounted {
  server: WaferServer;
  wss: WebSocketServer;
  heads: Buffer[];
}

/** wafer (with `options`: tls, path, …) with the echoing ws server mounted on `upgrade`. */
async function mount(t: Test, kind: ServerKind, options: ServerOptions, handler: Handler = hello): Promise<Mounted> {
  const wss = echoWsServer(t);
  const heads: Buffer[] = [];
  const server = await startServer(t, kind, handler, {
    upgrade(req, socket, head) {
      heads.push(Buffer.from(head)); // (a copy: ws unmasks frames in place)
      wss.handleUpgrade(req as never, socket, head, (ws) => wss.emit('connection', ws, req));
    },
    ...options,
  });
  return { server, wss, heads };
}

/** Where the frames start: after the head of the 101. */
function afterSwitch(b: Buffer): number {
  const at = b.indexOf('HTTP/1.1 101');
  return at === -1 ? -1 : b.indexOf('\r\n\r\n', at) + 4;
}

function tlsConnect(t: Test, port: number): Promise<tls.TLSSocket> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ port, host: '127.0.0.1', ca: cert }, () => resolve(socket));
    t.teardown(() => socket.destroy());
    socket.once('error', reject);
  });
}

function unixConnect(t: Test, path: string): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ path }, () => resolve(socket));
    t.teardown(() => socket.destroy());
    socket.once('error', reject);
  });
}

/** One request on a fresh connection: HTTPS with `port`, or HTTP over the Unix socket `socketPath`. */
function get(target: { port: number } | { socketPath: string }, path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const done = (res: http.IncomingMessage): void => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    };
    const req = 'port' in target
      ? https.request({ host: '127.0.0.1', port: target.port, path, headers, ca: cert, agent: false }, done)
      : http.request({ socketPath: target.socketPath, path, headers, agent: false }, done);
    req.on('error', reject);
    req.end();
  });
}

/** startServer of server-kinds.ts, but on the Unix socket `options.path` when there is one. */
async function startServer(t: Test, kind: ServerKind, handler: Handler, options: ServerOptions = {}): Promise<WaferServer> {
  if (options.path === undefined) return startTcp(t, kind, handler, options);
  const server = await listen(handler, { loop: kind.loop, parser: kind.parser, rawSocket: kind.rawSocket, onError: () => {}, ...options });
  t.teardown(() => server.close());
  return server;
}

let sockets = 0;
function socketPath(kind: ServerKind): string {
  return join(dir, `${kind.name.replace('/', '-')}-${++sockets}.sock`);
}

/**
 * Collect what the access log (log: true) writes to stdout while `fn` runs; other writes (tap's
 * own output) pass through. The log writes its lines in one write per turn of the event loop.
 */
async function capturingLog(fn: (lines: string[]) => Promise<void>): Promise<void> {
  const lines: string[] = [];
  const write = process.stdout.write;
  const clf = /^\S+ - - \[[^\]]+\] "[^"]*" \d{3} \d+\n/;
  process.stdout.write = function (this: NodeJS.WriteStream, chunk: unknown, ...rest: unknown[]): boolean {
    if (typeof chunk === 'string' && clf.test(chunk)) {
      lines.push(...chunk.split('\n').filter((l) => l !== '').map((l) => l.replace(/\[[^\]]+\] /, '')));
      return true;
    }
    return (write as (...a: unknown[]) => boolean).call(this, chunk, ...rest);
  } as typeof process.stdout.write;
  try {
    await fn(lines);
  } finally {
    process.stdout.write = write;
  }
}

// ---------------------------------------------------------------- upgrade over TLS (wss://)

t.test('upgrade over tls: wss://', { skip: OPENSSL.skip }, async (t) => {
  if (OPENSSL.need(t) === undefined) return;

  for (const kind of TLS_KINDS) {
    t.test(`a wss client echoes text, binary and 1 MiB; the socket handed over is the TLSSocket [${kind.name}]`, async (t) => {
      const sockets: net.Socket[] = [];
      const wss = echoWsServer(t);
      const server = await startServer(t, kind, hello, {
        tls: { key, cert },
        upgrade(req, socket, head) {
          sockets.push(socket);
          wss.handleUpgrade(req as never, socket, head, (ws) => wss.emit('connection', ws, req));
        },
      });
      const ws = await openWs(t, `wss://127.0.0.1:${server.port}/chat`, { ca: cert });
      t.ok(sockets[0] instanceof tls.TLSSocket && (sockets[0] as tls.TLSSocket).encrypted, 'upgrade got the tls.TLSSocket');
      ws.send('hello over tls');
      t.same(await nextMessage(ws), { data: Buffer.from('hello over tls'), isBinary: false }, 'text');
      const bin = randomBytes(300);
      ws.send(bin);
      t.same(await nextMessage(ws), { data: bin, isBinary: true }, 'binary');
      const big = randomBytes(1 << 20);
      ws.send(big);
      const back = await nextMessage(ws);
      t.ok(back.isBinary && back.data.equals(big), '1 MiB binary, byte for byte');
      t.equal(server.stats().upgradedOpen, 1);
      ws.close(4001, 'client bye');
      t.same(await closed(ws), { code: 4001, reason: 'client bye' }, 'close handshake');
      t.ok(await until(() => server.stats().upgradedOpen === 0), 'upgradedOpen back to 0');
    });

    t.test(`20 wss clients at once; close handshakes both ways; stats and maxConns after [${kind.name}]`, async (t) => {
      const { server } = await mount(t, kind, { tls: { key, cert }, maxConns: 1 });
      const clients: WebSocket[] = [];
      // One at a time: with maxConns 1 each handshake needs the slot the previous upgrade freed.
      for (let i = 0; i < 20; i++) clients.push(await openWs(t, `wss://127.0.0.1:${server.port}/ws`, { ca: cert }));
      let stats = server.stats();
      t.same([stats.upgraded, stats.upgradedOpen, stats.connections, stats.refused], [20, 20, 0, 0], 'out of the connection count');
      const replies = await Promise.all(clients.map(async (ws, i) => {
        ws.send(`c${i}`);
        return String((await nextMessage(ws)).data);
      }));
      t.same(replies, clients.map((_, i) => `c${i}`));
      // The slot is free while 20 upgraded sockets stay open: a plain HTTPS request is admitted.
      t.same(await get({ port: server.port }, '/next'), { status: 200, body: 'http:/next' }, 'admitted, not 503');
      t.equal(server.stats().refused, 0);
      // Half close from the client, half from the server.
      const ends = clients.map((ws, i) => {
        const c = closed(ws);
        if (i % 2 === 0) ws.close(1000, 'bye');
        else ws.send('close-me');
        return c;
      });
      const codes = await Promise.all(ends);
      t.same(codes.map((c) => c.code), clients.map((_, i) => (i % 2 === 0 ? 1000 : 4002)));
      t.ok(await until(() => server.stats().upgradedOpen === 0), 'upgradedOpen back to 0 once the TLS sockets closed');
      stats = server.stats();
      t.same([stats.upgraded, stats.upgradedOpen, stats.connections], [20, 0, 0]);
      t.same(await get({ port: server.port }, '/after'), { status: 200, body: 'http:/after' });
    });

    t.test(`server.close() over TLS neither waits for nor closes a wss connection [${kind.name}]`, async (t) => {
      const { server, wss } = await mount(t, kind, { tls: { key, cert } });
      const ws = await openWs(t, `wss://127.0.0.1:${server.port}/ws`, { ca: cert });
      const resolved = await Promise.race([server.close().then(() => true), sleep(1000).then(() => false)]);
      t.ok(resolved, 'close() resolved at once');
      ws.send('after close');
      t.equal(String((await nextMessage(ws)).data), 'after close', 'the app still owns its TLS socket');
      for (const c of wss.clients) c.close(1001, 'going away');
      t.same(await closed(ws), { code: 1001, reason: 'going away' });
      t.ok(await until(() => server.stats().upgradedOpen === 0));
    });

    t.test(`over one TLS write: a GET, the upgrade request and a frame (non-empty head) [${kind.name}]`, async (t) => {
      const { server, heads } = await mount(t, kind, { tls: { key, cert } });
      const socket = await tlsConnect(t, server.port);
      const frame = clientFrame(0x1, Buffer.from('in the head'));
      socket.write(Buffer.concat([Buffer.from(`GET /first HTTP/1.1\r\nHost: x\r\n\r\n${handshake('/ws')}`), frame]));
      const got = await readUntil(socket, (b) => afterSwitch(b) > 0 && serverFrames(b, afterSwitch(b)).length >= 1);
      t.same(splitResponses(got.toString('latin1')).responses.map((r) => `${r.status} ${r.body}`), ['200 http:/first', '101 '], 'in order');
      t.same(serverFrames(got, afterSwitch(got)), [[1, 'in the head']], 'the frame from the head was echoed');
      t.ok(heads[0].equals(frame), 'head holds exactly the frame, decrypted');
      socket.write(clientFrame(0x2, Buffer.from('and after')));
      const more = await readUntil(socket, (b) => serverFrames(b, 0).length >= 1);
      t.same(serverFrames(more, 0), [[2, 'and after']], 'the TLS socket reads on after the head');
    });
  }
});

// ---------------------------------------------------------------- upgrade over a Unix socket

for (const kind of UNIX_KINDS) {
  t.test(`upgrade over a Unix socket: a ws+unix client, and a frame in the head [${kind.name}]`, async (t) => {
    const path = socketPath(kind);
    const { server, heads } = await mount(t, kind, { path });
    const ws = await openWs(t, `ws+unix:${path}:/ws`);
    ws.send('over unix');
    t.same(await nextMessage(ws), { data: Buffer.from('over unix'), isBinary: false });
    const big = randomBytes(1 << 20);
    ws.send(big);
    t.ok((await nextMessage(ws)).data.equals(big), '1 MiB binary');
    t.equal(server.stats().upgradedOpen, 1);
    ws.close(1000);
    await closed(ws);

    const socket = await unixConnect(t, path);
    const frame = clientFrame(0x1, Buffer.from('unix head'));
    socket.write(Buffer.concat([Buffer.from(handshake('/h')), frame]));
    const got = await readUntil(socket, (b) => afterSwitch(b) > 0 && serverFrames(b, afterSwitch(b)).length >= 1);
    t.same(serverFrames(got, afterSwitch(got)), [[1, 'unix head']]);
    t.ok(heads[1].equals(frame), 'head holds the frame');
    socket.destroy();
    t.ok(await until(() => server.stats().upgradedOpen === 0), 'upgradedOpen back to 0');
    t.equal(server.stats().upgraded, 2);
  });
}

// ---------------------------------------------------------------- req.protocol, req.ip

const whoami: Handler = (req, res) => res.end(`${req.ip ?? 'undefined'} ${req.protocol} ${req.remoteAddress ?? 'undefined'}`);

t.test('req.protocol and req.ip over TLS', { skip: OPENSSL.skip }, async (t) => {
  if (OPENSSL.need(t) === undefined) return;
  for (const kind of TLS_KINDS) {
    t.test(`'https' on a TLS connection without trustProxy, 'http' on plain TCP [${kind.name}]`, async (t) => {
      const secure = await startServer(t, kind, whoami, { tls: { key, cert } });
      t.same(await get({ port: secure.port }, '/'), { status: 200, body: '127.0.0.1 https 127.0.0.1' });
      // A client's X-Forwarded-Proto does not downgrade a TLS connection, trusted or not.
      const trusting = await startServer(t, kind, whoami, { tls: { key, cert }, trustProxy: true });
      t.same(await get({ port: trusting.port }, '/', { 'x-forwarded-proto': 'http', 'x-forwarded-for': '203.0.113.7' }),
        { status: 200, body: '203.0.113.7 https 127.0.0.1' });
      const plain = await startServer(t, kind, whoami);
      const r = await new Promise<string>((resolve, reject) => {
        http.get({ host: '127.0.0.1', port: plain.port, path: '/', agent: false }, (res) => {
          let body = '';
          res.on('data', (d: Buffer) => (body += d));
          res.on('end', () => resolve(body));
        }).on('error', reject);
      });
      t.equal(r, '127.0.0.1 http 127.0.0.1');
    });
  }

  t.test('https over a Unix socket: req.protocol https', async (t) => {
    const path = socketPath(TLS_KINDS[0]);
    await startServer(t, TLS_KINDS[0], whoami, { tls: { key, cert }, path });
    const body = await new Promise<string>((resolve, reject) => {
      https.get({ socketPath: path, path: '/', ca: cert, servername: 'localhost', agent: false }, (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d));
        res.on('end', () => resolve(text));
      }).on('error', reject);
    });
    t.equal(body, 'undefined https undefined');
  });
});

for (const kind of UNIX_KINDS) {
  t.test(`req.ip over a Unix socket: undefined, or what a trusted proxy (a hop count, true) reports [${kind.name}]`, async (t) => {
    const forwarded = { 'x-forwarded-for': '203.0.113.7', 'x-forwarded-proto': 'https' };
    const none = socketPath(kind);
    await startServer(t, kind, whoami, { path: none });
    t.same(await get({ socketPath: none }, '/'), { status: 200, body: 'undefined http undefined' }, 'no peer address');
    t.same(await get({ socketPath: none }, '/', forwarded), { status: 200, body: 'undefined http undefined' }, 'headers ignored without trustProxy');
    // nginx `proxy_pass http://unix:…`: the peer is the proxy, on this machine.
    for (const trustProxy of [1, true] as const) {
      const path = socketPath(kind);
      await startServer(t, kind, whoami, { path, trustProxy });
      t.same(await get({ socketPath: path }, '/', forwarded), { status: 200, body: '203.0.113.7 https undefined' }, `trustProxy ${trustProxy}`);
      t.same(await get({ socketPath: path }, '/'), { status: 200, body: 'undefined http undefined' }, `trustProxy ${trustProxy}, no header`);
    }
    // A list names addresses: a Unix-socket peer has none, so it is never on it.
    const listed = socketPath(kind);
    await startServer(t, kind, whoami, { path: listed, trustProxy: ['127.0.0.1', '::1'] });
    t.same(await get({ socketPath: listed }, '/', forwarded), { status: 200, body: 'undefined http undefined' }, 'a list does not match');
  });
}

// ---------------------------------------------------------------- the access log next to upgrades

t.test('onResponse and log: true over TLS with upgrades', { skip: OPENSSL.skip }, async (t) => {
  if (OPENSSL.need(t) === undefined) return;
  for (const kind of TLS_KINDS) {
    t.test(`the GET before an upgrade is reported, the upgraded request is not [${kind.name}]`, async (t) => {
      await capturingLog(async (lines) => {
        const reported: string[] = [];
        const { server } = await mount(t, kind, {
          tls: { key, cert },
          log: true,
          onResponse(req: WaferRequest, _res, info: ResponseInfo) {
            reported.push(`${req.method} ${req.url} ${req.protocol} ${info.statusCode} ${info.bodyBytes}`);
          },
        });
        const socket = await tlsConnect(t, server.port);
        socket.write(`GET /first HTTP/1.1\r\nHost: x\r\n\r\n${handshake('/ws')}`);
        await readUntil(socket, (b) => afterSwitch(b) > 0);
        const ws = await openWs(t, `wss://127.0.0.1:${server.port}/second`, { ca: cert });
        ws.send('x');
        await nextMessage(ws);
        t.same(await get({ port: server.port }, '/last'), { status: 200, body: 'http:/last' });
        t.ok(await until(() => lines.length >= 2), 'the log was written');
        socket.destroy();
        ws.close();
        await closed(ws);
        t.ok(await until(() => server.stats().upgradedOpen === 0), 'no upgraded socket left open');
        await server.close();
        t.same(reported, ['GET /first https 200 11', 'GET /last https 200 10'], 'onResponse: the two responses, not the upgrades');
        t.same(lines, ['127.0.0.1 - - "GET /first HTTP/1.1" 200 11', '127.0.0.1 - - "GET /last HTTP/1.1" 200 10'], 'log: the same two');
        t.equal(server.stats().upgraded, 2);
      });
    });
  }
});

for (const kind of UNIX_KINDS) {
  t.test(`log: true over a Unix socket prints '-' for the unknown client [${kind.name}]`, async (t) => {
    await capturingLog(async (lines) => {
      const path = socketPath(kind);
      const server = await startServer(t, kind, hello, { path, log: true });
      t.same(await get({ socketPath: path }, '/u'), { status: 200, body: 'http:/u' });
      await server.close();
      t.same(lines, ['- - - "GET /u HTTP/1.1" 200 7']);
    });
  });
}
