// Pipelining, ordering and framing across packet boundaries.
import t from 'tap';
import { forEachServerKind, sleep, startServer, PARSERS } from './helpers/server-kinds.js';
import { raw, responsesOf } from './helpers/raw-client.js';
import type { WaferRequest, WaferResponse } from '../lib/core/types.js';

const REQ = 'POST /p?x=1 HTTP/1.1\r\nHost: example\r\nContent-Length: 5\r\n\r\nhello';
const echoBody = (req: WaferRequest, res: WaferResponse) => res.end(`${req.path}:${req.body.toString()}`);

forEachServerKind(t, 'answers pipelined requests in order, in one write per arrival', async (t, kind) => {
  const server = await startServer(t, kind, echoBody);
  const many = Array.from({ length: 16 }, (_, i) => `GET /${i} HTTP/1.1\r\nHost: x\r\n\r\n`).join('');
  const r = await raw(server.port, many, { responses: 16 });
  t.same(responsesOf(r).map((x) => x.body), Array.from({ length: 16 }, (_, i) => `/${i}:`));
});

forEachServerKind(t, 'identical pipelined requests each get their own request, headers and answer', async (t, kind) => {
  // Repeated heads are not parsed again (parser/machine.ts onRepeatHead): every request must
  // still carry its own rawHeaders and headers, whatever a handler did to an earlier one's,
  // and a head that differs in one byte, or breaks the rules, is read as itself.
  const server = await startServer(t, kind, (req, res) => {
    const seen = `${req.method} ${req.url} ${JSON.stringify(req.rawHeaders)} ${req.headers['x-n']}`;
    req.rawHeaders.push('X-Handler', 'was here');
    req.rawHeaders[1] = 'mutated';
    (req.headers as Record<string, string>)['x-n'] = 'mutated';
    res.end(seen);
  });
  const same = 'GET /same?q=1 HTTP/1.1\r\nHost: h\r\nX-N: 1\r\n\r\n';
  const other = 'GET /same?q=2 HTTP/1.1\r\nHost: h\r\nX-N: 1\r\n\r\n';
  const r = await raw(server.port, same.repeat(8) + other + same.repeat(3), { responses: 12 });
  const expect = (q: string) => `GET /same?q=${q} ["Host","h","X-N","1"] 1`;
  t.same(responsesOf(r).map((x) => x.body), [...Array(8).fill(expect('1')), expect('2'), ...Array(3).fill(expect('1'))]);
  const bad = 'GET /same?q=1 HTTP/1.1\r\nHost: h\r\nX-N: 1\r\n\n';
  const b = await raw(server.port, same + same + bad + same, { responses: 3 });
  const answers = responsesOf(b);
  t.same(answers.map((x) => x.status), [200, 200, 400], 'a broken copy of the head is refused');
  t.match(answers[2].headers.connection, /^close$/i, 'and the connection closes');
});

forEachServerKind(t, 'keeps request order when async handlers finish out of order', async (t, kind) => {
  const server = await startServer(t, kind, async (req, res) => {
    const delay = Number(req.path.slice(1));
    await sleep(delay);
    if (delay === 30) {
      // a streamed response that is held while an earlier one is still running
      res.write('s1-');
      res.end('s2');
      return;
    }
    res.end(req.path);
  });
  const order = [60, 5, 30, 0, 15];
  const r = await raw(server.port, order.map((d) => `GET /${d} HTTP/1.1\r\nHost: x\r\n\r\n`).join(''), { responses: 5 });
  t.same(responsesOf(r).map((x) => x.body), ['/60', '/5', 's1-s2', '/0', '/15']);
});

forEachServerKind(t, 'parses a request split at every byte boundary', async (t, kind) => {
  const server = await startServer(t, kind, echoBody);
  // Both halves on one connection, twice in a row, for every split point.
  let wrong = '';
  for (let i = 1; i < REQ.length && wrong === ''; i++) {
    const r = await raw(server.port, [REQ.slice(0, i), REQ.slice(i) + REQ], { gapMs: 2, responses: 2 });
    const bodies = responsesOf(r).map((x) => x.body);
    if (bodies.length !== 2 || bodies[0] !== '/p:hello' || bodies[1] !== '/p:hello') wrong = `split at ${i}: ${JSON.stringify(r.text)}`;
  }
  t.equal(wrong, '', `both requests answered with their body at each of the ${REQ.length - 1} split points`);
}, PARSERS);

forEachServerKind(t, 'parses a slow trickle, one byte at a time, with a chunked body', async (t, kind) => {
  const server = await startServer(t, kind, echoBody);
  const req = 'POST /t HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;ext=1\r\nde\r\n0\r\n\r\n';
  const r = await raw(server.port, req.split(''), { gapMs: 1, responses: 1, timeoutMs: 5000 });
  t.equal(responsesOf(r)[0]?.body, '/t:abcde');
}, PARSERS);

forEachServerKind(t, 'stops reading at maxPipeline requests in flight and resumes as they finish', async (t, kind) => {
  const held: (() => void)[] = [];
  const server = await startServer(t, kind, (req, res) => {
    held.push(() => res.end(req.path));
  }, { maxPipeline: 4 });
  // Separate writes with gaps so each request is its own read.
  const pieces = Array.from({ length: 12 }, (_, i) => `GET /${i} HTTP/1.1\r\nHost: x\r\n\r\n`);
  const pending = raw(server.port, pieces, { gapMs: 5, responses: 12, timeoutMs: 5000 });
  await sleep(150);
  t.equal(held.length, 4, 'only maxPipeline requests reached the handler');
  // As each held request is answered, one more is read.
  const releaser = setInterval(() => {
    for (const f of held.splice(0, held.length)) f();
  }, 10);
  const r = await pending;
  clearInterval(releaser);
  t.same(responsesOf(r).map((x) => x.body), Array.from({ length: 12 }, (_, i) => `/${i}`));
});

forEachServerKind(t, 'a 1.1 request with Connection: close in the middle of a pipeline ends it', async (t, kind) => {
  const server = await startServer(t, kind, echoBody);
  const r = await raw(server.port, 'GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\nGET /c HTTP/1.1\r\nHost: x\r\n\r\n');
  t.ok(r.closed);
  t.same(responsesOf(r).map((x) => x.body), ['/a:', '/b:']);
});

forEachServerKind(t, 'an Upgrade request is answered as plain HTTP, then the connection closes (RFC 9110 §7.8)', async (t, kind) => {
  const server = await startServer(t, kind, echoBody);
  const r = await raw(server.port, 'GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\nNOT HTTP AT ALL');
  const rs = responsesOf(r);
  t.same(rs.map((x) => x.body), ['/ws:']);
  t.equal(rs[0].headers.connection, 'close');
  t.ok(r.closed);
}, PARSERS);

forEachServerKind(t, 'streamBody: answering before reading the body drops the rest and keeps the connection', async (t, kind) => {
  const server = await startServer(t, kind, (req, res) => res.end(req.path), { streamBody: true, highWaterMark: 16 * 1024 });
  const big = 'x'.repeat(300 * 1024);
  const r = await raw(server.port, [`POST /up HTTP/1.1\r\nHost: x\r\nContent-Length: ${big.length}\r\n\r\n`, big, 'GET /next HTTP/1.1\r\nHost: x\r\n\r\n'], { responses: 2, timeoutMs: 5000 });
  t.same(responsesOf(r).map((x) => x.body), ['/up', '/next']);
  t.notOk(r.closed);
});

forEachServerKind(t, 'a single arrival of 200 pipelined requests admits about maxPipeline at a time, not all 200', async (t, kind) => {
  const held: (() => void)[] = [];
  let peak = 0;
  const server = await startServer(t, kind, (req, res) => {
    held.push(() => res.end(req.path));
    peak = Math.max(peak, held.length);
  }, { maxPipeline: 4 });
  const burst = Array.from({ length: 200 }, (_, i) => `GET /${i} HTTP/1.1\r\nHost: x\r\n\r\n`).join('');
  const pending = raw(server.port, burst, { responses: 200, timeoutMs: 8000 });
  await sleep(100);
  // Heads are parsed in 1 KiB slices: the overshoot is at most one slice's worth of requests.
  t.ok(held.length >= 4 && held.length < 4 + 40, `${held.length} requests reached the handler`);
  const releaser = setInterval(() => {
    for (const f of held.splice(0, held.length)) f();
  }, 5);
  const r = await pending;
  clearInterval(releaser);
  t.same(responsesOf(r).map((x) => x.body), Array.from({ length: 200 }, (_, i) => `/${i}`));
  t.ok(peak < 4 + 40, `never more than ${peak} in flight`);
});
