// `npm run profile`: wafer (edge loop) under wrk load, once with clinic doctor (event loop, GC,
// CPU, handles over time) and once with clinic flame (where CPU time goes), then prints where the
// HTML reports are and the hottest frames. Reports land in .clinic/ (git-ignored).
// Flags: --scenario=varied|varied-pipeline|varied-headers-pipeline|hello|pipeline|echo|json|upload (default pipeline) --duration=S (default 15)
//        --loop=edge|poll --parser=wafer|llhttp --only=doctor|flame|perf
// With Linux perf installed a third pass samples the whole process with perf (see harness/perf.js).
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';
import { SCENARIOS } from './contenders.js';
import { pinningPlan, pinSelf, ROOT, BENCH_DIR } from './harness/procs.js';
import { runWrk } from './harness/wrk.js';
import { topFrames } from './harness/frames.js';
import { perfAvailable, perfRecord, perfReport, perfByJsCaller } from './harness/perf.js';
import { startServer } from './harness/procs.js';

const require = createRequire(import.meta.url);
const { values: flags } = parseArgs({
  options: {
    scenario: { type: 'string', default: 'pipeline' },
    duration: { type: 'string', default: '15' },
    loop: { type: 'string', default: 'edge' },
    parser: { type: 'string', default: 'wafer' },
    only: { type: 'string' },
  },
});
const scenario = SCENARIOS.find((s) => s.id === flags.scenario);
if (!scenario) throw new Error(`unknown scenario ${flags.scenario}`);
const seconds = Number(flags.duration);
if (!fs.existsSync(path.join(ROOT, 'dist/lib/index.js'))) {
  console.error('dist/lib/index.js is missing: run npm run build');
  process.exit(2);
}

process.chdir(ROOT); // clinic writes .clinic/ and 0x its scratch files in the working directory
process.env.NO_INSIGHT = '1'; // never wait on clinic's telemetry consent prompt
const cpus = pinningPlan((m) => console.warn(`warning: ${m}`));
pinSelf(cpus.load);
// clinic spawns node itself, so the server pins itself (bench/servers/common.js) from this.
if (cpus.server !== null) process.env.WAFER_BENCH_CPU = String(cpus.server);
const server = [process.execPath, path.join(BENCH_DIR, 'servers/wafer.js'), flags.loop, flags.parser];
const what = `wafer ${flags.loop}/${flags.parser} under wrk (${scenario.title}, ${scenario.connections} connections, ${seconds} s)`;

async function load(port) {
  // A short warm-up first, so the profile shows the optimised steady state rather than the JIT.
  await runWrk({ port, connections: scenario.connections, seconds: 2, script: scenario.script, path: scenario.path, args: scenario.args, cpu: cpus.load });
  const r = await runWrk({ port, connections: scenario.connections, seconds, script: scenario.script, path: scenario.path, args: scenario.args, cpu: cpus.load });
  console.log(`  load: ${Math.round(r.rps).toLocaleString('en-US')} req/s under the profiler`);
}

const cb = (fn) => new Promise((resolve, reject) => fn((err, v) => (err ? reject(err) : resolve(v))));

async function doctor() {
  const ClinicDoctor = require('@clinic/doctor');
  const tool = new ClinicDoctor({ detectPort: true, dest: '.clinic' });
  console.log(`clinic doctor: ${what}`);
  tool.on('port', (port, proc, done) => {
    load(port)
      .catch((e) => console.error(`  load failed: ${e.message}`))
      .finally(() => {
        done();
        proc.kill('SIGINT');
      });
  });
  const dir = await cb((k) => tool.collect(server, k));
  const html = `${dir}.html`;
  await cb((k) => tool.visualize(dir, html, k));
  return html;
}

async function flame() {
  const ClinicFlame = require('@clinic/flame');
  const tool = new ClinicFlame({ detectPort: true, dest: '.clinic' });
  console.log(`clinic flame: ${what}`);
  tool.on('port', (port, _proc, done) => {
    // done() tells 0x the load is over: it stops the server and collects the ticks.
    load(port)
      .catch((e) => console.error(`  load failed: ${e.message}`))
      .finally(() => done());
  });
  const dir = await cb((k) => tool.collect(server, k));
  const html = `${dir}.html`;
  await cb((k) => tool.visualize(dir, html, k));
  return { html, dir };
}

async function perf() {
  console.log(`perf: ${what}`);
  const s = await startServer(
    { id: 'wafer', script: 'wafer.js', args: [flags.loop, flags.parser], nodeArgs: ['--perf-basic-prof'] },
    cpus.server,
  );
  const file = path.join(ROOT, '.clinic', `perf-${s.pid}.data`);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  try {
    await runWrk({ port: s.port, connections: scenario.connections, seconds: 2, script: scenario.script, path: scenario.path, args: scenario.args, cpu: cpus.load });
    const [r] = await Promise.all([
      runWrk({ port: s.port, connections: scenario.connections, seconds, script: scenario.script, path: scenario.path, args: scenario.args, cpu: cpus.load }),
      perfRecord(s.pid, Math.max(1, seconds - 1), file),
    ]);
    console.log(`  load: ${Math.round(r.rps).toLocaleString('en-US')} req/s under perf`);
    await s.stop();
    // perf names JIT frames from /tmp/perf-PID.map, which node wrote; it stays for `perf report`.
    return { file, report: perfReport(file), byJs: perfByJsCaller(file) };
  } finally {
    await s.stop();
  }
}

const want = (name) => flags.only === undefined || flags.only.split(',').includes(name);
const reports = [];
if (want('doctor')) reports.push(['doctor', await doctor()]);
let perfResult = null;
if (want('perf')) {
  if (!perfAvailable()) console.log('perf: not installed (apt-get install linux-perf); skipped');
  else {
    try {
      perfResult = await perf();
      reports.push(['perf', perfResult.file]);
    } catch (e) {
      console.log(`perf: ${e.message}; skipped`);
    }
  }
}
let flameDir = null;
if (want('flame')) {
  const f = await flame();
  reports.push(['flame', f.html]);
  flameDir = f.dir;
}

console.log('\nReports (open in a browser):');
for (const [name, file] of reports) console.log(`  ${name.padEnd(6)} ${path.relative(ROOT, file)}`);
if (flameDir) {
  const { total, self, inclusive, areas } = topFrames(findSamples(flameDir));
  const show = (rows) => rows.forEach((f) => console.log(`  ${f.pct.toFixed(1).padStart(5)}%  ${f.name}`));
  console.log(`\nWhere the samples fell (${total} samples, 1 per ms of CPU):`);
  show(areas);
  console.log('\nHottest frames by self time:');
  show(self);
  console.log('\nwafer frames by inclusive time (on the stack):');
  show(inclusive);
}
if (perfResult) {
  console.log('\nperf, by object (self time; [JIT] = compiled JS, [kernel.kallsyms] = the kernel):');
  for (const o of perfResult.report.objects.slice(0, 8)) console.log(`  ${o.pct.toFixed(1).padStart(5)}%  ${o.where}`);
  console.log('\nperf, hottest symbols (self time; JS:* optimised, JS:^ baseline, JS:~ interpreted):');
  for (const f of perfResult.report.symbols) console.log(`  ${f.pct.toFixed(1).padStart(5)}%  ${f.where.padEnd(18)} ${f.symbol.replaceAll(`file://${ROOT}/`, '').slice(0, 110)}`);
  console.log('\nperf, time charged to the nearest JS function on the stack (its builtins, IC misses, syscalls included):');
  for (const f of perfResult.byJs.rows) console.log(`  ${f.pct.toFixed(1).padStart(5)}%  ${f.name.replaceAll(`file://${ROOT}/`, '').slice(0, 120)}`);
  console.log(`  (perf report -i ${path.relative(ROOT, perfResult.file)} for the call graph)`);
}

function findSamples(dir) {
  const f = fs.readdirSync(dir).find((n) => n.endsWith('-samples'));
  if (!f) throw new Error(`no samples file in ${dir}`);
  return path.join(dir, f);
}
