// The RequestParser layer over the state machine (parser/wafer.ts): heads, bodies across
// splits, pipelining, upgrades, limits and their error codes, overflow, reset(). Every case
// runs through both backends from one table where the verdicts must agree with Node's
// llhttp; limit rules wafer places differently are tested on wafer alone.
import t from 'tap';
import { createLlhttpParser } from '../parser/llhttp.js';
import { createWaferParser } from '../parser/wafer.js';
import type { ParserOptions, RequestHead, RequestParser, RequestSink } from '../parser/types.js';

interface Seen {
  heads: RequestHead[];
  bodies: string[];
  completes: number;
}

function collect(make: (s: RequestSink, o?: ParserOptions) => RequestParser, options?: ParserOptions) {
  const seen: Seen = { heads: [], bodies: [], completes: 0 };
  const sink: RequestSink = {
    onHead: (h) => {
      // The documented fields (the wafer parser's head makes rawHeaders on first read).
      seen.heads.push({
        method: h.method, url: h.url, versionMajor: h.versionMajor, versionMinor: h.versionMinor, rawHeaders: h.rawHeaders,
        contentLength: h.contentLength, chunked: h.chunked, keepAlive: h.keepAlive, upgrade: h.upgrade,
      });
      seen.bodies.push('');
    },
    onBody: (b) => {
      seen.bodies[seen.bodies.length - 1] += b.toString('latin1');
    },
    onMessageComplete: () => {
      seen.completes++;
    },
  };
  return { parser: make(sink, options), seen };
}

/** Feed `input` in pieces of `size` bytes; stop at an error or an upgrade. */
function feed(p: RequestParser, input: Buffer, size: number): { consumed: number; last: number } {
  let consumed = 0;
  let last = 0;
  for (let i = 0; i < input.length; i += size) {
    const piece = input.subarray(i, i + size);
    last = p.execute(piece);
    if (p.error || p.upgraded) return { consumed: consumed + last, last };
    consumed += piece.length;
  }
  return { consumed, last };
}

const bin = (s: string) => Buffer.from(s, 'latin1');

t.test('a browser GET gives one head with every header, right-trimmed, in order', async (t) => {
  const { parser, seen } = collect(createWaferParser);
  const req = 'GET /a/b?c=d HTTP/1.1\r\nHost: example.com\r\nAccept: text/html \t\r\nX-Empty:\r\n\r\n';
  t.equal(parser.execute(bin(req)), req.length);
  t.equal(seen.heads.length, 1);
  t.match(seen.heads[0], {
    method: 'GET', url: '/a/b?c=d', versionMajor: 1, versionMinor: 1, contentLength: -1, chunked: false,
    keepAlive: true, upgrade: false,
  });
  t.strictSame(seen.heads[0].rawHeaders, ['Host', 'example.com', 'Accept', 'text/html', 'X-Empty', '']);
  t.equal(seen.completes, 1);
});

t.test('bodies arrive whole at every split of identity and chunked messages, as with llhttp', async (t) => {
  const inputs = [
    'POST /j HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: 17\r\n\r\n{"a":1,"bb":[22]}',
    'POST /u HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5;ext="q\\"x"\r\nhello\r\n6\r\n world\r\n0\r\nTrailer: t\r\n\r\n',
  ];
  for (const input of inputs) {
    const buf = bin(input);
    for (let size = 1; size <= buf.length; size++) {
      const w = collect(createWaferParser);
      const l = collect(createLlhttpParser);
      feed(w.parser, buf, size);
      feed(l.parser, buf, size);
      if (JSON.stringify(w.seen) !== JSON.stringify(l.seen) || w.parser.error) {
        t.fail(`pieces of ${size}: ${JSON.stringify(w.seen)} vs ${JSON.stringify(l.seen)}`);
        return;
      }
    }
    const w = collect(createWaferParser);
    w.parser.execute(buf);
    t.equal(w.seen.completes, 1, 'one message');
    t.ok(w.seen.bodies[0] === '{"a":1,"bb":[22]}' || w.seen.bodies[0] === 'hello world', 'body bytes');
  }
});

t.test('short heads (every piece made without the latin1 slice) give the same strings as llhttp', async (t) => {
  // parser/wafer.ts builds the strings of a head of at most 8 pieces of at most 16 bytes each
  // with String.fromCharCode; longer pieces or more of them go through one latin1 slice. Both
  // sides of each bound, obs-text bytes (0x80-0xFF, one latin1 character each), right-trimmed
  // and empty values, and every split point must give what llhttp gives.
  const v16 = 'abcdefghijklmnop';
  const heads = [
    'GET / HTTP/1.1\r\nHost: 127.0.0.1:40000\r\n\r\n',
    `GET /${v16.slice(1)} HTTP/1.1\r\nHost: ${v16}\r\nX-Sixteen-Chars!: ${v16} \t\r\n\r\n`, // exactly 16
    `GET /${v16} HTTP/1.1\r\nHost: h\r\n\r\n`, // a 17-byte target
    `GET / HTTP/1.1\r\nHost: ${v16}q\r\n\r\n`, // a 17-byte value
    'GET /\xe9 HTTP/1.1\r\nHost: h\r\nX: \xe9\xff\x80 caf\xe9\r\nE:\r\n\r\n', // obs-text (the target's is refused by both)
    'GET / HTTP/1.1\r\nHost: h\r\nX: \xe9\xff\x80 caf\xe9\r\nE:\r\n\r\n',
    'GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n', // 7 pieces
    'GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n\r\n', // 9 pieces
  ];
  for (const head of heads) {
    const buf = bin(head + head);
    for (let size = 1; size <= buf.length; size++) {
      const w = collect(createWaferParser);
      const l = collect(createLlhttpParser);
      feed(w.parser, buf, size);
      feed(l.parser, buf, size);
      if (JSON.stringify(w.seen) !== JSON.stringify(l.seen) || String(w.parser.error?.code) !== String(l.parser.error?.code)) {
        t.fail(`${JSON.stringify(head)} in pieces of ${size}: ${JSON.stringify(w.seen)} vs ${JSON.stringify(l.seen)}`);
        return;
      }
    }
  }
  const w = collect(createWaferParser);
  w.parser.execute(bin(heads[5]));
  t.strictSame(w.seen.heads[0].rawHeaders, ['Host', 'h', 'X', '\u00e9\u00ff\u0080 caf\u00e9', 'E', ''], 'obs-text as latin1');
  const x = collect(createWaferParser);
  x.parser.execute(bin(heads[1]));
  t.strictSame(x.seen.heads[0].rawHeaders, ['Host', v16, 'X-Sixteen-Chars!', v16]);
  t.equal(x.seen.heads[0].url, '/' + v16.slice(1));
});

t.test('a short head reuses the last one\'s strings only where every byte is the same', async (t) => {
  // parser/wafer.ts keeps the strings of the last short head and hands one out again when the
  // same piece has the same length and bytes. Heads that differ from the one before in a
  // single byte — at every position of every piece, through every item slot — and pieces that
  // grow or shrink by one must still come out byte for byte (one parser, one message after another).
  const base = ['/ab', 'Host', '127.0.0.1:4300', 'X-K', 'v1', 'Accept', '*/*'];
  const render = (p: string[]) => `GET ${p[0]} HTTP/1.1\r\n${p[1]}: ${p[2]}\r\n${p[3]}: ${p[4]}\r\n${p[5]}: ${p[6]}\r\n\r\n`;
  const variants: string[][] = [base];
  for (let item = 0; item < base.length; item++) {
    for (let at = item === 0 ? 1 : 0; at < base[item].length; at++) {
      const p = [...base];
      const c = p[item].charCodeAt(at);
      // Another byte of the same class (a token char for names, a value or target char otherwise).
      p[item] = p[item].slice(0, at) + String.fromCharCode(c === 0x7a ? 0x79 : c + 1) + p[item].slice(at + 1);
      variants.push(p, base);
    }
    variants.push(base.map((s, i) => (i === item ? s + 'z' : s)), base);
    if (base[item].length > 1) variants.push(base.map((s, i) => (i === item ? s.slice(0, -1) : s)), base);
  }
  const w = collect(createWaferParser);
  const l = collect(createLlhttpParser);
  const all = bin(variants.map(render).join(''));
  feed(w.parser, all, all.length);
  feed(l.parser, all, all.length);
  t.equal(w.seen.heads.length, variants.length);
  t.strictSame(w.seen, l.seen, 'every head as llhttp read it');
  for (let k = 0; k < variants.length; k++) {
    const p = variants[k];
    const h = w.seen.heads[k] as { url: string; rawHeaders: string[] };
    if (h.url !== p[0] || JSON.stringify(h.rawHeaders) !== JSON.stringify(p.slice(1))) {
      t.fail(`head ${k}: ${JSON.stringify(h)} for ${JSON.stringify(p)}`);
      return;
    }
  }
});

t.test('common field names keep the spelling they were sent in', async (t) => {
  // A short head's common names are handed over as constants (parser/wafer.ts COMMON_NAMES):
  // only the very same bytes may come back as one, whatever the case they were sent in.
  const names = ['Host', 'host', 'HOST', 'hOST', 'Content-Type', 'content-type', 'CONTENT-TYPE', 'Expect', 'expect',
    'eXpect', 'Accept', 'ACCEPT', 'Cookie', 'cookie', 'Range', 'range', 'RANGE', 'Origin', 'X-Host'];
  const wire = bin(names.map((n) => `GET / HTTP/1.1\r\n${n}: v\r\n\r\n`).join(''));
  const w = collect(createWaferParser);
  const l = collect(createLlhttpParser);
  feed(w.parser, wire, wire.length);
  feed(l.parser, wire, wire.length);
  t.same(w.seen.heads.map((h) => h.rawHeaders[0]), names);
  t.strictSame(w.seen, l.seen);
});

t.test('a head that repeats the last one byte for byte is read as that one was, and no other is', async (t) => {
  // parser/machine.ts remembers the last head its fast paths read whole (onRepeatHead) and
  // takes the same steps again when the next message starts with the same bytes. Every
  // one-byte change of the head, at every position, to bytes of every kind, must give
  // llhttp's verdict and heads, as must the remembered head cut at every chunk size, mixed
  // with heads read the slow way, and heads whose flags decide keep-alive.
  const base = 'GET /a?b=1 HTTP/1.1\r\nHost: 127.0.0.1:4300\r\nConnection: keep-alive\r\nX: y z\r\n\r\n';
  /** The first disagreement with llhttp, described; '' while there is none. */
  let differs = '';
  const agree = (wire: string, size: number, what: string): boolean => {
    const buf = bin(wire);
    const w = collect(createWaferParser);
    const l = collect(createLlhttpParser);
    const wr = feed(w.parser, buf, size);
    const lr = feed(l.parser, buf, size);
    const same = JSON.stringify(w.seen) === JSON.stringify(l.seen) && String(w.parser.error?.code) === String(l.parser.error?.code) &&
      w.parser.error?.offset === l.parser.error?.offset && wr.consumed === lr.consumed;
    if (!same) differs = `${what}: ${JSON.stringify(w.seen.heads.map((h) => [h.url, h.rawHeaders, h.keepAlive]))} ${w.parser.error?.code} vs ${JSON.stringify(l.seen.heads.map((h) => [h.url, h.rawHeaders, h.keepAlive]))} ${l.parser.error?.code}`;
    return same;
  };
  const verdict = (): void => {
    t.equal(differs, '', 'heads, verdict, error offset and bytes consumed as llhttp\'s');
  };
  for (let at = 0; at < base.length; at++) {
    for (const c of [base.charCodeAt(at) + 1, 0x00, 0x20, 0x09, 0x0d, 0x0a, 0x3a, 0x80, 0x7f]) {
      const changed = base.slice(0, at) + String.fromCharCode(c & 0xff) + base.slice(at + 1);
      if (!agree(base.repeat(3) + changed + base.repeat(4), 1 << 20, `byte ${at} as ${c}`)) return verdict();
    }
  }
  for (const cut of [base.slice(0, -1), base.slice(0, -2), base + '\r\n']) {
    if (!agree(base.repeat(3) + cut + base.repeat(3), 1 << 20, JSON.stringify(cut))) return verdict();
  }
  const slow = 'GET /a?b=1 HTTP/1.1\r\nHost:  127.0.0.1:4300 \r\nConnection: keep-alive\r\nX: y z\r\n\r\n';
  const wires = [base.repeat(4), base.repeat(3) + slow + base.repeat(3), base.repeat(3) + 'POST /a?b=1 HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc' + base + base];
  for (const wire of wires) {
    for (let size = 1; size <= wire.length; size++) {
      if (!agree(wire, size, `${JSON.stringify(wire)} in pieces of ${size}`)) return verdict();
    }
  }
  const close = 'GET / HTTP/1.1\r\nConnection: close\r\n\r\n';
  const ten = 'GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n';
  const tenClose = 'GET / HTTP/1.0\r\nHost: h\r\n\r\n';
  for (const wire of [ten + ten + ten + close + close, ten + ten + ten + tenClose + tenClose, close + close]) {
    if (!agree(wire, 1 << 20, JSON.stringify(wire))) return verdict();
  }
  const w = collect(createWaferParser);
  w.parser.execute(bin(ten + ten + ten + tenClose));
  t.strictSame(w.seen.heads.map((h) => h.keepAlive), [true, true, true, false], 'keep-alive as each head says');
  verdict();
});

t.test('the remembered head is taken again once it repeats, after changing heads and across reset()', async (t) => {
  // What the memo is for, counted: onRepeatHead taken. While heads keep changing the machine
  // remembers fewer of them (at most one in 64), and comes back once one repeats.
  const { parser, seen } = collect(createWaferParser);
  let taken = 0;
  const p = parser as unknown as { onRepeatHead(): number };
  const own = p.onRepeatHead.bind(p);
  p.onRepeatHead = () => {
    const r = own();
    if (r === 0) taken++;
    return r;
  };
  const head = (i: number) => `GET /item/${i} HTTP/1.1\r\nHost: h\r\n\r\n`;
  let changing = '';
  for (let i = 0; i < 500; i++) changing += head(i);
  parser.execute(bin(changing));
  t.equal(taken, 0, 'no head repeated');
  parser.execute(bin(head(7).repeat(200)));
  t.ok(taken >= 100, `${taken} of 200 repeats taken`);
  const before = taken;
  parser.reset();
  parser.execute(bin(head(7).repeat(10)));
  t.equal(taken - before, 10, 'reset() keeps the remembered head');
  t.equal(seen.heads.length, 710);
  t.ok(seen.heads.slice(500).every((h) => h.url === '/item/7' && h.rawHeaders.join() === 'Host,h'));
});

t.test('a repeated head hands each request its own rawHeaders', async (t) => {
  const { parser, seen } = collect(createWaferParser);
  const head = 'GET /r HTTP/1.1\r\nHost: h\r\nAccept: */*\r\n\r\n';
  parser.execute(bin(head + head));
  seen.heads[0].rawHeaders.push('X-Added', '1');
  seen.heads[1].rawHeaders[1] = 'changed';
  parser.execute(bin(head));
  t.equal(seen.heads.length, 3);
  t.not(seen.heads[1].rawHeaders, seen.heads[0].rawHeaders);
  t.strictSame(seen.heads[2].rawHeaders, ['Host', 'h', 'Accept', '*/*'], 'what earlier requests did to theirs does not show');
  t.equal(seen.heads[2].url, '/r');
});

t.test('16 pipelined GETs in one buffer give 16 heads and 16 completions', async (t) => {
  const one = 'GET /p HTTP/1.1\r\nHost: h\r\n\r\n';
  const { parser, seen } = collect(createWaferParser);
  t.equal(parser.execute(bin(one.repeat(16))), one.length * 16);
  t.equal(seen.heads.length, 16);
  t.equal(seen.completes, 16);
});

t.test('an upgrade stops after the head: execute returns the offset and sets upgraded', async (t) => {
  const head = 'GET /ws HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n';
  for (const make of [createWaferParser, createLlhttpParser]) {
    const { parser, seen } = collect(make);
    t.equal(parser.execute(bin(head + '\x81\x05hello')), head.length);
    t.equal(parser.upgraded, true);
    t.equal(parser.error, null);
    t.equal(seen.heads[0].upgrade, true);
  }
  const { parser } = collect(createWaferParser);
  t.equal(parser.execute(bin('CONNECT h:443 HTTP/1.1\r\n\r\nTLS')), 26, 'CONNECT too');
  t.equal(parser.upgraded, true);
});

// Verdicts both backends must give, code and offset.
const verdicts: [string, string, string][] = [
  ['Content-Length past 2^64', 'GET / HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n', 'HPE_INVALID_CONTENT_LENGTH'],
  ['chunk size past 2^64', 'POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffffffff\r\n', 'HPE_INVALID_CHUNK_SIZE'],
  ['Content-Length with Transfer-Encoding', 'POST / HTTP/1.1\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n', 'HPE_INVALID_TRANSFER_ENCODING'],
  ['duplicate Content-Length', 'POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\n', 'HPE_UNEXPECTED_CONTENT_LENGTH'],
  ['a bad method', 'GEX / HTTP/1.1\r\n\r\n', 'HPE_INVALID_METHOD'],
  ['a control byte in a value', 'GET / HTTP/1.1\r\nX: a\x01b\r\n\r\n', 'HPE_INVALID_HEADER_TOKEN'],
  ['obs-fold', 'GET / HTTP/1.1\r\nA: b\r\n c\r\n\r\n', 'HPE_INVALID_HEADER_TOKEN'],
  ['a bare LF after a header value', 'GET / HTTP/1.1\r\nA: b\n\r\n', 'HPE_CR_EXPECTED'],
  ['data after Connection: close', 'GET / HTTP/1.1\r\nConnection: close\r\n\r\nGET / HTTP/1.1\r\n\r\n', 'HPE_CLOSED_CONNECTION'],
  ['a non-chunked final coding', 'POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n', 'HPE_INVALID_TRANSFER_ENCODING'],
  ['an unsupported version', 'GET / HTTP/3.0\r\n\r\n', 'HPE_INVALID_VERSION'],
];

for (const [name, input, code] of verdicts) {
  t.test(`rejects ${name} with ${code} at llhttp's offset`, async (t) => {
    const w = collect(createWaferParser);
    const l = collect(createLlhttpParser);
    const buf = bin(input);
    const wr = w.parser.execute(buf);
    const lr = l.parser.execute(buf);
    t.equal(w.parser.error?.code, code);
    t.equal(w.parser.error?.code, l.parser.error?.code);
    t.equal(w.parser.error?.offset, l.parser.error?.offset);
    t.equal(wr, lr);
  });
}

// Deliberately stricter than Node 20's llhttp 9.3.1 and the 9.4.2 fixtures: an empty
// Transfer-Encoding is refused, as llhttp 9.4.3 does (nodejs/llhttp#874) — a field a front end
// may read as "no coding" while another sees a framing header: request smuggling, RFC 9112 §11.2.
t.test('rejects an empty Transfer-Encoding value (stricter than llhttp 9.3.1; RFC 9112 §11.2)', async (t) => {
  const { parser, seen } = collect(createWaferParser);
  const input = 'POST / HTTP/1.1\r\nTransfer-Encoding: \r\n\r\n';
  parser.execute(bin(input));
  t.equal(parser.error?.code, 'HPE_INVALID_TRANSFER_ENCODING');
  t.equal(parser.error?.reason, 'Empty Transfer-Encoding');
  t.equal(seen.heads.length, 0);
});

// Deliberately stricter than llhttp (which accepts up to 2^64 - 1): RFC 9110 §8.6 asks a
// recipient to prevent precision loss in a length.
t.test('Content-Length past 2^53 - 1 (but within 2^64) is an overflow, not a lossy number (RFC 9110 §8.6)', async (t) => {
  const { parser, seen } = collect(createWaferParser);
  const input = 'POST / HTTP/1.1\r\nContent-Length: 9007199254740992\r\n\r\n';
  parser.execute(bin(input));
  t.equal(parser.error?.code, 'HPE_INVALID_CONTENT_LENGTH');
  t.equal(parser.error?.reason, 'Content-Length overflow');
  t.equal(parser.error?.offset, input.indexOf('\r\n\r\n'), 'where the number ends');
  t.equal(seen.heads.length, 0);
  const ok = collect(createWaferParser);
  ok.parser.execute(bin('POST / HTTP/1.1\r\nContent-Length: 9007199254740991\r\n\r\n'));
  t.equal(ok.seen.heads[0]?.contentLength, 9007199254740991, '2^53 - 1 itself is fine');
});

t.test('a chunk size past 2^53 - 1 is an overflow (RFC 9110 §8.6)', async (t) => {
  const { parser } = collect(createWaferParser);
  parser.execute(bin('POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n20000000000000\r\n'));
  t.equal(parser.error?.code, 'HPE_INVALID_CHUNK_SIZE');
  t.equal(parser.error?.reason, 'Chunk size overflow');
});

t.test('header bytes reaching maxHeaderSize give HPE_HEADER_OVERFLOW where llhttp gives it', async (t) => {
  const input = bin(`GET /${'a'.repeat(20)} HTTP/1.1\r\nHost: x\r\nX-Long: ${'v'.repeat(40)}\r\n\r\n`);
  for (const size of [input.length, 7, 1]) {
    const w = collect(createWaferParser, { maxHeaderSize: 64 });
    const l = collect(createLlhttpParser, { maxHeaderSize: 64 });
    const wr = feed(w.parser, input, size);
    const lr = feed(l.parser, input, size);
    t.equal(w.parser.error?.code, 'HPE_HEADER_OVERFLOW', `pieces of ${size}`);
    t.equal(w.parser.error?.offset, l.parser.error?.offset, 'same offset in the failing buffer');
    t.equal(wr.consumed, lr.consumed);
  }
  const fits = collect(createWaferParser, { maxHeaderSize: 100 });
  fits.parser.execute(input);
  t.equal(fits.parser.error, null, 'below the limit it parses');
});

t.test('more than maxHeaderCount fields give HPE_HEADER_OVERFLOW', async (t) => {
  const fields = Array.from({ length: 4 }, (_, i) => `F${i}: ${i}\r\n`).join('');
  const { parser, seen } = collect(createWaferParser, { maxHeaderCount: 3 });
  parser.execute(bin(`GET / HTTP/1.1\r\n${fields}\r\n`));
  t.equal(parser.error?.code, 'HPE_HEADER_OVERFLOW');
  t.equal(parser.error?.reason, 'Too many header fields');
  t.equal(seen.heads.length, 0);
  const ok = collect(createWaferParser, { maxHeaderCount: 4 });
  ok.parser.execute(bin(`GET / HTTP/1.1\r\n${fields}\r\n`));
  t.equal(ok.seen.heads.length, 1);
});

t.test('a request target longer than maxUrlLength gives HPE_URL_OVERFLOW', async (t) => {
  const { parser, seen } = collect(createWaferParser, { maxUrlLength: 10 });
  parser.execute(bin('GET /0123456789 HTTP/1.1\r\n\r\n'));
  t.equal(parser.error?.code, 'HPE_URL_OVERFLOW');
  t.equal(seen.heads.length, 0);
  const ok = collect(createWaferParser, { maxUrlLength: 11 });
  ok.parser.execute(bin('GET /0123456789 HTTP/1.1\r\n\r\n'));
  t.equal(ok.seen.heads[0]?.url, '/0123456789');
});

t.test('chunk extensions past maxChunkExtensionSize give HPE_CHUNK_EXTENSIONS_OVERFLOW', async (t) => {
  const input = bin(`POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1;${'e'.repeat(30)}=${'v'.repeat(30)}\r\nx\r\n0\r\n\r\n`);
  const { parser } = collect(createWaferParser, { maxChunkExtensionSize: 40 });
  parser.execute(input);
  t.equal(parser.error?.code, 'HPE_CHUNK_EXTENSIONS_OVERFLOW');
  const ok = collect(createWaferParser, { maxChunkExtensionSize: 60 });
  ok.parser.execute(input);
  t.equal(ok.parser.error, null);
  t.equal(ok.seen.bodies[0], 'x');
});

t.test('finish() reports a message cut short, and not a complete one', async (t) => {
  const cut = collect(createWaferParser);
  cut.parser.execute(bin('PUT / HTTP/1.1\r\nContent-Length: 100\r\n\r\nabc'));
  t.equal(cut.parser.finish()?.code, 'HPE_INVALID_EOF_STATE');
  const done = collect(createWaferParser);
  done.parser.execute(bin('GET / HTTP/1.1\r\n\r\n'));
  t.equal(done.parser.finish(), null);
});

t.test('lenient flags are options: obs-fold passes with Lenient.HEADERS', async (t) => {
  const { parser, seen } = collect(createWaferParser, { lenient: 1 });
  parser.execute(bin('GET / HTTP/1.1\r\nA: b\r\n c\r\n\r\n'));
  t.equal(parser.error, null);
  t.strictSame(seen.heads[0].rawHeaders, ['A', 'b c']);
});

t.test('reset() forgets an error and parses a new stream', async (t) => {
  const { parser, seen } = collect(createWaferParser);
  parser.execute(bin('GEX / HTTP/1.1\r\n\r\n'));
  t.ok(parser.error);
  parser.reset();
  t.equal(parser.error, null);
  const again = 'GET /again HTTP/1.1\r\n\r\n';
  t.equal(parser.execute(bin(again)), again.length);
  t.equal(seen.heads[0].url, '/again');
});
