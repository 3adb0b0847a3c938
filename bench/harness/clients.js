// Running the two Node clients (fixed-rate latency, 10k idle connections) on the load CPU.
import path from 'node:path';
import { spawn } from 'node:child_process';
import { BENCH_DIR, pinned, stopChild, track } from './procs.js';

function firstJsonLine(child, timeoutMs, what) {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${what}: no result within ${timeoutMs / 1000} s`));
    }, timeoutMs);
    child.stderr.on('data', (d) => (err += d));
    child.stdout.on('data', (d) => {
      out += d;
      const nl = out.indexOf('\n');
      if (nl === -1) return;
      clearTimeout(timer);
      child.stdout.removeAllListeners('data');
      child.stdout.resume();
      try {
        resolve(JSON.parse(out.slice(0, nl)));
      } catch (e) {
        reject(e);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      if (!out.includes('\n')) reject(new Error(`${what} exited ${code}: ${err.trim()}`));
    });
  });
}

export async function runRateClient({ port, rate, seconds, warmupSeconds, connections, cpu, varied = false }) {
  const script = path.join(BENCH_DIR, 'harness', 'rate-client.js');
  const [cmd, args] = pinned(cpu, process.execPath, [script, ...[port, rate, seconds, warmupSeconds, connections].map(String), ...(varied ? ['varied'] : [])]);
  const child = track(spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] }));
  return firstJsonLine(child, (seconds + warmupSeconds + 30) * 1000, 'rate client');
}

/** Opens `n` idle connections; resolves with {ok, failed, seconds, stop()} once all were answered. */
export async function openIdle({ port, n, cpu }) {
  const script = path.join(BENCH_DIR, 'harness', 'idle-client.js');
  const [cmd, args] = pinned(cpu, process.execPath, [script, String(port), String(n), '500']);
  const child = track(spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] }));
  const result = await firstJsonLine(child, 120_000, 'idle client');
  return { ...result, stop: () => stopChild(child) };
}
