// `node bench/inproc-varied.js`: caches on (A) against caches off (B) in one build, with the
// in-process drive of bench/inproc.js (arrivals of 16 pipelined requests handed straight to a
// Connection, answers really written to a socket that a drain process empties). Samples
// alternate between A and B; prints both rates and the median of the per-pair B/A ratios.
//
//   TRAFFIC=varied    every request different: ~450-byte browser-like heads (User-Agent,
//                     Accept, Accept-Language, Accept-Encoding, Cookie and a request id vary
//                     per request), a different path and query each time (default)
//   TRAFFIC=identical 16 × `GET / HTTP/1.1` + Host, as bench/wrk/pipeline.lua sends
//   TRAFFIC=browser   one ~450-byte browser head, the same every time (past the parser's
//                     128-byte repeated-head memo, so the other memos show)
//   OFF=all           which caches B turns off: `all` (default) or a comma list of names
//                     (lib/core/types.ts CacheName: repeatHead, shortStrings, host, originForm,
//                     fieldNames, asciiValue, renderedHead)
//   BASE=             caches off in both A and B (a comma list), to measure one memo with
//                     another out of the way (e.g. BASE=repeatHead OFF=shortStrings)
//   SWAP=1            start B's server first (to tell a memo's effect from an order bias)
//   DIST=dist ROUNDS=60 ARR=32
//
//   TRAFFIC=varied OFF=host taskset -c 1 node bench/inproc-varied.js
import path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { setImmediate as tick } from 'node:timers/promises';
import { ROOT, pinned } from './harness/procs.js';
import { median } from './harness/stats.js';

const DIST = path.resolve(ROOT, process.env.DIST ?? 'dist');
const ROUNDS = Number(process.env.ROUNDS ?? 60);
const ARR = Number(process.env.ARR ?? 32);
const TRAFFIC = process.env.TRAFFIC ?? 'varied';
const OFF = process.env.OFF ?? 'all';
const BASE = process.env.BASE ?? '';
if (!['varied', 'identical', 'browser'].includes(TRAFFIC)) throw new Error(`TRAFFIC: varied, identical or browser, not ${TRAFFIC}`);
const names = (list) => (list === '' ? [] : list.split(',')).map((name) => [name, false]);
const onOption = Object.fromEntries(names(BASE));
const offOption = OFF === 'all' ? false : Object.fromEntries([...names(BASE), ...names(OFF)]);

const { listen } = await import(path.join(DIST, 'lib/index.js'));
const setups = [];
const SWAP = process.env.SWAP === '1';
for (const caches of SWAP ? [offOption, onOption] : [onOption, offOption]) {
  let conn = null;
  const server = await listen((req, res) => {
    conn ??= res.sink; // the Connection (the response's sink)
    res.setHeader('Content-Type', 'text/plain; charset=utf-8');
    res.end(req.path === '/' ? 'Hello, World!' : 'Hello, item!');
  }, { port: 0, host: '127.0.0.1', loop: 'edge', caches });
  setups.push({ server, conn: () => conn });
}
const ports = setups.map((s) => s.server.port);
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
if (SWAP) setups.reverse(); // A is caches on again

/** A browser-like head, every varying field different for each n. */
function browserHead(n) {
  const hex = (n * 2654435761 >>> 0).toString(16).padStart(8, '0');
  return `GET /catalog/item/${n % 997}?page=${n % 13}&sort=price&q=${hex} HTTP/1.1\r\n` +
    'Host: shop.example.com\r\n' +
    `User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/${100 + (n % 31)}.0.${n % 7}.0 Safari/537.36\r\n` +
    `Accept: text/html,application/xhtml+xml,application/xml;q=0.${n % 9 + 1},*/*;q=0.8\r\n` +
    `Accept-Language: en-US,en;q=0.${n % 9 + 1},de;q=0.${(n >> 3) % 9 + 1}\r\n` +
    `Accept-Encoding: gzip, deflate, br${n % 2 === 0 ? ', zstd' : ''}\r\n` +
    `Cookie: session=${hex}${hex}; theme=${n % 3 === 0 ? 'dark' : 'light'}; visits=${n}\r\n` +
    `X-Request-Id: ${hex}-${(n >>> 0).toString(36)}-${(n * 40503 >>> 0).toString(16)}\r\n\r\n`;
}

const arrivals = [];
if (TRAFFIC === 'varied') {
  // Enough distinct arrivals that no request repeats within a sample (A and B get the same ones).
  for (let a = 0; a < 512; a++) {
    let text = '';
    for (let i = 0; i < 16; i++) text += browserHead(a * 16 + i);
    arrivals.push(Buffer.from(text, 'latin1'));
  }
} else if (TRAFFIC === 'browser') {
  arrivals.push(Buffer.from(browserHead(1).repeat(16), 'latin1'));
} else {
  let text = '';
  for (let i = 0; i < 16; i++) text += `GET / HTTP/1.1\r\nHost: 127.0.0.1:${ports[0]}\r\n\r\n`;
  arrivals.push(Buffer.from(text, 'latin1'));
}
const headBytes = arrivals[0].length / 16;
let next = 0;

/** Requests per second over `n` arrivals, yielding to the event loop every 32 (writes settle). */
async function sample(conn, n) {
  let ns = 0n;
  for (let done = 0; done < n; done += 32) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < 32; i++) {
      conn.beginBatch();
      conn.feed(arrivals[next]);
      conn.endBatch();
      next = next + 1 === arrivals.length ? 0 : next + 1;
    }
    ns += process.hrtime.bigint() - t0;
    await tick();
    if (conn.closed) throw new Error('the connection closed');
  }
  return (n * 16 * 1e9) / Number(ns);
}

const conns = setups.map((s) => s.conn());
for (let w = 0; w < 30; w++) for (const c of conns) await sample(c, 64);
const ratios = [];
const rates = [[], []];
for (let k = 0; k < ROUNDS; k++) {
  const first = k & 1;
  const r = [0, 0];
  // Each side gets the same arrivals in a pair.
  const start = next;
  r[first] = await sample(conns[first], ARR);
  next = start;
  r[1 - first] = await sample(conns[1 - first], ARR);
  ratios.push(r[1] / r[0]);
  rates[0].push(r[0]);
  rates[1].push(r[1]);
}
const us = (rate) => (1e6 / rate).toFixed(2);
console.log(`${TRAFFIC} traffic (${Math.round(headBytes)}-byte heads), caches off in B: ${OFF}${BASE === '' ? '' : `, in both: ${BASE}`}`);
console.log(`A caches on:  ${Math.round(median(rates[0])).toLocaleString('en-US')} req/s (${us(median(rates[0]))} µs/request)`);
console.log(`B caches off: ${Math.round(median(rates[1])).toLocaleString('en-US')} req/s (${us(median(rates[1]))} µs/request)`);
console.log(`B/A median of ${ROUNDS} pairs: ${median(ratios).toFixed(3)}`);
drain.stdin.end();
for (const s of setups) await s.server.close();
process.exit(0);
