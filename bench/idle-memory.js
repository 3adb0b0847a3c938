// What one idle connection costs, and in which objects:
//   node --expose-gc bench/idle-memory.js [edge|poll|ceiling] [N=3000] [--snapshot] [--no-gc]
// Starts the server in this process, opens N keep-alive connections that each made one request
// (bench/harness/idle-client.js in a child process), collects garbage, and prints per-connection
// RSS and JS heap (--no-gc: as the bench sees it, garbage included). With --snapshot it also writes a heap snapshot and lists the object kinds
// present about once (or more) per connection, with their bytes per connection.
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import v8 from 'node:v8';
import { openIdle } from './harness/clients.js';
import { ROOT } from './harness/procs.js';

const kind = process.argv[2] ?? 'edge';
const n = Number(process.argv[3] ?? 3000);
const snapshot = process.argv.includes('--snapshot');
const noGc = process.argv.includes('--no-gc');
if (typeof globalThis.gc !== 'function') {
  console.error('run with node --expose-gc');
  process.exit(2);
}

const collect = () => {
  if (!noGc) {
    globalThis.gc();
    globalThis.gc();
  }
  const m = process.memoryUsage();
  return { rss: m.rss, heap: m.heapUsed, heapTotal: m.heapTotal };
};

let port;
let close;
if (kind === 'ceiling') {
  const srv = net.createServer({ noDelay: true }, (s) => {
    s.on('data', () => s.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi'));
    s.on('error', () => {});
  });
  await new Promise((r) => srv.listen(0, '127.0.0.1', r));
  port = srv.address().port;
  close = () => srv.close();
} else {
  const { listen } = await import(path.join(ROOT, 'dist/lib/index.js'));
  const s = await listen((req, res) => res.end('hi'), { port: 0, host: '127.0.0.1', loop: kind, maxConns: n + 100 });
  port = s.port;
  close = () => s.close();
}

const before = collect();
const idle = await openIdle({ port, n, cpu: null });
await new Promise((r) => setTimeout(r, 1000));
const after = collect();
const per = (k) => Math.round((after[k] - before[k]) / idle.ok);
console.log(
  `${kind}${noGc ? ' (no GC)' : ''}: ${idle.ok} idle connections (${idle.failed} failed), per connection: ` +
    `${per('rss')} B RSS, ${per('heapTotal')} B V8 heap reserved, ${per('heap')} B JS heap used`,
);

if (snapshot) {
  const file = v8.writeHeapSnapshot(path.join(os.tmpdir(), `wafer-idle-${process.pid}.heapsnapshot`));
  const snap = JSON.parse(fs.readFileSync(file, 'utf8'));
  fs.rmSync(file);
  const fields = snap.snapshot.meta.node_fields;
  const types = snap.snapshot.meta.node_types[0];
  const [ti, ni, si] = ['type', 'name', 'self_size'].map((f) => fields.indexOf(f));
  const agg = new Map();
  for (let i = 0; i < snap.nodes.length; i += fields.length) {
    const key = `${types[snap.nodes[i + ti]]}: ${snap.strings[snap.nodes[i + ni]].slice(0, 50)}`;
    const a = agg.get(key) ?? { count: 0, bytes: 0 };
    a.count++;
    a.bytes += snap.nodes[i + si];
    agg.set(key, a);
  }
  console.log('object kinds with at least ~one instance per connection (bytes per connection, instances):');
  for (const [key, a] of [...agg].filter(([, a]) => a.count >= idle.ok * 0.9).sort((x, y) => y[1].bytes - x[1].bytes).slice(0, 25)) {
    console.log(`  ${String(Math.round(a.bytes / idle.ok)).padStart(5)} B  ${String(a.count).padStart(7)}  ${key}`);
  }
}
await idle.stop();
await close();
process.exit(0);
