// Fixed-rate (open-loop) HTTP/1.1 load client for the latency scenario, run on the load CPU:
// `node rate-client.js PORT RATE SECONDS WARMUP_SECONDS CONNECTIONS` → one JSON line on stdout.
//
// wrk keeps a fixed number of requests in flight instead of a fixed rate, so it can't answer
// "latency at N req/s". This client sends GET / on a fixed schedule, round-robin over keep-alive
// connections, and never waits for a response before sending the next request (it pipelines when
// one is still outstanding), so a slow server can't slow the schedule down (no coordinated
// omission). Latency is measured from the moment a request was written to the moment its whole
// response was read; how far the client itself fell behind its schedule is reported alongside.
//
// A sixth argument `varied` sends 1,024 different browser-like requests in turn (browser-heads.js)
// instead of the same GET / every time.
import net from 'node:net';
import { browserHead } from './browser-heads.js';

const [port, rate, seconds, warmupSeconds, connections] = process.argv.slice(2, 7).map(Number);
const VARIED = process.argv[7] === 'varied';
const REQUESTS = VARIED
  ? Array.from({ length: 1024 }, (_, n) => Buffer.from(browserHead(n), 'latin1'))
  : [Buffer.from('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n')];
const total = Math.round(rate * (seconds + warmupSeconds));
const warmup = Math.round(rate * warmupSeconds);
const latencies = new Float64Array(total);
let measuredCount = 0;
const TERMINATOR = Buffer.from('\r\n\r\n');

let sent = 0;
let received = 0;
let non200 = 0;
let socketErrors = 0;
let maxLagMs = 0;
let lateSends = 0; // sends more than 1 ms behind schedule

function connect() {
  return new Promise((resolve, reject) => {
    const s = net.connect({ port, host: '127.0.0.1', noDelay: true }, () => resolve(conn));
    const conn = { socket: s, pending: [], buf: Buffer.alloc(0) };
    s.once('error', reject);
    s.on('data', (d) => onData(conn, d));
  });
}

function onData(conn, d) {
  conn.buf = conn.buf.length ? Buffer.concat([conn.buf, d]) : d;
  const now = performance.now();
  let off = 0;
  for (;;) {
    const end = conn.buf.indexOf(TERMINATOR, off);
    if (end === -1) break;
    const head = conn.buf.latin1Slice(off, end);
    const m = /\r\ncontent-length:\s*(\d+)/i.exec(head);
    const bodyLen = m ? Number(m[1]) : 0;
    const next = end + 4 + bodyLen;
    if (next > conn.buf.length) break;
    if (head.slice(9, 12) !== '200') non200++;
    const req = conn.pending.shift();
    if (req !== undefined) {
      if (req.index >= warmup) latencies[measuredCount++] = now - req.at;
      received++;
    }
    off = next;
  }
  conn.buf = off === conn.buf.length ? Buffer.alloc(0) : conn.buf.subarray(off);
  if (received === total) finish();
}

function percentile(sorted, p) {
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

let done = false;
function finish() {
  if (done) return;
  done = true;
  const measured = latencies.subarray(0, measuredCount).sort();
  const r3 = (x) => Math.round(x * 1000) / 1000;
  const out = {
    rate,
    seconds,
    connections,
    sent,
    received,
    measured: measured.length,
    achievedRate: Math.round((sent - warmup) / seconds),
    non200,
    socketErrors,
    maxScheduleLagMs: r3(maxLagMs),
    lateSends,
    latencyMs: measured.length
      ? {
          p50: r3(percentile(measured, 50)),
          p90: r3(percentile(measured, 90)),
          p99: r3(percentile(measured, 99)),
          p999: r3(percentile(measured, 99.9)),
          max: r3(measured[measured.length - 1]),
        }
      : null,
  };
  process.stdout.write(JSON.stringify(out) + '\n');
  for (const c of conns) c.socket.destroy();
  process.exit(0);
}

const conns = [];
for (let i = 0; i < connections; i++) conns.push(await connect());
for (const c of conns) {
  c.socket.on('error', () => socketErrors++);
  c.socket.on('close', () => {
    if (!done && c.pending.length) socketErrors++;
  });
}

const start = performance.now();
const interval = 1000 / rate;
function tick() {
  const now = performance.now();
  const due = Math.min(total, Math.floor((now - start) / interval) + 1);
  while (sent < due) {
    const lag = now - (start + sent * interval);
    if (lag > maxLagMs) maxLagMs = lag;
    if (lag > 1) lateSends++;
    const c = conns[sent % connections];
    c.pending.push({ index: sent, at: performance.now() });
    c.socket.write(REQUESTS[sent % REQUESTS.length]);
    sent++;
  }
  if (sent < total) setImmediate(tick);
}
setImmediate(tick);

// Bounded: give up 10 s after the last request was due.
setTimeout(finish, (seconds + warmupSeconds + 10) * 1000);
