// The varied-traffic benchmark script (bench/wrk/varied.lua) sends what docs/benchmarks.md says
// it sends: run by wrk for a second against a raw server that records every request head, it
// must cycle through 1,024 distinct browser-like heads of 400–600 bytes, each connection starting
// elsewhere in the cycle, one request per write for keep-alive and 16 per write pipelined; and
// wafer must answer every one of them 200.
import t from 'tap';
import type { Test } from 'tap';
import net from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawn } from 'node:child_process';
import { tool } from './helpers/tools.js';
import { listen, query } from '../lib/index.js';

const WRK = tool('wrk', 'apt-get install -y wrk');
const SCRIPT = join(dirname(fileURLToPath(import.meta.url)), '..', 'bench', 'wrk', 'varied.lua');
const CYCLE = 1024;
const BROWSER_HEADERS = ['host', 'connection', 'user-agent', 'accept', 'accept-language', 'accept-encoding', 'cookie', 'x-request-id'];

interface WrkRun { code: number | null; out: string; requests: number; non2xx: number }

function wrk(path: string, url: string, args: string[], connections = 8): Promise<WrkRun> {
  const argv = ['-t2', `-c${connections}`, '-d1s', '--timeout', '5s', '-s', SCRIPT, url];
  if (args.length) argv.push('--', ...args);
  return new Promise((resolve, reject) => {
    const child = spawn(path, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.once('error', reject);
    child.once('exit', (code) => {
      const num = (re: RegExp) => Number(re.exec(out)?.[1] ?? 0);
      resolve({ code, out, requests: num(/(\d+) requests in/), non2xx: num(/Non-2xx or 3xx responses: (\d+)/) });
    });
  });
}

/** Why a head is not a browser-like request this script should send, or null. */
function fault(head: string, host: string, prefix: string): string | null {
  const lines = head.slice(0, -4).split('\r\n');
  const m = /^GET (\/\S*) HTTP\/1\.1$/.exec(lines[0]!);
  if (!m) return `request line ${JSON.stringify(lines[0])}`;
  if (!m[1]!.startsWith(prefix)) return `target ${m[1]} outside ${prefix}`;
  const names = new Map<string, string>();
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(': ');
    if (colon <= 0) return `header line ${JSON.stringify(line)}`;
    names.set(line.slice(0, colon).toLowerCase(), line.slice(colon + 2));
  }
  for (const name of BROWSER_HEADERS) if (!names.has(name)) return `no ${name}`;
  if (names.get('host') !== host) return `Host ${names.get('host')}`;
  if (names.get('connection') !== 'keep-alive') return `Connection ${names.get('connection')}`;
  if (!/(^|; )sid=[0-9a-f]{24}(;|$)/.test(names.get('cookie')!)) return `Cookie ${names.get('cookie')}`;
  return null;
}

interface Recorded { heads: string[]; firstPerConnection: string[]; faults: string[]; mostHeadsInOneRead: number }

/** A raw server that splits the bytes into heads (GETs have no body), records them and answers
 * each with 200, or 400 when the head is not what the script should send. */
async function recorder(t: Test, prefix: string): Promise<{ port: number; rec: Recorded }> {
  const rec: Recorded = { heads: [], firstPerConnection: [], faults: [], mostHeadsInOneRead: 0 };
  const OK = 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok';
  const BAD = 'HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n';
  let host = '';
  const server = net.createServer((socket) => {
    let pending = '';
    let first = true;
    socket.on('error', () => {});
    socket.on('data', (chunk) => {
      pending += chunk.toString('latin1');
      let answers = '';
      let n = 0;
      for (let end = pending.indexOf('\r\n\r\n'); end !== -1; end = pending.indexOf('\r\n\r\n')) {
        const head = pending.slice(0, end + 4);
        pending = pending.slice(end + 4);
        rec.heads.push(head);
        if (first) rec.firstPerConnection.push(head);
        first = false;
        n++;
        const why = fault(head, host, prefix);
        if (why !== null) rec.faults.push(why);
        answers += why === null ? OK : BAD;
      }
      rec.mostHeadsInOneRead = Math.max(rec.mostHeadsInOneRead, n);
      if (n > 0) socket.write(answers);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  host = `127.0.0.1:${port}`;
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { port, rec };
}

function checkCycle(t: Test, rec: Recorded, run: WrkRun) {
  t.equal(run.code, 0, `wrk ran: ${run.out.slice(0, 300)}`);
  t.same(rec.faults.slice(0, 3), [], 'every head is a browser-like GET with the whole header set');
  t.equal(run.non2xx, 0, 'every request answered 200');
  t.ok(rec.heads.length >= CYCLE, `${rec.heads.length} requests sent in 1 s`);
  const distinct = new Set(rec.heads);
  t.equal(distinct.size, CYCLE, 'the requests cycle through 1,024 distinct heads');
  const sizes = [...distinct].map((h) => Buffer.byteLength(h, 'latin1'));
  t.ok(Math.min(...sizes) >= 400 && Math.max(...sizes) <= 600, `head sizes ${Math.min(...sizes)}–${Math.max(...sizes)} bytes`);
  // Spread over the range, not clustered at one size.
  t.ok(Math.max(...sizes) - Math.min(...sizes) >= 100, 'head sizes spread over at least 100 bytes');
  const field = (re: RegExp) => new Set([...distinct].map((h) => re.exec(h)?.[1]));
  t.equal(field(/\r\nX-Request-Id: ([^\r]*)/).size, CYCLE, 'every request has its own X-Request-Id');
  t.equal(field(/\r\nCookie: ([^\r]*)/).size, CYCLE, 'every request has its own Cookie');
  // One request in eight is GET / (a home page), the rest differ in path or query.
  t.ok(field(/^GET (\S+)/).size >= CYCLE * 0.8, 'paths and query strings differ');
  t.ok(field(/\r\nUser-Agent: ([^\r]*)/).size >= 5 && field(/\r\nAccept-Language: ([^\r]*)/).size >= 5, 'several browsers and languages');
  // Connections (8, over 2 wrk threads) start at different places in the cycle.
  t.equal(rec.firstPerConnection.length, 8);
  t.equal(new Set(rec.firstPerConnection).size, 8, 'no two connections start with the same request');
}

t.test('keep-alive: one request per write, 1,024 distinct 400–600-byte heads', { skip: WRK.skip }, async (t) => {
  const path = WRK.need(t);
  if (path === undefined) return;
  const { port, rec } = await recorder(t, '/');
  const run = await wrk(path, `http://127.0.0.1:${port}/`, []);
  checkCycle(t, rec, run);
  t.equal(rec.mostHeadsInOneRead, 1, 'a connection waits for each answer before its next request');
});

t.test('16-deep pipelining under /h: 16 requests per write, the same cycle', { skip: WRK.skip }, async (t) => {
  const path = WRK.need(t);
  if (path === undefined) return;
  const { port, rec } = await recorder(t, '/h/');
  const run = await wrk(path, `http://127.0.0.1:${port}/h`, ['16']);
  checkCycle(t, rec, run);
  t.ok(rec.mostHeadsInOneRead >= 16, `up to ${rec.mostHeadsInOneRead} heads arrive in one read`);
});

t.test('wafer answers every varied request 200, headers read by the handler', { skip: WRK.skip }, async (t) => {
  const path = WRK.need(t);
  if (path === undefined) return;
  const seen = new Set<string>();
  let answered = 0;
  const server = await listen(
    (req, res) => {
      const h = req.headers;
      seen.add(`${req.url} ${h['x-request-id']}`);
      const q = query(req).q;
      answered++;
      res.end(`${String(h['accept-language']).split(',')[0]} ${h.cookie?.length} ${h['user-agent']?.length} ${q}`);
    },
    { port: 0, host: '127.0.0.1' },
  );
  t.teardown(() => server.close());
  const run = await wrk(path, `http://127.0.0.1:${server.port}/h`, ['16']);
  t.equal(run.code, 0, `wrk ran: ${run.out.slice(0, 300)}`);
  t.equal(run.non2xx, 0, 'no request refused');
  t.ok(answered >= run.requests && run.requests >= CYCLE, `${run.requests} answered`);
  t.equal(seen.size, CYCLE, 'all 1,024 distinct requests reached the handler');
});
