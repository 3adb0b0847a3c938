// `npm run bench` / `npm run bench:quick`: wafer against node:http, fastify and the raw node:net
// ceiling. Servers run pinned to one CPU, the load (wrk or our Node clients) on the other;
// warm-up, then interleaved rounds (A B C … A B C …); medians and min–max.
// Flags: --quick, --only=a,b  --scenarios=varied,varied-pipeline,varied-headers-pipeline,hello,
//        pipeline,echo,json,upload,latency-varied,latency,memory (default: all; --quick: varied-pipeline,hello,pipeline,memory)
//        --rounds=N --duration=S --warmup=S --rate=N --idle=N --out=PREFIX --note=TEXT
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { execFileSync } from 'node:child_process';
import { CONTENDERS, SCENARIOS } from './contenders.js';
import { machine } from './harness/machine.js';
import { pinningPlan, pinSelf, raiseNofile, startServer, rssKiB, sleep, ROOT } from './harness/procs.js';
import { runWrk, errorCount } from './harness/wrk.js';
import { runRateClient, openIdle } from './harness/clients.js';
import { checkServer } from './harness/check.js';
import { summarize } from './harness/stats.js';
import { analyse, toMarkdown } from './harness/report.js';
import { toSvg } from './harness/svg.js';

const { values: flags } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
    scenarios: { type: 'string' },
    rounds: { type: 'string' },
    duration: { type: 'string' },
    warmup: { type: 'string' },
    rate: { type: 'string' },
    'latency-rounds': { type: 'string' },
    idle: { type: 'string' },
    out: { type: 'string' },
    note: { type: 'string' },
  },
});

const quick = flags.quick;
const opt = {
  mode: quick ? 'quick' : 'full',
  contenders: (flags.only ?? (quick ? 'ceiling,node-http,wafer-edge' : CONTENDERS.filter((c) => !c.tls).map((c) => c.id).join(','))).split(','),
  scenarios: (flags.scenarios ?? (quick ? 'varied-pipeline,hello,pipeline,memory' : `${SCENARIOS.map((s) => s.id).join(',')},latency-varied,latency,memory`)).split(','),
  rounds: Number(flags.rounds ?? 3),
  duration: Number(flags.duration ?? (quick ? 2 : 5)),
  warmup: Number(flags.warmup ?? (quick ? 1 : 3)),
  rate: Number(flags.rate ?? 5000),
  // Tail latency on a machine whose speed swings from second to second: several shorter runs
  // per server, interleaved, and the run with the median p99 reported (see docs/benchmarks.md).
  latencyRounds: Number(flags['latency-rounds'] ?? (quick ? 1 : 3)),
  latencySeconds: quick ? 5 : 6,
  latencyWarmup: 2,
  latencyConnections: 50,
  idle: Number(flags.idle ?? 10_000),
  out: path.resolve(ROOT, flags.out ?? (quick ? 'bench/results/tmp/quick' : 'bench/results/latest')),
};

const warnings = [];
const warn = (msg) => {
  warnings.push(msg);
  process.stderr.write(`warning: ${msg}\n`);
};
const fmt = (n) => Math.round(n).toLocaleString('en-US');

// ---------------------------------------------------------------- setup
try {
  execFileSync('wrk', ['--version'], { stdio: 'ignore' });
} catch (e) {
  if (e.code === 'ENOENT') {
    console.error('wrk is not installed: apt-get install -y wrk (Debian/Ubuntu)');
    process.exit(2);
  }
}
// Read the machine before pinning ourselves (availableParallelism follows our affinity).
const info = machine();
const cpus = pinningPlan(warn);
pinSelf(cpus.load);
const nofile = raiseNofile(65536, warn);
if (opt.scenarios.includes('memory') && nofile < opt.idle + 200) {
  const n = Math.max(100, nofile - 200);
  warn(`open-file limit is ${nofile}: the memory check opens ${n} connections instead of ${opt.idle}`);
  opt.idle = n;
}

const started = new Date();
const contenders = CONTENDERS.filter((c) => opt.contenders.includes(c.id)).map((c) => ({ ...c, available: true, reason: '' }));
const throughputScenarios = SCENARIOS.filter((s) => opt.scenarios.includes(s.id));
const needBodies = throughputScenarios.some((s) => s.body);
const needHeaders = throughputScenarios.some((s) => s.headers);

const distIndex = path.join(ROOT, 'dist/lib/index.js');
for (const c of contenders.filter((c) => c.wafer)) {
  if (!fs.existsSync(distIndex) || !/export\s*\{[^}]*\blisten\b|export (async )?function listen/.test(fs.readFileSync(distIndex, 'utf8'))) {
    c.available = false;
    c.reason = 'dist/lib/index.js does not export listen yet (npm run build)';
  }
}

const participants = (s) => contenders.filter((c) => c.available && !(s.body && c.getOnly));
let steps = 0;
let plannedSeconds = 0;
const plan = (n, seconds) => {
  steps += n;
  plannedSeconds += n * seconds;
};
const avail = () => contenders.filter((c) => c.available);
function replan() {
  steps = 0;
  plannedSeconds = 0;
  for (const s of throughputScenarios) {
    const n = participants(s).length;
    plan(n, opt.warmup + 0.5);
    plan(n * opt.rounds, opt.duration + 0.5);
  }
  for (const id of ['latency', 'latency-varied']) if (opt.scenarios.includes(id)) plan(avail().length * opt.latencyRounds, opt.latencySeconds + opt.latencyWarmup + 1);
  if (opt.scenarios.includes('memory')) plan(avail().length, 8);
}

const t0 = Date.now();
let step = 0;
let doneSeconds = 0;
function revision() {
  try {
    const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: ROOT, encoding: 'utf8' }).trim() !== '';
    return { commit, dirty };
  } catch {
    return null;
  }
}
const rev = revision();

function progress(label, seconds, result = '') {
  step++;
  doneSeconds += seconds;
  const el = (Date.now() - t0) / 1000;
  const left = Math.max(0, plannedSeconds - doneSeconds) * (doneSeconds > 0 ? Math.max(1, el / doneSeconds) : 1);
  const mmss = (s) => `${Math.floor(s / 60)}:${String(Math.round(s % 60)).padStart(2, '0')}`;
  process.stderr.write(`[${String(step).padStart(String(steps).length)}/${steps} ${mmss(el)} elapsed, ~${mmss(left)} left] ${label}${result ? ' → ' + result : ''}\n`);
}

process.stderr.write(
  `wafer bench (${opt.mode}): ${info.nproc} CPUs (${info.cpu}), node ${info.node}, wrk ${info.wrk}; ` +
    `servers on CPU ${cpus.server ?? 'any'}, load on CPU ${cpus.load ?? 'any'}; load average ${info.loadavg.join(' ')}\n`,
);

// ---------------------------------------------------------------- servers
const servers = new Map();
async function stopAll() {
  await Promise.all([...servers.values()].map((s) => s.stop()));
  servers.clear();
}

const needsRunningServers = throughputScenarios.length > 0 || opt.scenarios.includes('latency') || opt.scenarios.includes('latency-varied');
if (needsRunningServers) {
  for (const c of avail()) {
    try {
      const s = await startServer(c, cpus.server);
      servers.set(c.id, s);
      await checkServer(s.port, { body: needBodies && !c.getOnly, headers: needHeaders && !c.getOnly });
    } catch (e) {
      c.available = false;
      c.reason = e.message.split('\n')[0];
      warn(`${c.label} left out: ${e.message}`);
      await servers.get(c.id)?.stop();
      servers.delete(c.id);
    }
  }
}
replan();

// ---------------------------------------------------------------- throughput
const throughput = {};
for (const s of throughputScenarios) {
  const who = participants(s);
  const results = {};
  for (const c of who) {
    await runWrk({ port: servers.get(c.id).port, connections: s.connections, seconds: opt.warmup, script: s.script, path: s.path, args: s.args, cpu: cpus.load, tls: c.tls === true });
    progress(`${s.title} · ${c.label} · warm-up`, opt.warmup + 0.5);
    results[c.id] = { samples: [], errors: 0, wrkLatencyMs: [] };
  }
  for (let r = 1; r <= opt.rounds; r++) {
    for (const c of who) {
      await sleep(300); // let the previous run's sockets go
      let res;
      try {
        res = await runWrk({ port: servers.get(c.id).port, connections: s.connections, seconds: opt.duration, script: s.script, path: s.path, args: s.args, cpu: cpus.load, tls: c.tls === true });
      } catch (e) {
        warn(`${s.id} · ${c.id} · round ${r}: ${e.message.split('\n')[0]}`);
        progress(`${s.title} · ${c.label} · round ${r}/${opt.rounds}`, opt.duration + 0.5, 'failed');
        continue;
      }
      const errs = errorCount(res);
      results[c.id].samples.push(res.rps);
      results[c.id].errors += errs;
      results[c.id].wrkLatencyMs.push(res.latencyMs);
      progress(`${s.title} · ${c.label} · round ${r}/${opt.rounds}`, opt.duration + 0.5, `${fmt(res.rps)} req/s${errs ? ` (${errs} errors)` : ''}`);
    }
  }
  for (const id of Object.keys(results)) {
    const r = results[id];
    if (r.samples.length) Object.assign(r, summarize(r.samples));
    else delete results[id];
  }
  throughput[s.id] = { title: s.title, connections: s.connections, script: s.script, results };
}

// ---------------------------------------------------------------- latency at a fixed rate
// `latency-varied` first (1,024 different browser-like requests, as the varied scenarios), then
// `latency` (the same GET / every time).
async function latencyRuns(varied) {
  const out = { rate: opt.rate, connections: opt.latencyConnections, seconds: opt.latencySeconds, rounds: opt.latencyRounds, varied, results: {} };
  const runs = {};
  for (let r = 1; r <= opt.latencyRounds; r++) {
    for (const c of avail()) {
      const step = `latency at ${fmt(opt.rate)} req/s${varied ? ', varied requests' : ''} · ${c.label}` + (opt.latencyRounds > 1 ? ` · round ${r}/${opt.latencyRounds}` : '');
      try {
        const res = await runRateClient({
          port: servers.get(c.id).port,
          rate: opt.rate,
          seconds: opt.latencySeconds,
          warmupSeconds: opt.latencyWarmup,
          connections: opt.latencyConnections,
          cpu: cpus.load,
          varied,
        });
        if (res.latencyMs) (runs[c.id] ??= []).push(res);
        const l = res.latencyMs;
        progress(step, opt.latencySeconds + opt.latencyWarmup + 1, l ? `p50 ${l.p50} ms, p99 ${l.p99} ms` : 'no answers');
      } catch (e) {
        warn(`latency${varied ? '-varied' : ''} · ${c.id} · round ${r}: ${e.message}`);
        progress(step, opt.latencySeconds + opt.latencyWarmup + 1, 'failed');
      }
    }
  }
  // Each server's row is its run with the median p99 (every figure of a row from one run), with
  // the p99 of every round beside it.
  for (const [id, list] of Object.entries(runs)) {
    const sorted = [...list].sort((a, b) => a.latencyMs.p99 - b.latencyMs.p99);
    out.results[id] = { ...sorted[(sorted.length - 1) >> 1], p99Rounds: list.map((x) => x.latencyMs.p99) };
  }
  return out;
}
const latencyVaried = opt.scenarios.includes('latency-varied') ? await latencyRuns(true) : null;
const latency = opt.scenarios.includes('latency') ? await latencyRuns(false) : null;
await stopAll();

// ---------------------------------------------------------------- memory: RSS per idle connection
let memory = null;
if (opt.scenarios.includes('memory')) {
  memory = { connections: opt.idle, results: {} };
  for (const c of avail()) {
    let server;
    let idle;
    try {
      server = await startServer(c, cpus.server);
      await sleep(quick ? 500 : 1000);
      const before = rssKiB(server.pid);
      idle = await openIdle({ port: server.port, n: opt.idle, cpu: cpus.load });
      await sleep(quick ? 1000 : 2000); // let the server settle (allocation bursts, a GC) before reading
      const after = rssKiB(server.pid);
      const ok = idle.ok;
      memory.results[c.id] = {
        beforeKiB: before,
        afterKiB: after,
        open: ok,
        failed: idle.failed,
        perConnKiB: ok > 0 ? Math.round(((after - before) / ok) * 100) / 100 : null,
        openSeconds: idle.seconds,
      };
      progress(
        `RSS with ${fmt(opt.idle)} idle connections · ${c.label}`,
        8,
        `${memory.results[c.id].perConnKiB} KiB per connection (${fmt(ok)} open${idle.failed ? `, ${idle.failed} failed` : ''})`,
      );
    } catch (e) {
      warn(`memory · ${c.id}: ${e.message.split('\n')[0]}`);
      progress(`memory · ${c.label}`, 8, 'failed');
    } finally {
      await idle?.stop();
      await server?.stop();
    }
  }
}

// ---------------------------------------------------------------- report
const extraArgs = process.argv.slice(2).filter((a) => a !== '--quick');
const result = {
  meta: {
    date: started.toISOString(),
    mode: opt.mode,
    command: `npm run ${quick ? 'bench:quick' : 'bench'}${extraArgs.length ? ' -- ' + extraArgs.join(' ') : ''}`,
    machine: info,
    revision: rev,
    loadavgEnd: machine().loadavg,
    pinning: cpus,
    options: { rounds: opt.rounds, duration: opt.duration, warmup: opt.warmup, wrkThreads: 1 },
    note: flags.note ?? '',
    warnings,
    seconds: Math.round((Date.now() - t0) / 1000),
  },
  contenders: contenders.map(({ id, label, available, reason }) => ({ id, label, available, reason })),
  throughput,
  latencyVaried,
  latency,
  memory,
};
result.analysis = analyse(result);
fs.mkdirSync(path.dirname(opt.out), { recursive: true });
const md = toMarkdown(result, { svgName: path.basename(opt.out) + '.svg' });
fs.writeFileSync(opt.out + '.json', JSON.stringify(result, null, 2) + '\n');
fs.writeFileSync(opt.out + '.md', md);
fs.writeFileSync(opt.out + '.svg', toSvg(result));
process.stdout.write('\n' + md + '\n');
process.stderr.write(`wrote ${path.relative(ROOT, opt.out)}.{json,md,svg} in ${result.meta.seconds} s\n`);
