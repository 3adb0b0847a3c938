// The access log: onResponse(req, res, info) once per finished response, with its status, the
// bytes sent and how long it took, over real sockets on every server kind; `log: true` printing
// Common Log Format lines to stdout in a child process.
import t from 'tap';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { listen } from '../lib/index.js';
import type { ResponseInfo, WaferRequest } from '../lib/core/types.js';
import { forEachServerKind, sleep, startServer, until } from './helpers/server-kinds.js';
import { raw, responsesOf } from './helpers/raw-client.js';
import { ensureBuilt, ROOT } from './helpers/wafer-process.js';

interface Entry { url: string; info: ResponseInfo }

function recorder(): { entries: Entry[]; onResponse: (req: WaferRequest, res: unknown, info: ResponseInfo) => void } {
  const entries: Entry[] = [];
  return { entries, onResponse: (req, _res, info) => entries.push({ url: req.url, info }) };
}

/** Bytes of each response's head in what came back (responses framed by Content-Length). */
function headLengths(text: string): number[] {
  const out: number[] = [];
  let at = 0;
  while (at < text.length) {
    const end = text.indexOf('\r\n\r\n', at) + 4;
    if (end < 4) break;
    const m = /content-length: (\d+)/i.exec(text.slice(at, end));
    out.push(end - at);
    at = end + (m === null ? 0 : Number(m[1]));
  }
  return out;
}

const get = (path: string, extra = ''): string => `GET ${path} HTTP/1.1\r\nHost: x\r\n${extra}\r\n`;

forEachServerKind(t, 'keep-alive: once per response, status and bytes as on the wire', async (t, kind) => {
  const log = recorder();
  const server = await startServer(t, kind, (req, res) => {
    if (req.path === '/missing') {
      res.statusCode = 404;
      return res.end('no');
    }
    res.setHeader('Content-Type', 'text/plain');
    res.end('x'.repeat(Number(req.query) || 0));
  }, { onResponse: log.onResponse });
  const result = await raw(server.port, [get('/a?5'), get('/b?0'), get('/missing'), get('/c?1000')], { gapMs: 30, responses: 4 });
  const responses = responsesOf(result);
  t.equal(responses.length, 4);
  t.ok(await until(() => log.entries.length === 4));
  t.same(log.entries.map((e) => e.url), ['/a?5', '/b?0', '/missing', '/c?1000']);
  t.same(log.entries.map((e) => e.info.statusCode), [200, 200, 404, 200]);
  t.same(log.entries.map((e) => e.info.bodyBytes), [5, 0, 2, 1000]);
  const heads = headLengths(result.text);
  t.same(log.entries.map((e) => e.info.bytes), heads.map((h, i) => h + [5, 0, 2, 1000][i]!), 'bytes = head + body, exactly');
  t.equal(log.entries.reduce((n, e) => n + e.info.bytes, 0), Buffer.byteLength(result.text, 'latin1'), 'all that was sent');
  for (const e of log.entries) t.ok(e.info.durationMs >= 0 && e.info.durationMs < 2000, `durationMs ${e.info.durationMs}`);
  await sleep(50);
  t.equal(log.entries.length, 4, 'never twice');
});

forEachServerKind(t, 'pipelined: in request order, once each, even when handlers end out of order', async (t, kind) => {
  const log = recorder();
  // Timers count from the event loop's cached clock and may fire a few ms early by a real clock,
  // so the bound is what the handlers themselves measured: each response ended after the first
  // handler's end (in order), and its request's head arrived before its own handler started.
  const started = new Map<string, number>();
  let firstEnded = 0;
  const server = await startServer(t, kind, async (req, res) => {
    started.set(req.url, performance.now());
    await sleep(Number(req.query));
    if (req.url === '/1?60') firstEnded = performance.now();
    res.end(req.url);
  }, { onResponse: log.onResponse });
  const urls = ['/1?60', '/2?5', '/3?30', '/4?0', '/5?10'];
  const result = await raw(server.port, urls.map((u) => get(u)).join(''), { responses: 5 });
  t.same(responsesOf(result).map((r) => r.body), urls);
  t.ok(await until(() => log.entries.length === 5));
  t.same(log.entries.map((e) => e.url), urls);
  t.same(log.entries.map((e) => e.info.bodyBytes), urls.map((u) => u.length));
  // The first one waited 60 ms in its handler; the later ones waited behind it on the wire.
  for (const e of log.entries) {
    const bound = firstEnded - (started.get(e.url) as number);
    t.ok(bound > 30 && e.info.durationMs >= bound, `${e.url}: ${e.info.durationMs} ms >= ${bound.toFixed(1)} ms`);
  }
  await sleep(50);
  t.equal(log.entries.length, 5);
});

forEachServerKind(t, 'streaming (write + end): body bytes without chunk framing; HEAD counts no body', async (t, kind) => {
  const log = recorder();
  const server = await startServer(t, kind, async (req, res) => {
    res.write('abc');
    await sleep(10);
    res.write(Buffer.from('défg')); // 5 bytes
    res.end('h');
  }, { onResponse: log.onResponse });
  const result = await raw(server.port, get('/s') + 'HEAD /h HTTP/1.1\r\nHost: x\r\n\r\n', { quietMs: 200 });
  t.ok(await until(() => log.entries.length === 2));
  const [stream, head] = log.entries;
  t.equal(stream!.info.statusCode, 200);
  t.equal(stream!.info.bodyBytes, 9);
  const headBytes = result.text.indexOf('\r\n\r\n') + 4;
  t.match(result.text.slice(0, headBytes), /transfer-encoding: chunked/i);
  t.equal(stream!.info.bytes, headBytes + 9);
  t.equal(head!.info.bodyBytes, 0);
  t.equal(head!.info.bytes, result.text.length - result.text.lastIndexOf('HTTP/1.1 200'), 'a HEAD answer is its head');
});

forEachServerKind(t, 'engine answers: a throwing handler\'s 500, 413, 503 on handlerTimeout; none for a head that is not a request', async (t, kind) => {
  const log = recorder();
  const server = await startServer(t, kind, async (req, res) => {
    if (req.path === '/throw') throw new Error('boom');
    if (req.path === '/never') return;
    res.end('ok');
  }, { onResponse: log.onResponse, maxBodySize: 10, handlerTimeout: 50 });
  let r = responsesOf(await raw(server.port, get('/throw'), { responses: 1 }));
  t.equal(r[0]?.status, 500);
  r = responsesOf(await raw(server.port, 'POST /big HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n', { responses: 1 }));
  t.equal(r[0]?.status, 413);
  r = responsesOf(await raw(server.port, get('/never'), { responses: 1 }));
  t.equal(r[0]?.status, 503);
  t.ok(await until(() => log.entries.length === 3));
  t.same(log.entries.map((e) => [e.url, e.info.statusCode]), [['/throw', 500], ['/big', 413], ['/never', 503]]);
  t.ok(log.entries.every((e) => e.info.bodyBytes > 0));
  // Bytes that never made a request head: the engine answers 400, nothing is logged.
  r = responsesOf(await raw(server.port, 'NOT HTTP\r\n\r\n', { responses: 1 }));
  t.equal(r[0]?.status, 400);
  await sleep(50);
  t.equal(log.entries.length, 3);
});

forEachServerKind(t, 'a throwing onResponse goes to onError; the connection and its responses go on', async (t, kind) => {
  const errors: unknown[] = [];
  let calls = 0;
  const server = await startServer(t, kind, (req, res) => res.end('ok ' + req.url), {
    onResponse: () => {
      calls++;
      throw new Error('log sink failed');
    },
    onError: (err) => errors.push(err),
  });
  const result = await raw(server.port, [get('/1') + get('/2'), get('/3')], { gapMs: 30, responses: 3 });
  t.same(responsesOf(result).map((r) => r.body), ['ok /1', 'ok /2', 'ok /3']);
  t.equal(result.closed, false, 'the connection stays open');
  t.equal(calls, 3);
  t.equal(errors.length, 3);
  t.match((errors[0] as Error).message, 'log sink failed');
  t.equal(server.stats().handlerErrors, 0, 'not a handler error');
});

t.test('onResponse and log are checked at listen()', async (t) => {
  const ok = (): void => {};
  await t.rejects(listen(ok, { port: 0, host: '127.0.0.1', onResponse: 'yes' as never }), TypeError);
  await t.rejects(listen(ok, { port: 0, host: '127.0.0.1', log: 1 as never }), TypeError);
});

t.test('log: true prints one Common Log Format line per response to stdout', async (t) => {
  await ensureBuilt();
  const script = `
    import { listen } from ${JSON.stringify(join(ROOT, 'dist', 'lib', 'index.js'))};
    const server = await listen((req, res) => {
      if (req.path === '/gone') { res.statusCode = 404; return res.end('nope'); }
      res.end('hello world\\n');
    }, { port: 0, host: '127.0.0.1', log: true, trustProxy: 1 });
    process.stderr.write('port ' + server.port + '\\n');
    process.on('message', () => server.close().then(() => process.exit(0)));`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
  t.teardown(() => child.kill('SIGKILL'));
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  t.ok(await until(() => /port \d+/.test(err), 10_000), 'child listening');
  const port = Number(/port (\d+)/.exec(err)![1]);
  const before = Date.now();
  const result = await raw(port, get('/path?x=1') + get('/gone') + 'GET /old HTTP/1.0\r\n\r\n', { responses: 3 });
  t.equal(responsesOf(result).length, 3);
  await raw(port, get('/behind', 'X-Forwarded-For: 203.0.113.7\r\n'), { responses: 1 });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.send('close');
  t.equal(await exited, 0);
  const lines = out.split('\n');
  t.equal(lines.pop(), '', 'newline-terminated');
  t.equal(lines.length, 4, out);
  const date = /^\[(\d{2})\/([A-Z][a-z]{2})\/(\d{4}):(\d{2}):(\d{2}):(\d{2}) \+0000\]$/;
  const rest = lines.map((line) => {
    const m = /^(\S+) - - (\[[^\]]+\]) "([^"]*)" (\d{3}) (\d+)$/.exec(line);
    t.ok(m, line);
    const d = date.exec(m![2]!);
    t.ok(d, m![2]);
    const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
    const when = Date.UTC(Number(d![3]), months.indexOf(d![2]!), Number(d![1]), Number(d![4]), Number(d![5]), Number(d![6]));
    t.ok(when >= before - 2000 && when <= Date.now() + 1000, 'the time, in UTC');
    return [m![1], m![3], m![4], m![5]].join(' ');
  });
  t.same(rest, [
    '127.0.0.1 GET /path?x=1 HTTP/1.1 200 12',
    '127.0.0.1 GET /gone HTTP/1.1 404 4',
    '127.0.0.1 GET /old HTTP/1.0 200 12',
    '203.0.113.7 GET /behind HTTP/1.1 200 12',
  ]);
});

t.test('log: true survives a stdout that is closed (EPIPE: `wafer app.js | head -1`)', async (t) => {
  await ensureBuilt();
  const script = `
    import { listen } from ${JSON.stringify(join(ROOT, 'dist', 'lib', 'index.js'))};
    const server = await listen((req, res) => res.end('x'.repeat(1000)), { port: 0, host: '127.0.0.1', log: true });
    process.stderr.write('port ' + server.port + '\\n');
    process.on('message', () => server.close().then(() => process.exit(0)));`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
  t.teardown(() => child.kill('SIGKILL'));
  let err = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  t.ok(await until(() => /port \d+/.test(err), 10_000), 'child listening');
  const port = Number(/port (\d+)/.exec(err)![1]);
  child.stdout!.destroy(); // the reader goes away: the child's writes now fail with EPIPE
  let answered = 0;
  for (let i = 0; i < 20; i++) {
    const result = await raw(port, Array.from({ length: 10 }, () => get('/')).join(''), { responses: 10 });
    answered += responsesOf(result).length;
    await sleep(5); // a turn of the child's event loop writes (and fails) each batch
  }
  t.equal(answered, 200);
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.send('close');
  t.equal(await exited, 0, err);
});
