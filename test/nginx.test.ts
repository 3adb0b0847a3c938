// wafer behind a real nginx (Debian's nginx-light, installed by .ci/run; skipped with the reason
// where nginx is missing, failed instead under WAFER_REQUIRE_TOOLS=1): GET, POST, chunked
// uploads with and without request buffering, upstream keep-alive, and a restart of wafer
// processes one at a time with zero 502s. The config is the one docs/deployment.md shows.
import t from 'tap';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { connect, createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listen } from '../lib/index.js';
import type { WaferRequest, WaferResponse } from '../lib/core/types.js';
import { appDir, ensureBuilt, listeningPort, reap, runWafer, type WaferProcess } from './helpers/wafer-process.js';
import { NGINX } from './helpers/tools.js';

/** The deployment config from docs/deployment.md, with every path inside `dir`. */
function nginxConfig(dir: string, port: number, upstreams: (number | string)[], unixSockets: Record<string, string> = {}): string {
  return `daemon off;
master_process off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 1024; }
http {
  access_log ${dir}/access.log;
  client_body_temp_path ${dir}/client_body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;

  upstream wafer {
${upstreams.map((p) => `    server ${typeof p === 'number' ? `127.0.0.1:${p}` : `unix:${p}`} max_fails=1 fail_timeout=2s;`).join('\n')}
    keepalive 16;              # idle upstream connections kept per nginx worker
  }

  server {
    listen 127.0.0.1:${port};
    client_max_body_size 10m;

    location / {
      proxy_pass http://wafer;
      proxy_http_version 1.1;          # keep-alive to wafer needs HTTP/1.1 ...
      proxy_set_header Connection "";  # ... and no "Connection: close" passed on
      proxy_set_header Host $host;
      proxy_next_upstream error timeout;   # a refused or closed connection: try the other wafer
    }

    location /stream/ {
      proxy_pass http://wafer;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_request_buffering off;     # pass chunked uploads through as they arrive
    }
${Object.entries(unixSockets).map(([name, path]) => `
    location /${name}/ {
      proxy_pass http://unix:${path}:/;  # wafer on a Unix socket (listen({ path }))
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
    }`).join('\n')}
  }
}
`;
}

/** `n` distinct free ports: all held open until every one is known, then released. */
async function freePorts(n: number): Promise<number[]> {
  const servers = Array.from({ length: n }, () => createServer());
  for (const s of servers) await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const ports = servers.map((s) => (s.address() as AddressInfo).port);
  for (const s of servers) await new Promise((r) => s.close(r));
  return ports;
}

/** Resolves '' once something accepts on `port`, or why not: `stop()` said so, or `ms` passed. */
async function waitForPort(port: number, ms: number, stop: () => string = () => ''): Promise<string> {
  const deadline = Date.now() + ms;
  for (;;) {
    const ok = await new Promise<boolean>((r) => {
      const c = connect(port, '127.0.0.1', () => { c.destroy(); r(true); });
      c.on('error', () => r(false));
    });
    if (ok) return '';
    const why = stop();
    if (why !== '') return why;
    if (Date.now() > deadline) return `nothing listening on 127.0.0.1:${port} after ${ms} ms`;
    await new Promise((r) => setTimeout(r, 50));
  }
}

interface Nginx { port: number; dir: string; proc: ChildProcess; stop(): Promise<void> }

/**
 * Start nginx on a free port. The port is probed and released before nginx binds it, so another
 * program can take it in between: then nginx exits with EADDRINUSE and we try another port.
 */
async function startNginx(bin: string, upstreams: (number | string)[], unixSockets: Record<string, string> = {}): Promise<Nginx> {
  let failure = '';
  for (let attempt = 1; attempt <= 3; attempt++) {
    const dir = mkdtempSync(join(tmpdir(), 'wafer-nginx-'));
    const [port] = await freePorts(1) as [number];
    writeFileSync(join(dir, 'nginx.conf'), nginxConfig(dir, port, upstreams, unixSockets));
    // -e: the error log before the config is read (else /var/log/nginx); -p: the prefix.
    const proc = spawn(bin, ['-p', dir, '-e', join(dir, 'error.log'), '-c', join(dir, 'nginx.conf')], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    proc.stderr!.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    const up = await waitForPort(port, 15_000, () =>
      proc.exitCode !== null || proc.signalCode !== null ? `nginx exited (${proc.exitCode ?? proc.signalCode})` : '');
    if (up === '') return nginxHandle(port, dir, proc);
    proc.kill('SIGKILL');
    const log = existsSync(join(dir, 'error.log')) ? readFileSync(join(dir, 'error.log'), 'utf8') : '';
    rmSync(dir, { recursive: true, force: true });
    failure = `${up}\n${stderr}\n${log}`;
    if (!/Address already in use/.test(failure)) break;
  }
  throw new Error(`nginx did not start: ${failure}`);
}

function nginxHandle(port: number, dir: string, proc: ChildProcess): Nginx {
  return {
    port, dir, proc,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) {
        const exited = new Promise((r) => proc.once('exit', r));
        proc.kill('SIGQUIT'); // graceful shutdown
        const timer = setTimeout(() => proc.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

interface Reply { status: number; body: string; headers: Record<string, string | string[] | undefined> }

function send(port: number, path: string, opts: { method?: string; agent?: Agent; chunks?: Buffer[]; body?: string } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: opts.method ?? 'GET', agent: opts.agent ?? false, timeout: 10_000 }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (d: Buffer) => parts.push(d));
      res.on('end', () => resolve({ status: res.statusCode!, body: Buffer.concat(parts).toString(), headers: res.headers }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('request timed out')));
    req.on('error', reject);
    if (opts.chunks) {
      // No Content-Length and several writes: node sends Transfer-Encoding: chunked.
      for (const c of opts.chunks) req.write(c);
      req.end();
    } else {
      req.end(opts.body);
    }
  });
}

/** Echo what wafer saw, so each test can check what nginx passed on. */
function echo(req: WaferRequest, res: WaferResponse): void {
  res.json({
    method: req.method,
    url: req.url,
    length: req.body.length,
    sha1: createHash('sha1').update(req.body).digest('hex'),
    te: req.headers['transfer-encoding'] ?? null,
    cl: req.headers['content-length'] ?? null,
    connection: req.headers.connection ?? null,
  });
}

t.test('through nginx with upstream keep-alive', { skip: NGINX.skip }, async (t) => {
  const nginxBin = NGINX.need(t);
  if (nginxBin === undefined) return;
  const wafer = await listen(echo, { port: 0, host: '127.0.0.1' });
  let nginx: Nginx | undefined;
  // Registered before nginx starts, so a failed start still closes wafer (and the test ends).
  t.teardown(async () => { await nginx?.stop(); await wafer.close(); });
  nginx = await startNginx(nginxBin, [wafer.port]);
  const proxy = nginx;

  t.test('GET reaches wafer over HTTP/1.1 without Connection: close', async (t) => {
    const r = await send(proxy.port, '/hello?x=1');
    t.equal(r.status, 200);
    const seen = JSON.parse(r.body);
    t.equal(seen.method, 'GET');
    t.equal(seen.url, '/hello?x=1');
    t.equal(seen.connection, null, 'proxy_set_header Connection "" leaves it out');
  });

  t.test('POST with a Content-Length body', async (t) => {
    const body = 'name=wafer&size=small';
    const r = await send(proxy.port, '/form', { method: 'POST', body });
    const seen = JSON.parse(r.body);
    t.equal(r.status, 200);
    t.equal(seen.method, 'POST');
    t.equal(seen.length, body.length);
    t.equal(seen.sha1, createHash('sha1').update(body).digest('hex'));
  });

  const chunks = Array.from({ length: 12 }, () => randomBytes(16 * 1024));
  const digest = createHash('sha1').update(Buffer.concat(chunks)).digest('hex');

  t.test('a chunked upload, buffered by nginx (the default), arrives with a Content-Length', async (t) => {
    const r = await send(proxy.port, '/upload', { method: 'POST', chunks });
    const seen = JSON.parse(r.body);
    t.equal(r.status, 200);
    t.equal(seen.length, 12 * 16 * 1024);
    t.equal(seen.sha1, digest);
    t.equal(seen.cl, String(12 * 16 * 1024));
    t.equal(seen.te, null);
  });

  t.test('a chunked upload with proxy_request_buffering off arrives chunked', async (t) => {
    const r = await send(proxy.port, '/stream/upload', { method: 'POST', chunks });
    const seen = JSON.parse(r.body);
    t.equal(r.status, 200);
    t.equal(seen.length, 12 * 16 * 1024);
    t.equal(seen.sha1, digest);
    t.equal(seen.te, 'chunked');
  });

  t.test('400 requests reuse a handful of upstream connections', async (t) => {
    const before = wafer.stats();
    const agent = new Agent({ keepAlive: true, maxSockets: 8 });
    const batch = async (): Promise<void> => {
      for (let i = 0; i < 50; i++) t.equal((await send(proxy.port, `/ka/${i}`, { agent })).status, 200);
    };
    await Promise.all(Array.from({ length: 8 }, batch));
    agent.destroy();
    const after = wafer.stats();
    const requests = after.requests - before.requests;
    const accepted = after.accepted - before.accepted;
    t.equal(requests, 400);
    t.ok(accepted <= 16, `upstream connections opened: ${accepted} for ${requests} requests (keepalive 16)`);
  });
});

t.test('restarting wafer one process at a time behind nginx: no 502', { skip: NGINX.skip }, async (t) => {
  const nginxBin = NGINX.need(t);
  if (nginxBin === undefined) return;
  await ensureBuilt();
  const dir = appDir({
    // A little latency so requests are in flight when a process is told to stop.
    'pid.js': 'export default async (req, res) => { await new Promise((r) => setTimeout(r, 5)); res.end(String(process.pid)); };\n',
  });
  // First start on PORT=0 (no window for another program to take a probed port); a
  // restarted process takes the port its predecessor just released.
  const ports = [0, 0];
  const procs: (WaferProcess | undefined)[] = [];
  let nginx: Nginx | undefined;
  // Registered first, so a failure anywhere below still stops every process it started.
  t.teardown(async () => {
    for (const p of procs) reap(p);
    await nginx?.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  const start = async (i: number): Promise<number> => {
    const w = runWafer(['pid.js'], { HOST: '127.0.0.1', PORT: String(ports[i]) }, dir);
    procs[i] = w;
    ports[i] = await listeningPort(w, 30_000);
    return w.child.pid!;
  };
  const oldPids = [await start(0), await start(1)];
  nginx = await startNginx(nginxBin, ports);
  const proxy = nginx;

  // Four keep-alive clients send GETs through nginx until told to stop (bounded: 60 s).
  const statuses = new Map<number, number>();
  const pids = new Set<number>();
  let stop = false;
  let errors = 0;
  const agent = new Agent({ keepAlive: true, maxSockets: 4 });
  const client = async (): Promise<void> => {
    const deadline = Date.now() + 60_000;
    while (!stop && Date.now() < deadline) {
      try {
        const r = await send(proxy.port, '/', { agent });
        statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
        if (r.status === 200) pids.add(Number(r.body));
      } catch {
        errors++;
      }
    }
  };
  const load = Promise.all([client(), client(), client(), client()]);

  /** Wait until nginx has sent a request to `pid` (it is back in rotation). */
  const servedBy = async (pid: number): Promise<void> => {
    const deadline = Date.now() + 20_000;
    while (!pids.has(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  };

  const newPids: number[] = [];
  try {
    await servedBy(oldPids[0]!);
    await servedBy(oldPids[1]!);
    for (const i of [0, 1]) {
      const w = procs[i]!;
      w.child.kill('SIGTERM');
      t.equal(await w.exited(15_000), 0, `wafer ${i} closed gracefully`);
      newPids.push(await start(i));
      await servedBy(newPids[i]!);
    }
  } finally {
    stop = true;
    await load;
    agent.destroy();
  }

  const total = [...statuses.values()].reduce((a, b) => a + b, 0);
  t.ok(total >= 100, `requests during the restarts: ${total}`);
  t.same([...statuses.keys()], [200], `status counts: ${JSON.stringify(Object.fromEntries(statuses))}`);
  t.equal(errors, 0, 'no client-side errors');
  for (const pid of [...oldPids, ...newPids]) t.ok(pids.has(pid), `pid ${pid} answered`);
  for (const w of procs) {
    w!.child.kill('SIGTERM');
    t.equal(await w!.exited(15_000), 0);
  }
});

t.test('nginx proxy_pass http://unix:…: wafer on a Unix socket, both loops', { skip: NGINX.skip }, async (t) => {
  const nginxBin = NGINX.need(t);
  if (nginxBin === undefined) return;
  const sockDir = mkdtempSync(join(tmpdir(), 'wafer-nginx-unix-'));
  const servers = await Promise.all((['edge', 'poll'] as const).map((loop) => listen(echo, { path: join(sockDir, `${loop}.sock`), loop })));
  let nginx: Nginx | undefined;
  t.teardown(async () => {
    await nginx?.stop();
    for (const s of servers) await s.close();
    rmSync(sockDir, { recursive: true, force: true });
  });
  // The edge server is also the `upstream` block's one server (`server unix:…`).
  nginx = await startNginx(nginxBin, [servers[0]!.path!], { edge: servers[0]!.path!, poll: servers[1]!.path! });
  const agent = new Agent({ keepAlive: true, maxSockets: 2 });
  t.teardown(() => agent.destroy());
  for (const [i, loop] of (['edge', 'poll'] as const).entries()) {
    const r = await send(nginx.port, `/${loop}/hello?x=1`, { agent });
    t.equal(r.status, 200, `${loop}: 200`);
    t.equal(JSON.parse(r.body).url, '/hello?x=1', `${loop}: the location prefix replaced by proxy_pass's /`);
    const body = 'through a unix socket';
    const p = await send(nginx.port, `/${loop}/form`, { method: 'POST', body, agent });
    t.equal(JSON.parse(p.body).sha1, createHash('sha1').update(body).digest('hex'), `${loop}: POST body intact`);
    t.equal(servers[i]!.stats().requests, 2, `${loop}: both requests reached the wafer on the socket`);
  }
  const up = await send(nginx.port, '/via-upstream', { agent });
  t.equal(JSON.parse(up.body).url, '/via-upstream', 'upstream { server unix:… } works too');
  t.equal(servers[0]!.stats().requests, 3);
});

t.test('nginx proxy_pass http://unix:…: trustProxy: 1 gives req.ip as nginx reports it', { skip: NGINX.skip }, async (t) => {
  const nginxBin = NGINX.need(t);
  if (nginxBin === undefined) return;
  const sockDir = mkdtempSync(join(tmpdir(), 'wafer-nginx-ip-'));
  const whoami = (req: WaferRequest, res: WaferResponse): void => res.end(`${req.ip ?? '-'} ${req.remoteAddress ?? '-'}`);
  const servers = await Promise.all([
    listen(whoami, { path: join(sockDir, 'trusting.sock'), trustProxy: 1 }),
    listen(whoami, { path: join(sockDir, 'plain.sock') }),
  ]);
  let nginx: Nginx | undefined;
  t.teardown(async () => {
    await nginx?.stop();
    for (const s of servers) await s.close();
    rmSync(sockDir, { recursive: true, force: true });
  });
  nginx = await startNginx(nginxBin, [servers[0]!.path!], { trusting: servers[0]!.path!, plain: servers[1]!.path! });
  // The peer on a Unix socket has no address; nginx's X-Forwarded-For names its client.
  const trusted = await send(nginx.port, '/trusting/');
  t.equal(trusted.status, 200);
  t.equal(trusted.body, '127.0.0.1 -', 'trusted: the client nginx saw');
  t.equal((await send(nginx.port, '/plain/')).body, '- -', 'not trusted: no address');
});
