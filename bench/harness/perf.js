// Linux perf as a cross-check of clinic flame: V8's --prof names native frames from the dynamic
// symbol table only, so time spent in libc's memcpy, in the kernel or in V8's runtime can show up
// under a wrong name (a `__write` under Buffer.copy). perf samples the whole process including
// the kernel, and --perf-basic-prof lets it name the JIT-compiled JS frames.
import fs from 'node:fs';
import { execFileSync, spawn } from 'node:child_process';

export function perfAvailable() {
  try {
    execFileSync('perf', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Sample `pid` for `seconds` into `file`. */
export function perfRecord(pid, seconds, file) {
  return new Promise((resolve, reject) => {
    const child = spawn('perf', ['record', '-e', 'cpu-clock', '-F', '999', '-g', '-p', String(pid), '-o', file, '--', 'sleep', String(seconds)], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 && fs.existsSync(file) ? resolve() : reject(new Error(`perf record exited ${code}: ${err.trim().split('\n').pop()}`))));
  });
}

/** Flat self-time report: [{pct, where, symbol}], plus the share per object (dso). */
export function perfReport(file, n = 25) {
  const run = (sort) =>
    execFileSync('perf', ['report', '-i', file, '--no-children', '--sort', sort, '--stdio', '-g', 'none', '--percent-limit', '0.3'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      maxBuffer: 64 << 20,
    })
      .split('\n')
      .filter((l) => /^\s+[\d.]+%/.test(l));
  const symbols = run('dso,symbol')
    .slice(0, n)
    .map((l) => {
      const m = /^\s+([\d.]+)%\s+(.+?)\s+\[(.)\]\s+(.*)$/.exec(l);
      return m ? { pct: Number(m[1]), where: m[2].trim(), symbol: m[4].trim() } : { pct: Number.parseFloat(l), where: '', symbol: l.trim() };
    });
  const objects = run('dso').map((l) => {
    const m = /^\s+([\d.]+)%\s+(.*)$/.exec(l);
    return { pct: Number(m[1]), where: m[2].trim() };
  });
  return { symbols, objects };
}

/**
 * Time charged to the nearest JS function on the stack: a builtin, an IC miss, a string
 * flatten or a syscall is counted for the JS function that caused it. Samples with no JS frame
 * (GC threads, the event loop polling) go by their leaf object. Needs /tmp/perf-PID.map.
 */
export function perfByJsCaller(file, n = 20) {
  const out = execFileSync('perf', ['script', '-i', file, '-F', 'ip,sym,dso'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
    maxBuffer: 512 << 20,
  });
  const counts = new Map();
  let total = 0;
  for (const sample of out.split('\n\n')) {
    const frames = sample.split('\n').map((l) => l.trim()).filter(Boolean);
    if (frames.length === 0) continue;
    total++;
    const js = frames.find((f) => / (JS|RegExp):/.test(f));
    let key;
    if (js) key = js.replace(/^[0-9a-f]+ /, '').replace(/\s*\(\/tmp\/perf-\d+\.map\)$/, '');
    else {
      const leaf = frames[0];
      key = /kernel/.test(leaf) ? '(kernel, no JS on the stack)' : /Scaveng|Mark|Sweep|Heap|GC|Evacuat|Concurrent/.test(leaf) ? '(GC)' : '(native, no JS on the stack)';
    }
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return {
    total,
    rows: [...counts.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([name, c]) => ({ name, pct: (100 * c) / total })),
  };
}
