// The README and docs/ as a user meets them: every relative link (and #anchor) resolves, the
// README's performance table is exactly what bench/readme-table.js prints from
// bench/results/latest.json, and every ```js sample runs. A sample that calls listen() or is a
// handler module (served with the `wafer` command) is started on a free port and asked the
// requests written in its `// curl … → expected` comments (or GET / when it has none); any
// other sample must exit 0.
import t from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import net from 'node:net';
import { dirname, join, relative, resolve } from 'node:path';
import { CLI, ROOT, ensureBuilt } from './helpers/wafer-process.js';

const DOCS = [join(ROOT, 'README.md'), ...readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => join(ROOT, 'docs', f))];
const rel = (p: string) => relative(ROOT, p);

// ---------------------------------------------------------------- markdown

interface Block { lang: string; code: string; line: number }

/** Fenced code blocks, and the text outside them (fences blanked, line count kept). */
function split(md: string): { blocks: Block[]; prose: string } {
  const lines = md.split('\n');
  const blocks: Block[] = [];
  const prose: string[] = [];
  let open: { fence: string; lang: string; start: number; body: string[] } | null = null;
  lines.forEach((line, i) => {
    const m = /^(\s*)(`{3,}|~{3,})\s*([\w-]*)/.exec(line);
    if (open === null && m) {
      open = { fence: m[2]!, lang: m[3]!, start: i + 1, body: [] };
      prose.push('');
    } else if (open !== null && line.trim().startsWith(open.fence) && line.trim().replace(/[`~]/g, '') === '') {
      blocks.push({ lang: open.lang, code: open.body.join('\n'), line: open.start });
      open = null;
      prose.push('');
    } else if (open !== null) {
      open.body.push(line);
      prose.push('');
    } else prose.push(line);
  });
  return { blocks, prose: prose.join('\n') };
}

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to '-', repeats numbered. */
function anchors(md: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const line of split(md).prose.split('\n')) {
    const m = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!m) continue;
    const text = m[1]!.replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1').replace(/<[^>]+>/g, '');
    const base = text.toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  return out;
}

/** Link targets in prose: [text](target), ![alt](target), and <a href> / <img src>. */
function links(md: string): { target: string; line: number }[] {
  const out: { target: string; line: number }[] = [];
  split(md).prose.split('\n').forEach((line, i) => {
    const text = line.replace(/`[^`]*`/g, '');
    for (const m of text.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) out.push({ target: m[1]!, line: i + 1 });
    for (const m of text.matchAll(/(?:href|src)="([^"]+)"/g)) out.push({ target: m[1]!, line: i + 1 });
  });
  return out;
}

t.test('every relative link in README.md and docs/ resolves, anchors included', async (t) => {
  let checked = 0;
  for (const file of DOCS) {
    const md = readFileSync(file, 'utf8');
    for (const { target, line } of links(md)) {
      if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto: …
      const hash = target.indexOf('#');
      const path = hash >= 0 ? target.slice(0, hash) : target;
      const anchor = hash >= 0 ? decodeURIComponent(target.slice(hash + 1)) : '';
      const dest = path === '' ? file : resolve(dirname(file), decodeURIComponent(path));
      const where = `${rel(file)}:${line} → ${target}`;
      checked++;
      if (!existsSync(dest)) {
        t.fail(`${where}: no such file`);
        continue;
      }
      if (anchor !== '') {
        if (!dest.endsWith('.md') || !statSync(dest).isFile()) t.fail(`${where}: an anchor into a file that is not markdown`);
        else t.ok(anchors(readFileSync(dest, 'utf8')).has(anchor), `${where}: #${anchor} is a heading there`);
      }
    }
  }
  t.ok(checked > 50, `checked ${checked} links`);
});

t.test('the README performance table is what bench/readme-table.js prints', async (t) => {
  const out = spawnSync(process.execPath, [join(ROOT, 'bench', 'readme-table.js')], { encoding: 'utf8' });
  t.equal(out.status, 0, out.stderr);
  const printed = out.stdout.trim();
  t.match(printed, /^<!-- perf-table:start/);
  t.match(printed, /<!-- perf-table:end -->$/);
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const a = readme.indexOf('<!-- perf-table:start');
  const b = readme.indexOf('<!-- perf-table:end -->');
  t.ok(a >= 0 && b > a, 'the README has the markers');
  t.equal(readme.slice(a, b + '<!-- perf-table:end -->'.length), printed, 'run `npm run bench:readme -- --write README.md` after a benchmark run');
  // The figures come from the file: the median of wafer edge's keep-alive rounds is in the table.
  const latest = JSON.parse(readFileSync(join(ROOT, 'bench', 'results', 'latest.json'), 'utf8'));
  const median = Math.round(latest.throughput.hello.results['wafer-edge'].median).toLocaleString('en-US');
  t.match(printed, `**${median}**`);
});

t.test('the README starts with the two commands and stays short', async (t) => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const first = split(readme).blocks[0]!;
  t.equal(first.lang, 'sh');
  t.match(first.code, /^npm install && npm start\b/);
  t.match(first.code, /\nnpm test\b/);
  t.ok(readme.split('\n').length <= 250, `README is ${readme.split('\n').length} lines`);
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
  t.equal(pkg.scripts.start, 'node dist/examples/server.js');
  t.equal(pkg.scripts.test, 'tap');
});

// ---------------------------------------------------------------- samples

interface Ask { method: string; path: string; headers: Record<string, string>; body?: string; status: boolean; expected: string; text: string }

/** `// curl [-i] [-X M] [-H 'h: v'] [-d 'data'] localhost:4242/path → expected` */
function asks(code: string): Ask[] {
  const out: Ask[] = [];
  for (const line of code.split('\n')) {
    const m = /^\s*\/\/ curl (.*?)\s+→\s+(.*)$/.exec(line);
    if (!m) continue;
    const words = [...m[1]!.matchAll(/'([^']*)'|(\S+)/g)].map((w) => w[1] ?? w[2]!);
    const ask: Ask = { method: 'GET', path: '/', headers: {}, status: false, expected: m[2]!.trim(), text: line.trim() };
    for (let i = 0; i < words.length; i++) {
      const w = words[i]!;
      if (w === '-s') continue;
      else if (w === '-i') ask.status = true;
      else if (w === '-X') ask.method = words[++i]!;
      else if (w === '-H') {
        const h = words[++i]!;
        ask.headers[h.slice(0, h.indexOf(':')).trim()] = h.slice(h.indexOf(':') + 1).trim();
      } else if (w === '-d') {
        ask.body = words[++i]!;
        if (ask.method === 'GET') ask.method = 'POST';
        ask.headers['content-type'] ??= 'application/x-www-form-urlencoded';
      } else {
        const u = /^(?:http:\/\/)?localhost:4242(\/\S*)?$/.exec(w);
        if (!u) throw new Error(`cannot read ${JSON.stringify(w)} in: ${line}`);
        ask.path = u[1] ?? '/';
      }
    }
    out.push(ask);
  }
  return out;
}

/** One request as curl sends it: the path exactly as written (no normalisation of %2e%2e). */
function send(port: number, ask: Ask): Promise<{ status: number; body: string }> {
  return new Promise((resolvePromise, reject) => {
    const req = request({ host: '127.0.0.1', port, method: ask.method, path: ask.path, headers: ask.headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolvePromise({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.setTimeout(5000, () => req.destroy(new Error('no answer within 5 s')));
    req.end(ask.body);
  });
}

function freePort(): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolvePromise(port));
    });
  });
}

async function waitForPort(port: number, child: ReturnType<typeof spawn>, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`exited with ${child.exitCode} before listening`);
    const ok = await new Promise<boolean>((r) => {
      const s = net.connect(port, '127.0.0.1', () => { s.destroy(); r(true); });
      s.on('error', () => r(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`not listening on ${port} within ${ms} ms`);
}

const samples: { file: string; block: Block }[] = [];
for (const file of DOCS) {
  for (const block of split(readFileSync(file, 'utf8')).blocks) if (block.lang === 'js') samples.push({ file, block });
}

interface Check { got: unknown; expected: unknown; message: string }

/** Start one sample, ask it its requests, stop it: what came back, to be asserted by the caller. */
async function runSample(n: number, block: Block, dir: string): Promise<Check[]> {
  const checks: Check[] = [];
  const port = await freePort();
  const code = block.code.replace(/\b4242\b/g, String(port));
  const path = join(dir, `sample-${n}.mjs`);
  writeFileSync(path, code);
  const serves = /\blisten\(/.test(code);
  const handlerModule = !serves && /^export default\b/m.test(code);
  const args = handlerModule ? [CLI, path] : [path];
  const child = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, PORT: String(port) }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => { stderr += c; });
  child.stdout.resume();
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  try {
    if (!serves && !handlerModule) {
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      const status = await exited;
      clearTimeout(timer);
      checks.push({ got: status, expected: 0, message: `exits 0 ${stderr}` });
      return checks;
    }
    await waitForPort(port, child, 15_000).catch((err: Error) => { throw new Error(`${err.message}\n${stderr}`); });
    const list = asks(block.code);
    if (list.length === 0) {
      const r = await send(port, { method: 'GET', path: '/', headers: {}, status: false, expected: '', text: 'GET /' });
      checks.push({ got: r.status >= 200 && r.status < 500, expected: true, message: `GET / answered ${r.status}` });
    }
    for (const ask of list) {
      const r = await send(port, ask);
      checks.push({ got: ask.status ? `${r.status} ${r.body.trim()}` : r.body.trim(), expected: ask.expected, message: ask.text });
    }
    return checks;
  } finally {
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }
}

t.test('every ```js sample in README.md and docs/ runs', async (t) => {
  await ensureBuilt();
  t.ok(samples.length >= 10, `${samples.length} samples`);
  t.ok(samples.some((s) => s.file.endsWith('README.md') && /\brouter\(/.test(s.block.code) && /res\.json\(/.test(s.block.code)),
    'the README has a first handler with a route and a JSON answer');
  // Inside the package, so `import … from 'wafer'` resolves (by the package's own name) to
  // dist/lib/index.js, as it does for a user's file in a clone.
  const dir = mkdtempSync(join(ROOT, '.docs-samples-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));

  // A few at a time: each is a node process that mostly waits for its start-up.
  const results: (Check[] | Error)[] = new Array(samples.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < samples.length) {
      const n = next++;
      results[n] = await runSample(n, samples[n]!.block, dir).catch((err: Error) => err);
    }
  };
  await Promise.all([worker(), worker(), worker()]);

  samples.forEach(({ file, block }, n) => {
    t.test(`${rel(file)}:${block.line}`, async (t) => {
      const r = results[n]!;
      if (r instanceof Error) return void t.fail(r.message);
      for (const c of r) t.same(c.got, c.expected, c.message);
    });
  });
});
