// `npm run soak`: a million keep-alive requests and 100,000 connection open/close cycles
// against one server process; prints the RSS samples, the drift after warm-up, descriptors
// and connections at the end, warnings, and the exit code, and writes the figures as JSON.
// Run it niced on a shared machine:  nice -n 10 npm run soak
//
//   npm run soak -- --requests 1000000 --cycles 100000 --conns 50 --depth 4 --loop edge --parser wafer
import { mkdirSync, writeFileSync } from 'node:fs';
import { soak } from '../test/helpers/soak-run.js';
import type { LoopKind } from '../lib/core/types.js';
import type { ParserKind } from '../parser/types.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

const options = {
  requests: Number(arg('requests', '1000000')),
  cycles: Number(arg('cycles', '100000')),
  conns: Number(arg('conns', '50')),
  depth: Number(arg('depth', '4')),
  cycleConcurrency: Number(arg('cycle-concurrency', '20')),
  loop: arg('loop', 'edge') as LoopKind,
  parser: arg('parser', 'wafer') as ParserKind,
};
console.log(`soak ${new Date().toISOString()}: ${JSON.stringify(options)}`);
const r = await soak({ ...options, log: (line) => console.log(line) });
const ok = r.answered === options.requests && r.cyclesDone === options.cycles && r.endConnections === 0 &&
  r.endFds <= r.baseFds && r.warnings.length === 0 && r.exitCode === 0;
console.log(`
requests answered   ${r.answered} / ${options.requests} in ${r.seconds.requests.toFixed(1)} s (${Math.round(r.answered / r.seconds.requests)} req/s)
open/close cycles   ${r.cyclesDone} / ${options.cycles} in ${r.seconds.cycles.toFixed(1)} s (${r.cycleAnswers} answered before the server closed)
RSS                 warm-up ${r.warmRssMiB} MiB → end ${r.endRssMiB} MiB: drift ${r.driftMiB} MiB (${r.driftPercent} %), max ${r.maxRssMiB} MiB
                    within phase 1 (requests, after warm-up) ${r.requestsDriftMiB} MiB; within phase 2 (cycles, after the first 20 %) ${r.cyclesDriftMiB} MiB
descriptors         start ${r.baseFds} → end ${r.endFds}
connections at end  ${r.endConnections}
warnings            ${r.warnings.length === 0 ? 'none' : r.warnings.join('; ')}
exit after close()  ${r.exitCode}${r.stderr ? `\nstderr: ${r.stderr}` : ''}
verdict             ${ok ? 'PASS' : 'FAIL'}`);
mkdirSync('bench/results', { recursive: true });
writeFileSync('bench/results/soak.json', JSON.stringify({ date: new Date().toISOString(), ...r }, null, 2) + '\n');
if (!ok) process.exitCode = 1;
