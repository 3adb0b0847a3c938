// Every public name of the package, imported the way a user imports it: by the package's own
// name ('wafer', 'wafer/parser'), which node resolves through package.json "exports" to the
// built files in dist/ (this file is inside the package, so the name refers to the package
// itself). The lists are written out: an export dropped or turned into something else fails here.
import t, { type Test } from 'tap';
import { ensureBuilt } from './helpers/wafer-process.js';

type Kind = 'class' | 'function' | 'object';

const WAFER: Record<string, Kind> = {
  // The engine.
  listen: 'function',
  Server: 'class',
  DEFAULT_OPTIONS: 'object',
  DEFAULT_LIMITS: 'object',
  resolveLimits: 'function',
  STATUS_TEXT: 'object',
  statusText: 'function',
  Lenient: 'object',
  HttpError: 'class',
  errorStatus: 'function',
  // The app helpers.
  router: 'function',
  decodeComponent: 'function',
  parseQuery: 'function',
  query: 'function',
  readBody: 'function',
  readJson: 'function',
  readForm: 'function',
  mediaType: 'function',
  serveFile: 'function',
  serveStatic: 'function',
  FileCache: 'class',
};

const PARSER: Record<string, Kind> = {
  createParser: 'function',
  createWaferParser: 'function',
  createLlhttpParser: 'function',
  Lenient: 'object',
  HPE: 'object',
  statusForError: 'function',
};

function kindOf(v: unknown): string {
  if (typeof v === 'function') return /^class\b/.test(Function.prototype.toString.call(v)) ? 'class' : 'function';
  return v === null ? 'null' : typeof v;
}

async function checkEntry(t: Test, name: string, expected: Record<string, Kind>): Promise<void> {
  const mod = (await import(name)) as Record<string, unknown>;
  for (const [key, kind] of Object.entries(expected)) t.equal(kindOf(mod[key]), kind, `${name}: ${key} is a ${kind}`);
  const extra = Object.keys(mod).filter((k) => !(k in expected));
  if (extra.length > 0) t.comment(`${name} also exports ${extra.join(', ')} (add them to this test)`);
}

t.before(ensureBuilt);

t.test("'wafer' exports every public name", (t) => checkEntry(t, 'wafer', WAFER));

t.test("'wafer/parser' exports every public name", (t) => checkEntry(t, 'wafer/parser', PARSER));

t.test('the exports work', async (t) => {
  const w = (await import('wafer')) as typeof import('../lib/index.js');
  const p = (await import('wafer/parser')) as typeof import('../parser/index.js');
  // DEFAULT_LIMITS is built from the parser's limits and the server's: same keys, same order,
  // same values as before the split.
  t.same(Object.entries(w.DEFAULT_LIMITS), [
    ['maxHeaderSize', 16384], ['maxHeaderCount', 100], ['maxUrlLength', 8192], ['maxChunkExtensionSize', 16384],
    ['maxBodySize', 1048576], ['maxBodyBytes', 268435456], ['maxPipeline', 64], ['highWaterMark', 65536],
  ]);
  t.same(w.resolveLimits({ maxPipeline: 2 }), { ...w.DEFAULT_LIMITS, maxPipeline: 2 });
  t.equal(w.statusText(404), 'Not Found');
  t.equal(new w.HttpError(418, 'x').status, 418);
  t.equal(w.Lenient, p.Lenient, "one Lenient, from 'wafer' and 'wafer/parser'");

  // A parser from 'wafer/parser' on its own.
  const heads: string[] = [];
  const parser = p.createParser('wafer', {
    onHead: (h) => void heads.push(`${h.method} ${h.url}`),
    onBody: () => {},
    onMessageComplete: () => {},
  });
  parser.execute(Buffer.from('GET /a HTTP/1.1\r\nHost: x\r\n\r\n'));
  t.same(heads, ['GET /a']);

  // A server from 'wafer' with a route, over a real socket.
  const server = await w.listen(w.router().get('/q', (req, res) => res.json(w.query(req))), { port: 0, host: '127.0.0.1' });
  t.teardown(() => server.close());
  const res = await fetch(`http://127.0.0.1:${server.port}/q?a=1`);
  t.same(await res.json(), { a: '1' });
});
