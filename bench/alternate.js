// `npm run bench:alternate`: two servers up at once, short wrk runs alternating between them
// (A B, B A, A B …), each pair's ratio printed as it comes. On a machine whose speed changes
// from one second to the next this shows how far a figure moves, and the median of the
// per-pair ratios is the steadiest comparison it can make (both runs of a pair see nearly the
// same machine). Servers on CPU 1, wrk on CPU 0, as in `npm run bench`.
//
//   npm run bench:alternate                                   # wafer edge vs the ceiling, pipelined
//   npm run bench:alternate -- --a=wafer-edge --b=node-http --scenario=hello --pairs=20 --seconds=1
import { parseArgs } from 'node:util';
import { CONTENDERS, SCENARIOS } from './contenders.js';
import { pinningPlan, pinSelf, startServer } from './harness/procs.js';
import { runWrk, errorCount } from './harness/wrk.js';
import { median } from './harness/stats.js';

const { values: flags } = parseArgs({
  options: {
    a: { type: 'string', default: 'wafer-edge' },
    b: { type: 'string', default: 'ceiling' },
    scenario: { type: 'string', default: 'pipeline' },
    pairs: { type: 'string', default: '12' },
    seconds: { type: 'string', default: '1' },
  },
});
const find = (id) => CONTENDERS.find((c) => c.id === id) ?? fail(`no contender "${id}" (${CONTENDERS.map((c) => c.id).join(', ')})`);
const scenario = SCENARIOS.find((s) => s.id === flags.scenario) ?? fail(`no scenario "${flags.scenario}"`);
function fail(msg) {
  console.error(msg);
  process.exit(2);
}

const cpus = pinningPlan((m) => console.error(`warning: ${m}`));
pinSelf(cpus.load);
const [a, b] = [find(flags.a), find(flags.b)];
const servers = [await startServer(a, cpus.server), await startServer(b, cpus.server)];
const run = (s, seconds) => runWrk({ port: s.port, connections: scenario.connections, seconds, script: scenario.script, path: scenario.path, args: scenario.args, cpu: cpus.load, tls: s.contender.tls === true });
try {
  for (const s of servers) await run(s, 2); // warm-up
  const pairs = Number(flags.pairs);
  const seconds = Number(flags.seconds);
  const ratios = [];
  const rates = [[], []];
  console.log(`${scenario.title}: ${a.label} (A) vs ${b.label} (B), ${pairs} pairs of ${seconds} s runs`);
  for (let i = 0; i < pairs; i++) {
    const order = i % 2 === 0 ? [0, 1] : [1, 0];
    const r = [0, 0];
    for (const k of order) {
      const res = await run(servers[k], seconds);
      r[k] = res.rps;
      // A fast wrong answer is no result: say so on the pair's line.
      const errs = errorCount(res);
      if (errs) console.log(`  pair ${i + 1}: ${[a, b][k].label}: ${errs} errors (non-2xx answers or socket errors)`);
    }
    rates[0].push(r[0]);
    rates[1].push(r[1]);
    ratios.push(r[0] / r[1]);
    console.log(`  pair ${String(i + 1).padStart(2)}: A ${Math.round(r[0]).toLocaleString('en-US').padStart(9)}  B ${Math.round(r[1]).toLocaleString('en-US').padStart(9)}  A/B ${(r[0] / r[1]).toFixed(2)}`);
  }
  const lo = Math.min(...ratios);
  const hi = Math.max(...ratios);
  console.log(`A/B: median ${median(ratios).toFixed(2)} (pairs ${lo.toFixed(2)}–${hi.toFixed(2)}); A ${Math.round(median(rates[0])).toLocaleString('en-US')} req/s, B ${Math.round(median(rates[1])).toLocaleString('en-US')} req/s (medians)`);
} finally {
  for (const s of servers) await s.stop();
}
