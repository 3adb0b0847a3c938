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
import { ROOT } from './harness/procs.js';
import { alternatePairs, arrivalSource, browserHead, drivenConnections } from './harness/inproc-drive.js';
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
const SWAP = process.env.SWAP === '1';
const options = SWAP ? [offOption, onOption] : [onOption, offOption];
const drive = await drivenConnections(options.map((caches) => (capture) => listen((req, res) => {
  capture(res);
  res.setHeader('Content-Type', 'text/plain; charset=utf-8');
  res.end(req.path === '/' ? 'Hello, World!' : 'Hello, item!');
}, { port: 0, host: '127.0.0.1', loop: 'edge', caches })));
const conns = SWAP ? [...drive.conns].reverse() : drive.conns; // A is caches on again
const ports = drive.ports;


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
const source = arrivalSource(arrivals);
const { rates, ratios } = await alternatePairs(conns, source, { rounds: ROUNDS, arrivals: ARR, warmupArrivals: 64 });
const us = (rate) => (1e6 / rate).toFixed(2);
console.log(`${TRAFFIC} traffic (${Math.round(headBytes)}-byte heads), caches off in B: ${OFF}${BASE === '' ? '' : `, in both: ${BASE}`}`);
console.log(`A caches on:  ${Math.round(median(rates[0])).toLocaleString('en-US')} req/s (${us(median(rates[0]))} µs/request)`);
console.log(`B caches off: ${Math.round(median(rates[1])).toLocaleString('en-US')} req/s (${us(median(rates[1]))} µs/request)`);
console.log(`B/A median of ${ROUNDS} pairs: ${median(ratios).toFixed(3)}`);
await drive.stop();
process.exit(0);
