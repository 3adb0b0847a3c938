// The soak: a long run against one server process, looking for what only time shows — memory
// that grows, descriptors or sockets that are never given back, listeners that pile up.
//   phase 1: `requests` keep-alive requests over `conns` connections (GET, POST with a
//            Content-Length body, chunked POST; `depth` pipelined at a time),
//   phase 2: `cycles` connection open/close cycles: most a request with Connection: close
//            (the server closes), some a connect and a FIN, some a partial request and a reset.
// The server runs in a child process (test/helpers/child-server-main.ts, --expose-gc,
// --unhandled-rejections=strict). RSS is sampled after a forced GC: a warm-up sample once
// 10 % of phase 1 is done, then through both phases; the drift is the last sample minus the
// warm-up one. At the end the open connections must be 0, the descriptors back to the count at
// start, no process warning (MaxListenersExceededWarning …), and the process must exit by
// itself after close().
import net from 'node:net';
import { startChild, type Child } from './child-server.js';
import type { LoopKind } from '../../lib/core/types.js';
import type { ParserKind } from '../../parser/types.js';

export interface SoakOptions {
  requests: number;
  cycles: number;
  conns: number;
  depth: number;
  cycleConcurrency: number;
  loop: LoopKind;
  parser: ParserKind;
  /** Called with progress lines. */
  log?: (line: string) => void;
}

export interface Sample {
  phase: string;
  done: number;
  rssMiB: number;
  heapMiB: number;
  fds: number;
  connections: number;
}

export interface SoakResult {
  options: Omit<SoakOptions, 'log'>;
  answered: number;
  cyclesDone: number;
  cycleAnswers: number;
  seconds: { requests: number; cycles: number };
  samples: Sample[];
  warmRssMiB: number;
  endRssMiB: number;
  /** End minus warm-up (10 % into phase 1). */
  driftMiB: number;
  driftPercent: number;
  /** Phase 1 alone: its last sample minus its warm-up sample. */
  requestsDriftMiB: number;
  /** Phase 2 alone: its last sample minus its first (20 % in: connection churn has its own warm-up). */
  cyclesDriftMiB: number;
  maxRssMiB: number;
  baseFds: number;
  endFds: number;
  endConnections: number;
  warnings: string[];
  exitCode: number | string | null;
  stderr: string;
}

const REQUESTS = [
  'GET /soak?x=1 HTTP/1.1\r\nHost: soak\r\nUser-Agent: soak\r\nAccept: */*\r\n\r\n',
  'POST /soak HTTP/1.1\r\nHost: soak\r\nContent-Type: text/plain\r\nContent-Length: 11\r\n\r\nhello world',
  'POST /soak HTTP/1.1\r\nHost: soak\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n',
];
const CLOSE_REQUEST = 'GET /cycle HTTP/1.1\r\nHost: soak\r\nConnection: close\r\n\r\n';
const MARK = 'HTTP/1.1 200 ';

const mib = (n: number) => Math.round((n / 1048576) * 10) / 10;

/** Count occurrences of MARK across chunk boundaries. */
function counter(): (chunk: Buffer) => number {
  let tail = '';
  return (chunk) => {
    const s = tail + chunk.toString('latin1');
    let n = 0;
    for (let i = s.indexOf(MARK); i !== -1; i = s.indexOf(MARK, i + MARK.length)) n++;
    tail = s.slice(-(MARK.length - 1));
    return n;
  };
}

function open(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => resolve(s));
    s.once('error', reject);
  });
}

async function sample(child: Child, phase: string, done: number): Promise<Sample> {
  await child.gc();
  const st = await child.stats();
  return { phase, done, rssMiB: mib(st.rss), heapMiB: mib(st.heap), fds: st.fds, connections: st.stats.connections };
}

/** Phase 1: keep-alive requests, `depth` in flight per connection. */
async function keepAlive(child: Child, o: SoakOptions, samples: Sample[]): Promise<number> {
  let sent = 0;
  let answered = 0;
  let warmed = false;
  const every = Math.max(1, Math.floor(o.requests / 10));
  let nextSample = every;
  let sampling: Promise<void> | null = null;
  const sockets = await Promise.all(Array.from({ length: o.conns }, () => open(child.port)));
  await Promise.all(sockets.map((s, k) => new Promise<void>((resolve, reject) => {
    const count = counter();
    let inFlight = 0;
    let i = k;
    const pump = (): void => {
      let batch = '';
      while (inFlight < o.depth && sent < o.requests) {
        batch += REQUESTS[i++ % REQUESTS.length];
        inFlight++;
        sent++;
      }
      if (batch.length > 0) s.write(batch);
      else if (inFlight === 0) {
        s.end();
        resolve();
      }
    };
    s.on('data', (d: Buffer) => {
      const n = count(d);
      inFlight -= n;
      answered += n;
      if (answered >= nextSample && sampling === null) {
        nextSample += every;
        const label = warmed ? 'requests' : 'warm-up';
        warmed = true;
        sampling = sample(child, label, answered).then((x) => {
          samples.push(x);
          o.log?.(`  ${label}: ${answered} answered, RSS ${x.rssMiB} MiB, heap ${x.heapMiB} MiB, fds ${x.fds}`);
          sampling = null;
        });
      }
      if (inFlight === 0) pump();
    });
    s.on('error', reject);
    s.on('close', () => (inFlight > 0 ? reject(new Error(`connection closed with ${inFlight} requests unanswered`)) : resolve()));
    pump();
  })));
  await sampling;
  return answered;
}

/** Phase 2: open/close cycles, `cycleConcurrency` at a time. */
async function cycles(child: Child, o: SoakOptions, samples: Sample[]): Promise<{ done: number; answers: number }> {
  let next = 0;
  let done = 0;
  let answers = 0;
  const every = Math.max(1, Math.floor(o.cycles / 5));
  const one = async (i: number): Promise<void> => {
    const s = await open(child.port);
    s.on('error', () => {});
    const closed = new Promise<void>((r) => s.once('close', () => r()));
    const kind = i % 10;
    if (kind === 0) {
      s.end(); // connect and FIN
    } else if (kind === 1) {
      s.write('GET /cycle HTTP/1.1\r\nHost: so'); // partial head, then a reset
      await new Promise((r) => setImmediate(r));
      s.resetAndDestroy();
    } else {
      const count = counter();
      s.on('data', (d: Buffer) => (answers += count(d)));
      s.write(CLOSE_REQUEST); // the server answers and closes first
    }
    await closed;
    done++;
  };
  const worker = async (): Promise<void> => {
    while (next < o.cycles) {
      const i = next++;
      await one(i);
      if (done % every === 0) {
        const x = await sample(child, 'cycles', done);
        samples.push(x);
        o.log?.(`  cycles: ${done} done, RSS ${x.rssMiB} MiB, heap ${x.heapMiB} MiB, fds ${x.fds}`);
      }
    }
  };
  await Promise.all(Array.from({ length: o.cycleConcurrency }, worker));
  return { done, answers };
}

export async function soak(o: SoakOptions): Promise<SoakResult> {
  const child = await startChild({ loop: o.loop, parser: o.parser, maxConns: 10_000 }, { mode: 'echo', execArgv: ['--expose-gc'] });
  try {
    const samples: Sample[] = [];
    const start = await sample(child, 'start', 0);
    samples.push(start);
    o.log?.(`  start: RSS ${start.rssMiB} MiB, heap ${start.heapMiB} MiB, fds ${start.fds}`);
    let t0 = Date.now();
    const answered = await keepAlive(child, o, samples);
    const requestSeconds = (Date.now() - t0) / 1000;
    o.log?.(`  ${answered} keep-alive requests answered in ${requestSeconds.toFixed(1)} s`);
    t0 = Date.now();
    const c = await cycles(child, o, samples);
    const cycleSeconds = (Date.now() - t0) / 1000;
    o.log?.(`  ${c.done} open/close cycles in ${cycleSeconds.toFixed(1)} s`);
    // Let the server finish its lingering closes, then the final sample.
    let end = await sample(child, 'end', c.done);
    for (let i = 0; i < 100 && end.connections > 0; i++) {
      await new Promise((r) => setTimeout(r, 100));
      end = await sample(child, 'end', c.done);
    }
    samples.push(end);
    const warm = samples.find((x) => x.phase === 'warm-up') ?? start;
    const phase1 = samples.filter((x) => x.phase === 'warm-up' || x.phase === 'requests');
    const phase2 = samples.filter((x) => x.phase === 'cycles');
    const span = (list: Sample[]) => (list.length < 2 ? 0 : Math.round((list[list.length - 1].rssMiB - list[0].rssMiB) * 10) / 10);
    const { warnings } = await child.close();
    const exitCode = await child.exited(10_000);
    return {
      options: { requests: o.requests, cycles: o.cycles, conns: o.conns, depth: o.depth, cycleConcurrency: o.cycleConcurrency, loop: o.loop, parser: o.parser },
      answered,
      cyclesDone: c.done,
      cycleAnswers: c.answers,
      seconds: { requests: requestSeconds, cycles: cycleSeconds },
      samples,
      warmRssMiB: warm.rssMiB,
      endRssMiB: end.rssMiB,
      driftMiB: Math.round((end.rssMiB - warm.rssMiB) * 10) / 10,
      driftPercent: Math.round(((end.rssMiB - warm.rssMiB) / warm.rssMiB) * 1000) / 10,
      requestsDriftMiB: span(phase1),
      cyclesDriftMiB: span(phase2),
      maxRssMiB: Math.max(...samples.map((x) => x.rssMiB)),
      baseFds: start.fds,
      endFds: end.fds,
      endConnections: end.connections,
      warnings,
      exitCode,
      stderr: child.stderr(),
    };
  } finally {
    child.kill();
  }
}
