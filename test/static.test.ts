import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import nodePath from 'node:path';
import crypto from 'node:crypto';
import { FileCache, contentDisposition, serveFile, serveStatic } from '../lib/app/static.js';
import { checkPreconditions, etagFor, parseETags, parseRange } from '../lib/app/conditional.js';
import { router } from '../lib/app/router.js';
import type { WaferRequest, WaferResponse } from '../lib/core/types.js';
import { serve, rawGet, rawRequest } from './app/serve.js';
import { forEachServerKind, startServer } from './helpers/server-kinds.js';

// A root with files of each kind, plus things outside it that must stay unreachable.
const base = fs.mkdtempSync(nodePath.join(os.tmpdir(), 'wafer-static-'));
const root = nodePath.join(base, 'root');
const outside = nodePath.join(base, 'outside');
fs.mkdirSync(nodePath.join(root, 'sub'), { recursive: true });
fs.mkdirSync(outside);
fs.writeFileSync(nodePath.join(root, 'hello.txt'), 'hello, world\n');
fs.writeFileSync(nodePath.join(root, 'index.html'), '<h1>root</h1>');
fs.writeFileSync(nodePath.join(root, 'sub', 'index.html'), '<h1>sub</h1>');
fs.writeFileSync(nodePath.join(root, 'style.css'), 'body{}');
fs.writeFileSync(nodePath.join(root, 'logo.svg'), '<svg/>');
fs.writeFileSync(nodePath.join(root, 'data.unknownext'), 'x');
fs.writeFileSync(nodePath.join(root, 'a b.txt'), 'spaced');
fs.writeFileSync(nodePath.join(root, '.secret'), 'dotfile');
const big = crypto.randomBytes(300 * 1024 + 7); // past the cache's 64 KiB: streamed from disk
fs.writeFileSync(nodePath.join(root, 'big.bin'), big);
fs.writeFileSync(nodePath.join(base, 'secret.txt'), 'outside the root');
fs.writeFileSync(nodePath.join(outside, 'secret.txt'), 'outside the root');
fs.symlinkSync(nodePath.join(root, 'hello.txt'), nodePath.join(root, 'inside-link.txt'));
fs.symlinkSync(nodePath.join(outside, 'secret.txt'), nodePath.join(root, 'escape.txt'));
fs.symlinkSync(outside, nodePath.join(root, 'escape-dir'));
t.teardown(() => fs.rmSync(base, { recursive: true, force: true }));

t.test('parseRange follows RFC 9110 §14.1.2', async (t) => {
  t.same(parseRange('bytes=0-4', 10), { start: 0, end: 4 });
  t.same(parseRange('bytes=5-', 10), { start: 5, end: 9 });
  t.same(parseRange('bytes=-3', 10), { start: 7, end: 9 });
  t.same(parseRange('bytes=-30', 10), { start: 0, end: 9 }, 'suffix longer than the file: all of it');
  t.same(parseRange('bytes=8-100', 10), { start: 8, end: 9 }, 'last-pos past the end is clamped');
  t.same(parseRange('Bytes = 1-1', 10), { start: 1, end: 1 }, 'unit is case-insensitive');
  t.equal(parseRange('bytes=10-', 10), 'unsatisfiable');
  t.equal(parseRange('bytes=-0', 10), 'unsatisfiable');
  t.equal(parseRange('bytes=0-', 0), 'unsatisfiable');
  t.equal(parseRange('bytes=5-2', 10), undefined, 'last < first is invalid: ignored');
  t.equal(parseRange('bytes=0-1,3-4', 10), undefined, 'several ranges: whole file');
  t.equal(parseRange('items=0-1', 10), undefined);
  t.equal(parseRange('bytes=x-1', 10), undefined);
  t.equal(parseRange('bytes=99999999999999999999-', 10), 'unsatisfiable', 'a first-pos too large for a double is still past the end');
  t.equal(parseRange('bytes=99999999999999999999-99999999999999999999', 10), 'unsatisfiable');
  t.same(parseRange('bytes=2-99999999999999999999', 10), { start: 2, end: 9 }, 'a huge last-pos is clamped');
  t.same(parseRange('bytes=-99999999999999999999', 10), { start: 0, end: 9 }, 'a huge suffix is the whole file');
  t.equal(parseRange('bytes=1e3-', 10), undefined, 'not digits: ignored');
});

t.test('parseETags reads lists, weak tags, commas inside tags and *', async (t) => {
  t.same(parseETags('"a", W/"b" ,"c,d"'), [
    { weak: false, opaque: 'a' }, { weak: true, opaque: 'b' }, { weak: false, opaque: 'c,d' },
  ]);
  t.equal(parseETags(' * '), 'any');
  t.same(parseETags('garbage'), []);
});

t.test('checkPreconditions applies RFC 9110 §13.2.2 in order', async (t) => {
  const etag = '"abc"';
  const req = (headers: Record<string, string>) => ({ headers }) as unknown as WaferRequest;
  const lm = Date.parse('Wed, 21 Oct 2015 07:28:00 GMT') / 1000;
  t.equal(checkPreconditions(req({ 'if-none-match': 'W/"abc"' }), etag, lm), 304, 'weak comparison for If-None-Match');
  t.equal(checkPreconditions(req({ 'if-none-match': '"x", "abc"' }), etag, lm), 304);
  t.equal(checkPreconditions(req({ 'if-none-match': '*' }), etag, lm), 304);
  t.equal(checkPreconditions(req({ 'if-modified-since': 'Wed, 21 Oct 2015 07:28:00 GMT' }), etag, lm), 304);
  t.equal(checkPreconditions(req({ 'if-modified-since': 'Wed, 21 Oct 2015 07:27:59 GMT' }), etag, lm), 200);
  t.equal(checkPreconditions(req({ 'if-modified-since': 'not a date' }), etag, lm), 200, 'invalid date ignored');
  t.equal(
    checkPreconditions(req({ 'if-none-match': '"other"', 'if-modified-since': 'Wed, 21 Oct 2030 07:28:00 GMT' }), etag, lm),
    200, 'If-Modified-Since is ignored when If-None-Match is present',
  );
  t.equal(checkPreconditions(req({ 'if-match': 'W/"abc"' }), etag, lm), 412, 'strong comparison for If-Match');
  t.equal(checkPreconditions(req({ 'if-match': '"abc"' }), etag, lm), 200);
  t.equal(checkPreconditions(req({ 'if-unmodified-since': 'Wed, 21 Oct 2015 07:27:59 GMT' }), etag, lm), 412);
  t.equal(
    checkPreconditions(req({ 'if-match': '"abc"', 'if-unmodified-since': 'Wed, 21 Oct 2000 00:00:00 GMT' }), etag, lm),
    200, 'If-Unmodified-Since is ignored when If-Match is present',
  );
});

t.test('contentDisposition gives an ASCII filename and a UTF-8 filename* (RFC 6266/5987)', async (t) => {
  t.equal(contentDisposition('report.pdf'), 'attachment; filename="report.pdf"');
  t.equal(contentDisposition('/some/dir/a "b".txt'), 'attachment; filename="a \\"b\\".txt"');
  t.equal(
    contentDisposition('résumé 1.pdf'),
    `attachment; filename="r_sum_ 1.pdf"; filename*=UTF-8''r%C3%A9sum%C3%A9%201.pdf`,
  );
  t.equal(contentDisposition('a\r\nb.txt'), 'attachment; filename="ab.txt"', 'control characters dropped');
});

t.test('FileCache stays within its byte bound, evicting the least recently used', async (t) => {
  const cache = new FileCache({ maxFileSize: 10, maxBytes: 20 });
  const st = (ino: number) => ({ ino, size: 10, mtimeMs: 1 }) as fs.Stats;
  cache.set('a', st(1), Buffer.alloc(10));
  cache.set('b', st(2), Buffer.alloc(10));
  t.ok(cache.get('a', st(1)), 'a hit makes a the most recent');
  cache.set('c', st(3), Buffer.alloc(10));
  t.equal(cache.size, 20);
  t.equal(cache.get('b', st(2)), undefined, 'b was evicted');
  t.ok(cache.get('a', st(1)));
  t.equal(cache.get('a', { ino: 1, size: 10, mtimeMs: 2 } as fs.Stats), undefined, 'a changed mtime is a miss');
  t.equal(cache.size, 10);
  cache.set('huge', { ino: 9, size: 11, mtimeMs: 1 } as fs.Stats, Buffer.alloc(11));
  t.equal(cache.get('huge', { ino: 9, size: 11, mtimeMs: 1 } as fs.Stats), undefined, 'files over maxFileSize are not kept');
});

t.test('serveStatic over real sockets', async (t) => {
  const cache = new FileCache();
  const files = serveStatic(root, { cache, maxAge: 60 });
  const app = router()
    .get('/download/:name', (req, res) => serveFile(req, res, req.params.name!, { root, download: `résumé ${req.params.name}` }))
    .get('/static/*', serveStatic(root, { prefix: '/static' }))
    .notFound(files);
  const srv = await serve(app);
  t.teardown(srv.close);
  const get = (path: string, headers: Record<string, string> = {}) => fetch(`${srv.url}${path}`, { headers });

  t.test('sends MIME types from the extension', async (t) => {
    const cases: [string, string][] = [
      ['/hello.txt', 'text/plain; charset=utf-8'],
      ['/index.html', 'text/html; charset=utf-8'],
      ['/style.css', 'text/css; charset=utf-8'],
      ['/logo.svg', 'image/svg+xml'],
      ['/big.bin', 'application/octet-stream'],
      ['/data.unknownext', 'application/octet-stream'],
    ];
    for (const [path, type] of cases) {
      const r = await get(path);
      t.equal(r.status, 200, path);
      t.equal(r.headers.get('content-type'), type, path);
      await r.arrayBuffer();
    }
  });

  t.test('sends validators, length and caching headers with the file', async (t) => {
    const r = await get('/hello.txt');
    const st = fs.statSync(nodePath.join(root, 'hello.txt'));
    t.equal(await r.text(), 'hello, world\n');
    t.equal(r.headers.get('content-length'), '13');
    t.equal(r.headers.get('etag'), etagFor(st));
    t.equal(r.headers.get('last-modified'), new Date(Math.floor(st.mtimeMs / 1000) * 1000).toUTCString());
    t.equal(r.headers.get('accept-ranges'), 'bytes');
    t.equal(r.headers.get('cache-control'), 'public, max-age=60');
  });

  t.test('answers 304 to a matching If-None-Match', async (t) => {
    const first = await get('/hello.txt');
    await first.text();
    const r = await get('/hello.txt', { 'if-none-match': first.headers.get('etag')! });
    t.equal(r.status, 304);
    t.equal(r.headers.get('etag'), first.headers.get('etag'));
    t.equal(await r.text(), '');
    const miss = await get('/hello.txt', { 'if-none-match': '"nope"' });
    t.equal(miss.status, 200);
    await miss.text();
  });

  t.test('answers 304 to If-Modified-Since at or after Last-Modified', async (t) => {
    const first = await get('/hello.txt');
    await first.text();
    const lm = first.headers.get('last-modified')!;
    const r = await get('/hello.txt', { 'if-modified-since': lm });
    t.equal(r.status, 304);
    await r.text();
    const older = new Date(Date.parse(lm) - 1000).toUTCString();
    const r2 = await get('/hello.txt', { 'if-modified-since': older });
    t.equal(r2.status, 200);
    await r2.text();
  });

  t.test('answers 412 when If-Match does not match', async (t) => {
    const r = await get('/hello.txt', { 'if-match': '"nope"' });
    t.equal(r.status, 412);
    await r.text();
  });

  t.test('answers a single Range with 206 and Content-Range', async (t) => {
    const r = await get('/hello.txt', { range: 'bytes=7-11' });
    t.equal(r.status, 206);
    t.equal(r.headers.get('content-range'), 'bytes 7-11/13');
    t.equal(r.headers.get('content-length'), '5');
    t.equal(await r.text(), 'world');
  });

  t.test('answers a Range of a streamed file with the exact bytes', async (t) => {
    const r = await get('/big.bin', { range: 'bytes=70000-200000' });
    t.equal(r.status, 206);
    t.equal(r.headers.get('content-range'), `bytes 70000-200000/${big.length}`);
    t.ok(Buffer.from(await r.arrayBuffer()).equals(big.subarray(70000, 200001)));
  });

  t.test('answers an unsatisfiable Range with 416 and bytes */size', async (t) => {
    const r = await get('/hello.txt', { range: 'bytes=13-' });
    t.equal(r.status, 416);
    t.equal(r.headers.get('content-range'), 'bytes */13');
    await r.text();
  });

  t.test('answers several ranges with the whole file (200)', async (t) => {
    const r = await get('/hello.txt', { range: 'bytes=0-1,3-4' });
    t.equal(r.status, 200);
    t.equal(await r.text(), 'hello, world\n');
  });

  t.test('honours If-Range: matching ETag gives 206, another gives 200', async (t) => {
    const first = await get('/hello.txt');
    await first.text();
    const r = await get('/hello.txt', { range: 'bytes=0-4', 'if-range': first.headers.get('etag')! });
    t.equal(r.status, 206);
    t.equal(await r.text(), 'hello');
    const r2 = await get('/hello.txt', { range: 'bytes=0-4', 'if-range': '"stale"' });
    t.equal(r2.status, 200);
    t.equal(await r2.text(), 'hello, world\n');
  });

  t.test('streams a file larger than the cache intact', async (t) => {
    const r = await get('/big.bin');
    t.equal(r.headers.get('content-length'), String(big.length));
    t.ok(Buffer.from(await r.arrayBuffer()).equals(big));
  });

  t.test('answers HEAD with the headers of GET and no body', async (t) => {
    const r = await rawGet(srv.port, '/big.bin', 'HEAD');
    t.equal(r.status, 200);
    t.equal(r.headers['content-length'], String(big.length));
    t.equal(r.headers['content-type'], 'application/octet-stream');
    t.equal(r.body, '');
  });

  t.test('names a download with Content-Disposition', async (t) => {
    const r = await get('/download/hello.txt');
    t.equal(r.status, 200);
    t.equal(
      r.headers.get('content-disposition'),
      `attachment; filename="r_sum_ hello.txt"; filename*=UTF-8''r%C3%A9sum%C3%A9%20hello.txt`,
    );
    t.equal(await r.text(), 'hello, world\n');
  });

  t.test('serveFile with root refuses a path leaving the root (404)', async (t) => {
    const r = await get('/download/..%2Fsecret.txt');
    t.equal(r.status, 404);
    await r.text();
  });

  t.test('decodes file names and serves directories by their index', async (t) => {
    const r = await get('/a%20b.txt');
    t.equal(await r.text(), 'spaced');
    const r2 = await get('/sub/');
    t.equal(await r2.text(), '<h1>sub</h1>');
    const r3 = await get('/');
    t.equal(await r3.text(), '<h1>root</h1>');
  });

  t.test('redirects a directory without its slash, never to another host', async (t) => {
    const r = await rawGet(srv.port, '/sub?x=1');
    t.equal(r.status, 301);
    t.equal(r.headers['location'], '/sub/?x=1');
    const r2 = await rawGet(srv.port, '//sub');
    t.equal(r2.status, 301);
    t.equal(r2.headers['location'], '/sub/');
  });

  t.test('serves under a prefix', async (t) => {
    const r = await get('/static/hello.txt');
    t.equal(await r.text(), 'hello, world\n');
    const r2 = await get('/staticky/hello.txt');
    t.equal(r2.status, 404);
    await r2.text();
  });

  t.test('refuses traversal in every spelling with 403', async (t) => {
    const attempts = [
      '/../secret.txt',
      '/sub/../../secret.txt',
      '/%2e%2e/secret.txt',
      '/%2E%2E/secret.txt',
      '/.%2e/secret.txt',
      '/sub/..%2f..%2fsecret.txt',
      '/sub%2F..%2F..%2Fsecret.txt',
      '/..%5csecret.txt',
      '/hello.txt%00.html',
      '/./hello.txt',
    ];
    for (const path of attempts) {
      const r = await rawGet(srv.port, path);
      t.equal(r.status, 403, path);
      t.notMatch(r.body, 'outside the root', path);
    }
  });

  t.test('hides dotfiles (404)', async (t) => {
    const r = await rawGet(srv.port, '/.secret');
    t.equal(r.status, 404);
    const r2 = await rawGet(srv.port, '/%2esecret');
    t.equal(r2.status, 404);
  });

  t.test('treats symlinks leaving the root as missing (404) and follows those inside', async (t) => {
    for (const path of ['/escape.txt', '/escape-dir/secret.txt', '/escape-dir/']) {
      const r = await rawGet(srv.port, path);
      t.equal(r.status, 404, path);
      t.notMatch(r.body, 'outside the root', path);
    }
    const r = await get('/inside-link.txt');
    t.equal(await r.text(), 'hello, world\n');
  });

  t.test('answers 404 for missing files', async (t) => {
    const r = await get('/missing.txt');
    t.equal(r.status, 404);
    await r.text();
    const r2 = await get('/hello.txt/more');
    t.equal(r2.status, 404);
    await r2.text();
  });

  t.test('answers other methods with 405 and Allow: GET, HEAD', async (t) => {
    const r = await rawRequest(srv.port, 'DELETE /hello.txt HTTP/1.1\r\nHost: x');
    t.equal(r.status, 405);
    t.equal(r.headers['allow'], 'GET, HEAD');
  });

  t.test('keeps small files in memory and drops them when the file changes', async (t) => {
    const file = nodePath.join(root, 'changing.txt');
    fs.writeFileSync(file, 'version one');
    const r = await get('/changing.txt');
    t.equal(await r.text(), 'version one');
    t.ok(cache.size >= 'version one'.length, 'cached');
    fs.writeFileSync(file, 'version two!');
    fs.utimesSync(file, new Date(), new Date(Date.now() + 5000));
    const r2 = await get('/changing.txt');
    t.equal(await r2.text(), 'version two!');
    t.not(r2.headers.get('etag'), r.headers.get('etag'));
  });
});

/** A response that records writes and reports "full" on every write until drained. */
class SlowResponse {
  statusCode = 200;
  statusMessage = '';
  headersSent = false;
  writableEnded = false;
  fields: Record<string, unknown> = {};
  written: Buffer[] = [];
  draining = false;
  writesWhileDraining = 0;
  constructor(readonly req: WaferRequest) {}
  setHeader(n: string, v: unknown) { this.fields[n.toLowerCase()] = v; return this; }
  getHeader(n: string) { return this.fields[n.toLowerCase()]; }
  removeHeader(n: string) { delete this.fields[n.toLowerCase()]; return this; }
  hasHeader(n: string) { return n.toLowerCase() in this.fields; }
  write(chunk: Buffer) {
    if (this.draining) this.writesWhileDraining++;
    this.written.push(chunk);
    return false;
  }
  async drain() {
    this.draining = true;
    await new Promise((r) => setTimeout(r, 1));
    this.draining = false;
  }
  end(chunk?: Buffer) {
    if (chunk) this.written.push(chunk);
    this.writableEnded = true;
  }
}

t.test('serveFile waits for drain before writing more (backpressure)', async (t) => {
  const req = { method: 'GET', headers: {}, path: '/', query: '' } as unknown as WaferRequest;
  const res = new SlowResponse(req);
  await serveFile(req, res as unknown as WaferResponse, nodePath.join(root, 'big.bin'), { cache: false });
  t.equal(res.writesWhileDraining, 0);
  t.ok(res.written.length > 2, 'written in several pieces');
  t.ok(Buffer.concat(res.written).equals(big));
  t.ok(res.writableEnded);
});

t.test('serveFile stops reading the file once the connection is gone', async (t) => {
  const req = { method: 'GET', headers: {}, path: '/', query: '' } as unknown as WaferRequest;
  // A client that disconnects while the first piece waits for drain: destroyed turns true
  // and drain() resolves at once, as the engine's Response does.
  class GoneResponse extends SlowResponse {
    destroyed = false;
    override async drain() { this.destroyed = true; }
  }
  const res = new GoneResponse(req);
  await serveFile(req, res as unknown as WaferResponse, nodePath.join(root, 'big.bin'), { cache: false });
  t.equal(res.written.length, 1, 'no piece read or written after the disconnect');
  t.notOk(res.writableEnded, 'end() is not called for a connection that is gone');
});

// Over each loop: the answers below are decided by the app layer, but they are on the wire.
forEachServerKind(t, 'serveStatic: a trailing slash after a file name is 404, not the file', async (t, kind) => {
  const server = await startServer(t, kind, serveStatic(root, { prefix: '/s' }));
  for (const path of ['/s/hello.txt/', '/s/hello.txt//', '/s/sub/index.html/', '/s/hello.txt/?x=1']) {
    const r = await rawGet(server.port, path);
    t.equal(r.status, 404, path);
    t.notMatch(r.body, 'hello, world', path);
  }
  const ok = await rawGet(server.port, '/s/hello.txt');
  t.equal(ok.status, 200, 'the file itself is still served');
  t.equal(ok.body, 'hello, world\n');
  const dir = await rawGet(server.port, '/s/sub/');
  t.equal(dir.body, '<h1>sub</h1>', 'a directory with its slash still serves its index');
});

forEachServerKind(t, 'a Range whose first-pos overflows a double is unsatisfiable: 416, not the whole file', async (t, kind) => {
  const server = await startServer(t, kind, serveStatic(root));
  const r = await rawRequest(server.port, 'GET /hello.txt HTTP/1.1\r\nHost: x\r\nRange: bytes=99999999999999999999-');
  t.equal(r.status, 416);
  t.equal(r.headers['content-range'], 'bytes */13');
  t.equal(r.body, '');
  const tail = await rawRequest(server.port, 'GET /hello.txt HTTP/1.1\r\nHost: x\r\nRange: bytes=7-99999999999999999999');
  t.equal(tail.status, 206, 'an overflowing last-pos is clamped to the end');
  t.equal(tail.headers['content-range'], 'bytes 7-12/13');
  t.equal(tail.body, 'world\n');
});
