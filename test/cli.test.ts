// The `wafer` command: settings from the environment and flags, loading .js/.cjs/.ts apps,
// one-line errors with exit code 2, and a graceful close on SIGINT/SIGTERM.
import t from 'tap';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { parseSettings, SettingsError } from '../lib/cli/settings.js';
import { appDir, ensureBuilt, get, listeningPort, reap, runWafer, type WaferProcess } from './helpers/wafer-process.js';
import { OPENSSL } from './helpers/tools.js';

/** One GET over a Unix socket (socketPath) or over HTTPS trusting `ca`. */
function fetchText(opts: { socketPath?: string; port?: number; ca?: Buffer }, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const make = opts.ca !== undefined ? httpsRequest : httpRequest;
    const req = make({ host: '127.0.0.1', agent: false, path, ...opts }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => resolve(text));
    });
    req.on('error', reject);
    req.end();
  });
}

const pidApp = 'export default (req, res) => { res.end(`js ${req.method} ${req.url}`); };\n';

t.test('settings', async (t) => {
  t.test('defaults are WAFer\'s: port 4242, edge loop, 10000 connections, one process', async (t) => {
    const { settings } = parseSettings(['app.js'], {});
    t.same(settings, { file: 'app.js', port: 4242, host: '0.0.0.0', loop: 'edge', maxConns: 10000, parser: 'wafer', workers: 1, accessLog: false });
  });

  t.test('reads PORT, HOST, LOOP, MAX_CON_CONS, WORKERS, PARSER and ACCESS_LOG from the environment', async (t) => {
    const { settings } = parseSettings(['app.js'], { PORT: '8080', HOST: '127.0.0.1', LOOP: 'poll', MAX_CON_CONS: '500', WORKERS: '3', PARSER: 'llhttp', ACCESS_LOG: '1' });
    t.same(settings, { file: 'app.js', port: 8080, host: '127.0.0.1', loop: 'poll', maxConns: 500, parser: 'llhttp', workers: 3, accessLog: true });
    t.equal(parseSettings(['a'], { ACCESS_LOG: 'true' }).settings.accessLog, true);
    t.equal(parseSettings(['a'], { ACCESS_LOG: '0' }).settings.accessLog, false);
  });

  t.test('flags win over the environment, in both --flag value and --flag=value forms', async (t) => {
    const { settings } = parseSettings(['--port=81', '--loop', 'poll', '-w', '2', '--max-conns=7', '--host', '::1', 'app.js'], { PORT: '80', LOOP: 'edge', WORKERS: '5' });
    t.equal(settings.port, 81);
    t.equal(settings.loop, 'poll');
    t.equal(settings.workers, 2);
    t.equal(settings.maxConns, 7);
    t.equal(settings.host, '::1');
  });

  t.test('accepts WAFer\'s names: LOOP=epoll is edge, LOOP=select is poll, THREADS is WORKERS', async (t) => {
    t.equal(parseSettings(['a'], { LOOP: 'epoll' }).settings.loop, 'edge');
    t.equal(parseSettings(['a'], { LOOP: 'SELECT' }).settings.loop, 'poll');
    t.equal(parseSettings(['a'], { THREADS: '4' }).settings.workers, 4);
    t.equal(parseSettings(['a'], { THREADS: '4', WORKERS: '2' }).settings.workers, 2, 'WORKERS wins over THREADS');
    t.equal(parseSettings(['a'], { WORKERS: 'auto' }).settings.workers, availableParallelism(), "'auto' is one per CPU");
  });

  t.test('rejects malformed numbers and unknown names, naming the variable', async (t) => {
    const bad: [string[], Record<string, string>, RegExp][] = [
      [['a'], { PORT: 'abc' }, /^PORT=abc/],
      [['a'], { PORT: '65536' }, /^PORT=65536/],
      [['a'], { PORT: '-1' }, /^PORT=-1/],
      [['a'], { PORT: '80.5' }, /^PORT=80.5/],
      [['a'], { PORT: '1e3' }, /^PORT=1e3/],
      [['a'], { LOOP: 'foo' }, /^LOOP=foo is not one of edge, epoll, poll, select/],
      [['a'], { WORKERS: '-1' }, /^WORKERS=-1/],
      [['a'], { WORKERS: '0' }, /^WORKERS=0/],
      [['a'], { THREADS: 'two' }, /^THREADS=two/],
      [['a'], { WORKERS: '100000' }, /^WORKERS=100000/],
      [['a'], { MAX_CON_CONS: '0' }, /^MAX_CON_CONS=0/],
      [['a'], { PARSER: 'http_parser' }, /^PARSER=http_parser/],
      [['a'], { ACCESS_LOG: 'yes' }, /^ACCESS_LOG=yes is not one of 0, 1, true, false/],
      [['--port', 'x', 'a'], {}, /^--port=x/],
      [['--bogus', 'a'], {}, /^unknown option: --bogus/],
      [['a', '--port'], {}, /^option --port needs a value/],
      [['a', 'b'], {}, /^one app module only/],
      [[], {}, /^no app module given/],
    ];
    for (const [argv, env, re] of bad) {
      t.throws(() => parseSettings(argv, env), SettingsError, `${argv.join(' ')} ${JSON.stringify(env)}`);
      try { parseSettings(argv, env); } catch (err) { t.match((err as Error).message, re); }
    }
  });

  t.test('SOCKET_PATH / --socket, TLS_KEY + TLS_CERT / --tls-key + --tls-cert', async (t) => {
    const env = parseSettings(['a'], { SOCKET_PATH: '/tmp/w.sock', TLS_KEY: 'k.pem', TLS_CERT: 'c.pem' }).settings;
    t.same([env.socketPath, env.tlsKey, env.tlsCert], ['/tmp/w.sock', 'k.pem', 'c.pem']);
    const flags = parseSettings(['--socket=/tmp/f.sock', '--tls-key', 'k2', '--tls-cert', 'c2', 'a'], { SOCKET_PATH: '/tmp/w.sock' }).settings;
    t.same([flags.socketPath, flags.tlsKey, flags.tlsCert], ['/tmp/f.sock', 'k2', 'c2']);
    const none = parseSettings(['a'], {}).settings;
    t.same([none.socketPath, none.tlsKey, none.tlsCert], [undefined, undefined, undefined]);
    const bad: [string[], Record<string, string>, RegExp][] = [
      [['a'], { TLS_KEY: 'k.pem' }, /^TLS_KEY needs TLS_CERT/],
      [['--tls-cert', 'c', 'a'], {}, /^--tls-cert needs TLS_KEY/],
      [['a'], { SOCKET_PATH: '/tmp/w.sock', WORKERS: '2' }, /^SOCKET_PATH serves one process/],
    ];
    for (const [argv, e, re] of bad) t.throws(() => parseSettings(argv, e), re);
  });

  t.test('an empty variable counts as unset', async (t) => {
    t.equal(parseSettings(['a'], { PORT: '' }).settings.port, 4242);
  });
});

t.test('the command', async (t) => {
  await ensureBuilt();
  const dir = appDir({
    'app.js': pidApp,
    'app.cjs': 'module.exports = (req, res) => res.end("cjs " + req.url);\n',
    'typed.ts': [
      'interface Req { url: string }',
      'interface Res { end(body: string): void }',
      'const greeting: string = "ts";',
      'export default function handler(req: Req, res: Res): void { res.end(`${greeting} ${req.url}`); }',
    ].join('\n'),
    'named.js': 'export const server = (req, res) => res.end("named");\n',
    'nohandler.js': 'export const answer = 42;\n',
    'throws.js': 'throw new Error("boom at load");\n',
    'slow.js': 'export default async (req, res) => { await new Promise((r) => setTimeout(r, 400)); res.end("slow done"); };\n',
    'stuck.js': 'export default async (req, res) => { await new Promise((r) => setTimeout(r, 5000)); res.end("late"); };\n',
    'sub/index.js': 'export default (req, res) => res.end("index");\n',
  });
  let p: WaferProcess | undefined;
  t.afterEach(() => reap(p));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const wafer = (args: string[], env: Record<string, string> = {}): WaferProcess => (p = runWafer(args, { HOST: '127.0.0.1', PORT: '0', ...env }, dir));

  t.test('serves a .js module\'s default export and prints where it listens', async (t) => {
    const w = wafer(['app.js']);
    const port = await listeningPort(w);
    t.match(w.stdout(), /^wafer: serving app\.js on http:\/\/127\.0\.0\.1:\d+ \(loop edge, parser wafer, max 10000 connections, pid \d+\)\n$/);
    const r = await get(port, '/hello?x=1');
    t.equal(r.status, 200);
    t.equal(r.body, 'js GET /hello?x=1');
    w.child.kill('SIGINT');
    t.equal(await w.exited(), 0);
  });

  t.test('serves a CommonJS module.exports handler', async (t) => {
    const w = wafer(['app.cjs']);
    t.equal((await get(await listeningPort(w), '/c')).body, 'cjs /c');
    w.child.kill('SIGTERM');
    t.equal(await w.exited(), 0);
  });

  t.test('serves a .ts module (types stripped by tsx at load)', async (t) => {
    const w = wafer(['typed.ts']);
    t.equal((await get(await listeningPort(w, 30_000), '/t')).body, 'ts /t');
    w.child.kill('SIGTERM');
    t.equal(await w.exited(), 0);
  });

  t.test('serves a .ts module outside a "type": "module" package (loaded as CommonJS)', async (t) => {
    const cjsDir = appDir({ 'package.json': '{}\n', 'app.ts': 'const n: number = 7;\nexport default (req: unknown, res: { end(s: string): void }) => res.end(`cts ${n}`);\n' });
    t.teardown(() => rmSync(cjsDir, { recursive: true, force: true }));
    const w = (p = runWafer(['app.ts'], { HOST: '127.0.0.1', PORT: '0' }, cjsDir));
    t.equal((await get(await listeningPort(w, 30_000))).body, 'cts 7');
    w.child.kill('SIGTERM');
    t.equal(await w.exited(), 0);
  });

  t.test('takes an export named `server` when there is no default export', async (t) => {
    const w = wafer(['named.js']);
    t.equal((await get(await listeningPort(w))).body, 'named');
    w.child.kill('SIGTERM');
    t.equal(await w.exited(), 0);
  });

  t.test('finds NAME.js and NAME/index.js when given NAME', async (t) => {
    let w = wafer(['app']);
    t.equal((await get(await listeningPort(w), '/x')).body, 'js GET /x');
    w.child.kill('SIGTERM');
    t.equal(await w.exited(), 0);
    w = wafer(['sub']);
    t.equal((await get(await listeningPort(w))).body, 'index');
    w.child.kill('SIGTERM');
    t.equal(await w.exited(), 0);
  });

  t.test('LOOP=select, --parser llhttp and MAX_CON_CONS show in the startup line', async (t) => {
    const w = wafer(['--parser', 'llhttp', 'app.js'], { LOOP: 'select', MAX_CON_CONS: '77' });
    await listeningPort(w);
    t.match(w.stdout(), /\(loop poll, parser llhttp, max 77 connections, pid \d+\)/);
    w.child.kill('SIGTERM');
    t.equal(await w.exited(), 0);
  });

  t.test('ACCESS_LOG=1 prints a Common Log Format line per response', async (t) => {
    const w = wafer(['app.js'], { ACCESS_LOG: '1' });
    const port = await listeningPort(w);
    t.equal((await get(port, '/logged?x=1')).body, 'js GET /logged?x=1');
    await w.waitFor(/"GET \/logged\?x=1 HTTP\/1\.1" 200 18\n/);
    t.match(w.stdout(), /\n127\.0\.0\.1 - - \[\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2} \+0000\] "GET \/logged\?x=1 HTTP\/1\.1" 200 18\n$/);
    w.child.kill('SIGTERM');
    t.equal(await w.exited(), 0);
  });

  t.test('without ACCESS_LOG nothing is logged', async (t) => {
    const w = wafer(['app.js']);
    const port = await listeningPort(w);
    await get(port, '/quiet');
    w.child.kill('SIGTERM');
    t.equal(await w.exited(), 0);
    t.notMatch(w.stdout(), /quiet/);
  });

  t.test('LOOP=epoll runs the edge loop', async (t) => {
    const w = wafer(['app.js'], { LOOP: 'epoll' });
    t.equal((await get(await listeningPort(w), '/e')).body, 'js GET /e');
    t.match(w.stdout(), /\(loop edge,/);
    w.child.kill('SIGTERM');
    t.equal(await w.exited(), 0);
  });

  t.test('SIGTERM lets an in-flight request finish, then exits 0', async (t) => {
    const w = wafer(['slow.js']);
    const port = await listeningPort(w);
    const pending = get(port, '/slow');
    await new Promise((r) => setTimeout(r, 150));
    w.child.kill('SIGTERM');
    const r = await pending;
    t.equal(r.status, 200);
    t.equal(r.body, 'slow done');
    t.equal(await w.exited(), 0);
  });

  t.test('a second SIGINT stops waiting for in-flight requests: exit 1', async (t) => {
    const w = wafer(['stuck.js']);
    const port = await listeningPort(w);
    const pending = get(port, '/stuck').catch((err: Error) => err);
    await new Promise((r) => setTimeout(r, 150));
    w.child.kill('SIGINT');
    await new Promise((r) => setTimeout(r, 150));
    w.child.kill('SIGINT');
    t.equal(await w.exited(3000), 1);
    t.match(w.stderr(), /^wafer: second signal, pid \d+ exits without waiting\n$/);
    t.type(await pending, Error, 'the stuck request was cut');
  });

  const oneLineExit2: [string, string[], Record<string, string>, RegExp][] = [
    ['PORT=abc', ['app.js'], { PORT: 'abc' }, /^wafer: PORT=abc is not a whole number/],
    ['LOOP=foo', ['app.js'], { LOOP: 'foo' }, /^wafer: LOOP=foo is not one of/],
    ['WORKERS=-1', ['app.js'], { WORKERS: '-1' }, /^wafer: WORKERS=-1 /],
    ['THREADS=0', ['app.js'], { THREADS: '0' }, /^wafer: THREADS=0 /],
    ['MAX_CON_CONS=lots', ['app.js'], { MAX_CON_CONS: 'lots' }, /^wafer: MAX_CON_CONS=lots /],
    ['an unknown flag', ['--turbo', 'app.js'], {}, /^wafer: unknown option: --turbo/],
    ['a missing module', ['nope.js'], {}, /^wafer: app module not found: nope\.js/],
    ['a module without a handler', ['nohandler.js'], {}, /^wafer: .*nohandler\.js exports no handler/],
    ['a module without a handler, with 2 workers', ['nohandler.js'], { WORKERS: '2' }, /^wafer: .*nohandler\.js exports no handler/],
  ];
  for (const [name, args, env, re] of oneLineExit2) {
    t.test(`${name}: one line on stderr, exit code 2`, async (t) => {
      const w = wafer(args, env);
      t.equal(await w.exited(), 2);
      t.match(w.stderr(), re);
      t.equal(w.stderr().split('\n').filter(Boolean).length, 1, w.stderr());
      t.equal(w.stdout(), '');
    });
  }

  t.test('a module that throws while loading: exit 1 with the error', async (t) => {
    const w = wafer(['throws.js']);
    t.equal(await w.exited(), 1);
    t.match(w.stderr(), /boom at load/);
  });

  t.test('a port already in use: one line, exit 1', async (t) => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as { port: number }).port;
    try {
      const w = wafer(['app.js'], { PORT: String(port) });
      t.equal(await w.exited(), 1);
      t.match(w.stderr(), new RegExp(`^wafer: cannot listen on 127\\.0\\.0\\.1:${port}: EADDRINUSE\\n$`));
    } finally {
      blocker.close();
    }
  });

  t.test('SOCKET_PATH: serves on a Unix socket, removed on exit', async (t) => {
    const sock = join(dir, 'cli.sock');
    const w = wafer(['app.js'], { SOCKET_PATH: sock });
    await w.waitFor(/serving app\.js on http\+unix:/);
    t.match(w.stdout(), new RegExp(`^wafer: serving app\\.js on http\\+unix:${sock.replace(/[.]/g, '\\.')} \\(loop edge`));
    t.equal(await fetchText({ socketPath: sock }, '/over-unix'), 'js GET /over-unix');
    w.child.kill('SIGINT');
    t.equal(await w.exited(), 0);
    t.notOk(existsSync(sock), 'the socket file is gone');
  });

  t.test('TLS_KEY + TLS_CERT: serves HTTPS', { skip: OPENSSL.skip }, async (t) => {
    const openssl = OPENSSL.need(t);
    if (openssl === undefined) return;
    const key = join(dir, 'key.pem');
    const cert = join(dir, 'cert.pem');
    const made = spawnSync(openssl, ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
      '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1'], { encoding: 'utf8' });
    t.equal(made.status, 0, made.stderr);
    const w = wafer(['--tls-key', key, 'app.js'], { TLS_CERT: cert });
    const m = await w.waitFor(/serving app\.js on https:\/\/[^ ]+:(\d+)/);
    t.equal(await fetchText({ port: Number(m[1]), ca: readFileSync(cert) }, '/secure'), 'js GET /secure');
    w.child.kill('SIGINT');
    t.equal(await w.exited(), 0);
  });

  t.test('an unreadable TLS_KEY: one line, exit 2', async (t) => {
    const w = wafer(['app.js'], { TLS_KEY: join(dir, 'missing-key.pem'), TLS_CERT: join(dir, 'missing-cert.pem') });
    t.equal(await w.exited(), 2);
    t.match(w.stderr(), /^wafer: cannot read the TLS key or certificate: ENOENT/);
  });

  t.test('--help prints usage and exits 0', async (t) => {
    const w = wafer(['--help']);
    t.equal(await w.exited(), 0);
    t.match(w.stdout(), /^usage: wafer \[options\] <app\.js\|app\.ts>/);
    t.match(w.stdout(), /MAX_CON_CONS/);
  });

  t.test('resolves the app against the working directory', async (t) => {
    const w = runWafer([join(dir, 'app.js')], { HOST: '127.0.0.1', PORT: '0' });
    p = w;
    t.equal((await get(await listeningPort(w), '/abs')).body, 'js GET /abs');
    w.child.kill('SIGINT');
    t.equal(await w.exited(), 0);
  });
});
