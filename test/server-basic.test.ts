// The engine with real clients: fetch (undici), curl, and raw bytes for what clients hide.
import t from 'tap';
import { spawn } from 'node:child_process';
import { forEachServerKind, startServer } from './helpers/server-kinds.js';
import { raw, responsesOf } from './helpers/raw-client.js';
import { CURL } from './helpers/tools.js';
import { listen } from '../lib/index.js';

const echo = (req: { method: string; url: string; path: string; query: string; body: Buffer; headers: Record<string, unknown>; httpVersion: string }, res: { json(v: unknown): void }) =>
  res.json({ method: req.method, url: req.url, path: req.path, query: req.query, body: req.body.toString(), headers: req.headers, v: req.httpVersion });

forEachServerKind(t, 'serves fetch() with a JSON body and keeps the connection alive', async (t, kind) => {
  const server = await startServer(t, kind, echo);
  const base = `http://127.0.0.1:${server.port}`;
  for (let i = 0; i < 3; i++) {
    const r = await fetch(`${base}/a/b?x=${i}`, { method: 'POST', body: 'hello', headers: { 'X-Twice': 'one' } });
    t.equal(r.status, 200);
    t.equal(r.headers.get('content-type'), 'application/json; charset=utf-8');
    t.ok(r.headers.get('date'), 'Date is set');
    const j = await r.json();
    t.same({ path: j.path, query: j.query, body: j.body, method: j.method, v: j.v }, { path: '/a/b', query: `x=${i}`, body: 'hello', method: 'POST', v: '1.1' });
    t.equal(j.headers['x-twice'], 'one');
  }
  // undici opens a second socket while it releases the first (node:http sees the same 1, 2, 2).
  t.ok(server.stats().accepted < 3, 'connections are reused');
  t.equal(server.stats().requests, 3);
});

forEachServerKind(t, 'path and query of pipelined targets that repeat, differ by one byte, or come and go', async (t, kind) => {
  // Request.path remembers the last target it split; a short head's target may be the very same
  // string as the last one (parser/wafer.ts). Neither may leak from one request into another.
  const server = await startServer(t, kind, echo);
  const targets = ['/a?x=1', '/a?x=1', '/a', '/b?y', '/a?x=2', '/a?x=1', '/', '/?', '/a?x=1', '/a', '/a#f'];
  const wire = targets.map((u) => `GET ${u} HTTP/1.1\r\nHost: h\r\n\r\n`).join('');
  const r = await raw(server.port, wire, { responses: targets.length });
  const got = responsesOf(r);
  t.equal(got.length, targets.length);
  for (let i = 0; i < targets.length - 1; i++) {
    const u = targets[i];
    const q = u.indexOf('?');
    const j = JSON.parse(got[i].body);
    t.same({ url: j.url, path: j.path, query: j.query }, { url: u, path: q === -1 ? u : u.slice(0, q), query: q === -1 ? '' : u.slice(q + 1) }, u);
  }
  t.equal(got[targets.length - 1].status, 400, 'a fragment in the target is refused, after origin-form targets that passed');
});

forEachServerKind(t, 'joins repeated request fields with a comma and keeps set-cookie apart', async (t, kind) => {
  const server = await startServer(t, kind, echo);
  const r = await raw(server.port, 'GET / HTTP/1.1\r\nHost: x\r\nAccept: a\r\nACCEPT: b\r\nCookie: c=1\r\nCookie: d=2\r\nSet-Cookie: s=1\r\nSet-Cookie: s=2\r\n\r\n', { responses: 1 });
  const j = JSON.parse(responsesOf(r)[0].body);
  t.equal(j.headers.accept, 'a, b');
  t.equal(j.headers.cookie, 'c=1; d=2');
  t.same(j.headers['set-cookie'], ['s=1', 's=2']);
});

forEachServerKind(t, 'serves curl, including an upload with Expect: 100-continue', async (t, kind) => {
  if (CURL.skip) return void t.skip(CURL.skip);
  const curl = CURL.need(t);
  if (curl === undefined) return;
  const server = await startServer(t, kind, echo);
  const body = 'x'.repeat(2000); // curl sends Expect: 100-continue for bodies over 1 KiB
  const out = await new Promise<string>((resolve, reject) => {
    const p = spawn(curl, ['-sS', '-i', '--max-time', '5', '-H', 'Expect: 100-continue', '--data-binary', body, `http://127.0.0.1:${server.port}/up?q=1`]);
    let text = '';
    p.stdout.on('data', (d) => (text += d));
    p.on('error', reject);
    p.on('close', (code) => (code === 0 ? resolve(text) : reject(new Error(`curl exited ${code}`))));
  });
  t.match(out, /^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 OK\r\n/);
  const j = JSON.parse(out.slice(out.lastIndexOf('\r\n\r\n') + 4));
  t.equal(j.body.length, 2000);
  t.equal(j.method, 'POST');
});

forEachServerKind(t, 'closes after the response when the client says Connection: close', async (t, kind) => {
  const server = await startServer(t, kind, (_req, res) => res.end('ok'));
  const r = await raw(server.port, 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
  t.ok(r.closed, 'server closed');
  const [res] = responsesOf(r);
  t.equal(res.headers.connection, 'close');
  t.equal(res.body, 'ok');
});

forEachServerKind(t, 'HTTP/1.0: closes by default, keeps alive when asked', async (t, kind) => {
  const server = await startServer(t, kind, (_req, res) => res.end('ten'));
  const a = await raw(server.port, 'GET / HTTP/1.0\r\n\r\n');
  t.ok(a.closed);
  t.equal(responsesOf(a)[0].headers.connection, 'close');
  const b = await raw(server.port, 'GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n', { responses: 2 });
  t.notOk(b.closed, 'still open after two keep-alive responses');
  const rs = responsesOf(b);
  t.equal(rs.length, 2);
  t.equal(rs[1].headers.connection, 'keep-alive');
});

forEachServerKind(t, 'HTTP/1.0: a streamed response without length is close-delimited, never chunked', async (t, kind) => {
  const server = await startServer(t, kind, (_req, res) => {
    res.write('a');
    res.end('b');
  });
  const r = await raw(server.port, 'GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n');
  t.ok(r.closed);
  t.notMatch(r.text, /transfer-encoding/i);
  t.match(r.text, /\r\n\r\nab$/);
});

forEachServerKind(t, 'HEAD gets the GET headers and no body', async (t, kind) => {
  const server = await startServer(t, kind, (_req, res) => res.end('twelve bytes'));
  const r = await raw(server.port, 'HEAD / HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n', { responses: 2 });
  t.match(r.text, /^HTTP\/1\.1 200 OK\r\n[^]*Content-Length: 12\r\n\r\nHTTP\/1\.1 200 OK\r\n[^]*\r\n\r\ntwelve bytes$/);
});

forEachServerKind(t, '204 and 304 carry no body and no chunked framing', async (t, kind) => {
  const server = await startServer(t, kind, (req, res) => {
    res.statusCode = req.path === '/204' ? 204 : 304;
    if (req.path === '/304') res.setHeader('ETag', '"x"');
    res.end('ignored');
  });
  const r = await raw(server.port, 'GET /204 HTTP/1.1\r\nHost: x\r\n\r\nGET /304 HTTP/1.1\r\nHost: x\r\n\r\n', { responses: 2 });
  const rs = responsesOf(r);
  t.same(rs.map((x) => x.status), [204, 304]);
  t.notMatch(r.text, /ignored|Content-Length|Transfer-Encoding/i);
  t.equal(rs[1].headers.etag, '"x"');
});

forEachServerKind(t, 'write() without a length streams chunked and end() terminates it', async (t, kind) => {
  const server = await startServer(t, kind, async (_req, res) => {
    res.setHeader('Content-Type', 'text/plain');
    res.write('hello ');
    await new Promise((r) => setTimeout(r, 10));
    res.write(Buffer.from('wor'));
    res.write('');
    res.end('ld');
  });
  const r = await fetch(`http://127.0.0.1:${server.port}/`);
  t.equal(r.headers.get('transfer-encoding'), 'chunked');
  t.equal(await r.text(), 'hello world');
});

forEachServerKind(t, 'a set Content-Length is honoured by write() (no chunked framing)', async (t, kind) => {
  const server = await startServer(t, kind, (_req, res) => {
    res.setHeader('Content-Length', 4);
    res.write('ab');
    res.end('cd');
  });
  const r = await raw(server.port, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n', { responses: 1 });
  t.match(r.text, /Content-Length: 4\r\n\r\nabcd$/);
  t.notMatch(r.text, /chunked/);
});

forEachServerKind(t, 'res helpers: writeHead, type, redirect, status message', async (t, kind) => {
  const server = await startServer(t, kind, (req, res) => {
    if (req.path === '/r') return res.redirect('/there', 301);
    if (req.path === '/m') {
      res.statusCode = 299;
      res.statusMessage = 'Fine';
      return res.end();
    }
    res.writeHead(201, { 'X-A': 'b', 'X-List': ['1', '2'] }).type('html').end('<p>');
  });
  const r = await raw(server.port, 'GET / HTTP/1.1\r\nHost: x\r\n\r\nGET /r HTTP/1.1\r\nHost: x\r\n\r\nGET /m HTTP/1.1\r\nHost: x\r\n\r\n', { responses: 3 });
  const [a, b, c] = responsesOf(r);
  t.equal(a.status, 201);
  t.equal(a.headers['content-type'], 'text/html; charset=utf-8');
  t.equal(a.headers['x-list'], '1, 2');
  t.equal(a.headers['content-length'], '3');
  t.equal(b.status, 301);
  t.equal(b.headers.location, '/there');
  t.match(c.head, /^HTTP\/1\.1 299 Fine\r\n/);
});

t.test('setHeader refuses CR/LF in values and bad names (response splitting)', async (t) => {
  const seen: string[] = [];
  const server = await listen((_req, res) => {
    for (const [n, v] of [['X-A', 'a\r\nSet-Cookie: x=1'], ['Bad Name', 'v'], ['X-B', 'a\nb']]) {
      try {
        res.setHeader(n, v);
      } catch (err) {
        seen.push((err as Error).constructor.name);
      }
    }
    res.end('ok');
  }, { port: 0, host: '127.0.0.1' });
  t.teardown(() => server.close());
  const r = await raw(server.port, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n', { responses: 1 });
  t.same(seen, ['TypeError', 'TypeError', 'TypeError']);
  t.notMatch(r.text, /Set-Cookie/);
});

t.test('listen rejects with a clear error when the port is taken', async (t) => {
  const a = await listen(() => {}, { port: 0, host: '127.0.0.1' });
  t.teardown(() => a.close());
  await t.rejects(listen(() => {}, { port: a.port, host: '127.0.0.1' }), { code: 'EADDRINUSE', message: /already in use/ });
});

t.test('listen rejects bad options before binding', async (t) => {
  await t.rejects(listen(() => {}, { port: 0, loop: 'spin' as never }), /unknown loop/);
  await t.rejects(listen(() => {}, { port: 0, maxConns: 0 }), /maxConns/);
  await t.rejects(listen(() => {}, { port: 0, maxBodySize: -1 }), /maxBodySize/);
  await t.rejects(listen(() => {}, { port: 0, keepAliveTimeout: 0 }), /keepAliveTimeout/);
});

forEachServerKind(t, 'non-ASCII bodies go out as UTF-8 with their byte length, also batched with ASCII ones', async (t, kind) => {
  const server = await startServer(t, kind, (req, res) => res.end(req.path === '/u' ? 'héllo ✓' : 'plain'));
  const r = await raw(server.port, 'GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /u HTTP/1.1\r\nHost: x\r\n\r\nGET /a HTTP/1.1\r\nHost: x\r\n\r\n', { responses: 3 });
  const bytes = Buffer.from(r.text, 'latin1');
  const utf8 = Buffer.from('héllo ✓');
  t.ok(bytes.includes(Buffer.concat([Buffer.from(`Content-Length: ${utf8.length}\r\n\r\n`), utf8])), 'UTF-8 bytes after the right length');
  t.equal(responsesOf(r).length, 3);
  const f = await fetch(`http://127.0.0.1:${server.port}/u`);
  t.equal(await f.text(), 'héllo ✓');
});
