// What the figures were measured on: recorded with every result.
import fs from 'node:fs';
import os from 'node:os';
import { execFileSync } from 'node:child_process';

function cpuModel() {
  try {
    const line = fs.readFileSync('/proc/cpuinfo', 'utf8').split('\n').find((l) => l.startsWith('model name'));
    return line ? line.split(':')[1].trim() : os.cpus()[0]?.model ?? 'unknown';
  } catch {
    return os.cpus()[0]?.model ?? 'unknown';
  }
}

function wrkVersion() {
  try {
    // wrk prints its version with the usage text and exits non-zero.
    execFileSync('wrk', ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    const out = `${e.stdout ?? ''}${e.stderr ?? ''}`;
    const m = /wrk (\S+)/.exec(out);
    if (m) return m[1];
  }
  return 'unknown';
}

export function machine() {
  return {
    nproc: os.availableParallelism(),
    cpu: cpuModel(),
    node: process.version,
    kernel: os.release(),
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    wrk: wrkVersion(),
    loadavg: os.loadavg().map((x) => Math.round(x * 100) / 100),
  };
}
