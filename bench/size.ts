// `npm run size`: how small wafer is, next to node:http and fastify measured the same way.
//   1. lines of code in lib/, parser/, loop/ (non-blank, non-comment lines of .ts)
//   2. installed size with production dependencies only: `npm pack`, then `npm install
//      --omit=dev <tarball>` into an empty directory, then the bytes and files under
//      node_modules (fastify installed the same way at the version in package.json; node:http
//      is built in: 0). wafer is measured with and without its optional dependency (tsx,
//      needed only to run .ts apps).
//   3. RSS of the server process idle (1 s after it is ready), and with 10,000 connections
//      open, each having had one keep-alive GET answered. The servers are the benchmark's
//      (bench/servers/*.js) and the connections come from its idle client in another process,
//      so these figures are comparable with `npm run bench`'s memory scenario.
//
//   npm run size                      # build, then all three (~1–2 min)
//   npm run size -- --rounds 3        # RSS: median of 3 runs per server
//   npm run size -- --skip-install    # no npm pack/install (offline)
//   npm run size -- --json out.json
import { execFileSync } from 'node:child_process';
import { lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
// The benchmark harness (plain JS, shared with `npm run bench`).
import { raiseNofile, rssKiB, sleep, startServer, ROOT } from './harness/procs.js';
import { openIdle } from './harness/clients.js';
import { CONTENDERS } from './contenders.js';

function arg(name: string): string | null {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] ?? null : null;
}
const rounds = Number(arg('rounds') ?? 1);
const connections = Number(arg('connections') ?? 10_000);
const skipInstall = process.argv.includes('--skip-install');
const jsonOut = arg('json');

// ---------------------------------------------------------------- 1. lines of code

/**
 * Non-blank lines that hold something besides comments. A small scanner that knows `//`,
 * `/* … *\/`, and string and template literals (so `'//'` in a string is code). A regex
 * literal containing `/*` would confuse it; there is none in these directories.
 */
function codeLines(source: string): number {
  let count = 0;
  let inBlock = false;
  for (const line of source.split('\n')) {
    let code = false;
    let quote = '';
    for (let i = 0; i < line.length; i++) {
      const c = line[i]!;
      if (inBlock) {
        if (c === '*' && line[i + 1] === '/') { inBlock = false; i++; }
        continue;
      }
      if (quote !== '') {
        if (c === '\\') i++;
        else if (c === quote) quote = '';
        continue;
      }
      if (c === '/' && line[i + 1] === '/') break;
      if (c === '/' && line[i + 1] === '*') { inBlock = true; i++; continue; }
      if (c === '"' || c === "'" || c === '`') { quote = c; code = true; continue; }
      if (c !== ' ' && c !== '\t' && c !== '\r') code = true;
    }
    // A template literal may span lines; its lines are code.
    if (quote === '`') code = true;
    if (code) count++;
  }
  return count;
}

function tsFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...tsFiles(p));
    else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

const loc: Record<string, { files: number; lines: number }> = {};
for (const dir of ['lib', 'parser', 'loop']) {
  const files = tsFiles(join(ROOT, dir));
  loc[dir] = { files: files.length, lines: files.reduce((n, f) => n + codeLines(readFileSync(f, 'utf8')), 0) };
}

// ---------------------------------------------------------------- 2. installed size

interface Installed { bytes: number; files: number; packages: number }

/**
 * Apparent bytes and file count under `dir`. A file hard-linked twice (npm links esbuild's
 * binary into two packages) is counted once, as du does; symlinks count as links.
 */
function du(dir: string, seen = new Set<string>()): { bytes: number; files: number } {
  let bytes = 0;
  let files = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) {
      const sub = du(p, seen);
      bytes += sub.bytes;
      files += sub.files;
      continue;
    }
    const st = lstatSync(p);
    const id = `${st.dev}:${st.ino}`;
    if (seen.has(id)) continue;
    seen.add(id);
    bytes += st.size;
    files++;
  }
  return { bytes, files };
}

function npm(args: string[], cwd: string): string {
  return execFileSync('npm', [...args, '--no-audit', '--no-fund', '--loglevel=error'], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
}

function installInto(spec: string, extra: string[] = []): Installed {
  const dir = mkdtempSync(join(tmpdir(), 'wafer-size-'));
  try {
    writeFileSync(join(dir, 'package.json'), '{"name":"size-probe","private":true}\n');
    npm(['install', '--omit=dev', ...extra, spec], dir);
    const nm = join(dir, 'node_modules');
    const packages = JSON.parse(readFileSync(join(nm, '.package-lock.json'), 'utf8')).packages as Record<string, unknown>;
    return { ...du(nm), packages: Object.keys(packages).length };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
const fastifyVersion = (pkg.devDependencies?.fastify ?? 'latest').replace(/^[\^~]/, '');
let installed: Record<string, Installed | null> | null = null;
if (!skipInstall) {
  const packDir = mkdtempSync(join(tmpdir(), 'wafer-pack-'));
  try {
    // dist/ is built by `npm run size` before this script runs; don't build again inside pack.
    const packed = JSON.parse(npm(['pack', '--json', '--ignore-scripts', '--pack-destination', packDir], ROOT)) as { filename: string }[];
    const tarball = join(packDir, packed[0]!.filename);
    installed = {
      'wafer': installInto(tarball),
      'wafer without optional tsx': installInto(tarball, ['--omit=optional']),
      'node:http': { bytes: 0, files: 0, packages: 0 },
      [`fastify ${fastifyVersion}`]: installInto(`fastify@${fastifyVersion}`),
    };
  } finally {
    rmSync(packDir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------- 3. RSS

const nofile = raiseNofile(65536, (m: string) => process.stderr.write(`warning: ${m}\n`));
let open = connections;
if (nofile < connections + 200) {
  open = Math.max(100, nofile - 200);
  process.stderr.write(`warning: open-file limit ${nofile}: opening ${open} connections instead of ${connections}\n`);
}

interface Rss { idleKiB: number; loadedKiB: number; open: number; failed: number }
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const who = ['node-http', 'fastify', 'wafer-edge', 'wafer-poll'];
const rss: Record<string, Rss> = {};
for (const id of who) {
  const c = CONTENDERS.find((x: { id: string }) => x.id === id);
  if (c === undefined) throw new Error(`bench/contenders.js has no ${id}`);
  const samples: Rss[] = [];
  for (let r = 0; r < rounds; r++) {
    const server = await startServer(c, null);
    let idle: { ok: number; failed: number; stop: () => Promise<void> } | undefined;
    try {
      await sleep(1000);
      const idleKiB = rssKiB(server.pid);
      idle = await openIdle({ port: server.port, n: open, cpu: null });
      await sleep(2000); // let allocation bursts and a GC settle before reading
      samples.push({ idleKiB, loadedKiB: rssKiB(server.pid), open: idle!.ok, failed: idle!.failed });
    } finally {
      await idle?.stop();
      await server.stop();
    }
  }
  rss[c.label] = {
    idleKiB: median(samples.map((s) => s.idleKiB)),
    loadedKiB: median(samples.map((s) => s.loadedKiB)),
    open: Math.min(...samples.map((s) => s.open)),
    failed: Math.max(...samples.map((s) => s.failed)),
  };
}

// ---------------------------------------------------------------- report

const mib = (bytes: number): string => (bytes / 2 ** 20).toFixed(1) + ' MiB';
const kib = (k: number): string => (k / 1024).toFixed(1) + ' MiB';
const lines: string[] = [];
const date = new Date().toISOString().slice(0, 16).replace('T', ' ') + ' UTC';
lines.push(`Measured ${date} with \`npm run size${process.argv.slice(2).length ? ' -- ' + process.argv.slice(2).join(' ') : ''}\`; ` +
  `Node ${process.version}, load average ${loadavg().map((x) => x.toFixed(1)).join(' ')} at the end.`, '');
lines.push('| code | files | lines |', '| --- | ---: | ---: |');
for (const [dir, v] of Object.entries(loc)) lines.push(`| \`${dir}/\` | ${v.files} | ${v.lines} |`);
lines.push(`| total | ${Object.values(loc).reduce((n, v) => n + v.files, 0)} | ${Object.values(loc).reduce((n, v) => n + v.lines, 0)} |`, '');
if (installed) {
  lines.push('| installed (production dependencies) | packages | files | size |', '| --- | ---: | ---: | ---: |');
  for (const [name, v] of Object.entries(installed)) if (v) lines.push(`| ${name} | ${v.packages} | ${v.files} | ${mib(v.bytes)} |`);
  lines.push('');
}
lines.push(`| server RSS${rounds > 1 ? ` (median of ${rounds})` : ''} | idle | ${open.toLocaleString('en-US')} connections open | per connection |`, '| --- | ---: | ---: | ---: |');
for (const [name, v] of Object.entries(rss)) {
  const per = v.open > 0 ? ((v.loadedKiB - v.idleKiB) / v.open).toFixed(2) + ' KiB' : 'n/a';
  const note = v.failed > 0 ? ` (${v.failed} failed)` : '';
  lines.push(`| ${name} | ${kib(v.idleKiB)} | ${kib(v.loadedKiB)}${note} | ${per} |`);
}
process.stdout.write(lines.join('\n') + '\n');
if (jsonOut) writeFileSync(jsonOut, JSON.stringify({ date, node: process.version, loadavg: loadavg(), loc, installed, rss, connections: open, rounds }, null, 2) + '\n');
