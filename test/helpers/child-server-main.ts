// A wafer server in its own process, for the tests that need one: fault injection
// under --unhandled-rejections=strict, a lowered descriptor limit (EMFILE), C10K and
// slowloris loads, the soak. Started by startChild() (child-server.ts) with the server
// options as JSON in argv[2]; it talks to the parent over the IPC channel:
//   → { port }                      once listening
//   ← 'stats'  → { stats, fds, rss, heap, handles }
//   ← 'close'  → server.close(), then the IPC channel is dropped: the process must then exit
//               by itself — anything still holding the event loop (a socket, a timer) is a leak.
// The handler's behaviour is picked by the request path (or argv[3] 'echo': always answer).
import { readdirSync } from 'node:fs';
import { listen } from '../../lib/index.js';
import { answerBurst } from '../../fuzz/burst.js';
import type { WaferRequest, WaferResponse, ServerOptions } from '../../lib/core/types.js';

const options = JSON.parse(process.argv[2] ?? '{}') as ServerOptions;
/**
 * 'faults' (default): behaviour by path, below. 'echo': every request answered `ok <body length>`.
 * 'burst': the answer the path describes (fuzz/burst.ts).
 */
const mode = process.argv[3] ?? 'faults';
const warnings: string[] = [];
process.on('warning', (w) => warnings.push(`${w.name}: ${w.message}`));

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const BIG = Buffer.alloc(64 * 1024, 120);

async function handler(req: WaferRequest, res: WaferResponse): Promise<void> {
  const path = req.path;
  if (mode === 'echo') return res.end(`ok ${req.body.length}`);
  if (mode === 'burst') return answerBurst(req, res);
  if (path === '/throw') throw new Error('thrown by the handler');
  if (path === '/reject') {
    await sleep(5);
    throw new Error('rejected by the handler');
  }
  if (path === '/never') return; // never answers
  if (path === '/thenable') return { then: () => { throw new Error('then() threw'); } } as never; // a broken custom thenable
  if (path === '/evil') throw Object.defineProperty(new Error('evil'), 'status', { get: () => { throw new Error('status getter threw'); } });
  if (path === '/late') {
    // Answers after the client may have gone: every write must be a harmless no-op then.
    await sleep(Number(req.query.slice(3)) || 100);
    res.write('late ');
    await res.drain();
    res.end('answer');
    return;
  }
  if (path === '/big') {
    // 8 MiB with backpressure honoured; a reset mid-way must end this loop (drain resolves).
    for (let i = 0; i < 128; i++) if (!res.write(BIG)) await res.drain();
    res.end();
    return;
  }
  if (path === '/flood') {
    // 8 MiB ignoring backpressure: writes after a reset (EPIPE/ECONNRESET) must not throw.
    for (let i = 0; i < 128; i++) res.write(BIG);
    res.end();
    return;
  }
  if (path === '/slow') await sleep(50);
  res.end(`ok ${req.body.length}`);
}

const server = await listen(handler, { port: 0, host: '127.0.0.1', onError: () => {}, ...options });

function fdCount(): number {
  try {
    return readdirSync('/proc/self/fd').length;
  } catch {
    return -1;
  }
}

process.on('message', (msg: string) => {
  if (msg === 'stats') {
    // At EMFILE even memoryUsage() fails (it reads /proc): report -1 then.
    let mem = { rss: -1, heapUsed: -1 };
    try {
      mem = process.memoryUsage();
    } catch {
      // keep -1
    }
    const handles = (process as unknown as { _getActiveHandles(): unknown[] })._getActiveHandles().length;
    process.send?.({ stats: server.stats(), fds: fdCount(), rss: mem.rss, heap: mem.heapUsed, handles, warnings });
  } else if (msg === 'gc') {
    (globalThis as { gc?: () => void }).gc?.();
    process.send?.({ gc: true });
  } else if (msg === 'close') {
    void server.close().then(() => {
      process.send?.({ closed: true, stats: server.stats(), warnings }, () => process.disconnect());
    });
  }
});
process.send?.({ port: server.port, fds: fdCount() });
