// The published declarations (dist/**/*.d.ts) must compile for a consumer whatever module
// settings it uses: here the two ends, `moduleResolution: node10` without esModuleInterop (a
// default import of a Node built-in in a .d.ts fails there) and NodeNext. The consumer imports
// the package by name through node_modules, as an installed copy would be, and checks the
// declarations themselves (skipLibCheck off), with the project's own TypeScript.
import t, { type Test } from 'tap';
import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureBuilt, ROOT } from './helpers/wafer-process.js';

const TSC = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');

/** Uses every kind of export: values, types, and the helpers whose declarations import node:*. */
const CONSUMER = `
import { listen, serveStatic, serveFile, FileCache, readJson, readBody, router, Lenient, HttpError } from 'wafer';
import type { ServerOptions, WaferRequest, WaferResponse, WaferServer, FileOptions, Limits, UpgradeHandler } from 'wafer';

const upgrade: UpgradeHandler = (req, socket, head) => {
  const n: number = head.length + req.url.length;
  socket.end(req.headers['upgrade'] === 'x' ? String(n) : req.httpVersion);
};
const options: ServerOptions = { port: 0, maxConns: 1, lenient: Lenient.NONE, upgrade };
const cache: FileCache = new FileCache();
const files: FileOptions = { cache, maxAge: 60 };
const app = router()
  .get('/static/*', serveStatic('.', { prefix: '/static' }))
  .get('/f', (req: WaferRequest, res: WaferResponse) => serveFile(req, res, 'x.txt', files))
  .post('/j', async (req: WaferRequest, res: WaferResponse) => {
    const body: Buffer = await readBody(req, { limit: 10 });
    res.json({ n: body.length, v: await readJson(req, { limit: 10 }) });
  });
export const started: Promise<WaferServer> = listen(app, options);
export const limit: keyof Limits = 'maxBodySize';
export const err: HttpError = new HttpError(400, 'x');
`;

const PARSER_CONSUMER = `
import { createParser, type RequestHead } from 'wafer/parser';
export const p = createParser('wafer', { onHead(h: RequestHead) {}, onBody() {}, onMessageComplete() {} });
`;

function tsc(project: string): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [TSC, '-p', project], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c) => (out += c));
    child.stderr.on('data', (c) => (out += c));
    child.on('close', (code) => resolve({ code, out }));
  });
}

/** A consumer project: node_modules/wafer is this checkout, @types from the project's own. */
function consumer(t: Test, packageJson: object, files: Record<string, string>, compilerOptions: object): string {
  const dir = mkdtempSync(join(tmpdir(), 'wafer-typings-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'node_modules'));
  symlinkSync(ROOT, join(dir, 'node_modules', 'wafer'), 'dir');
  symlinkSync(join(ROOT, 'node_modules', '@types'), join(dir, 'node_modules', '@types'), 'dir');
  writeFileSync(join(dir, 'package.json'), JSON.stringify(packageJson));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({
    // lib without the DOM: a third of the files tsc would otherwise read and check.
    compilerOptions: { strict: true, noEmit: true, skipLibCheck: false, types: ['node'], lib: ['es2022'], target: 'es2022', ...compilerOptions },
    files: Object.keys(files),
  }));
  return dir;
}

t.test('the declarations compile for consumers', async (t) => {
  await ensureBuilt();
  const node10 = consumer(t, { name: 'consumer' }, { 'consumer.ts': CONSUMER }, {
    module: 'commonjs', moduleResolution: 'node10', esModuleInterop: false, allowSyntheticDefaultImports: false,
  });
  const nodeNext = consumer(t, { name: 'consumer', type: 'module' }, { 'consumer.ts': CONSUMER, 'parser-consumer.ts': PARSER_CONSUMER }, {
    module: 'nodenext', moduleResolution: 'nodenext',
  });
  // Two tsc processes at once: each spends most of its time checking @types/node.
  const [a, b] = await Promise.all([tsc(node10), tsc(nodeNext)]);
  t.equal(a.out, '', 'moduleResolution node10 without esModuleInterop: no diagnostics');
  t.equal(a.code, 0);
  t.equal(b.out, '', 'module/moduleResolution NodeNext, both entry points: no diagnostics');
  t.equal(b.code, 0);
});
