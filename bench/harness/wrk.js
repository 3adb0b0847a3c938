// Running wrk (pinned to the load CPU) and reading its report.
import path from 'node:path';
import { spawn } from 'node:child_process';
import { BENCH_DIR, pinned, track } from './procs.js';

const UNIT = { us: 1e-3, ms: 1, s: 1000, m: 60_000 };

/** '1.23ms' → 1.23 (milliseconds). */
function ms(text) {
  const m = /^([\d.]+)(us|ms|s|m)$/.exec(text);
  return m ? Number(m[1]) * UNIT[m[2]] : NaN;
}

export function parseWrk(out) {
  const num = (re) => {
    const m = re.exec(out);
    return m ? Number(m[1]) : 0;
  };
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(out);
  if (!rps) throw new Error(`wrk printed no Requests/sec:\n${out}`);
  const latency = {};
  for (const m of out.matchAll(/^\s+(50|75|90|99)%\s+(\S+)$/gm)) latency[`p${m[1]}`] = ms(m[2]);
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  return {
    rps: Number(rps[1]),
    requests: num(/(\d+) requests in/),
    non2xx: num(/Non-2xx or 3xx responses: (\d+)/),
    socketErrors: sock ? { connect: +sock[1], read: +sock[2], write: +sock[3], timeout: +sock[4] } : null,
    latencyMs: latency,
  };
}

/** Errors worth flagging in the report: any non-2xx answer, or socket errors other than the
 * read errors wrk counts when a server closes connections at the end. */
export function errorCount(r) {
  const s = r.socketErrors;
  return r.non2xx + (s ? s.connect + s.write + s.timeout + s.read : 0);
}

/** `args`: arguments for the script (after `--` on wrk's command line), e.g. a pipeline depth. */
export function runWrk({ port, connections, seconds, script, cpu, path: urlPath = '/', args: scriptArgs = [], timeoutSec = 10, tls = false }) {
  const args = ['-t1', `-c${connections}`, `-d${seconds}s`, `--timeout`, `${timeoutSec}s`, '--latency'];
  if (script) args.push('-s', path.join(BENCH_DIR, 'wrk', script));
  args.push(`${tls ? 'https' : 'http'}://127.0.0.1:${port}${urlPath}`);
  if (script && scriptArgs.length) args.push('--', ...scriptArgs);
  const [cmd, full] = pinned(cpu, 'wrk', args);
  return new Promise((resolve, reject) => {
    const child = track(spawn(cmd, full, { stdio: ['ignore', 'pipe', 'pipe'] }));
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code !== 0) return reject(new Error(`wrk exited ${code}: ${err || out}`));
      try {
        resolve(parseWrk(out));
      } catch (e) {
        reject(e);
      }
    });
  });
}
