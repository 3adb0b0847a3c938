// Starting and stopping benchmark processes: servers pinned to the server CPU, clients and wrk
// to the load CPU, and reading a process's resident memory.
import fs from 'node:fs';
import path from 'node:path';
import { spawn, execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const BENCH_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const ROOT = path.resolve(BENCH_DIR, '..');

/** Decide how to pin: server on CPU 1, load on CPU 0, when there are two CPUs and taskset. */
export function pinningPlan(warn) {
  let taskset = true;
  try {
    execFileSync('taskset', ['-p', String(process.pid)], { stdio: 'ignore' });
  } catch {
    taskset = false;
  }
  const cpus = allowedCpus();
  if (!taskset) {
    warn('taskset not found (util-linux): servers and load share the CPUs unpinned; figures are noisier');
    return { server: null, load: null };
  }
  if (cpus.length < 2) {
    warn(`only ${cpus.length} CPU available: server and load generator share it; figures are not comparable to a 2-CPU run`);
    return { server: null, load: null };
  }
  return { server: cpus[1], load: cpus[0] };
}

function allowedCpus() {
  try {
    const out = execFileSync('taskset', ['-c', '-p', String(process.pid)], { encoding: 'utf8' });
    const list = out.split(':')[1].trim();
    const cpus = [];
    for (const part of list.split(',')) {
      const [a, b] = part.split('-').map(Number);
      for (let c = a; c <= (b ?? a); c++) cpus.push(c);
    }
    return cpus;
  } catch {
    return Array.from({ length: 1 }, (_, i) => i);
  }
}

/** Pin this (harness) process to the load CPU so it never competes with the server. */
export function pinSelf(cpu) {
  if (cpu === null) return;
  execFileSync('taskset', ['-a', '-p', '-c', String(cpu), String(process.pid)], { stdio: 'ignore' });
}

/** Raise the open-file limit of this process (children inherit it): 10,000 idle sockets need
 * more than the usual 1024. Returns the soft limit now in force. */
export function raiseNofile(want, warn) {
  try {
    execFileSync('prlimit', ['--pid', String(process.pid), `--nofile=${want}:${want}`], { stdio: 'ignore' });
  } catch {
    // Not root: go as high as the hard limit allows.
    try {
      const hard = execFileSync('bash', ['-c', 'ulimit -Hn'], { encoding: 'utf8' }).trim();
      const n = hard === 'unlimited' ? want : Math.min(want, Number(hard));
      execFileSync('prlimit', ['--pid', String(process.pid), `--nofile=${n}:`], { stdio: 'ignore' });
    } catch {
      warn('could not raise the open-file limit (prlimit)');
    }
  }
  try {
    const out = execFileSync('prlimit', ['--pid', String(process.pid), '--nofile', '--raw', '--noheadings'], {
      encoding: 'utf8',
    });
    return Number(out.trim().split(/\s+/)[1]);
  } catch {
    return Number(execFileSync('bash', ['-c', 'ulimit -n'], { encoding: 'utf8' }).trim());
  }
}

// Every child this process started: killed if we exit early (an exception, Ctrl-C), so a
// failed run never leaves a pinned server or a client holding 10,000 sockets behind.
const live = new Set();
process.on('exit', () => {
  for (const child of live) {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
});

// A signal would end us without 'exit' handlers: turn it into a normal exit first.
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.once(sig, () => {
    process.stderr.write(`\n${sig}: stopping the servers and clients this run started\n`);
    process.exit(130);
  });
}

export function track(child) {
  live.add(child);
  child.once('exit', () => live.delete(child));
  return child;
}

export function pinned(cpu, cmd, args) {
  return cpu === null ? [cmd, args] : ['taskset', ['-c', String(cpu), cmd, ...args]];
}

/** Start a benchmark server; resolves once it printed `READY <port>`. */
export function startServer(contender, cpu, extraEnv = {}) {
  const script = path.join(BENCH_DIR, 'servers', contender.script);
  const [cmd, args] = pinned(cpu, process.execPath, [...(contender.nodeArgs ?? []), script, ...(contender.args ?? [])]);
  const child = track(spawn(cmd, args, {
    cwd: ROOT,
    env: { ...process.env, PORT: '0', ...extraEnv },
    stdio: ['ignore', 'pipe', 'pipe'],
  }));
  let stderr = '';
  child.stderr.on('data', (d) => (stderr = (stderr + d).slice(-4000)));
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${contender.id}: no READY line within 15 s\n${stderr}`));
    }, 15_000);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${contender.id}: exited (${code ?? signal}) before it was ready\n${stderr.trim()}`));
    });
    child.stdout.on('data', (d) => {
      out += d;
      const m = /READY (\d+)/.exec(out);
      if (!m) return;
      clearTimeout(timer);
      child.removeAllListeners('exit');
      child.stdout.removeAllListeners('data');
      child.stdout.resume();
      resolve({
        contender,
        port: Number(m[1]),
        // With taskset -c the child *is* the server: taskset execs node in place.
        pid: child.pid,
        child,
        stderr: () => stderr,
        stop: () => stopChild(child),
      });
    });
  });
}

export function stopChild(child, graceMs = 3000) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** Resident set size in KiB (VmRSS from /proc/PID/status). */
export function rssKiB(pid) {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = /VmRSS:\s+(\d+) kB/.exec(status);
  if (!m) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(m[1]);
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
