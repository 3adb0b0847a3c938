// listen(handler, { path }): HTTP over a Unix domain socket on every server kind, through
// http.request({ socketPath }) and raw bytes on net.connect(path). A socket file left by a dead
// server is replaced; a live one (or a file that is not a socket) is an error that leaves it
// alone; close() removes the file.
import t, { type Test } from 'tap';
import http from 'node:http';
import net from 'node:net';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listen } from '../lib/index.js';
import type { Handler, WaferServer } from '../lib/core/types.js';
import { forEachServerKind, type ServerKind } from './helpers/server-kinds.js';
import { splitResponses } from './helpers/raw-client.js';

const dir = mkdtempSync(join(tmpdir(), 'wafer-unix-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
let seq = 0;
const sockPath = (): string => join(dir, `s${++seq}.sock`);

/** Requests whose connection ran on the raw libuv handle (loop/raw-socket.ts). */
let rawHandled = 0;

const echo: Handler = (req, res) => {
  if ((req as unknown as { source: { handle: unknown } }).source.handle !== null) rawHandled++;
  res.end(`${req.method} ${req.url} ${req.body.toString()}`);
};

async function startOn(t: Test, kind: ServerKind, path: string): Promise<WaferServer> {
  const server = await listen(echo, { path, loop: kind.loop, parser: kind.parser, rawSocket: kind.rawSocket, onError: () => {} });
  t.teardown(() => server.close());
  return server;
}

function get(socketPath: string, path: string, agent: http.Agent | false, body?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath, path, agent, method: body === undefined ? 'GET' : 'POST' }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Raw bytes in one write on the socket file; read until `n` responses or the close. */
function rawUnix(path: string, bytes: string, n: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ path });
    let text = '';
    const done = (): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(text);
    };
    const timer = setTimeout(done, 3000);
    socket.on('data', (d: Buffer) => {
      text += d.toString('latin1');
      if (splitResponses(text).complete >= n) done();
    });
    socket.on('close', done);
    socket.once('error', reject);
    socket.write(bytes);
  });
}

forEachServerKind(t, 'requests over a Unix socket: http.request and raw pipelined bytes; close() removes the file', async (t, kind) => {
  const path = sockPath();
  const server = await startOn(t, kind, path);
  rawHandled = 0;
  t.equal(server.path, path);
  t.equal(server.port, 0, 'no TCP port');
  t.equal(server.host, '');
  t.ok(statSync(path).isSocket(), 'the socket file exists');
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  t.teardown(() => agent.destroy());
  t.same(await get(path, '/a?b=1', agent), { status: 200, body: 'GET /a?b=1 ' });
  t.same(await get(path, '/post', agent, 'over unix'), { status: 200, body: 'POST /post over unix' });
  t.equal(server.stats().accepted, 1, 'keep-alive: both requests on one connection');
  // A pipe's handle is a libuv stream like a TCP one: the edge loop drives it directly.
  t.equal(rawHandled, kind.loop === 'edge' && kind.rawSocket ? 2 : 0, 'raw-handle path as on TCP');
  const text = await rawUnix(path, 'GET /1 HTTP/1.1\r\nHost: x\r\n\r\nGET /2 HTTP/1.1\r\nHost: x\r\n\r\nPOST /3 HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi', 3);
  t.same(splitResponses(text).responses.map((r) => r.body), ['GET /1 ', 'GET /2 ', 'POST /3 hi']);
  await server.close();
  t.notOk(existsSync(path), 'the socket file is gone after close()');
});

t.test('a stale socket file (its server was killed) is replaced', async (t) => {
  const path = sockPath();
  // A child listens on the path and is killed with SIGKILL: nothing unlinks the file.
  const child = spawn(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(path)}, () => console.log('up'))`], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise((r) => child.stdout!.once('data', r));
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exited;
  t.ok(statSync(path).isSocket(), 'the dead server left its socket file');
  const server = await listen(echo, { path });
  t.teardown(() => server.close());
  t.same(await get(path, '/fresh', false), { status: 200, body: 'GET /fresh ' });
});

t.test('a live socket is an error (EADDRINUSE) and is left working', async (t) => {
  const path = sockPath();
  // (wafer's probe connects and hangs up at once: a reset on the other side.)
  const other = net.createServer((s) => s.on('error', () => {}).end('other server\n'));
  await new Promise<void>((r) => other.listen(path, r));
  t.teardown(() => new Promise((r) => other.close(r)));
  await t.rejects(listen(echo, { path }), { code: 'EADDRINUSE', message: `wafer: cannot listen on ${path}: another server is listening on this socket` });
  const answer = await new Promise<string>((resolve) => {
    const c = net.connect({ path });
    let text = '';
    c.on('data', (d: Buffer) => (text += d.toString()));
    c.on('error', () => {});
    c.on('close', () => resolve(text));
  });
  t.equal(answer, 'other server\n', 'the other server still owns the socket');
});

t.test('a file that is not a socket is never replaced', async (t) => {
  const path = join(dir, 'regular.sock');
  writeFileSync(path, 'keep me');
  await t.rejects(listen(echo, { path }), { code: 'EADDRINUSE', message: /the file exists and is not a socket/ });
  t.equal(readFileSync(path, 'utf8'), 'keep me');
});

t.test('path excludes port and host; it must be a non-empty string', async (t) => {
  await t.rejects(listen(echo, { path: sockPath(), port: 0 }), TypeError);
  await t.rejects(listen(echo, { path: sockPath(), host: '127.0.0.1' }), TypeError);
  await t.rejects(listen(echo, { path: '' }), TypeError);
});
