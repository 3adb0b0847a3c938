// The edge loop on the socket's libuv handle (loop/raw-socket.ts): it is really in use here,
// one read buffer shared by every socket never leaks one connection's bytes into another,
// writes that libuv cannot finish at once still arrive whole, and without the binding the
// loop falls back to the stream API. (Every engine suite also runs on 'edge-stream'.)
import t, { type Test } from 'tap';
import type { Socket } from 'node:net';
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { rawSocketSupported } from '../loop/raw-socket.js';
import { connect, raw, responsesOf } from './helpers/raw-client.js';
import { sleep, startServer, type ServerKind } from './helpers/server-kinds.js';
import { ROOT, ensureBuilt } from './helpers/wafer-process.js';

const EDGE: ServerKind = { loop: 'edge', parser: 'wafer', rawSocket: true, name: 'edge/wafer' };

// Which path a connection took, on whichever Node runs the suite (CI runs it on every version
// `engines` names, scripts/node-versions.sh). The raw path relies on Node internals
// (process.binding('stream_wrap')), so this is the test that fails when a Node version silently
// drops wafer back to the stream API. Only WAFER_NO_RAW_SOCKET=1 asks for the stream path.
const RAW_OFF = process.env.WAFER_NO_RAW_SOCKET === '1';
const STREAM_KINDS: ServerKind[] = [
  { loop: 'edge', parser: 'wafer', rawSocket: false, name: 'edge-stream/wafer' },
  { loop: 'poll', parser: 'wafer', rawSocket: true, name: 'poll/wafer' },
];

/** What path the server side of one keep-alive connection took, seen from inside a handler. */
async function pathOf(t: Test, kind: ServerKind): Promise<{ path: 'raw handle' | 'stream API'; detail: string[] }> {
  const seen: { handle: unknown; socket: Socket }[] = [];
  const server = await startServer(t, kind, (req, res) => {
    const conn = (req as unknown as { source: { handle: unknown; socket: Socket } }).source;
    seen.push({ handle: conn.handle, socket: conn.socket });
    res.end('ok');
  });
  const client = await connect(server.port);
  // net's own read callback, as every socket not driven by wafer has it.
  const netOnread = (client as unknown as { _handle: { onread: unknown } })._handle.onread;
  const got: Buffer[] = [];
  client.on('data', (c: Buffer) => got.push(c));
  for (let i = 0; i < 2; i++) {
    client.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    while ((Buffer.concat(got).toString('latin1').match(/\r\n\r\nok/g) ?? []).length <= i) await sleep(2);
  }
  client.destroy();
  t.equal(seen.length, 2, 'both requests answered on one connection');
  const { handle, socket } = seen[0];
  const sockHandle = (socket as unknown as { _handle: { onread: unknown } | null })._handle;
  const detail = [
    `connection.handle is the socket's libuv handle: ${handle !== null && handle === sockHandle}`,
    `the handle's reads go to wafer, not net: ${sockHandle !== null && sockHandle.onread !== netOnread}`,
    `the socket's Readable side is not read ('data' / 'readable'): ${socket.listenerCount('data') + socket.listenerCount('readable') === 0}`,
  ];
  const raw = detail.every((d) => d.endsWith('true'));
  // Half of each is a contradiction (e.g. a handle without the hook): say so rather than pick.
  const stream = detail.every((d) => d.endsWith('false'));
  t.ok(raw || stream, `one path, not a mix: ${detail.join('; ')}`);
  return { path: raw ? 'raw handle' : 'stream API', detail };
}

// scripts/node-versions.sh looks for this title passing in each version's log.
t.test(`Node ${process.version}: a connection on the edge loop takes the ${RAW_OFF ? 'stream API path (WAFER_NO_RAW_SOCKET=1)' : 'raw-handle path'}`, async (t) => {
  if (RAW_OFF) {
    t.equal(rawSocketSupported, false, 'WAFER_NO_RAW_SOCKET=1: the raw path is switched off');
    t.equal((await pathOf(t, EDGE)).path, 'stream API', 'WAFER_NO_RAW_SOCKET=1: the edge loop uses the stream API');
    return;
  }
  t.ok(rawSocketSupported, `Node ${process.version} has process.binding('stream_wrap') with streamBaseState and WriteWrap`);
  const { path } = await pathOf(t, EDGE);
  t.comment(`Node ${process.version}: edge/wafer connection took the ${path} path`);
  t.equal(path, 'raw handle', `Node ${process.version}: the edge loop drives the socket's libuv handle`);
});

for (const kind of STREAM_KINDS) {
  t.test(`Node ${process.version}: a connection on ${kind.name} takes the stream API path`, async (t) => {
    t.equal((await pathOf(t, kind)).path, 'stream API');
  });
}

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

/** Bytes that differ at every offset and between seeds. */
function pattern(n: number, seed: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  let x = seed * 2654435761 >>> 0;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    b[i] = x >>> 24;
  }
  return b;
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** Send `wire` in pieces of pseudo-random sizes (1 B – 80 KiB) with short pauses between some. */
async function trickle(socket: import('node:net').Socket, wire: Buffer, seed: number): Promise<void> {
  let x = seed;
  for (let at = 0; at < wire.length;) {
    x = (x * 1103515245 + 12345) >>> 0;
    const n = x % 7 === 0 ? 1 + (x % 97) : 1 + (x % (80 * 1024));
    socket.write(wire.subarray(at, at + n));
    at += n;
    if (x % 3 === 0) await sleep(1);
  }
}

t.test('bodies of declared length are read straight into their Buffer, and arrive intact', async (t) => {
  // Connection.readTarget(): on the raw handle the rest of a Content-Length body (16 KiB or
  // more to come) is read by the kernel into the body's own Buffer. Bodies either side of that
  // bound, pipelined back to back with the next head in the same packet, sent in pieces of every
  // size, from two clients at once, must arrive byte for byte; and the path must really be taken.
  const { Connection } = await import('../lib/core/connection.js');
  const proto = Connection.prototype as unknown as { readTarget(): Buffer | null };
  const own = proto.readTarget;
  let direct = 0;
  proto.readTarget = function (this: unknown) {
    const b = own.call(this);
    if (b !== null) direct++;
    return b;
  };
  t.teardown(() => {
    proto.readTarget = own;
  });
  const server = await startServer(t, EDGE, (req, res) => {
    res.end(`${req.path} ${req.body.length} ${sha(req.body)}`);
  }, { maxBodySize: 8 * 1024 * 1024 });
  const sizes = [16 * 1024 - 1, 16 * 1024, 16 * 1024 + 1, 100_000, 1024 * 1024 + 3, 0, 70_000];
  const run = async (client: number) => {
    const bodies = sizes.map((n, i) => pattern(n, client * 100 + i));
    const wire = Buffer.concat(bodies.flatMap((b, i) => [Buffer.from(`POST /c${client}/${i} HTTP/1.1\r\nHost: x\r\nContent-Length: ${b.length}\r\n\r\n`), b]));
    const socket = await connect(server.port);
    const got: Buffer[] = [];
    const answers = new Promise<string>((resolve) => {
      // (Wrong bodies never give the last hash: give up after 10 s with what came.)
      const timer = setTimeout(() => resolve(Buffer.concat(got).toString('latin1')), 10_000);
      socket.on('close', () => {
        clearTimeout(timer);
        resolve(Buffer.concat(got).toString('latin1'));
      });
      socket.on('data', (c: Buffer) => {
        got.push(c);
        const text = Buffer.concat(got).toString('latin1');
        if ((text.match(/HTTP\/1\.1 200/g) ?? []).length === sizes.length && text.endsWith(` ${sha(bodies[bodies.length - 1])}`)) {
          clearTimeout(timer);
          resolve(text);
        }
      });
    });
    await trickle(socket, wire, 7 + client);
    const text = await answers;
    socket.destroy();
    const want = bodies.map((b, i) => `/c${client}/${i} ${b.length} ${sha(b)}`);
    return { got: responsesOf({ text } as Parameters<typeof responsesOf>[0]).map((r) => r.body), want };
  };
  const [a, b] = await Promise.all([run(1), run(2)]);
  t.same(a.got, a.want, 'client 1: every body intact, in order');
  t.same(b.got, b.want, 'client 2: every body intact, in order');
  if (RAW_OFF) t.equal(direct, 0, 'WAFER_NO_RAW_SOCKET=1: no handle to read in place with');
  else t.ok(direct >= 4, `the rest of a body was read in place ${direct} times`);
});

t.test('a body cut short by the client leaves the server serving', async (t) => {
  const server = await startServer(t, EDGE, (req, res) => res.end(String(req.body.length)));
  const socket = await connect(server.port);
  socket.write(`POST / HTTP/1.1\r\nHost: x\r\nContent-Length: ${1024 * 1024}\r\n\r\n`);
  socket.write(pattern(200_000, 3));
  await sleep(30);
  socket.destroy();
  await sleep(30);
  const body = pattern(300_000, 4);
  const r = await raw(server.port, [Buffer.from(`POST / HTTP/1.1\r\nHost: x\r\nContent-Length: ${body.length}\r\n\r\n`), body], { responses: 1 });
  t.equal(responsesOf(r)[0]?.body, '300000');
});

t.test('without the binding the edge loop runs on the stream API', async (t) => {
  await ensureBuilt();
  const probe = (env: Record<string, string>) => spawnSync(process.execPath, ['--input-type=module', '-e', `
    import { listen } from ${JSON.stringify(join(ROOT, 'dist/lib/index.js'))};
    import { rawSocketSupported } from ${JSON.stringify(join(ROOT, 'dist/loop/raw-socket.js'))};
    const s = await listen((req, res) => res.end(String(req.source.handle !== null)), { port: 0, host: '127.0.0.1' });
    const r = await fetch('http://127.0.0.1:' + s.port + '/');
    console.log(rawSocketSupported, await r.text());
    await s.close();
  `], { env: { ...process.env, WAFER_NO_RAW_SOCKET: '', ...env }, encoding: 'utf8', timeout: 20_000 });
  t.equal(probe({}).stdout.trim(), 'true true', 'by default: supported and used');
  const off = probe({ WAFER_NO_RAW_SOCKET: '1' });
  t.equal(off.stdout.trim(), 'false false', `WAFER_NO_RAW_SOCKET=1: not used (${off.stderr.trim()})`);
});
