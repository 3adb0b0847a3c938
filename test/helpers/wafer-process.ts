// Running the built `wafer` command from tests: make sure dist/ is current (one build even
// when several test files ask at once), spawn `node dist/lib/cli/cli.js`, wait for its lines,
// and make plain HTTP requests to it on 127.0.0.1.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CLI = join(ROOT, 'dist', 'lib', 'cli', 'cli.js');

function newestSource(dir: string): number {
  let newest = 0;
  if (!existsSync(dir)) return newest;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(p));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

function isStale(): boolean {
  if (!existsSync(CLI)) return true;
  const built = statSync(CLI).mtimeMs;
  return ['lib', 'parser', 'loop'].some((d) => newestSource(join(ROOT, d)) > built);
}

/**
 * Build with tsc when dist/ is older than the sources. CI's `npm ci` already built (prepare);
 * this is for a developer running the tests straight after an edit. A lock directory keeps
 * parallel test files from running tsc at the same time.
 */
export async function ensureBuilt(): Promise<void> {
  const lock = join(tmpdir(), 'wafer-build-' + Buffer.from(ROOT).toString('hex').slice(-32));
  const deadline = Date.now() + 180_000;
  while (isStale()) {
    try {
      mkdirSync(lock);
    } catch {
      if (Date.now() > deadline) throw new Error('timed out waiting for another test to build dist/');
      if (lockOwnerGone(lock)) rmSync(lock, { recursive: true, force: true });
      await new Promise((r) => setTimeout(r, 250));
      continue;
    }
    try {
      writeFileSync(join(lock, 'pid'), String(process.pid));
      // tsc exits non-zero on a type error elsewhere in the tree but still emits; the CLI's own
      // freshness is what matters here.
      spawnSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', ROOT], { stdio: 'ignore' });
    } finally {
      rmSync(lock, { recursive: true, force: true });
    }
    if (isStale()) throw new Error('npm run build did not produce a current dist/lib/cli/cli.js');
  }
}

function lockOwnerGone(lock: string): boolean {
  try {
    process.kill(Number(readFileSync(join(lock, 'pid'), 'utf8')), 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

export interface WaferProcess {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  /** Resolves with the first match of `re` in stdout+stderr, rejects after `ms`. */
  waitFor(re: RegExp, ms?: number): Promise<RegExpMatchArray>;
  /** Resolves with the exit code (or signal name) once the process has exited, rejects after `ms`. */
  exited(ms?: number): Promise<number | string>;
}

/** `detached`: its own process group, so a test can signal the group as a terminal's Ctrl-C does. */
export function runWafer(args: string[], env: Record<string, string> = {}, cwd: string = ROOT, detached = false): WaferProcess {
  const cleanEnv: NodeJS.ProcessEnv = { ...process.env };
  for (const k of ['PORT', 'HOST', 'LOOP', 'MAX_CON_CONS', 'WORKERS', 'THREADS', 'PARSER', 'ACCESS_LOG', 'SOCKET_PATH', 'TLS_KEY', 'TLS_CERT']) delete cleanEnv[k];
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd, env: { ...cleanEnv, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached,
  });
  let out = '';
  let err = '';
  const waiters = new Set<() => void>();
  const wake = (): void => { for (const w of [...waiters]) w(); };
  child.stdout!.setEncoding('utf8').on('data', (d: string) => { out += d; wake(); });
  child.stderr!.setEncoding('utf8').on('data', (d: string) => { err += d; wake(); });
  let exitValue: number | string | undefined;
  child.on('exit', (code, signal) => { exitValue = code ?? signal ?? -1; wake(); });

  return {
    child,
    stdout: () => out,
    stderr: () => err,
    waitFor(re, ms = 15_000) {
      return new Promise((res, rej) => {
        const check = (): void => {
          const m = (out + err).match(re);
          if (m) { done(); res(m); } else if (exitValue !== undefined) {
            done(); rej(new Error(`wafer exited (${exitValue}) before ${re}; output:\n${out}${err}`));
          }
        };
        const timer = setTimeout(() => { done(); rej(new Error(`timed out waiting for ${re}; output:\n${out}${err}`)); }, ms);
        const done = (): void => { clearTimeout(timer); waiters.delete(check); };
        waiters.add(check);
        check();
      });
    },
    exited(ms = 15_000) {
      return new Promise((res, rej) => {
        const check = (): void => { if (exitValue !== undefined) { done(); res(exitValue); } };
        const timer = setTimeout(() => { done(); rej(new Error(`wafer did not exit within ${ms} ms; output:\n${out}${err}`)); }, ms);
        const done = (): void => { clearTimeout(timer); waiters.delete(check); };
        waiters.add(check);
        check();
      });
    },
  };
}

/** Kill a test's process if it is still running (teardown for failed tests). */
export function reap(p: WaferProcess | undefined): void {
  if (p && p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
}

/** The port from the CLI's startup line (`… on http://localhost:PORT …`). */
export async function listeningPort(p: WaferProcess, ms?: number): Promise<number> {
  const m = await p.waitFor(/serving .* on http:\/\/[^ ]+:(\d+)/, ms);
  return Number(m[1]);
}

export interface Reply { status: number; headers: Record<string, string | string[] | undefined>; body: string }

/** One request on a fresh connection (Connection: close), so cluster round-robin sees it. */
export function get(port: number, path = '/', opts: { method?: string; body?: string; timeout?: number } = {}): Promise<Reply> {
  return new Promise((res, rej) => {
    const req = request({
      host: '127.0.0.1', port, path, method: opts.method ?? 'GET', agent: false,
      headers: { connection: 'close' }, timeout: opts.timeout ?? 5000,
    }, (r) => {
      let body = '';
      r.setEncoding('utf8').on('data', (d: string) => { body += d; }).on('end', () => res({ status: r.statusCode!, headers: r.headers, body }));
      r.on('error', rej);
    });
    req.on('timeout', () => req.destroy(new Error('request timed out')));
    req.on('error', rej);
    req.end(opts.body);
  });
}

/** A scratch directory with the given files; `{"type":"module"}` unless a package.json is given. */
export function appDir(files: Record<string, string>): string {
  const dir = join(tmpdir(), `wafer-app-${process.pid}-${Math.random().toString(36).slice(2)}`);
  mkdirSync(dir, { recursive: true });
  if (!('package.json' in files)) writeFileSync(join(dir, 'package.json'), '{"type":"module"}\n');
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
