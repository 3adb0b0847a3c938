// A long head is handed over as one string and offsets (parser/head-fields.ts): its fields are
// made into strings only when read. These check that what a handler and the engine read is
// exactly what they read before — the same strings as llhttp's, in every split of the stream —
// and that req.headers and query(req) keep their guarantees (no inherited keys, parsed once).
import t from 'tap';
import { createLlhttpParser } from '../parser/llhttp.js';
import { createWaferParser } from '../parser/wafer.js';
import type { RequestHead, RequestParser, RequestSink } from '../parser/types.js';
import { query } from '../lib/index.js';
import { forEachServerKind, PARSERS, startServer } from './helpers/server-kinds.js';
import { raw, responsesOf } from './helpers/raw-client.js';

const LONG = 'GET /catalog/item/7?page=2&sort=price&q=%C3%A9t%C3%A9+x HTTP/1.1\r\n' +
  'Host: shop.example.com\r\n' +
  'User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36\r\n' +
  'accept: text/html,application/xhtml+xml;q=0.9,*/*;q=0.8 \t \r\n' +
  'ACCEPT-LANGUAGE: en-US,en;q=0.9\r\n' +
  'Cookie: session=abcdef0123456789; theme=dark\r\n' +
  'X-Empty:\r\n' +
  'X-Obs: caf\u00e9 \u00ff\r\n' +
  'Upgrade: websocket \t \r\n' + // (read byte by byte: a special name; trimmed when handed over)
  'Cookie: visits=3\r\n' +
  'X-Request-Id: 0f1e2d3c-abc-9\r\n\r\n';

function heads(make: (sink: RequestSink) => RequestParser, input: Buffer, piece: number): RequestHead[] {
  const out: RequestHead[] = [];
  const parser = make({ onHead: (h) => void out.push(h), onBody() {}, onMessageComplete() {} });
  for (let at = 0; at < input.length; at += piece) parser.execute(input.subarray(at, Math.min(input.length, at + piece)));
  return out;
}

t.test('a long head read whole keeps its fields as one string; every field reads as llhttp made it', async (t) => {
  const input = Buffer.from(LONG + LONG, 'latin1');
  const [w1, w2] = heads(createWaferParser, input, input.length);
  const [l1] = heads(createLlhttpParser, input, input.length);
  t.ok(w1.fields, 'handed over as fields');
  const fields = w1.fields!;
  t.equal(fields.count, l1.rawHeaders.length / 2);
  for (let i = 0; i < fields.count; i++) {
    t.equal(fields.name(i), l1.rawHeaders[2 * i], `name ${i}`);
    t.equal(fields.value(i), l1.rawHeaders[2 * i + 1], `value ${i} (right-trimmed)`);
    t.equal(fields.nameLength(i), l1.rawHeaders[2 * i].length);
    t.ok(fields.nameIs(i, l1.rawHeaders[2 * i].toLowerCase()), `nameIs ${i}, any case`);
  }
  t.notOk(fields.nameIs(0, 'hos'), 'another length');
  t.notOk(fields.nameIs(0, 'hosx'), 'another spelling');
  t.equal(w1.url, l1.url);
  t.strictSame(w1.rawHeaders, l1.rawHeaders, 'rawHeaders made from them');
  t.equal(w1.rawHeaders, w1.rawHeaders, 'made once');
  t.strictSame(w2.rawHeaders, l1.rawHeaders, 'the pipelined second head too');
  t.strictSame(JSON.parse(JSON.stringify(w1)), JSON.parse(JSON.stringify(l1)), 'JSON as llhttp\'s head');
});

t.test('a long head in any pieces gives llhttp\'s strings (cut heads are made at once)', async (t) => {
  const input = Buffer.from(LONG, 'latin1');
  const want = heads(createLlhttpParser, input, input.length)[0];
  for (const piece of [1, 2, 3, 7, 16, 64, 100, 200, 300]) {
    const [w] = heads(createWaferParser, input, piece);
    t.strictSame([w.url, w.rawHeaders], [want.url, want.rawHeaders], `pieces of ${piece}`);
  }
});

t.test('a short head is handed over as strings', async (t) => {
  const [w] = heads(createWaferParser, Buffer.from('GET / HTTP/1.1\r\nHost: a\r\n\r\n', 'latin1'), 100);
  t.equal(w.fields, undefined);
  t.strictSame(w.rawHeaders, ['Host', 'a']);
});

forEachServerKind(t, 'handlers read the same headers and query from a long head', async (t, kind) => {
  const server = await startServer(t, kind, (req, res) => {
    const h = req.headers;
    const q1 = query(req);
    res.json({
      keys: Object.keys(h),
      ua: h['user-agent'],
      accept: h.accept,
      lang: h['accept-language'],
      cookie: h.cookie,
      empty: h['x-empty'],
      obs: h['x-obs'],
      upgrade: h.upgrade,
      proto: h['__proto__'],
      ctor: h.constructor ?? null,
      inherited: 'toString' in h || 'hasOwnProperty' in h,
      header: req.header('ACCEPT-language'),
      missing: req.header('x-none') ?? null,
      raw: req.rawHeaders,
      q: q1.q,
      queryOnce: query(req) === q1,
      queryProto: Object.getPrototypeOf(q1),
    });
  });
  const long = LONG.replace('X-Request-Id', '__proto__: p\r\nconstructor: c\r\nX-Request-Id');
  const res = responsesOf(await raw(server.port, Buffer.from(long + long, 'latin1'), { responses: 2 }));
  t.equal(res.length, 2);
  for (const r of res) {
    t.equal(r.status, 200);
    const got = JSON.parse(Buffer.from(r.body, 'latin1').toString('utf8'));
    t.strictSame(got.keys, ['host', 'user-agent', 'accept', 'accept-language', 'cookie', 'x-empty', 'x-obs', 'upgrade', '__proto__', 'constructor', 'x-request-id']);
    t.match(got.ua, /^Mozilla\/5\.0 .* Safari\/537\.36$/);
    t.equal(got.accept, 'text/html,application/xhtml+xml;q=0.9,*/*;q=0.8');
    t.equal(got.lang, 'en-US,en;q=0.9');
    t.equal(got.cookie, 'session=abcdef0123456789; theme=dark; visits=3', 'cookies joined with "; "');
    t.equal(got.empty, '');
    t.equal(got.obs, 'caf\u00e9 \u00ff', 'obs-text as latin1');
    t.equal(got.proto, 'p', '__proto__ is a plain key');
    t.equal(got.ctor, 'c', 'constructor is a plain key');
    t.equal(got.inherited, false, 'nothing inherited');
    t.equal(got.header, 'en-US,en;q=0.9');
    t.equal(got.missing, null);
    t.equal(got.raw.length, 24);
    t.equal(got.upgrade, 'websocket', 'trailing OWS dropped');
    t.equal(got.raw[6], 'ACCEPT-LANGUAGE', 'rawHeaders keep the case sent');
    t.equal(got.q, '\u00e9t\u00e9 x');
    t.equal(got.queryOnce, true, 'query(req) parsed once');
    t.equal(got.queryProto, null);
  }
}, PARSERS);

t.test('query() still works on a frozen request-like object', async (t) => {
  const req = Object.freeze({ query: 'a=1&a=2' }) as unknown as Parameters<typeof query>[0];
  t.strictSame({ ...query(req) }, { a: ['1', '2'] });
  t.strictSame({ ...query(req) }, { a: ['1', '2'] });
});
