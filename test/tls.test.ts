// HTTPS: listen(handler, { tls: { key, cert } }) with a throwaway certificate made by the
// `openssl` command, spoken to by curl (--cacert), fetch (a child Node trusting the CA through
// NODE_EXTRA_CA_CERTS), https.request and raw TLS sockets, on every server kind. The engine
// behaves as on plain TCP: keep-alive over one handshake, pipelining, limits, admission; a
// client that never finishes (or cannot start) its handshake costs nothing lasting.
import t, { type Test } from 'tap';
import https from 'node:https';
import net from 'node:net';
import tls from 'node:tls';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { forEachServerKind, startServer, until, type ServerKind } from './helpers/server-kinds.js';
import { raw, splitResponses } from './helpers/raw-client.js';
import { CURL, OPENSSL } from './helpers/tools.js';
import { makeTestCert } from './helpers/tls-cert.js';
import { listen } from '../lib/index.js';
import type { Handler, ServerOptions, WaferServer } from '../lib/core/types.js';

const { dir, key, cert, certFile } = makeTestCert(t);

/** Connections whose server side ran on the raw libuv handle (loop/raw-socket.ts): must stay 0. */
let rawHandled = 0;

const echo: Handler = (req, res) => {
  if ((req as unknown as { source: { handle: unknown } }).source.handle !== null) rawHandled++;
  res.setHeader('content-type', 'text/plain');
  res.end(`${req.method} ${req.url} ${req.body.length}:${req.body.toString()}`);
};

function startTls(t: Test, kind: ServerKind, handler: Handler = echo, options: ServerOptions = {}): Promise<WaferServer> {
  return startServer(t, kind, handler, { tls: { key, cert }, ...options });
}

/** A TLS connection trusting the test certificate. */
function tlsConnect(port: number, extra: tls.ConnectionOptions = {}): Promise<tls.TLSSocket> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ port, host: '127.0.0.1', ca: cert, ...extra }, () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Send `bytes` in one write over TLS; read until `responses` complete responses or the close. */
async function tlsRaw(port: number, bytes: string, responses: number): Promise<{ text: string; closed: boolean }> {
  const socket = await tlsConnect(port);
  return new Promise((resolve) => {
    let text = '';
    const timer = setTimeout(() => finish(false), 3000);
    const finish = (closed: boolean): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ text, closed });
    };
    socket.on('data', (d: Buffer) => {
      text += d.toString('latin1');
      if (splitResponses(text).complete >= responses && responses > 0) {
        // Wait a moment for a close that belongs to the last answer (Connection: close).
        setTimeout(() => finish(socket.readableEnded), 100);
      }
    });
    socket.on('error', () => {});
    socket.on('end', () => finish(true));
    socket.on('close', () => finish(true));
    socket.write(bytes);
  });
}

function request(port: number, agent: https.Agent, method: string, path: string, body?: string): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = https.request({ host: '127.0.0.1', port, method, path, agent, ca: cert }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text, headers: res.headers }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

function run(file: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(file, args, { env, timeout: 10_000 }, (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : 1, stdout, stderr });
    });
  });
}

const skip = OPENSSL.skip;

t.test('https', { skip }, async (t) => {
  if (OPENSSL.need(t) === undefined) return;

  forEachServerKind(t, 'https.request: GET, POST body, keep-alive over one handshake', async (t, kind) => {
    const server = await startTls(t, kind);
    const agent = new https.Agent({ keepAlive: true, maxSockets: 1 });
    t.teardown(() => agent.destroy());
    const get = await request(server.port, agent, 'GET', '/a?x=1');
    t.equal(get.status, 200);
    t.equal(get.body, 'GET /a?x=1 0:');
    const post = await request(server.port, agent, 'POST', '/p', 'hello over tls');
    t.equal(post.body, 'POST /p 14:hello over tls');
    const big = 'x'.repeat(200_000);
    const posted = await request(server.port, agent, 'POST', '/big', big);
    t.equal(posted.body, `POST /big 200000:${big}`, 'a body larger than one TLS record arrives whole');
    for (let i = 0; i < 3; i++) t.equal((await request(server.port, agent, 'GET', `/${i}`)).body, `GET /${i} 0:`);
    t.equal(server.stats().accepted, 1, 'six requests, one TLS connection');
    t.equal(server.stats().requests, 6);
    t.equal(rawHandled, 0, 'TLS connections run on the stream API, never the raw TCP handle');
  });

  forEachServerKind(t, 'pipelined requests in one TLS write are answered in order', async (t, kind) => {
    const server = await startTls(t, kind);
    const reqs = ['/1', '/2', '/3'].map((p) => `GET ${p} HTTP/1.1\r\nHost: x\r\n\r\n`).join('') +
      'POST /4 HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc';
    const res = await tlsRaw(server.port, reqs, 4);
    const { responses } = splitResponses(res.text);
    t.same(responses.map((r) => r.body), ['GET /1 0:', 'GET /2 0:', 'GET /3 0:', 'POST /4 3:abc']);
    t.equal(server.stats().accepted, 1);
  });

  forEachServerKind(t, 'limits: 413 and 400 answered with Connection: close over TLS', async (t, kind) => {
    const server = await startTls(t, kind, echo, { maxBodySize: 10 });
    const tooBig = await tlsRaw(server.port, 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\n', 1);
    const [r413] = splitResponses(tooBig.text).responses;
    t.equal(r413?.status, 413);
    t.equal(r413?.headers.connection, 'close');
    t.ok(tooBig.closed, 'the server closed the TLS connection');
    const bad = await tlsRaw(server.port, 'GET / HTTP/1.1\r\nHost: x\r\nBad Header: 1\r\n\r\n', 1);
    const [r400] = splitResponses(bad.text).responses;
    t.equal(r400?.status, 400);
    t.equal(r400?.headers.connection, 'close');
    t.ok(bad.closed);
    t.equal(server.stats().parseErrors, 2);
  });

  forEachServerKind(t, 'maxConns: a TLS client past the limit gets 503 with Retry-After', async (t, kind) => {
    const server = await startTls(t, kind, echo, { maxConns: 1 });
    const held = await tlsConnect(server.port);
    t.teardown(() => held.destroy());
    t.ok(await until(() => server.stats().connections === 1), 'the first connection holds the slot');
    const refused = await tlsRaw(server.port, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n', 1);
    const [r] = splitResponses(refused.text).responses;
    t.equal(r?.status, 503);
    t.ok(r?.headers['retry-after'] !== undefined);
    t.equal(server.stats().refused, 1);
  });

  forEachServerKind(t, 'ALPN offers http/1.1 only', async (t, kind) => {
    const server = await startTls(t, kind);
    const socket = await tlsConnect(server.port, { ALPNProtocols: ['h2', 'http/1.1'] });
    t.equal(socket.alpnProtocol, 'http/1.1', 'a client offering h2 first still gets http/1.1');
    socket.destroy();
  });

  forEachServerKind(t, 'plain HTTP and garbage on the TLS port: the handshake fails, the server keeps serving', async (t, kind) => {
    const server = await startTls(t, kind);
    const plain = await raw(server.port, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n', { quietMs: 300 });
    t.notMatch(plain.text, /^HTTP\/1\.1 200/, 'no HTTP answer to a plain-text request');
    t.ok(plain.closed, 'the connection is closed');
    const junk = await raw(server.port, Buffer.from([0x16, 0x03, 0x01, 0x00, 0x05, 1, 2, 3, 4, 5, 0xff, 0xff]), { quietMs: 300 });
    t.ok(junk.closed, 'a broken ClientHello is closed');
    t.equal(server.stats().connections, 0, 'neither took a connection slot');
    const ok = await tlsRaw(server.port, 'GET /after HTTP/1.1\r\nHost: x\r\n\r\n', 1);
    t.equal(splitResponses(ok.text).responses[0]?.body, 'GET /after 0:');
  });

  forEachServerKind(t, 'a client that never completes its handshake is cut (handshakeTimeout = headersTimeout), and by close()', async (t, kind) => {
    const server = await startTls(t, kind, echo, { headersTimeout: 300 });
    const started = Date.now();
    const silent = net.connect(server.port, '127.0.0.1');
    silent.on('error', () => {});
    await new Promise((r) => silent.once('close', r));
    const took = Date.now() - started;
    t.ok(took >= 250 && took < 2000, `closed after ${took} ms`);
    // Without a timeout (the default 60 s), close() ends a handshake in progress itself.
    const other = await startTls(t, kind);
    const stuck = net.connect(other.port, '127.0.0.1');
    stuck.on('error', () => {});
    await new Promise((r) => stuck.once('connect', r));
    const closed = new Promise((r) => stuck.once('close', r));
    await new Promise((r) => setTimeout(r, 50));
    const t0 = Date.now();
    await other.close();
    await closed;
    t.ok(Date.now() - t0 < 1000, 'the half-made connection is gone with close()');
  });

  forEachServerKind(t, 'HTTPS over a Unix socket (tls with path)', async (t, kind) => {
    const path = join(dir, `${kind.name.replace('/', '-')}.sock`);
    const server = await listen(echo, { path, loop: kind.loop, rawSocket: kind.rawSocket, tls: { key, cert } });
    t.teardown(() => server.close());
    const socket = await new Promise<tls.TLSSocket>((resolve, reject) => {
      const s = tls.connect({ path, ca: cert, servername: 'localhost' }, () => resolve(s));
      s.once('error', reject);
    });
    let text = '';
    socket.on('data', (d: Buffer) => (text += d.toString('latin1')));
    socket.write('GET /u HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    await new Promise((r) => socket.once('close', r));
    t.equal(splitResponses(text).responses[0]?.body, 'GET /u 0:');
  });

  forEachServerKind(t, 'curl --cacert: GET, POST, several URLs over one connection, ALPN', async (t, kind) => {
    const curl = CURL.need(t);
    if (curl === undefined) return;
    const server = await startTls(t, kind);
    const base = `https://127.0.0.1:${server.port}`;
    const get = await run(curl, ['-sS', '--cacert', certFile, `${base}/c1`, `${base}/c2`, `${base}/c3`]);
    t.equal(get.stderr, '');
    t.equal(get.stdout, 'GET /c1 0:GET /c2 0:GET /c3 0:');
    t.equal(server.stats().accepted, 1, 'curl reused its TLS connection');
    const post = await run(curl, ['-sS', '--cacert', certFile, '--http2', '-w', ' %{http_version}', '--data-binary', 'from curl', `${base}/p`]);
    t.equal(post.stdout, 'POST /p 9:from curl 1.1', 'curl asked for h2 and got HTTP/1.1');
  });

  forEachServerKind(t, 'fetch with the certificate as CA', async (t, kind) => {
    const server = await startTls(t, kind);
    const base = `https://127.0.0.1:${server.port}`;
    const script = `
      const a = await (await fetch('${base}/f')).text();
      const b = await (await fetch('${base}/g', { method: 'POST', body: 'fetched' })).text();
      console.log(JSON.stringify([a, b]));
      process.exit(0); // not waiting for fetch's idle keep-alive connection to time out`;
    const ok = await run(process.execPath, ['--input-type=module', '-e', script], { ...process.env, NODE_EXTRA_CA_CERTS: certFile });
    t.equal(ok.stderr.replace(/.*ExperimentalWarning.*\n?|.*--trace-warnings.*\n?/g, ''), '');
    t.same(JSON.parse(ok.stdout), ['GET /f 0:', 'POST /g 7:fetched']);
    if (kind.name !== 'edge/wafer') return; // the server side is the same on every kind: once is enough
    const env = { ...process.env };
    delete env.NODE_EXTRA_CA_CERTS;
    const untrusted = await run(process.execPath, ['--input-type=module', '-e', `await fetch('${base}/f').then(() => console.log('ok'), () => console.log('refused')); process.exit(0)`], env);
    t.equal(untrusted.stdout.trim(), 'refused', 'without the CA the certificate is refused (the server really speaks TLS with it)');
  });
});
