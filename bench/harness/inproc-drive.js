// The in-process drive shared by bench/inproc.js and bench/inproc-varied.js: servers whose
// Connection is taken from the first response (`res.sink`), one keep-alive connection to each
// from a drain process that reads and drops the answers, and alternating A/B samples in which
// arrivals of 16 pipelined requests are handed straight to each Connection, as the edge loop
// would, their answers really going out through the socket.
import { spawn, spawnSync } from 'node:child_process';
import { setImmediate as tick } from 'node:timers/promises';
import { pinned } from './procs.js';

/**
 * Start the servers (`start(capture)` must call `capture(res)` in its handler and resolve with
 * the server), connect the drain, and resolve with each server's Connection.
 */
export async function drivenConnections(starts) {
  const setups = [];
  for (const start of starts) {
    const setup = { server: null, conn: null };
    setup.server = await start((res) => {
      setup.conn ??= res.sink; // the Connection (the response's sink)
    });
    setups.push(setup);
  }
  // The drain runs on CPU 0 when taskset can put it there (run the bench on CPU 1).
  const drainCpu = spawnSync('taskset', ['-c', '0', 'true']).status === 0 ? 0 : null;
  const drainCode = `
    const net = require('net');
    for (const p of ${JSON.stringify(setups.map((s) => s.server.port))}) {
      const s = net.connect(p, '127.0.0.1', () => s.write('GET / HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n'));
      s.on('data', () => {});
    }
    process.stdin.on('end', () => process.exit(0));
    process.stdin.resume();
  `;
  const [cmd, args] = pinned(drainCpu, process.execPath, ['-e', drainCode]);
  const drain = spawn(cmd, args, { stdio: ['pipe', 'inherit', 'inherit'] });
  while (setups.some((s) => s.conn === null)) await tick();
  return {
    conns: setups.map((s) => s.conn),
    ports: setups.map((s) => s.server.port),
    async stop() {
      drain.stdin.end();
      for (const s of setups) await s.server.close();
    },
  };
}

/** Arrivals handed out in turn; `at` may be set back so both sides of a pair get the same ones. */
export function arrivalSource(arrivals) {
  return {
    at: 0,
    next() {
      const a = arrivals[this.at];
      this.at = this.at + 1 === arrivals.length ? 0 : this.at + 1;
      return a;
    },
  };
}

/** Requests per second over `n` arrivals of 16 requests, yielding to the event loop every 32 (writes settle). */
export async function sample(conn, n, source) {
  let ns = 0n;
  for (let done = 0; done < n; done += 32) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < 32; i++) {
      conn.beginBatch();
      conn.feed(source.next());
      conn.endBatch();
    }
    ns += process.hrtime.bigint() - t0;
    await tick();
    // (isClosed() since the connection's states were named; an older build has `closed`.)
    if (typeof conn.isClosed === 'function' ? conn.isClosed() : conn.closed) throw new Error('the connection closed');
  }
  return (n * 16 * 1e9) / Number(ns);
}

/**
 * `warmups` rounds of `warmupArrivals` on each, then `rounds` pairs of `arrivals` each, the
 * first side alternating and both sides of a pair fed the same arrivals: the rates of A and B
 * and the per-pair B/A ratios.
 */
export async function alternatePairs(conns, source, { rounds, arrivals, warmups = 30, warmupArrivals }) {
  for (let w = 0; w < warmups; w++) for (const c of conns) await sample(c, warmupArrivals, source);
  const ratios = [];
  const rates = [[], []];
  for (let k = 0; k < rounds; k++) {
    const first = k & 1;
    const r = [0, 0];
    const start = source.at;
    r[first] = await sample(conns[first], arrivals, source);
    source.at = start;
    r[1 - first] = await sample(conns[1 - first], arrivals, source);
    ratios.push(r[1] / r[0]);
    rates[0].push(r[0]);
    rates[1].push(r[1]);
  }
  return { rates, ratios };
}

export { browserHead } from './browser-heads.js';
