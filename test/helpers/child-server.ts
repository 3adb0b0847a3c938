// Drive child-server-main.ts: start a wafer server in a child process (optionally with a lower
// or higher descriptor limit via prlimit, and strict unhandled rejections), ask it for its
// stats, close it, and check that it then exits by itself.
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ServerOptions, ServerStats } from '../../lib/core/types.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const CHILD = join(HERE, 'child-server-main.ts');

export interface ChildStats {
  stats: ServerStats;
  fds: number;
  rss: number;
  heap: number;
  handles: number;
  warnings: string[];
}

export interface Child {
  proc: ChildProcess;
  port: number;
  /** Descriptors open in the child once listening (the baseline). */
  baseFds: number;
  stats(): Promise<ChildStats>;
  /** Ask for a GC (the child must run with --expose-gc). */
  gc(): Promise<void>;
  /** server.close(); resolves with the final stats once the child has dropped IPC. */
  close(): Promise<{ stats: ServerStats; warnings: string[] }>;
  /** Resolves with the exit code (or signal) or null if still running after `ms`. */
  exited(ms: number): Promise<number | string | null>;
  stderr(): string;
  kill(): void;
}

export interface ChildOptions {
  /** Descriptor limit (soft and hard) for the child, set with prlimit. */
  nofile?: number;
  /** Extra node flags. */
  execArgv?: string[];
  /** Run another server script (e.g. compiled, with plain node) instead of child-server-main.ts through tsx. */
  script?: string;
  /** child-server-main.ts handler mode: 'faults' (by path, default), 'echo' or 'burst'. */
  mode?: 'faults' | 'echo' | 'burst';
}

export function startChild(server: ServerOptions, opts: ChildOptions = {}): Promise<Child> {
  const nodeArgs = [
    '--unhandled-rejections=strict',
    ...(opts.script === undefined ? ['--import', 'tsx'] : []),
    ...(opts.execArgv ?? []),
    opts.script ?? CHILD,
    JSON.stringify(server),
    opts.mode ?? 'faults',
  ];
  const [cmd, args] = opts.nofile === undefined
    ? [process.execPath, nodeArgs]
    : ['prlimit', [`--nofile=${opts.nofile}:${opts.nofile}`, process.execPath, ...nodeArgs]];
  const proc = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
  let err = '';
  proc.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  let exitValue: number | string | null = null;
  const exit = new Promise<number | string>((resolve) => proc.once('exit', (code, signal) => resolve((exitValue = code ?? signal ?? -1))));

  const ask = <T>(msg: string, key: string): Promise<T> => new Promise((resolve, reject) => {
    const onMessage = (m: Record<string, unknown>): void => {
      if (m[key] === undefined) return;
      proc.off('message', onMessage);
      resolve(m as T);
    };
    proc.on('message', onMessage);
    proc.send(msg, (e) => {
      if (e) {
        proc.off('message', onMessage);
        reject(e);
      }
    });
  });

  return new Promise<Child>((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`child did not start within 20 s:\n${err}`));
    }, 20_000);
    void exit.then((code) => {
      clearTimeout(timer);
      reject(new Error(`child exited (${code}) before listening:\n${err}`));
    });
    proc.once('message', (m: { port: number; fds: number }) => {
      clearTimeout(timer);
      resolve({
        proc,
        port: m.port,
        baseFds: m.fds,
        stats: () => ask<ChildStats>('stats', 'stats'),
        gc: async () => {
          await ask('gc', 'gc');
        },
        close: () => ask<{ stats: ServerStats; warnings: string[] }>('close', 'closed'),
        exited: (ms) => Promise.race([exit, new Promise<null>((r) => setTimeout(() => r(null), ms).unref())]).then(() => exitValue),
        stderr: () => err,
        kill: () => {
          if (exitValue === null) proc.kill('SIGKILL');
        },
      });
    });
  });
}
