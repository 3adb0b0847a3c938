// WORKERS=n: several processes answer on one port; a dead worker is replaced; a restart storm
// stops the primary; SIGTERM closes everything and exits 0.
import t from 'tap';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { appDir, ensureBuilt, get, isRunning, listeningPort, reap, runWafer, type WaferProcess } from './helpers/wafer-process.js';

const dir = appDir({
  'pid.js': [
    'export default (req, res) => {',
    '  if (req.url === "/crash") process.exit(3);',
    '  res.end(String(process.pid));',
    '};',
  ].join('\n'),
  // A deploy gone wrong: once `broken` exists, every new worker dies while loading.
  'storm.js': [
    'import { existsSync } from "node:fs";',
    'if (existsSync(new URL("./broken", import.meta.url))) process.exit(3);',
    'export default (req, res) => { if (req.url === "/crash") process.exit(3); res.end(String(process.pid)); };',
  ].join('\n'),
});
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

let p: WaferProcess | undefined;
t.afterEach(() => reap(p));
t.before(ensureBuilt);

const wafer = (env: Record<string, string>): WaferProcess =>
  (p = runWafer(['pid.js'], { HOST: '127.0.0.1', PORT: '0', ...env }, dir));

/** The startup line lists the worker pids: `…, 2 workers: pids 11 12)`. */
async function start(env: Record<string, string>): Promise<{ w: WaferProcess; port: number; pids: number[] }> {
  const w = wafer(env);
  const port = await listeningPort(w, 30_000);
  const m = w.stdout().match(/per worker, (\d+) workers: pids ([\d ]+)\)/);
  if (!m) throw new Error(`no worker line in: ${w.stdout()}`);
  return { w, port, pids: m[2]!.split(' ').map(Number) };
}

/** Pids that answered `n` requests, each on its own connection. */
async function answeringPids(port: number, n: number): Promise<Set<number>> {
  const seen = new Set<number>();
  for (let i = 0; i < n; i++) seen.add(Number((await get(port)).body));
  return seen;
}

t.test('WORKERS=2 serves one port from two processes', async (t) => {
  const { w, port, pids } = await start({ WORKERS: '2' });
  t.equal(pids.length, 2);
  t.notOk(pids.includes(w.child.pid!), 'the primary serves nothing itself');
  const seen = await answeringPids(port, 10);
  t.same([...seen].sort(), [...pids].sort(), 'both workers answered');
  w.child.kill('SIGTERM');
  t.equal(await w.exited(10_000), 0);
});

t.test('THREADS=2 is WORKERS=2', async (t) => {
  const { w, pids } = await start({ THREADS: '2' });
  t.equal(pids.length, 2);
  w.child.kill('SIGTERM');
  t.equal(await w.exited(10_000), 0);
});

t.test('a worker that dies is replaced and service goes on', async (t) => {
  const { w, port, pids } = await start({ WORKERS: '2' });
  const [victim, survivor] = pids as [number, number];
  process.kill(victim, 'SIGKILL');
  await t.resolves(w.waitFor(new RegExp(`worker ${victim} died \\(signal SIGKILL\\); starting a replacement`)),
    'the primary reports the death and starts a replacement');
  const replaced = await w.waitFor(/worker (\d+) listening/, 15_000);
  const fresh = Number(replaced[1]);
  t.not(fresh, victim);
  // Every request meanwhile and after is answered, by the survivor or the replacement.
  const seen = await answeringPids(port, 10);
  t.notOk(seen.has(victim));
  t.same([...seen].sort(), [fresh, survivor].sort());
  w.child.kill('SIGTERM');
  t.equal(await w.exited(10_000), 0);
});

t.test('SIGTERM to the primary closes every worker and exits 0 within 10 s', async (t) => {
  const { w, port, pids } = await start({ WORKERS: '2' });
  await answeringPids(port, 2);
  w.child.kill('SIGTERM');
  t.equal(await w.exited(10_000), 0, 'exited 0 within 10 s');
  // Workers exit before the primary does; give the kernel a moment to reap them.
  await new Promise((r) => setTimeout(r, 200));
  for (const pid of pids) t.notOk(isRunning(pid), `worker ${pid} is gone`);
});

t.test('Ctrl-C (SIGINT to the whole process group) closes everything once and exits 0', async (t) => {
  const w = (p = runWafer(['pid.js'], { HOST: '127.0.0.1', PORT: '0', WORKERS: '2' }, dir, true));
  const port = await listeningPort(w, 30_000);
  const m = w.stdout().match(/workers: pids ([\d ]+)\)/);
  const pids = m![1]!.split(' ').map(Number);
  await answeringPids(port, 2);
  process.kill(-w.child.pid!, 'SIGINT');
  t.equal(await w.exited(10_000), 0);
  t.notMatch(w.stderr(), /second signal|died/, 'no worker took the primary\'s close message for a second Ctrl-C');
  await new Promise((r) => setTimeout(r, 200));
  for (const pid of pids) t.notOk(isRunning(pid), `worker ${pid} is gone`);
});

t.test('a restart storm stops the primary with exit 1 instead of forking forever', async (t) => {
  const w = (p = runWafer(['storm.js'], { HOST: '127.0.0.1', PORT: '0', WORKERS: '2' }, dir));
  const port = await listeningPort(w, 30_000);
  writeFileSync(join(dir, 'broken'), '');
  // One crash starts the chain: each replacement dies while loading; the 6th death within
  // 10 s passes the guard (max(5, 2 × 2)).
  await get(port, '/crash').catch(() => undefined);
  t.equal(await w.exited(30_000), 1);
  t.match(w.stderr(), /workers died within 10 s .*giving up/);
});
