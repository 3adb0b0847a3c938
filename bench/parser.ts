// `npm run bench:parser`: our parser, Node's llhttp (through our adapter and raw) and
// http-parser-js, side by side in one process over the sets in parser-sets.ts. Each sample
// runs one contestant for ~SAMPLE_MS; rounds interleave the contestants (in a shuffled order
// each round), and the table reports the median rate per contestant. Pinned to CPU 1 with taskset
// when it exists, so the figures are not spread across cores.
//
//   npm run bench:parser                  # full run (~20 s)
//   npm run bench:parser -- --quick       # fewer, shorter rounds
//   npm run bench:parser -- --json out.json
//   npm run bench:parser -- --only wafer --set pipelined   # one contestant/set (for --cpu-prof)
//   SAMPLE_MS=10 ROUNDS=61 npm run bench:parser            # shorter samples, more rounds
//
// It runs as tsc compiles it (bench/tsconfig.parser.json → .bench-build/), in plain node: what
// ships is what is timed (docs/parser.md, "Parser benchmark").
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { CONTESTANTS, SETS, Tally, type BenchSet, type Contestant } from './parser-sets.js';

const quick = process.argv.includes('--quick');
function arg(name: string): string | null {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : null;
}
const jsonOut = arg('json');
const onlyContestant = arg('only');
const onlySet = arg('set');

// Re-run pinned to one CPU unless already pinned (or told not to).
if (!process.env.WAFER_BENCH_PINNED && !process.argv.includes('--no-pin')) {
  const probe = spawnSync('taskset', ['-c', '1', 'true']);
  if (probe.status === 0) {
    const r = spawnSync('taskset', ['-c', '1', process.execPath, ...process.execArgv, ...process.argv.slice(1)], {
      stdio: 'inherit',
      env: { ...process.env, WAFER_BENCH_PINNED: 'cpu 1 (taskset -c 1)' },
    });
    process.exit(r.status ?? 1);
  }
}

const SAMPLE_MS = Number(process.env.SAMPLE_MS ?? (quick ? 40 : 80));
const WARMUP_MS = quick ? 200 : 500;
const ROUNDS = Number(process.env.ROUNDS ?? (quick ? 5 : 11));

interface Runner {
  contestant: Contestant;
  op: (buf: Buffer) => void;
  tally: Tally;
  iterations: number;
  rates: number[];
}

/** Run `n` ops; returns ops per second. */
function sample(r: Runner, set: BenchSet, n: number): number {
  const buf = set.buffer;
  const op = r.op;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) op(buf);
  const ns = Number(process.hrtime.bigint() - t0);
  return (n * 1e9) / ns;
}

// A seeded shuffle (the same orders on every run).
let seed = 0x2545f491;
function shuffled<T>(xs: readonly T[]): T[] {
  const out = [...xs];
  for (let i = out.length - 1; i > 0; i--) {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    const j = (seed >>> 8) % (i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function verify(r: Runner, set: BenchSet, ops: number, reference: Tally | null): void {
  const t = r.tally;
  const name = `${r.contestant.name} on ${set.name}`;
  if (t.messages !== ops * set.messages) throw new Error(`${name}: ${t.messages} messages for ${ops} ops, expected ${ops * set.messages}`);
  if (t.bodyBytes !== ops * set.bodyBytes) throw new Error(`${name}: ${t.bodyBytes} body bytes for ${ops} ops, expected ${ops * set.bodyBytes}`);
  if (reference && t.stringChars / ops !== reference.stringChars) {
    throw new Error(`${name}: ${t.stringChars / ops} string chars per op, the others ${reference.stringChars}`);
  }
}

interface SetResult {
  rates: Map<string, number>;
  /** Median over rounds of wafer's rate / the other's rate in the same round (drift cancels). */
  ratios: Map<string, number>;
  /** Interquartile spread of wafer's per-round rate, as a fraction of its median. */
  spread: number;
}

function quartiles(xs: number[]): [number, number] {
  const s = [...xs].sort((a, b) => a - b);
  return [s[Math.floor((s.length - 1) / 4)], s[Math.ceil(((s.length - 1) * 3) / 4)]];
}

function benchSet(set: BenchSet): SetResult {
  // Correctness first: one op on a fresh parser each, same tallies for all.
  let reference: Tally | null = null;
  for (const c of CONTESTANTS) {
    const t = new Tally();
    c.make(t)(set.buffer);
    const r = { contestant: c, op: () => {}, tally: t, iterations: 0, rates: [] };
    verify(r, set, 1, reference);
    reference ??= t;
  }
  const runners: Runner[] = CONTESTANTS.filter((c) => !onlyContestant || c.name.startsWith(onlyContestant)).map((c) => {
    const tally = new Tally();
    return { contestant: c, op: c.make(tally), tally, iterations: 0, rates: [] };
  });
  // Warm-up, and size a sample to ~SAMPLE_MS.
  for (const r of runners) {
    let n = 1;
    let spent = 0;
    const t0 = performance.now();
    while (performance.now() - t0 < WARMUP_MS) {
      const rate = sample(r, set, n);
      spent += n;
      r.iterations = Math.max(1, Math.round((rate * SAMPLE_MS) / 1000));
      n = Math.min(n * 2, r.iterations);
    }
    r.tally.messages = spent * set.messages; // keep the count honest across warm-up
  }
  for (const r of runners) {
    r.tally = new Tally();
    r.op = r.contestant.make(r.tally);
  }
  let ops = 0;
  for (let round = 0; round < ROUNDS; round++) {
    // A fresh order each round: a fixed cycle would always run one contestant right after
    // the same other one and hand it that one's garbage to collect.
    for (const r of shuffled(runners)) r.rates.push(sample(r, set, r.iterations));
  }
  for (const r of runners) {
    ops = r.iterations * ROUNDS;
    verify(r, set, ops, reference);
  }
  const rates = new Map(runners.map((r) => [r.contestant.name, median(r.rates)]));
  const ratios = new Map<string, number>();
  const wafer = runners.find((r) => r.contestant.name === 'wafer');
  let spread = 0;
  if (wafer) {
    for (const r of runners) ratios.set(r.contestant.name, median(wafer.rates.map((w, i) => w / r.rates[i])));
    const [q1, q3] = quartiles(wafer.rates);
    spread = (q3 - q1) / median(wafer.rates);
  }
  return { rates, ratios, spread };
}

function fmt(n: number): string {
  return n >= 1e6 ? `${(n / 1e6).toFixed(2)} M` : n >= 1e3 ? `${(n / 1e3).toFixed(1)} k` : n.toFixed(0);
}

const pinned = process.env.WAFER_BENCH_PINNED ?? 'not pinned';
console.log(`parser benchmark: node ${process.version}, llhttp ${process.versions.llhttp}, ${pinned}, ${ROUNDS} rounds x ${SAMPLE_MS} ms, medians`);
const names = CONTESTANTS.filter((c) => !onlyContestant || c.name.startsWith(onlyContestant)).map((c) => c.name);
const results: Record<string, Record<string, number>> = {};
const lines = [
  `| set | ${names.join(' | ')} | wafer / llhttp adapter | wafer / llhttp raw | wafer / http-parser-js |`,
  `|---|${names.map(() => '---:|').join('')}---:|---:|---:|`,
];
for (const set of SETS.filter((s) => !onlySet || s.name.includes(onlySet))) {
  const { rates, ratios, spread } = benchSet(set);
  results[set.name] = { ...Object.fromEntries(rates), ...Object.fromEntries([...ratios].map(([k, v]) => [`wafer/${k}`, v])), spread };
  const ratio = (b: string) => (ratios.has(b) ? `${ratios.get(b)!.toFixed(2)}x` : '–');
  const cell = (n: string) => fmt(rates.get(n)!) + ' ops/s' + (n === 'wafer' ? ` (±${Math.round((spread * 100) / 2)}%)` : '');
  lines.push(`| ${set.name} | ${names.map(cell).join(' | ')} | ${ratio('llhttp (adapter)')} | ${ratio('llhttp (raw binding)')} | ${ratio('http-parser-js')} |`);
}
console.log('\nOne op = one execute() of the whole set buffer (16 requests for the pipelined set). Rates: medians over');
console.log("rounds (± half wafer's interquartile range); ratios: median of the per-round ratios, so load drift cancels.\n");
console.log(lines.join('\n'));
if (jsonOut) writeFileSync(jsonOut, JSON.stringify({ date: new Date().toISOString(), node: process.version, pinned, results }, null, 2) + '\n');
