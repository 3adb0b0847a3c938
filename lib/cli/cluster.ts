// WORKERS=n: n processes on one port with node:cluster. The primary forks workers that each run
// the ordinary single-process CLI (lib/cli/cli.ts) and call listen() on the same port — cluster hands
// them one shared listening socket. The primary serves nothing itself: it starts workers,
// replaces the ones that die, and on SIGINT/SIGTERM tells every worker to close and waits.
import cluster, { type Worker } from 'node:cluster';
import { createServer, type AddressInfo } from 'node:net';
import type { CliSettings } from './settings.js';

/** IPC between primary and workers; the `wafer` key keeps ours apart from the app's messages. */
export const workerMessages = { listening: 'listening', close: 'close' } as const;
/**
 * With PORT=0 the primary picks the free port itself and hands it to every worker in this
 * variable. Letting each worker ask cluster for port 0 works until every worker has died at
 * once: cluster then closes the shared socket, and the replacements would get a new random port.
 */
export const CLUSTER_PORT_ENV = 'WAFER_CLUSTER_PORT';

export type WorkerMessage =
  | { wafer: typeof workerMessages.listening; port: number }
  | { wafer: typeof workerMessages.close };

export interface PrimaryOptions {
  /** Deaths tolerated within `stormWindowMs` before the primary gives up. Default max(5, 2 × workers). */
  maxRestarts?: number;
  /** Default 10 s. */
  stormWindowMs?: number;
  /** How long workers get to close before they are killed. Default 30 s. */
  closeTimeoutMs?: number;
}

/**
 * Run the primary. The first worker starts alone: if the app cannot load or the port is taken,
 * it exits before listening and the primary exits with its code, so the user sees that error
 * once instead of n times. Then the rest start. `onListening` gets the port and pids when all
 * n workers listen.
 */
export function runPrimary(
  s: CliSettings,
  onListening: (port: number, pids: number[]) => void,
  opts: PrimaryOptions = {},
): void {
  const maxRestarts = opts.maxRestarts ?? Math.max(5, 2 * s.workers);
  const stormWindowMs = opts.stormWindowMs ?? 10_000;
  const closeTimeoutMs = opts.closeTimeoutMs ?? 30_000;

  const listening = new Set<Worker>();
  const deaths: number[] = [];
  let started = false;
  let stopping = false;
  let exitCode = 0;

  let port = s.port;
  const fork = (): void => { cluster.fork({ [CLUSTER_PORT_ENV]: String(port) }); };

  cluster.on('message', (worker: Worker, msg: WorkerMessage) => {
    if (msg?.wafer !== workerMessages.listening) return;
    listening.add(worker);
    if (stopping) { worker.send({ wafer: workerMessages.close } satisfies WorkerMessage); return; }
    if (!started) {
      if (listening.size === 1) for (let i = 1; i < s.workers; i++) fork();
      if (listening.size === s.workers) {
        started = true;
        onListening(msg.port, [...listening].map((w) => w.process.pid!));
      }
    } else {
      console.error(`wafer: worker ${worker.process.pid} listening`);
    }
  });

  cluster.on('exit', (worker: Worker, code: number | null, signal: string | null) => {
    const wasListening = listening.delete(worker);
    if (stopping) {
      if (alive().length === 0) process.exit(exitCode);
      return;
    }
    if (!wasListening && !started) {
      // Startup failed (the worker printed why): stop everything with its exit code.
      stop(code !== null && code !== 0 ? code : 1);
      return;
    }
    const now = Date.now();
    deaths.push(now);
    while (deaths.length > 0 && deaths[0]! < now - stormWindowMs) deaths.shift();
    const how = signal !== null ? `signal ${signal}` : `code ${code}`;
    if (deaths.length > maxRestarts) {
      console.error(`wafer: ${deaths.length} workers died within ${stormWindowMs / 1000} s (last: pid ${worker.process.pid}, ${how}); giving up`);
      stop(1);
      return;
    }
    console.error(`wafer: worker ${worker.process.pid} died (${how}); starting a replacement`);
    fork();
  });

  /** Ask every worker to close; exit when all have, or kill them after closeTimeoutMs. */
  function stop(code: number): void {
    if (stopping) return;
    stopping = true;
    exitCode = code;
    const workers = alive();
    if (workers.length === 0) process.exit(exitCode);
    for (const w of workers) {
      if (w.isConnected()) w.send({ wafer: workerMessages.close } satisfies WorkerMessage);
      else w.process.kill('SIGTERM');
    }
    setTimeout(() => {
      console.error(`wafer: workers still running after ${closeTimeoutMs / 1000} s; killing them`);
      for (const w of alive()) w.process.kill('SIGKILL');
      exitCode = 1;
    }, closeTimeoutMs).unref();
  }

  // A worker is still in cluster.workers during its 'exit' event until its IPC channel closes.
  function alive(): Worker[] {
    return Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined && !w.isDead());
  }

  let signals = 0;
  const onSignal = (): void => {
    // A second Ctrl-C: do not wait for in-flight requests any longer.
    if (++signals > 1) {
      for (const w of alive()) w.process.kill('SIGKILL');
      process.exit(1);
    }
    stop(0);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  if (port !== 0) { fork(); return; }
  // A free port, found by binding and releasing it: another program could take it in between,
  // in which case the first worker fails with EADDRINUSE and the command exits 1.
  const probe = createServer();
  probe.once('error', (err: NodeJS.ErrnoException) => {
    console.error(`wafer: cannot listen on ${s.host}:0: ${err.code ?? err.message}`);
    process.exit(1);
  });
  probe.listen(0, s.host, () => {
    port = (probe.address() as AddressInfo).port;
    probe.close(fork);
  });
}
