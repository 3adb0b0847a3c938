// The table of scripts/bench-node-versions.sh: bench/results/node-versions.md from the runs'
// JSON files (<prefix>-<version>-<repetition>.json). Usage: node … PREFIX VERSION…
const fs = require('node:fs');
const path = require('node:path');

const [prefix, ...versions] = process.argv.slice(2);
const dir = path.dirname(prefix);
const base = path.basename(prefix);
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const x = (v) => (Number.isFinite(v) ? `${v.toFixed(2)}x` : '—');
// [scenario, ratio, column title]; a run without a scenario (an older run) shows — there.
const CELLS = [
  ['varied', 'vsCeiling', 'varied keep-alive × ceiling'],
  ['varied-pipeline', 'vsCeiling', 'varied pipelining × ceiling'],
  ['varied-headers-pipeline', 'vsCeiling', 'varied, handler reads headers, pipelining × ceiling'],
  ['varied-pipeline', 'vsNode', 'varied pipelining × node:http'],
  ['hello', 'vsCeiling', 'keep-alive hello × ceiling'],
  ['pipeline', 'vsCeiling', 'identical pipelining × ceiling'],
  ['pipeline', 'vsNode', 'identical pipelining × node:http'],
];
const ratio = (r, [s, k]) => r.analysis.ratios[s]?.['wafer-edge']?.[k] ?? NaN;
const RATES = ['varied-pipeline', 'pipeline'];
const runsOf = (v) => fs.readdirSync(dir)
  .filter((f) => f.startsWith(`${base}-${v}-`) && f.endsWith('.json'))
  .map((f) => JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')));

const summary = [];
const each = [];
let first = null;
const loads = [];
let overCeiling = false;
for (const v of versions) {
  const runs = runsOf(v).sort((a, b) => a.meta.date.localeCompare(b.meta.date));
  if (runs.length === 0) {
    summary.push(`| v${v} | 0 |${' — |'.repeat(CELLS.length)}`);
    continue;
  }
  first ??= runs[0];
  const cells = CELLS.map((c) => {
    const vs = runs.map((r) => ratio(r, c)).filter(Number.isFinite);
    return vs.length === 0 ? '—' : `${x(median(vs))} (${Math.min(...vs).toFixed(2)}–${Math.max(...vs).toFixed(2)})`;
  });
  summary.push(`| ${runs[0].meta.machine.node} | ${runs.length} | ${cells.join(' | ')} |`);
  for (const r of runs) {
    loads.push(r.meta.machine.loadavg[0]);
    if (ratio(r, ['pipeline', 'vsCeiling']) > 1) overCeiling = true;
    const rps = RATES.map((s) => (r.throughput[s] ? Math.round(r.throughput[s].results['wafer-edge'].median).toLocaleString('en-US') : '—'));
    each.push({ date: r.meta.date, row: `| ${r.meta.date.slice(11, 16)} | ${r.meta.machine.node} | ${r.meta.machine.loadavg[0].toFixed(1)} | ${CELLS.map((c) => x(ratio(r, c))).join(' | ')} | ${rps.join(' | ')} |` });
  }
}
if (first === null) throw new Error(`no runs at ${prefix}-*.json`);
const m = first.meta;
const md = [
  '# Headline ratios per Node version',
  '',
  `Runs of ${m.date.slice(0, 10)}, as \`scripts/bench-node-versions.sh\` makes them: the versions interleaved (20, 22, 24, 20, 22, 24, …),`,
  `each repetition one \`node bench/bench.js --quick --scenarios=${Object.keys(first.throughput).join(',')}\` under that Node (1 s warm-up, then 3`,
  'interleaved rounds of 2 s per server, `wrk -t1`, servers pinned to CPU 1 and wrk to CPU 0). A cell is wafer edge\'s',
  'ratio: the median over the repetitions of each run\'s median ratio; in brackets the lowest and highest run.',
  `wafer at ${m.revision.commit}${m.revision.dirty ? ' (uncommitted changes)' : ''}; ${m.machine.nproc} CPUs (${m.machine.cpu}), Linux ${m.machine.kernel}, wrk ${m.machine.wrk}.`,
  '',
  ...(Math.max(...loads) > 2.5 ? [
    '**Noisy numbers.** The machine was shared with other developers running test suites at the time (1-minute',
    `load averages ${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)} on 2 CPUs, in the second table). Absolute req/s are far below a quiet machine's and`,
    'single runs swing widely. The ratios are steadier, as the three servers of a run take turns round by round,',
    'but a difference between versions smaller than the bracketed ranges is noise, not one version being faster.',
  ] : [
    '**Noise.** The machine is shared with other developers (1-minute load averages',
    `${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)} on 2 CPUs at the start of the runs, in the second table), and 2-second rounds are short: a`,
    'difference between versions smaller than the bracketed ranges is noise, not one version being faster.',
  ]),
  ...(overCeiling ? [
    'A pipelining ratio above 1x the raw node:net ceiling is itself a sign of that noise (on a quiet machine wafer stays',
    'below the ceiling when pipelining: see the README\'s benchmark table), not a claim that wafer outruns it.',
  ] : []),
  '',
  `| Node | runs | ${CELLS.map((c) => c[2]).join(' | ')} |`,
  `|---|---:|${'---:|'.repeat(CELLS.length)}`,
  ...summary,
  '',
  'Table: `scripts/bench-node-versions.sh --report`. Every run (wafer edge):',
  '',
  `| UTC | Node | load (1 min) | ${CELLS.map((c) => c[2]).join(' | ')} | varied pipelining req/s | identical pipelining req/s |`,
  `|---|---|---:|${'---:|'.repeat(CELLS.length + 2)}`,
  ...each.sort((a, b) => a.date.localeCompare(b.date)).map((e) => e.row),
  '',
];
fs.writeFileSync(path.join(__dirname, '..', 'bench', 'results', 'node-versions.md'), md.join('\n'));
process.stdout.write(md.join('\n'));
