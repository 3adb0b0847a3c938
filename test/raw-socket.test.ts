// The edge loop on the socket's libuv handle (lib/raw-socket.ts): it is really in use here,
// one read buffer shared by every socket never leaks one connection's bytes into another,
// writes that libuv cannot finish at once still arrive whole, and without the binding the
// loop falls back to the stream API. (Every engine suite also runs on 'edge-stream'.)
import t from 'tap';
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { rawSocketSupported } from '../lib/raw-socket.js';
import { connect, raw, responsesOf } from './helpers/raw-client.js';
import { sleep, startServer, type ServerKind } from './helpers/server-kinds.js';
import { ROOT, ensureBuilt } from './helpers/wafer-process.js';

const EDGE: ServerKind = { loop: 'edge', parser: 'wafer', rawSocket: true, name: 'edge/wafer' };

t.test('Node 20 lets the edge loop drive the handle, and it does', async (t) => {
  t.ok(rawSocketSupported, 'process.binding("stream_wrap") with streamBaseState and WriteWrap');
  let hooked: unknown;
  const server = await startServer(t, EDGE, (req, res) => {
    hooked = (req as unknown as { source: { handle: unknown } }).source.handle;
    res.end('ok');
  });
  const r = await raw(server.port, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n', { responses: 1 });
  t.equal(responsesOf(r)[0]?.body, 'ok');
  t.ok(hooked !== null && typeof hooked === 'object', 'the connection writes through the handle');
});

t.test('bytes held by a paused connection survive other sockets reading into the shared buffer', async (t) => {
  // maxPipeline 2: A's arrival of 12 requests is parsed two at a time, the rest held while
  // the handlers wait. Meanwhile B's requests are read into the same buffer.
  const waiting: (() => void)[] = [];
  const server = await startServer(t, EDGE, (req, res) => {
    if (req.path.startsWith('/b')) return res.end(req.path);
    waiting.push(() => res.end(req.path));
  }, { maxPipeline: 2 });
  const aPaths = Array.from({ length: 12 }, (_, i) => `/a${String(i).padStart(2, '0')}`);
  // 12 × ~250 bytes: more than one 1 KiB head slice, so the rest of the arrival is held.
  const a = raw(server.port, aPaths.map((p) => `GET ${p} HTTP/1.1\r\nHost: x\r\nX-Pad: ${"p".repeat(200)}\r\n\r\n`).join(""), { responses: 12, timeoutMs: 5000 });
  await sleep(50);
  const b = await connect(server.port);
  const bBodies: string[] = [];
  b.on('data', (c: Buffer) => bBodies.push(c.toString('latin1')));
  for (let i = 0; i < 8; i++) {
    b.write(`GET /bxx HTTP/1.1\r\nHost: yyyyyyyyy\r\nX-Filler: ${'z'.repeat(4000)}\r\n\r\n`);
    await sleep(5);
    // release A's requests one by one, between B's reads
    const next = waiting.shift();
    if (next !== undefined) next();
  }
  let finished = false;
  void a.then(() => (finished = true));
  while (!finished) {
    const next = waiting.shift();
    if (next !== undefined) next();
    await sleep(5);
  }
  const bodies = responsesOf(await a).map((x) => x.body);
  t.same(bodies, aPaths, "A's requests, in order, none taken from B's bytes");
  b.destroy();
  t.match(bBodies.join(''), /\/bxx/, 'B was answered meanwhile');
});

t.test('a large answer that libuv writes asynchronously arrives whole to a slow reader', async (t) => {
  const big = Buffer.alloc(6 * 1024 * 1024);
  for (let i = 0; i < big.length; i++) big[i] = (i * 7 + (i >> 11)) & 0xff;
  const want = createHash('sha256').update(big).digest('hex');
  const server = await startServer(t, EDGE, (req, res) => {
    res.setHeader('Content-Type', 'application/octet-stream');
    // A fresh copy each time: wafer must keep it alive until libuv has written it.
    res.end(Buffer.from(big));
  });
  const socket = await connect(server.port);
  socket.pause(); // let the kernel buffers fill: the write must go asynchronous
  socket.write('GET /big HTTP/1.1\r\nHost: x\r\n\r\nGET /big HTTP/1.1\r\nHost: x\r\n\r\n');
  await sleep(200);
  const chunks: Buffer[] = [];
  let total = 0;
  await new Promise<void>((resolve) => {
    socket.on('data', (c: Buffer) => {
      chunks.push(c);
      total += c.length;
      if (total >= 2 * big.length) resolve();
    });
    socket.resume();
  });
  socket.destroy();
  const all = Buffer.concat(chunks);
  const bodies: string[] = [];
  let at = 0;
  for (let i = 0; i < 2; i++) {
    const headEnd = all.indexOf('\r\n\r\n', at) + 4;
    const length = Number(/content-length: (\d+)/i.exec(all.subarray(at, headEnd).toString('latin1'))?.[1]);
    bodies.push(createHash('sha256').update(all.subarray(headEnd, headEnd + length)).digest('hex'));
    at = headEnd + length;
  }
  t.same(bodies, [want, want], 'both 6 MiB bodies intact, in order');
});

t.test('without the binding the edge loop runs on the stream API', async (t) => {
  await ensureBuilt();
  const probe = (env: Record<string, string>) => spawnSync(process.execPath, ['--input-type=module', '-e', `
    import { listen } from ${JSON.stringify(join(ROOT, 'dist/lib/index.js'))};
    import { rawSocketSupported } from ${JSON.stringify(join(ROOT, 'dist/lib/raw-socket.js'))};
    const s = await listen((req, res) => res.end(String(req.source.handle !== null)), { port: 0, host: '127.0.0.1' });
    const r = await fetch('http://127.0.0.1:' + s.port + '/');
    console.log(rawSocketSupported, await r.text());
    await s.close();
  `], { env: { ...process.env, ...env }, encoding: 'utf8', timeout: 20_000 });
  t.equal(probe({}).stdout.trim(), 'true true', 'by default: supported and used');
  const off = probe({ WAFER_NO_RAW_SOCKET: '1' });
  t.equal(off.stdout.trim(), 'false false', `WAFER_NO_RAW_SOCKET=1: not used (${off.stderr.trim()})`);
});
