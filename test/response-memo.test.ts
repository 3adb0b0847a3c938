// Heads are remembered from one response to the next (lib/core/response.ts memo): answers in a row
// that differ in a single input — body, length, status, a header value, HEAD, HTTP/1.0, a
// Connection: close — must each get exactly their own head and body.
import t from 'tap';
import { raw, splitResponses } from './helpers/raw-client.js';
import { startServer, type ServerKind } from './helpers/server-kinds.js';

const EDGE: ServerKind = { loop: 'edge', parser: 'wafer', rawSocket: true, name: 'edge/wafer' };
const TEXT = 'text/plain; charset=utf-8';

t.test('consecutive answers differing in one input each get their own head', async (t) => {
  const server = await startServer(t, EDGE, (req, res) => {
    const p = req.path;
    res.setHeader('Content-Type', TEXT);
    if (p === '/b') return res.end('world'); // same head as /a, other body
    if (p === '/long') return res.end('hello!'); // other length
    if (p === '/created') {
      res.statusCode = 201;
      return res.end('hello');
    }
    if (p === '/value') {
      res.setHeader('Content-Type', 'text/html; charset=utf-8');
      return res.end('hello');
    }
    if (p === '/extra') res.setHeader('X-Extra', ['1', '2']);
    if (p === '/close') res.setHeader('Connection', 'close');
    res.end('hello');
  });
  const get = (path: string, version = '1.1', method = 'GET') => `${method} ${path} HTTP/${version}\r\nHost: x\r\n\r\n`;
  /** Send `requests` pipelined on one connection; heads with the Date normalized, and bodies. */
  const ask = async (requests: string[], headRequests = 0) => {
    const r = await raw(server.port, requests.join(''), { timeoutMs: 3000, quietMs: 200 });
    const { responses } = splitResponses(r.text, headRequests);
    return { heads: responses.map((x) => x.head.replace(/^Date: .*$/m, 'Date: D')), bodies: responses.map((x) => x.body) };
  };
  const plain = (status: string, type: string, length: number, extra = '') =>
    `HTTP/1.1 ${status}\r\nDate: D\r\nContent-Type: ${type}\r\n${extra}Content-Length: ${length}`;
  const A = plain('200 OK', TEXT, 5);
  const EXTRA = plain('200 OK', TEXT, 5, 'X-Extra: 1\r\nX-Extra: 2\r\n');

  const one = await ask([get('/a'), get('/a'), get('/b'), get('/a'), get('/long'), get('/a'), get('/created'), get('/a'),
    get('/value'), get('/a'), get('/extra'), get('/extra'), get('/a')]);
  t.same(one.heads, [A, A, A, A, plain('200 OK', TEXT, 6), A, plain('201 Created', TEXT, 5), A,
    plain('200 OK', 'text/html; charset=utf-8', 5), A, EXTRA, EXTRA, A]);
  t.same(one.bodies, ['hello', 'hello', 'world', 'hello', 'hello!', 'hello', 'hello', 'hello', 'hello', 'hello', 'hello', 'hello', 'hello']);

  // Right after a GET /a: the same handler output for HEAD (no body), HTTP/1.0 (closes), and a
  // handler-asked close.
  const head = await ask([get('/a', '1.1', 'HEAD'), get('/a')], 1);
  t.same(head.heads, [A, A]);
  t.same(head.bodies, ['', 'hello'], 'HEAD: no body; the GET after it has one');
  const old = await ask([get('/a'), get('/a', '1.0')]);
  t.same(old.heads, [A, A + '\r\nConnection: close'], 'HTTP/1.0 without keep-alive: Connection: close');
  const closing = await ask([get('/a'), get('/close'), get('/a')]);
  t.same(closing.heads, [A, A + '\r\nConnection: close'], 'nothing is answered after the close');
  const again = await ask([get('/a')]);
  t.same(again.heads, [A], 'and the next connection gets the plain head again');
});

t.test('a Connection: close set by the handler is not carried into the next head', async (t) => {
  let n = 0;
  const server = await startServer(t, EDGE, (_req, res) => {
    res.setHeader('Content-Type', TEXT);
    if (n++ === 0) res.setHeader('Connection', 'close');
    res.end('hello');
  });
  const one = await raw(server.port, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n', { timeoutMs: 2000 });
  t.match(one.text, /Connection: close\r\n/);
  t.ok(one.closed, 'closed after the answer that asked for it');
  const two = await raw(server.port, 'GET / HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n', { responses: 2 });
  const { responses } = splitResponses(two.text);
  t.equal(responses.length, 2, 'both answered on one connection');
  for (const r of responses) t.notMatch(r.head, /Connection/);
});

t.test('answers repeated from the memo keep their bytes and lengths', async (t) => {
  // The same head + body in a row is reused from the memo (with the body's byte length): ASCII
  // and UTF-8 bodies, in one batch with other answers between them, must arrive byte for byte.
  const server = await startServer(t, EDGE, (req, res) => {
    res.setHeader('Content-Type', TEXT);
    res.end(req.path === '/u' ? 'héllo wörld ✓' : req.path === '/b' ? 'bye' : 'hello');
  });
  const paths = ['/a', '/a', '/a', '/u', '/u', '/u', '/a', '/b', '/b', '/u', '/u'];
  const r = await raw(server.port, paths.map((p) => `GET ${p} HTTP/1.1\r\nHost: x\r\n\r\n`).join(''), { responses: paths.length });
  const { responses } = splitResponses(r.text);
  t.equal(responses.length, paths.length, 'every request answered');
  const want: Record<string, string> = { '/a': 'hello', '/b': 'bye', '/u': 'héllo wörld ✓' };
  responses.forEach((x, i) => {
    const body = Buffer.from(want[paths[i]], 'utf8');
    t.equal(x.headers['content-length'], String(body.length), `${i}: ${paths[i]} length`);
    t.equal(x.body, body.toString('latin1'), `${i}: ${paths[i]} bytes`);
  });
});
