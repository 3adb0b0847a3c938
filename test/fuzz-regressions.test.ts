// Divergences the fuzz suite found between our parser and Node's llhttp, each pinned as a
// regression test, and the documented places where llhttp 9.4 (the fixtures, hence us) and
// Node 20's llhttp 9.3.1 (the fuzz oracle there) disagree: each of those is pinned on both
// sides, and on Node 22 and 24 (llhttp 9.4.4) the test checks that the two now agree.
import t, { type Test } from 'tap';
import { diffTraces } from '../fuzz/compare.js';
import { toBuffer } from '../fuzz/segments.js';
import { llhttp, ours } from '../fuzz/subjects.js';
import { trace, type Trace } from '../fuzz/trace.js';
import type { ParserOptions } from '../parser/types.js';

function both(text: string, options?: ParserOptions): { oracle: Trace; wafer: Trace } {
  const input = toBuffer(text);
  return {
    oracle: trace(llhttp.factory, input, [], { parser: options }),
    wafer: trace(ours.factory, input, [], { parser: options, zeroCopy: ours.zeroCopy }),
  };
}

/** Head fields as recorded by trace(): [method, url, major, minor, rawHeaders, contentLength, chunked, keepAlive, upgrade]. */
function head(tr: Trace, n = 0): unknown[] {
  const ev = tr.events.filter((e) => e.startsWith('H '))[n];
  return ev === undefined ? [] : (JSON.parse(ev.slice(2)) as unknown[]);
}

// The oracle is the llhttp inside the Node running the suite: 9.3.1 in Node 20, 9.4.4 in Node 22
// and 24. Each divergence below is pinned for the oracle at hand: before the llhttp release that
// changed the rule, the old behaviour; from it on, full agreement with wafer (the test then shows
// the divergence is gone, rather than failing because Node caught up).
const ORACLE = process.versions.llhttp ?? '0';
function oracleAtLeast(version: string): boolean {
  const have = ORACLE.split('.').map(Number);
  const want = version.split('.').map(Number);
  for (let i = 0; i < want.length; i++) if ((have[i] ?? 0) !== want[i]) return (have[i] ?? 0) > want[i];
  return true;
}

/** From llhttp `since` on, the oracle agrees with wafer on this input; before, `old` holds. */
function pinned(t: Test, since: string, oracle: Trace, wafer: Trace, old: () => void): void {
  if (oracleAtLeast(since)) t.equal(diffTraces(oracle, wafer, 'differential'), null, `llhttp ${ORACLE} (>= ${since}) agrees with wafer`);
  else old();
}

t.test(`llhttp 9.4: a TAB after \`close\` still closes the connection (9.3.1: keep-alive; oracle ${ORACLE})`, async (t) => {
  const { oracle, wafer } = both('PUT /url HTTP/1.1\r\nConnection: close\t\r\n\r\n');
  t.equal(head(wafer)[7], false, 'wafer: not keep-alive');
  pinned(t, '9.4.0', oracle, wafer, () => t.equal(head(oracle)[7], true, `llhttp ${ORACLE}: keep-alive`));
});

t.test(`llhttp 9.4: data after \`Connection: close<TAB>\` is HPE_CLOSED_CONNECTION (9.3.1: parsed on; oracle ${ORACLE})`, async (t) => {
  const text = 'POST / HTTP/1.1\r\nContent-Length: 4\r\nConnection: close\t\r\n\r\nq=42\r\n\r\nGET / HTTP/1.1';
  const { oracle, wafer } = both(text);
  t.equal(wafer.error?.code, 'HPE_CLOSED_CONNECTION');
  pinned(t, '9.4.0', oracle, wafer, () => t.not(oracle.error?.code, 'HPE_CLOSED_CONNECTION'));
});

t.test(`llhttp 9.4: TABs around a Content-Length value are whitespace (9.3.1: HPE_INVALID_CONTENT_LENGTH; oracle ${ORACLE})`, async (t) => {
  const { oracle, wafer } = both('POST / HTTP/1.1\r\nContent-Length:\t42\t  \r\n\r\n');
  t.equal(wafer.error, null);
  t.equal(head(wafer)[5], 42);
  pinned(t, '9.4.0', oracle, wafer, () => t.equal(oracle.error?.code, 'HPE_INVALID_CONTENT_LENGTH'));
});

// The flag must also reach llhttp: Node 22's HTTPParser binding drops it (seen on 22.23.5, whose
// llhttp is 9.4.4 like Node 24's), Node 24's passes it on. Before that the value is refused.
const NODE_MAJOR = Number(process.versions.node.split('.')[0]);
t.test(`llhttp 9.4: HEADER_VALUE_RELAXED admits control bytes in values (9.3.1 and Node 22's binding: no such flag; Node ${process.versions.node})`, async (t) => {
  const { oracle, wafer } = both('GET /url HTTP/1.1\r\nHeader1: hello\fworld\r\n\r\n', { lenient: 1024 });
  t.equal(wafer.error, null);
  const refused = () => t.equal(oracle.error?.code, 'HPE_INVALID_HEADER_TOKEN', `Node ${process.versions.node}: the flag does not reach llhttp`);
  if (NODE_MAJOR < 24) refused();
  else pinned(t, '9.4.0', oracle, wafer, refused);
});

t.test(`llhttp 9.4.3: an empty Transfer-Encoding value is HPE_INVALID_TRANSFER_ENCODING (9.3.1: field ignored; oracle ${ORACLE})`, async (t) => {
  const { oracle, wafer } = both('GET / HTTP/1.1\r\nTransfer-Encoding: \r\n\r\n');
  t.equal(wafer.error?.code, 'HPE_INVALID_TRANSFER_ENCODING');
  t.equal(wafer.events.length, 0, 'no head is delivered');
  pinned(t, '9.4.3', oracle, wafer, () => {
    t.equal(oracle.error, null);
    t.equal(head(oracle)[0], 'GET');
  });
});

t.test('RFC 9110 §8.6: a Content-Length or chunk size past 2^53-1 is refused (llhttp takes up to 2^64-1)', async (t) => {
  const cl = both('PUT / HTTP/1.1\r\nContent-Length: 9007199254740992\r\n\r\nab');
  t.equal(cl.wafer.error?.code, 'HPE_INVALID_CONTENT_LENGTH');
  t.equal(cl.oracle.error, null);
  const chunk = both('PUT / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n20000000000000\r\nab');
  t.equal(chunk.wafer.error?.code, 'HPE_INVALID_CHUNK_SIZE');
  t.equal(chunk.oracle.error, null);
  const max = both('PUT / HTTP/1.1\r\nContent-Length: 9007199254740991\r\n\r\nab');
  t.equal(diffTraces(max.oracle, max.wafer, 'differential'), null, '2^53-1 itself is accepted by both');
});

// ---- divergences the fuzz suite found in the oracle (parser/llhttp.ts), fixed there ----

t.test('trailer fields do not leak into the next pipelined request (adapter fix)', async (t) => {
  const { oracle, wafer } = both('GET http://a.aa/ HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX: y\r\n\r\nGET / HTTP/1.1\r\n\r\n');
  t.same(head(oracle, 1).slice(0, 5), ['GET', '/', 1, 1, []]);
  t.equal(diffTraces(oracle, wafer, 'differential'), null);
});

t.test('an upgrade request whose body is still coming is not yet upgraded (adapter fix)', async (t) => {
  const { oracle, wafer } = both('GET / HTTP/1.1\r\nContent-Length: 5\r\nConnection: Upgrade\r\nUpgrade: foo\r\n\r\nRG+');
  t.equal(oracle.upgradeAt, -1);
  t.equal(wafer.upgradeAt, -1);
  const done = both('GET / HTTP/1.1\r\nContent-Length: 5\r\nConnection: Upgrade\r\nUpgrade: foo\r\n\r\nRG+RXrest');
  t.equal(done.oracle.upgradeAt, 77);
  t.equal(diffTraces(done.oracle, done.wafer, 'differential'), null);
});

t.test('after a limit error the llhttp adapter delivers nothing more (adapter fix)', async (t) => {
  const { oracle } = both('GET / HTTP/1.1\r\nA: b\r\nC: d\r\n\r\nGET / HTTP/1.1\r\n\r\n', { maxHeaderCount: 1 });
  t.equal(oracle.error?.code, 'HPE_HEADER_OVERFLOW');
  t.same(oracle.events, []);
  t.same(oracle.faults, []);
});

t.test(`without a TAB the same requests agree with llhttp ${ORACLE}`, async (t) => {
  for (const text of [
    'PUT /url HTTP/1.1\r\nConnection: close \r\n\r\n',
    'POST / HTTP/1.1\r\nContent-Length: 42  \r\n\r\n',
    'GET /url HTTP/1.1\r\nHeader1: hello world\r\n\r\n',
    'GET / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
  ]) {
    const { oracle, wafer } = both(text);
    t.equal(diffTraces(oracle, wafer, 'differential'), null, JSON.stringify(text));
  }
});
