// `node bench/inproc.js [DIST_A] [DIST_B]`: the server's own cost per pipelined request, without
// wrk. Each build (default: ./dist twice) serves one connection from a drain process that reads
// and drops the answers; arrivals of 16 pipelined GETs (what bench/wrk/pipeline.lua sends) are
// handed straight to that Connection, as the edge loop would, and its answers really go out
// through the socket. Samples alternate between A and B; prints both rates and the median of the
// per-pair B/A ratios — an A/B of two builds on a noisy machine (copy dist/ aside, change,
// rebuild, compare).
//
//   ROUNDS=200 ARR=64 taskset -c 1 node bench/inproc.js .ab/base dist
import path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { setImmediate as tick } from 'node:timers/promises';
import { ROOT, pinned } from './harness/procs.js';
import { median } from './harness/stats.js';

const dists = [process.argv[2] ?? 'dist', process.argv[3] ?? 'dist'].map((d) => path.resolve(ROOT, d));
const ROUNDS = Number(process.env.ROUNDS ?? 100);
const ARR = Number(process.env.ARR ?? 64);

const setups = [];
for (const d of dists) {
  const { listen } = await import(path.join(d, 'lib/index.js'));
  let conn = null;
  const server = await listen((req, res) => {
    conn ??= res.sink; // the Connection (the response's sink)
    res.setHeader('Content-Type', 'text/plain; charset=utf-8');
    res.end('Hello, World!');
  }, { port: 0, host: '127.0.0.1', loop: 'edge' });
  setups.push({ server, conn: () => conn });
}
const ports = setups.map((s) => s.server.port);
// The drain runs on CPU 0 when taskset can put it there (run this script on CPU 1).
const drainCpu = spawnSync('taskset', ['-c', '0', 'true']).status === 0 ? 0 : null;
const drainCode = `
  const net = require('net');
  for (const p of ${JSON.stringify(ports)}) {
    const s = net.connect(p, '127.0.0.1', () => s.write('GET / HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n'));
    s.on('data', () => {});
  }
  process.stdin.on('end', () => process.exit(0));
  process.stdin.resume();
`;
const [cmd, args] = pinned(drainCpu, process.execPath, ['-e', drainCode]);
const drain = spawn(cmd, args, { stdio: ['pipe', 'inherit', 'inherit'] });
while (setups.some((s) => s.conn() === null)) await tick();

let text = '';
for (let i = 0; i < 16; i++) text += `GET / HTTP/1.1\r\nHost: 127.0.0.1:${ports[0]}\r\n\r\n`;
const arrival = Buffer.from(text, 'latin1');

/** Requests per second over `n` arrivals, yielding to the event loop every 32 (writes settle). */
async function sample(conn, n) {
  let ns = 0n;
  for (let done = 0; done < n; done += 32) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < 32; i++) {
      conn.beginBatch();
      conn.feed(arrival);
      conn.endBatch();
    }
    ns += process.hrtime.bigint() - t0;
    await tick();
    if (conn.closed) throw new Error('the connection closed');
  }
  return (n * 16 * 1e9) / Number(ns);
}

const conns = setups.map((s) => s.conn());
for (let w = 0; w < 30; w++) for (const c of conns) await sample(c, 256);
const ratios = [];
const rates = [[], []];
for (let k = 0; k < ROUNDS; k++) {
  const first = k & 1;
  const r = [0, 0];
  r[first] = await sample(conns[first], ARR);
  r[1 - first] = await sample(conns[1 - first], ARR);
  ratios.push(r[1] / r[0]);
  rates[0].push(r[0]);
  rates[1].push(r[1]);
}
const us = (rate) => (1e6 / rate).toFixed(2);
console.log(`A ${dists[0]}: ${Math.round(median(rates[0])).toLocaleString('en-US')} req/s (${us(median(rates[0]))} µs/request)`);
console.log(`B ${dists[1]}: ${Math.round(median(rates[1])).toLocaleString('en-US')} req/s (${us(median(rates[1]))} µs/request)`);
console.log(`B/A median of ${ROUNDS} pairs: ${median(ratios).toFixed(3)}`);
drain.stdin.end();
for (const s of setups) await s.server.close();
process.exit(0);
