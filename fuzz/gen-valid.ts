// Generators of well-formed requests of every shape llhttp accepts: all of Node's methods,
// origin/absolute/authority/asterisk targets, HTTP/1.0 and 1.1, many headers with optional
// whitespace, Content-Length and chunked bodies (extensions, trailers), keep-alive/close,
// upgrades, and pipelined sequences. Output is a list of tagged segments (segments.ts).
import fc from 'fast-check';
import type { Kind, Segment } from './segments.js';

export const HTTP_METHODS = [
  'DELETE', 'GET', 'HEAD', 'POST', 'PUT', 'CONNECT', 'OPTIONS', 'TRACE', 'COPY', 'LOCK', 'MKCOL', 'MOVE',
  'PROPFIND', 'PROPPATCH', 'SEARCH', 'UNLOCK', 'BIND', 'REBIND', 'UNBIND', 'ACL', 'REPORT', 'MKACTIVITY',
  'CHECKOUT', 'MERGE', 'M-SEARCH', 'NOTIFY', 'SUBSCRIBE', 'UNSUBSCRIBE', 'PATCH', 'PURGE', 'MKCALENDAR',
  'LINK', 'UNLINK', 'SOURCE', 'QUERY',
];

const TCHAR = "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
// RFC 3986 pchar and friends, plus the characters browsers send unescaped that llhttp accepts.
const URLCHAR = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~!$&'()*+,;=:@/%?\"|{}[]^`<>\\";
const HEXCHAR = '0123456789abcdefABCDEF';

/**
 * A string of `alphabet` chars. fast-check draws the length (so shrinking shortens it) and a
 * seed; the chars come from a small PRNG. Drawing each char as its own value costs most of a
 * case's time for bodies and values, and char-level shrinking buys little for filler bytes.
 */
export function charsFrom(alphabet: string, minLength: number, maxLength: number): fc.Arbitrary<string> {
  // Short strings mostly, as fc.string's default size would give, the full range sometimes.
  const length = fc.oneof(
    { weight: 6, arbitrary: fc.integer({ min: minLength, max: Math.min(maxLength, minLength + 10) }) },
    { weight: 3, arbitrary: fc.integer({ min: minLength, max: Math.min(maxLength, minLength + 60) }) },
    { weight: 1, arbitrary: fc.integer({ min: minLength, max: maxLength }) },
  );
  return fc.tuple(length, fc.integer()).map(([n, seed]) => fill(alphabet, n, seed));
}

/** `n` chars of `alphabet` chosen by mulberry32 from `seed`. */
function fill(alphabet: string, n: number, seed: number): string {
  let a = seed | 0;
  let out = '';
  for (let i = 0; i < n; i++) {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    out += alphabet[((t ^ (t >>> 14)) >>> 0) % alphabet.length];
  }
  return out;
}

const LATIN1 = Array.from({ length: 256 }, (_, c) => String.fromCharCode(c)).join('');
/** Field-value bytes: mostly VCHAR, some SP/HTAB, a little obs-text (RFC 9110 §5.5). */
const VALUE_CHARS = LATIN1.slice(0x21, 0x7f).repeat(6) + ' \t'.repeat(9) + LATIN1.slice(0x80);

const vchar = fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c));
/** Field value: starts and ends with a visible char, may hold SP/HTAB and obs-text inside. */
export const fieldValue: fc.Arbitrary<string> = fc.oneof(
  { weight: 1, arbitrary: fc.constant('') },
  { weight: 8, arbitrary: fc.tuple(vchar, charsFrom(VALUE_CHARS, 0, 40), vchar).map(([a, m, b]) => a + m + b) },
  { weight: 3, arbitrary: vchar },
);

export const token = (max = 16): fc.Arbitrary<string> => charsFrom(TCHAR, 1, max);

const COMMON_NAMES = [
  'Host', 'User-Agent', 'Accept', 'Accept-Encoding', 'Accept-Language', 'Cookie', 'Referer', 'Cache-Control',
  'X-Forwarded-For', 'Authorization', 'Origin', 'Content-Type', 'Expect', 'TE', 'Trailer', 'Keep-Alive',
  'Sec-WebSocket-Key', 'If-None-Match', 'Pragma', 'DNT', 'Content-Lengthy', 'Transfer-Encodings', 'Connectionx',
  'Upgrade-Insecure-Requests', 'X-Content-Length',
];

/** A name in random letter case, as clients and attackers send them. */
function caseVariants(name: string): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 4, arbitrary: fc.constant(name) },
    { weight: 1, arbitrary: fc.constant(name.toLowerCase()) },
    { weight: 1, arbitrary: fc.constant(name.toUpperCase()) },
    { weight: 1, arbitrary: fc.array(fc.boolean(), { minLength: name.length, maxLength: name.length })
      .map((flips) => name.split('').map((c, i) => (flips[i] ? c.toUpperCase() : c.toLowerCase())).join('')) },
  );
}

/** `arb` in `percent`% of cases, else null (fc.option's `freq` counts the other way round). */
export function sometimes<T>(arb: fc.Arbitrary<T>, percent: number): fc.Arbitrary<T | null> {
  return fc.oneof({ weight: percent, arbitrary: arb }, { weight: 100 - percent, arbitrary: fc.constant(null) });
}

const commonName = fc.oneof(...COMMON_NAMES.map(caseVariants));

export const ows: fc.Arbitrary<string> = fc.oneof(
  { weight: 8, arbitrary: fc.constant(' ') },
  { weight: 2, arbitrary: fc.constant('') },
  { weight: 1, arbitrary: fc.constantFrom('\t', '  ', ' \t', '\t\t', '   ') },
);

/** One ordinary header: [name, colon, ows, value, ows, eol]. */
export const plainHeader: fc.Arbitrary<Segment[]> = fc
  .tuple(
    fc.oneof({ weight: 3, arbitrary: commonName }, { weight: 2, arbitrary: token(24) }),
    ows, fieldValue, fc.oneof({ weight: 6, arbitrary: fc.constant('') }, { weight: 1, arbitrary: ows }),
  )
  .map(([n, o1, v, o2]) => [['name', n], ['colon', ':'], ['ows', o1], ['value', v], ['ows', v === '' ? '' : o2], ['eol', '\r\n']]);

function special(kind: Kind, name: string, value: fc.Arbitrary<string>): fc.Arbitrary<Segment[]> {
  return fc.tuple(caseVariants(name), ows, value, fc.oneof({ weight: 5, arbitrary: fc.constant('') }, { weight: 1, arbitrary: ows }))
    .map(([n, o1, v, o2]) => [['name', n], ['colon', ':'], ['ows', o1], [kind, v], ['ows', o2], ['eol', '\r\n']]);
}

export const CONNECTION_VALUES = [
  'keep-alive', 'close', 'Keep-Alive', 'CLOSE', 'Close', 'upgrade', 'Upgrade', 'keep-alive, Upgrade', 'Upgrade, close',
  'TE, close', 'foo', 'keep-alive, close', 'close, keep-alive', ',close', 'close,', 'te', 'keep-alivex', 'closed',
];
const connectionValue = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom('keep-alive', 'Keep-Alive', 'keep-alive, TE', 'foo') },
  { weight: 2, arbitrary: fc.constantFrom(...CONNECTION_VALUES) },
);
const connectionHeader = special('conn', 'Connection', connectionValue);
const proxyConnectionHeader = special('conn', 'Proxy-Connection', fc.constantFrom(...CONNECTION_VALUES));

/** A body the valid generator knows how to frame. */
type BodyPlan = { kind: 'none' } | { kind: 'cl'; data: string; digits: string } | { kind: 'chunked'; segs: Segment[]; te: string };

const bodyBytes = (max: number): fc.Arbitrary<string> =>
  fc.oneof(
    { weight: 4, arbitrary: charsFrom('abcdefghijklmnopqrstuvwxyz0123456789{}":, ', 0, max) },
    { weight: 1, arbitrary: charsFrom(LATIN1, 0, max) },
    { weight: 1, arbitrary: fc.constantFrom('\r\n', '0\r\n\r\n', 'GET / HTTP/1.1\r\n\r\n', '\r\n\r\n') },
  );

const chunkExt: fc.Arbitrary<string> = fc
  .array(
    fc.oneof(
      token(8).map((n) => ';' + n),
      fc.tuple(token(8), token(8)).map(([n, v]) => `;${n}=${v}`),
      fc.tuple(token(8), charsFrom('abc ;=\\"\t', 0, 10)).map(([n, v]) => `;${n}="${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`),
    ),
    { maxLength: 3 },
  )
  .map((a) => a.join(''));

/** Chunk size in hex, in either case, sometimes with leading zeros. */
function hexSize(n: number): fc.Arbitrary<string> {
  return fc.tuple(fc.boolean(), fc.nat(3)).map(([upper, zeros]) => '0'.repeat(zeros === 3 ? 1 : 0) + (upper ? n.toString(16).toUpperCase() : n.toString(16)));
}

const oneChunk: fc.Arbitrary<Segment[]> = bodyBytes(120)
  .filter((d) => d.length > 0)
  .chain((data) => fc.tuple(hexSize(data.length), chunkExt).map(([size, ext]): Segment[] => [
    ['csize', size], ['cext', ext], ['ceol', '\r\n'], ['cdata', data], ['ceol', '\r\n'],
  ]));

const trailer: fc.Arbitrary<Segment[]> = fc.tuple(token(12), ows, fieldValue).map(([n, o, v]) => [
  ['tname', n], ['colon', ':'], ['ows', o], ['tvalue', v], ['eol', '\r\n'],
]);

const chunkedBody: fc.Arbitrary<BodyPlan> = fc
  .tuple(
    fc.array(oneChunk, { maxLength: 5 }),
    fc.constantFrom('0', '0', '000', '00'), chunkExt,
    fc.oneof({ weight: 4, arbitrary: fc.constant([]) }, { weight: 1, arbitrary: fc.array(trailer, { minLength: 1, maxLength: 2 }) }),
    fc.constantFrom('chunked', 'chunked', 'Chunked', 'gzip, chunked', 'deflate,chunked', 'CHUNKED'),
  )
  .map(([chunks, zero, ext, trailers, te]) => ({
    kind: 'chunked' as const,
    te,
    segs: [...chunks.flat(), ['csize', zero], ['cext', ext], ['ceol', '\r\n'], ...trailers.flat(), ['eol', '\r\n']] as Segment[],
  }));

const clBody: fc.Arbitrary<BodyPlan> = fc
  .tuple(fc.oneof({ weight: 6, arbitrary: bodyBytes(300) }, { weight: 1, arbitrary: bodyBytes(5000) }), fc.nat(9))
  .map(([data, z]) => ({ kind: 'cl' as const, data, digits: (z === 9 ? '00' : '') + String(data.length) }));

const bodyPlan: fc.Arbitrary<BodyPlan> = fc.oneof(
  { weight: 5, arbitrary: fc.constant({ kind: 'none' as const }) },
  { weight: 3, arbitrary: clBody },
  { weight: 3, arbitrary: chunkedBody },
);

/** Request targets of every form in RFC 9112 §3.2. */
export const target: fc.Arbitrary<string> = fc.oneof(
  { weight: 10, arbitrary: fc.tuple(charsFrom(URLCHAR.replace('?', ''), 0, 40), sometimes(charsFrom(URLCHAR, 0, 30), 40)).map(([p, q]) => '/' + p + (q === null ? '' : '?' + q)) },
  { weight: 1, arbitrary: fc.constant('/') },
  { weight: 1, arbitrary: fc.constant('*') },
  {
    weight: 2,
    arbitrary: fc.tuple(fc.constantFrom('http', 'https', 'HTTP', 'ws'), fc.domain(), fc.option(fc.nat(65535)), charsFrom(URLCHAR, 0, 20))
      .map(([s, h, port, p]) => `${s}://${h}${port === null ? '' : ':' + port}/${p}`),
  },
  { weight: 1, arbitrary: fc.constantFrom('http://[::1]:8080/x', 'http://user:pw@host/p', 'http://a%12:b!&*$@hypnotoad.org:1234/toto', '/#frag', '/p?q#f') },
);

/** One request, framed correctly. */
export function request(): fc.Arbitrary<Segment[]> {
  return fc
    .tuple(
      fc.oneof({ weight: 6, arbitrary: fc.constantFrom('GET', 'POST', 'PUT', 'HEAD', 'DELETE', 'OPTIONS', 'PATCH') }, { weight: 2, arbitrary: fc.constantFrom(...HTTP_METHODS) }),
      target,
      fc.constantFrom('HTTP/1.1', 'HTTP/1.1', 'HTTP/1.1', 'HTTP/1.0'),
      // Mostly a dozen fields; sometimes more than Node hands over in one batch (32) and more
      // than the default maxHeaderCount (100).
      fc.oneof({ weight: 12, arbitrary: fc.array(plainHeader, { maxLength: 14 }) }, { weight: 1, arbitrary: fc.array(plainHeader, { minLength: 30, maxLength: 110, size: 'max' }) }),
      bodyPlan,
      sometimes(connectionHeader, 30),
      sometimes(proxyConnectionHeader, 5),
      sometimes(fc.tuple(special('upg', 'Upgrade', fc.constantFrom('websocket', 'h2c', 'HTTP/2.0', 'foo/1, bar')), fc.boolean()), 8),
      fc.nat(),
      // CONNECT takes the authority form (RFC 9112 §3.2.3); llhttp refuses it for other methods.
      fc.tuple(fc.domain(), fc.nat(65535)).map(([h, port]) => `${h}:${port}`),
      fc.constantFrom('', '', '', '', '\r\n', '\r\n\r\n'),
    )
    .map(([method, tgt, version, headers, body, conn, pconn, upg, seed, authority, lead]) => {
      const hs: Segment[][] = [...headers];
      if (body.kind === 'cl') hs.push([['name', 'Content-Length'], ['colon', ':'], ['ows', ' '], ['cl', body.digits], ['ows', ''], ['eol', '\r\n']]);
      if (body.kind === 'chunked') hs.push([['name', 'Transfer-Encoding'], ['colon', ':'], ['ows', ' '], ['te', body.te], ['ows', ''], ['eol', '\r\n']]);
      if (conn) hs.push(conn);
      if (pconn) hs.push(pconn);
      if (upg) {
        hs.push(upg[0]);
        if (upg[1]) hs.push([['name', 'Connection'], ['colon', ':'], ['ows', ' '], ['conn', 'Upgrade'], ['ows', ''], ['eol', '\r\n']]);
      }
      // Put the framing and connection headers at a pseudo-random place among the others.
      const n = hs.length - headers.length;
      for (let i = 0; i < n; i++) {
        const from = hs.length - 1 - i;
        const to = (seed >>> (i * 4)) % (from + 1);
        const [h] = hs.splice(from, 1);
        hs.splice(to, 0, h);
      }
      const segs: Segment[] = [];
      if (lead) segs.push(['lead', lead]);
      segs.push(['method', method], ['sp', ' '], ['target', method === 'CONNECT' && (seed & 1) ? authority : tgt], ['sp', ' '], ['version', version], ['eol', '\r\n']);
      for (const h of hs) segs.push(...h);
      segs.push(['head-end', '\r\n']);
      if (body.kind === 'cl') segs.push(['body', body.data]);
      if (body.kind === 'chunked') segs.push(...body.segs);
      return segs;
    });
}

/** 1..4 requests back to back on one connection, sometimes with CRLF between them. */
export const pipeline: fc.Arbitrary<Segment[]> = fc
  .tuple(fc.array(request(), { minLength: 1, maxLength: 4 }), fc.array(fc.constantFrom('', '', '', '\r\n'), { minLength: 4, maxLength: 4 }), sometimes(bodyBytes(30), 15))
  .map(([reqs, gaps, tail]) => {
    const segs: Segment[] = [];
    reqs.forEach((r, i) => {
      if (i > 0 && gaps[i]) segs.push(['gap', gaps[i]]);
      segs.push(...r);
    });
    // Bytes after the last request: what follows an upgrade, or the start of a next request.
    if (tail !== null) segs.push(['gap', tail]);
    return segs;
  });
