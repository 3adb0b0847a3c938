// `npm run fuzz`: every property of properties.ts with its full budget (over 1,000,000 cases
// in total), one seed for the whole run, printed first so any run can be replayed.
//
//   npm run fuzz                                   # full run, fresh seed
//   npm run fuzz -- --seed 42 --scale 0.1          # a tenth of the budget, fixed seed
//   npm run fuzz -- --only diff-malformed,split    # some properties
//   npm run fuzz -- --only split --seed 42 --path 1234:5:0   # replay one failure
//   npm run fuzz -- --list                         # the properties and the normalisations
import { Worker } from 'node:worker_threads';
import fc from 'fast-check';
import { NORMALISATIONS } from './compare.js';
import { KNOWN_RULES } from './known-rules.js';
import { forgiven, PROPERTIES } from './properties.js';
import { show } from './segments.js';
import { oursIsLlhttp } from './subjects.js';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

if (process.argv.includes('--list') || process.argv.includes('--help')) {
  for (const p of PROPERTIES) console.log(`${p.name.padEnd(16)} ${String(p.runs).padStart(8)}  ${p.what}`);
  console.log('\nDifferential normalisations:');
  for (const n of NORMALISATIONS) console.log(`- ${n}`);
  console.log('\nKnown rules (llhttp versions and deliberate strictness):');
  for (const r of KNOWN_RULES) console.log(`- ${r.name}: ${r.why}`);
  process.exit(0);
}

const seed = arg('seed') !== undefined ? Number(arg('seed')) : (Date.now() ^ (Math.random() * 0x7fffffff)) | 0;
const scale = Number(arg('scale') ?? 1);
const path = arg('path');
const only = arg('only')?.split(',');
const selected = PROPERTIES.filter((p) => !only || only.includes(p.name));
if (selected.length === 0) {
  console.error(`no property matches ${only}; see --list`);
  process.exit(2);
}

// A watchdog thread: if a single case stops making progress (an infinite loop in a parser),
// it prints where and kills the process, since a looping main thread cannot report anything.
const STALL_SECONDS = Number(arg('stall') ?? 60);
const progress = new Int32Array(new SharedArrayBuffer(8)); // [property index, case index]
const watchdog = new Worker(
  `const { workerData } = require('node:worker_threads');
   const fs = require('node:fs');
   const p = workerData.progress;
   let last = -1, still = 0;
   setInterval(() => {
     const now = Atomics.load(p, 1);
     still = now === last ? still + 1 : 0;
     last = now;
     if (still >= workerData.stall) {
       const name = workerData.names[Atomics.load(p, 0)];
       fs.writeSync(2, '\\nFUZZ HANG: no progress for ' + workerData.stall + ' s in ' + name + ' at case #' + now +
         ' (seed ' + workerData.seed + ').\\nReplay: npm run fuzz -- --only ' + name + ' --seed ' + workerData.seed + ' --path ' + now + '\\n');
       process.kill(process.pid, 'SIGKILL');
     }
   }, 1000);`,
  { eval: true, workerData: { progress, stall: STALL_SECONDS, seed, names: selected.map((p) => p.name) } },
);
watchdog.unref();

console.log(`wafer fuzz: seed ${seed}, scale ${scale}${path ? `, replaying path ${path}` : ''}, node ${process.version}`);
if (oursIsLlhttp()) console.log('NOTE: parser/wafer.ts is not wired into createParser yet: llhttp is being compared with itself.');

let total = 0;
let failures = 0;
const started = performance.now();
for (const [index, entry] of selected.entries()) {
  Atomics.store(progress, 0, index);
  Atomics.store(progress, 1, 0);
  const numRuns = path ? 1 : Math.max(1, Math.round(entry.runs * scale));
  let cases = 0;
  const property = entry.property().beforeEach((previous) => {
    Atomics.store(progress, 1, ++cases);
    previous();
  });
  const t0 = performance.now();
  const forgivenBefore = Object.values(forgiven).reduce((a, b) => a + b, 0);
  const result = fc.check(property, { seed, numRuns, path, endOnFailure: false });
  const seconds = (performance.now() - t0) / 1000;
  const ran = result.numRuns;
  total += ran;
  const rate = Math.round(ran / seconds);
  const f = Object.values(forgiven).reduce((a, b) => a + b, 0) - forgivenBefore;
  console.log(`${result.failed ? 'FAIL' : 'ok  '} ${entry.name.padEnd(16)} ${String(ran).padStart(8)} cases ${seconds.toFixed(1).padStart(7)} s ${String(rate).padStart(7)}/s${f > 0 ? `  (${f} explained by known rules)` : ''}`);
  if (result.failed) {
    failures++;
    console.log(`  seed ${result.seed}, path ${result.counterexamplePath}`);
    for (const value of result.counterexample ?? []) console.log(`  input: ${typeof value === 'string' ? show(value) : JSON.stringify(value)}`);
    const message = result.errorInstance instanceof Error ? result.errorInstance.message : String(result.errorInstance);
    console.log('  ' + message.split('\n').join('\n  '));
    console.log(`  replay: npm run fuzz -- --only ${entry.name} --seed ${result.seed} --path ${result.counterexamplePath}`);
  }
}
for (const [rule, n] of Object.entries(forgiven)) console.log(`known rule "${rule}": explained ${n} differing cases`);
console.log(`total: ${total} cases in ${((performance.now() - started) / 1000).toFixed(0)} s, ${failures} failing propert${failures === 1 ? 'y' : 'ies'} (seed ${seed})`);
process.exitCode = failures > 0 ? 1 : 0;
