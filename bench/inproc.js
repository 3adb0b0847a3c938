// `node bench/inproc.js [DIST_A] [DIST_B]`: the server's own cost per pipelined request, without
// wrk. Each build (default: ./dist twice) serves one connection from a drain process that reads
// and drops the answers; arrivals of 16 pipelined GETs (what bench/wrk/pipeline.lua sends) are
// handed straight to that Connection, as the edge loop would, and its answers really go out
// through the socket. Samples alternate between A and B; prints both rates and the median of the
// per-pair B/A ratios — an A/B of two builds on a noisy machine (copy dist/ aside, change,
// rebuild, compare).
//
//   ROUNDS=200 ARR=64 taskset -c 1 node bench/inproc.js .ab/base dist
//
//   TRAFFIC=identical 16 × `GET / HTTP/1.1` + Host (default)
//   TRAFFIC=varied    every request a different ~450-byte browser head (bench/inproc-varied.js)
//   TRAFFIC=headers   varied, to /h/…: the handler reads user-agent, accept-language, cookie
//                     and the query's q, as the bench servers' /h/ handler does
import path from 'node:path';
import { ROOT } from './harness/procs.js';
import { alternatePairs, arrivalSource, browserHead, drivenConnections } from './harness/inproc-drive.js';
import { HEADERS_PREFIX, HELLO, headersAnswer } from './servers/common.js';
import { median } from './harness/stats.js';

const dists = [process.argv[2] ?? 'dist', process.argv[3] ?? 'dist'].map((d) => path.resolve(ROOT, d));
const ROUNDS = Number(process.env.ROUNDS ?? 100);
const ARR = Number(process.env.ARR ?? 64);
const TRAFFIC = process.env.TRAFFIC ?? 'identical';
if (!['identical', 'varied', 'headers'].includes(TRAFFIC)) throw new Error(`TRAFFIC: identical, varied or headers, not ${TRAFFIC}`);

const drive = await drivenConnections(dists.map((d) => async (capture) => {
  const { listen, query } = await import(path.join(d, 'lib/index.js'));
  return listen((req, res) => {
    capture(res);
    res.setHeader('Content-Type', 'text/plain; charset=utf-8');
    if (req.path.startsWith(HEADERS_PREFIX)) {
      const h = req.headers;
      const q = query(req).q;
      res.end(headersAnswer(h['user-agent'], h['accept-language'], h.cookie, Array.isArray(q) ? q[0] : q));
    } else {
      res.end(HELLO);
    }
  }, { port: 0, host: '127.0.0.1', loop: 'edge' });
}));

const arrivals = [];
if (TRAFFIC === 'identical') {
  let text = '';
  for (let i = 0; i < 16; i++) text += `GET / HTTP/1.1\r\nHost: 127.0.0.1:${drive.ports[0]}\r\n\r\n`;
  arrivals.push(Buffer.from(text, 'latin1'));
} else {
  // Enough distinct arrivals that no request repeats within a sample (A and B get the same ones).
  for (let a = 0; a < 512; a++) {
    let text = '';
    for (let i = 0; i < 16; i++) text += browserHead(a * 16 + i, TRAFFIC === 'headers' ? HEADERS_PREFIX : undefined);
    arrivals.push(Buffer.from(text, 'latin1'));
  }
}
const source = arrivalSource(arrivals);
console.log(`${TRAFFIC} traffic`);
const { rates, ratios } = await alternatePairs(drive.conns, source, { rounds: ROUNDS, arrivals: ARR, warmupArrivals: 256 });
const us = (rate) => (1e6 / rate).toFixed(2);
console.log(`A ${dists[0]}: ${Math.round(median(rates[0])).toLocaleString('en-US')} req/s (${us(median(rates[0]))} µs/request)`);
console.log(`B ${dists[1]}: ${Math.round(median(rates[1])).toLocaleString('en-US')} req/s (${us(median(rates[1]))} µs/request)`);
console.log(`B/A median of ${ROUNDS} pairs: ${median(ratios).toFixed(3)}`);
await drive.stop();
process.exit(0);
