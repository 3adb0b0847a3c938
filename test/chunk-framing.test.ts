// Two chunked-framing verdicts where RFC 9112/9110 and llhttp part ways, and the server follows
// the RFCs (ParserOptions.chunkSpacesOnlyBeforeExtension and teEmptyListElements):
//  - RFC 9112 §7.1.1 allows BWS after a chunk size only before a chunk extension's `;`:
//    `5 ;a=b` is served, `5 <CR><LF>` is 400 — on both parsers (llhttp's lenient flag
//    SPACES_AFTER_CHUNK_SIZE, which the server needs for the first, also lets the second through);
//  - RFC 9110 §5.6.1: empty list elements are ignored, so `Transfer-Encoding: chunked,` is
//    chunked — with the wafer parser; llhttp refuses it and cannot be told otherwise (400).
// Checked on the parsers directly (whole, split at every byte, byte by byte) and over real
// sockets on both loops and both parsers.
import t, { type Test } from 'tap';
import fc from 'fast-check';
import { createParser } from '../parser/index.js';
import { trace } from '../fuzz/trace.js';
import { diffTraces } from '../fuzz/compare.js';
import { Lenient, type ParserKind, type ParserOptions } from '../parser/types.js';
import { forEachServerKind, startServer, PARSERS } from './helpers/server-kinds.js';
import { raw, responsesOf } from './helpers/raw-client.js';
import { holds } from './helpers/property.js';
import type { WaferRequest, WaferResponse } from '../lib/core/types.js';

/** The server's parser options (lib/core/server.ts). */
const SERVER: ParserOptions = { lenient: Lenient.SPACES_AFTER_CHUNK_SIZE, chunkSpacesOnlyBeforeExtension: true, teEmptyListElements: true };

const head = (te = 'chunked') => `POST /u HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: ${te}\r\n\r\n`;

interface Outcome {
  /** Per completed message: `chunked?` and its body. */
  messages: string[];
  error: string | null;
}

/** Feed `input` in the given pieces; what came out. */
function parse(kind: ParserKind, input: string, cuts: number[], options: ParserOptions): Outcome {
  const messages: string[] = [];
  let body = '';
  let chunked = false;
  const parser = createParser(kind, {
    onHead(h) {
      chunked = h.chunked;
      body = '';
    },
    onBody(b) {
      body += b.toString('latin1');
    },
    onMessageComplete() {
      messages.push(`${chunked ? 'chunked' : 'plain'}:${body}`);
    },
  }, options);
  const buf = Buffer.from(input, 'latin1');
  let from = 0;
  for (const cut of [...cuts, buf.length]) {
    parser.execute(buf.subarray(from, cut));
    from = cut;
    if (parser.error) break;
  }
  return { messages, error: parser.error?.code ?? null };
}

/** The outcome must not depend on how the bytes are cut. */
function parseEverySplit(t: Test, kind: ParserKind, input: string, options: ParserOptions): Outcome {
  const whole = parse(kind, input, [], options);
  for (let i = 1; i < input.length; i++) {
    const split = parse(kind, input, [i], options);
    if (JSON.stringify(split) !== JSON.stringify(whole)) {
      t.same(split, whole, `split at ${i}`);
      return whole;
    }
  }
  t.same(parse(kind, input, Array.from({ length: input.length - 1 }, (_, i) => i + 1), options), whole, 'byte by byte');
  return whole;
}

const BWS_CASES: [name: string, input: string, expect: Outcome][] = [
  ['a space, then CR LF', head() + '5 \r\nhello\r\n0\r\n\r\n', { messages: [], error: 'HPE_INVALID_CHUNK_SIZE' }],
  ['a tab, then CR LF', head() + '5\t\r\nhello\r\n0\r\n\r\n', { messages: [], error: 'HPE_INVALID_CHUNK_SIZE' }],
  ['several spaces and tabs', head() + '5 \t  \r\nhello\r\n0\r\n\r\n', { messages: [], error: 'HPE_INVALID_CHUNK_SIZE' }],
  ['on the last chunk', head() + '5\r\nhello\r\n0 \r\n\r\n', { messages: [], error: 'HPE_INVALID_CHUNK_SIZE' }],
  ['BWS before an extension passes', head() + '5 ;a=b\r\nhello\r\n0\t;c\r\n\r\n', { messages: ['chunked:hello'], error: null }],
  ['chunk data that looks like a size line passes', head() + '9\r\n5 \r\nabcde\r\n0\r\n\r\n', { messages: ['chunked:5 \r\nabcde'], error: null }],
  ['a trailer that looks like a size line passes', head() + '2\r\nhi\r\n0\r\nA: 5 \r\n\r\n', { messages: ['chunked:hi'], error: null }],
  ['in the second of two pipelined chunked requests',
    head() + '2 ;x\r\nhi\r\n0\r\n\r\n' + head() + '3 \r\nabc\r\n0\r\n\r\n', { messages: ['chunked:hi'], error: 'HPE_INVALID_CHUNK_SIZE' }],
  ['after a Content-Length request',
    'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n5 \r\n\r' + head() + '1 \r\nz\r\n0\r\n\r\n', { messages: ['plain:5 \r\n\r'], error: 'HPE_INVALID_CHUNK_SIZE' }],
  ['a pipeline of good chunked requests', head() + 'a\r\n0123456789\r\n0\r\n\r\n' + head('gzip, chunked') + '1;e\r\nz\r\n0\r\nT: 1\r\n\r\n' + head() + '0\r\n\r\n',
    { messages: ['chunked:0123456789', 'chunked:z', 'chunked:'], error: null }],
];

for (const kind of PARSERS) {
  t.test(`${kind}: whitespace after a chunk size only before an extension`, async (t) => {
    for (const [name, input, expect] of BWS_CASES) {
      t.same(parseEverySplit(t, kind, input, SERVER), expect, name);
    }
  });

  t.test(`${kind}: without chunkSpacesOnlyBeforeExtension the lenient flag is llhttp's`, async (t) => {
    const options = { lenient: Lenient.SPACES_AFTER_CHUNK_SIZE };
    t.same(parse(kind, head() + '5 \r\nhello\r\n0\r\n\r\n', [], options), { messages: ['chunked:hello'], error: null });
  });
}

const TE_CASES: [te: string, wafer: Outcome, llhttp: string][] = [
  ['chunked,', { messages: ['chunked:abc'], error: null }, 'HPE_INVALID_TRANSFER_ENCODING'],
  ['chunked, ', { messages: ['chunked:abc'], error: null }, 'HPE_INVALID_TRANSFER_ENCODING'],
  ['chunked ,', { messages: ['chunked:abc'], error: null }, 'HPE_INVALID_TRANSFER_ENCODING'],
  ['chunked,,\t, ', { messages: ['chunked:abc'], error: null }, 'HPE_INVALID_TRANSFER_ENCODING'],
  ['gzip, chunked,', { messages: ['chunked:abc'], error: null }, 'HPE_INVALID_TRANSFER_ENCODING'],
  ['chunked, gzip', { messages: [], error: 'HPE_INVALID_TRANSFER_ENCODING' }, 'HPE_INVALID_TRANSFER_ENCODING'],
  ['chunked,, gzip', { messages: [], error: 'HPE_INVALID_TRANSFER_ENCODING' }, 'HPE_INVALID_TRANSFER_ENCODING'],
];

t.test('wafer: empty list elements after chunked are ignored (RFC 9110 §5.6.1)', async (t) => {
  for (const [te, expect] of TE_CASES) {
    t.same(parseEverySplit(t, 'wafer', head(te) + '3\r\nabc\r\n0\r\n\r\n', SERVER), expect, JSON.stringify(te));
  }
  // Lenient TRANSFER_ENCODING reads on after the comma as llhttp does: a coding after it means
  // the body is not chunked (read until the connection closes).
  const lenient = { ...SERVER, lenient: Lenient.TRANSFER_ENCODING };
  t.same(parse('wafer', head('chunked,') + '3\r\nabc\r\n0\r\n\r\n', [], lenient).messages, ['chunked:abc']);
  t.same(parse('wafer', head('chunked, gzip') + 'abc', [], lenient), { messages: [], error: null }, 'gzip last: body until EOF');
  t.same(parse('wafer', head('chunked,') + '0\r\n\r\n', [], {}).error, 'HPE_INVALID_TRANSFER_ENCODING', 'without the option: llhttp\'s verdict');
});

t.test('llhttp: refuses `chunked,` whatever the options (a known backend difference)', async (t) => {
  for (const [te, , code] of TE_CASES) t.equal(parse('llhttp', head(te) + '3\r\nabc\r\n0\r\n\r\n', [], SERVER).error, code, JSON.stringify(te));
});

// The llhttp adapter follows chunked bodies itself to apply the rule: it must stay in step with
// llhttp through any sizes, extensions, data, trailers and pipelines, cut anywhere.
const sizeLine = fc.record({
  data: fc.string({ unit: fc.constantFrom('a', ' ', '\t', '\r', '\n', ';', '0', '5', 'f'), maxLength: 20 }),
  upper: fc.boolean(),
  bws: fc.constantFrom('', '', ' ', '\t', '  \t'),
  ext: fc.constantFrom('', '', ';a', ';a=b', ';a="x y"', ' ;'),
});
const chunkedMessage = fc.record({
  chunks: fc.array(sizeLine, { maxLength: 4 }),
  last: fc.record({ bws: fc.constantFrom('', '', ' '), ext: fc.constantFrom('', ';z') }),
  trailers: fc.constantFrom('', 'T: 1\r\n', 'A: 5 \r\nB: c\r\n'),
}).map(({ chunks, last, trailers }) => {
  let out = head();
  for (const c of chunks) {
    const size = c.data.length.toString(16);
    out += (c.upper ? size.toUpperCase() : size) + c.bws + c.ext + '\r\n' + c.data + '\r\n';
  }
  return out + '0' + last.bws + last.ext + '\r\n' + trailers + '\r\n';
});
const message = fc.oneof(
  { weight: 4, arbitrary: chunkedMessage },
  { weight: 1, arbitrary: fc.constant('GET / HTTP/1.1\r\nHost: x\r\n\r\n') },
  { weight: 1, arbitrary: fc.string({ maxLength: 12 }).map((b) => `POST / HTTP/1.1\r\nContent-Length: ${b.length}\r\n\r\n${b}`) },
);

t.test('both parsers agree on generated chunked pipelines with the server options, however cut', async (t) => {
  const parsers = (kind: ParserKind) => (sink: Parameters<typeof createParser>[1], o?: ParserOptions) => createParser(kind, sink, o);
  await holds(t, 'the same trace whole and cut, for 1,500 generated pipelines', fc.property(fc.array(message, { minLength: 1, maxLength: 4 }), fc.array(fc.nat(), { maxLength: 6 }), (msgs, rawCuts) => {
    const input = Buffer.from(msgs.join(''), 'latin1');
    const cuts = [...new Set(rawCuts.map((c) => 1 + (c % Math.max(1, input.length - 1))))].sort((a, b) => a - b);
    const oracle = trace(parsers('wafer'), input, [], { parser: SERVER });
    for (const kind of PARSERS) {
      const d = diffTraces(oracle, trace(parsers(kind), input, cuts, { parser: SERVER }), 'exact', ['wafer whole', `${kind} cut`]);
      if (d !== null) throw new Error(`${d}\n  input: ${JSON.stringify(msgs.join(''))}\n  cuts: ${JSON.stringify(cuts)}`);
    }
  }), { seed: 20261202, numRuns: 1500 });
});

// ---------------------------------------------------------------- over real sockets

const echo = (req: WaferRequest, res: WaferResponse) => res.end(`${req.method} ${req.url} ${req.body.toString('latin1')}`);

forEachServerKind(t, 'a chunk size followed by whitespace and CR LF is 400; with `;ext` after it, served', async (t, kind) => {
  let calls = 0;
  const server = await startServer(t, kind, (req, res) => {
    calls++;
    echo(req, res);
  });
  for (const body of ['5 \r\nhello\r\n0\r\n\r\n', '5\t\r\nhello\r\n0\r\n\r\n', '5\r\nhello\r\n0 \r\n\r\n']) {
    const r = await raw(server.port, head() + body + 'GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n');
    const got = responsesOf(r);
    t.same(got.map((x) => x.status), [400], JSON.stringify(body));
    t.equal(got[0]?.headers.connection, 'close');
    t.ok(r.closed, 'closed');
  }
  t.equal(calls, 0, 'the handler never saw them');
  const ok = await raw(server.port, head() + '5 ;a=b\r\nhello\r\n0\r\n\r\n', { responses: 1 });
  t.equal(responsesOf(ok)[0]?.status, 200);
  t.equal(responsesOf(ok)[0]?.body, 'POST /u hello');
}, PARSERS);

forEachServerKind(t, 'Transfer-Encoding `chunked,` is chunked with the wafer parser (llhttp: 400)', async (t, kind) => {
  let calls = 0;
  const server = await startServer(t, kind, (req, res) => {
    calls++;
    echo(req, res);
  });
  for (const te of ['chunked,', 'chunked, ,']) {
    const r = await raw(server.port, head(te) + '3\r\nabc\r\n0\r\n\r\n' + 'GET /next HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    const got = responsesOf(r);
    if (kind.parser === 'wafer') {
      t.same(got.map((x) => x.status), [200, 200], te);
      t.equal(got[0]?.body, 'POST /u abc', 'the body was read as chunked');
      t.equal(got[1]?.body, 'GET /next ', 'and the next request after it');
    } else {
      t.same(got.map((x) => x.status), [400], te);
      t.ok(r.closed);
    }
  }
  t.equal(calls, kind.parser === 'wafer' ? 4 : 0);
}, PARSERS);
