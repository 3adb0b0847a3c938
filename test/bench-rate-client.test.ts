// The fixed-rate client of the latency scenarios (bench/harness/rate-client.js) sends what
// docs/benchmarks.md says: with `varied`, different browser-like requests in turn (the p99 of
// `latency-varied`), without it `GET /` every time; every request is answered and counted.
import t from 'tap';
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { listen } from '../lib/index.js';

const CLIENT = join(dirname(fileURLToPath(import.meta.url)), '..', 'bench', 'harness', 'rate-client.js');

interface Seen { url: string; id: string | undefined; cookie: string | undefined; bytes: number }

async function run(t: Parameters<Parameters<typeof t.test>[1]>[0], varied: boolean) {
  const seen: Seen[] = [];
  const server = await listen((req, res) => {
    let bytes = `${req.method} ${req.url} HTTP/${req.httpVersion}\r\n`.length + 2;
    for (let i = 0; i < req.rawHeaders.length; i += 2) bytes += req.rawHeaders[i].length + 2 + req.rawHeaders[i + 1].length + 2;
    seen.push({ url: req.url, id: req.headers['x-request-id'] as string | undefined, cookie: req.headers.cookie as string | undefined, bytes });
    res.end('ok');
  }, { port: 0, host: '127.0.0.1' });
  t.teardown(() => server.close());
  // 300 requests at 300 req/s over 4 connections, no warm-up.
  const args = [CLIENT, String(server.port), '300', '1', '0', '4', ...(varied ? ['varied'] : [])];
  const out = await new Promise<string>((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let text = '';
    child.stdout.on('data', (d) => (text += d));
    child.once('error', reject);
    child.once('exit', () => resolve(text));
  });
  return { result: JSON.parse(out.trim().split('\n')[0]!), seen };
}

t.test('varied: 300 different browser-like requests, all answered', async (t) => {
  const { result, seen } = await run(t, true);
  t.equal(result.sent, 300);
  t.equal(result.received, 300);
  t.equal(result.non200 + result.socketErrors, 0);
  t.ok(result.latencyMs && result.latencyMs.p99 > 0, 'a p99');
  t.equal(seen.length, 300);
  t.equal(new Set(seen.map((s) => s.id)).size, 300, 'a different X-Request-Id each');
  t.equal(new Set(seen.map((s) => s.cookie)).size, 300, 'a different Cookie each');
  t.ok(new Set(seen.map((s) => s.url)).size >= 250, 'targets differ');
  t.ok(seen.every((s) => s.bytes >= 400 && s.bytes <= 600), `heads of 400–600 bytes (${Math.min(...seen.map((s) => s.bytes))}–${Math.max(...seen.map((s) => s.bytes))})`);
});

t.test('plain: GET / every time', async (t) => {
  const { result, seen } = await run(t, false);
  t.equal(result.received, 300);
  t.strictSame([...new Set(seen.map((s) => s.url))], ['/']);
  t.equal(seen[0]!.id, undefined);
});
