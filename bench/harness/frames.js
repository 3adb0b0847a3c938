// Summarises a clinic flame (0x) samples file: every sample is one stack, root first. Self time
// is the frame on top of the stack; inclusive time counts each frame once per stack it is on.
import fs from 'node:fs';
import path from 'node:path';
import { ROOT } from './procs.js';

const short = (name) => name.replaceAll(`file://${ROOT}/`, '').replaceAll(`${ROOT}/`, '').trim();
const isWafer = (name) => /(^|\s)(file:\/\/)?\S*\/dist\/(lib|loop|parser)\//.test(name);

function area(frame) {
  if (frame.type === 'JS') {
    if (isWafer(frame.name)) return 'wafer JS';
    if (/node:/.test(frame.name)) return 'node internals (JS)';
    if (/node_modules/.test(frame.name)) return 'dependencies (JS)';
    return 'other JS (regexps, builtins)';
  }
  if (frame.type === 'CODE') return 'V8 generated code';
  return 'native (libuv, syscalls, C++, GC)';
}

export function topFrames(samplesFile, n = 15) {
  const ticks = JSON.parse(fs.readFileSync(samplesFile, 'utf8'));
  const self = new Map();
  const incl = new Map();
  const areas = new Map();
  const add = (m, k) => m.set(k, (m.get(k) ?? 0) + 1);
  for (const stack of ticks) {
    if (stack.length === 0) {
      add(self, '(idle or unknown)');
      add(areas, 'idle or unknown');
      continue;
    }
    const top = stack[stack.length - 1];
    add(self, short(top.name));
    add(areas, area(top));
    const seen = new Set();
    for (const f of stack) {
      if (!isWafer(f.name) || seen.has(f.name)) continue;
      seen.add(f.name);
      add(incl, short(f.name));
    }
  }
  const total = ticks.length;
  const rank = (m, k) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, k)
      .map(([name, c]) => ({ name, samples: c, pct: (100 * c) / total }));
  return { total, self: rank(self, n), inclusive: rank(incl, n), areas: rank(areas, 10), file: path.relative(ROOT, samplesFile) };
}
