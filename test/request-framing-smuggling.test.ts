// One test per request rule of parser/RULES.md, over a real socket, on both loops and both
// parsers: the parsers must give the same answer, whichever layer (parser or lib/core/validate.ts)
// enforces the rule. A refused request gets its status, `Connection: close` and a FIN, the
// handler never sees it, and nothing sent after it is answered (no smuggled request).
// Rules the engine suite already checks (CL then TE, TE gzip, gzip+chunked, bad chunk size,
// malformed version) are in server-errors.test.ts and not repeated here.
import t from 'tap';
import { forEachServerKind, startServer, PARSERS } from './helpers/server-kinds.js';
import { raw, responsesOf } from './helpers/raw-client.js';
import { Lenient } from '../parser/types.js';
import type { WaferRequest, WaferResponse } from '../lib/core/types.js';

/** What a request that passes must produce: the handler's echo of method, target and body. */
type Accept = { body: string };
type Case = [id: string, rule: string, bytes: string, expect: number | Accept];

const SMUGGLED = 'GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n';
const post = (headers: string, body = '') => `POST / HTTP/1.1\r\nHost: x\r\n${headers}\r\n${body}`;
const chunked = (body: string) => post('Transfer-Encoding: chunked\r\n', body);
const get = (headers: string) => `GET / HTTP/1.1\r\n${headers}\r\n`;

export const CASES: Case[] = [
  // Host (RFC 9112 §3.2, RFC 9110 §7.2)
  ['host-missing', 'an HTTP/1.1 request without Host is refused', get(''), 400],
  ['host-repeated', 'a request with two Host lines is refused', get('Host: x\r\nHost: x\r\n'), 400],
  ['host-userinfo', 'a Host with userinfo is refused', get('Host: user:pw@x\r\n'), 400],
  ['host-invalid', 'a Host that is not uri-host[:port] is refused', get('Host: a b\r\n'), 400],
  ['host-list', 'a Host holding a list is refused', get('Host: x, y\r\n'), 400],
  ['host-bad-port', 'a Host with a non-numeric port is refused', get('Host: x:8o\r\n'), 400],
  ['host-http10', 'an HTTP/1.0 request may omit Host', 'GET / HTTP/1.0\r\n\r\n', { body: 'GET / 0' }],
  ['host-empty', 'an empty Host is valid', get('Host:\r\n'), { body: 'GET / 0' }],
  ['host-ipv6', 'a Host with an IP literal and a port is valid', get('Host: [::1]:8080\r\n'), { body: 'GET / 0' }],
  // Request-target forms (RFC 9112 §3.2)
  ['target-fragment', 'a target with a fragment is refused', get('Host: x\r\n').replace('GET /', 'GET /a#f'), 400],
  ['target-asterisk-get', 'asterisk-form with a method other than OPTIONS is refused', 'GET * HTTP/1.1\r\nHost: x\r\n\r\n', 400],
  ['target-asterisk-options', 'OPTIONS * is served', 'OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n', { body: 'OPTIONS * 0' }],
  ['target-asterisk-suffix', 'an asterisk followed by more is refused', 'OPTIONS *x HTTP/1.1\r\nHost: x\r\n\r\n', 400],
  ['target-absolute', 'absolute-form is served', 'GET http://example.com/a?b HTTP/1.1\r\nHost: example.com\r\n\r\n', { body: 'GET http://example.com/a?b 0' }],
  ['target-absolute-userinfo', 'absolute-form with userinfo is refused', 'GET http://u:p@example.com/ HTTP/1.1\r\nHost: example.com\r\n\r\n', 400],
  ['target-absolute-empty-host', 'an http URI with an empty host is refused', 'GET http://:80/ HTTP/1.1\r\nHost: x\r\n\r\n', 400],
  ['target-authority-get', 'authority-form with a method other than CONNECT is refused', 'GET example.com:443 HTTP/1.1\r\nHost: x\r\n\r\n', 400],
  ['target-connect', 'CONNECT with authority-form is answered (then closed)', 'CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n', { body: 'CONNECT example.com:443 0' }],
  ['target-connect-origin', 'CONNECT with origin-form is refused', 'CONNECT /a HTTP/1.1\r\nHost: x\r\n\r\n', 400],
  ['target-connect-no-port', 'CONNECT without a port is refused', 'CONNECT example.com HTTP/1.1\r\nHost: x\r\n\r\n', 400],
  ['target-ctl', 'a control byte in the target is refused', 'GET /a\x01 HTTP/1.1\r\nHost: x\r\n\r\n', 400],
  // Content-Length and Transfer-Encoding (RFC 9112 §6, RFC 9110 §8.6)
  ['te-then-cl', 'Transfer-Encoding then Content-Length is refused, and what follows is not read', post('Transfer-Encoding: chunked\r\nContent-Length: 40\r\n', '0\r\n\r\n' + SMUGGLED), 400],
  ['cl-repeated', 'two identical Content-Length lines are refused', post('Content-Length: 3\r\nContent-Length: 3\r\n', 'abc'), 400],
  ['cl-conflict', 'conflicting Content-Length lines are refused', post('Content-Length: 3\r\nContent-Length: 40\r\n', 'abc' + SMUGGLED), 400],
  ['cl-list', 'a Content-Length list is refused', post('Content-Length: 3, 3\r\n', 'abc'), 400],
  ['cl-negative', 'a negative Content-Length is refused', post('Content-Length: -1\r\n', 'abc'), 400],
  ['cl-plus', 'a signed Content-Length is refused', post('Content-Length: +3\r\n', 'abc'), 400],
  ['cl-hex', 'a hexadecimal Content-Length is refused', post('Content-Length: 0x3\r\n', 'abc'), 400],
  ['cl-empty', 'an empty Content-Length is refused', post('Content-Length:\r\n', 'abc'), 400],
  ['cl-beyond-2^64', 'a Content-Length past 2^64 - 1 is refused', post('Content-Length: 99999999999999999999999\r\n'), 400],
  ['cl-beyond-2^53', 'a Content-Length past 2^53 - 1 is refused', post('Content-Length: 18446744073709551615\r\n', 'abc'), 400],
  ['cl-leading-zeros', 'a Content-Length with leading zeros is a number', post('Content-Length: 003\r\n', 'abc'), { body: 'POST / 3' }],
  ['te-chunked-twice', 'chunked applied twice is refused', chunked('0\r\n\r\n').replace('chunked\r\n', 'chunked, chunked\r\n'), 400],
  ['te-chunked-twice-lines', 'chunked on two Transfer-Encoding lines is refused', chunked('0\r\n\r\n').replace('chunked\r\n', 'chunked\r\nTransfer-Encoding: chunked\r\n'), 400],
  ['te-http10', 'Transfer-Encoding in an HTTP/1.0 request is refused', 'POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n', 400],
  ['te-unknown-lines', 'an unknown coding on its own line before chunked is 501', chunked('0\r\n\r\n').replace('chunked\r\n', 'gzip\r\nTransfer-Encoding: chunked\r\n'), 501],
  ['te-chunked-then-gzip', 'chunked followed by another coding is refused', post('Transfer-Encoding: chunked, gzip\r\n'), 400],
  ['te-empty', 'an empty Transfer-Encoding is refused', post('Transfer-Encoding:\r\n'), 400],
  ['te-case', 'coding names are case-insensitive', chunked('3\r\nabc\r\n0\r\n\r\n').replace('chunked\r\n', 'CHUNKED\r\n'), { body: 'POST / 3' }],
  ['te-leading-empty', 'an empty list element before chunked is ignored', chunked('3\r\nabc\r\n0\r\n\r\n').replace('chunked\r\n', ' , chunked\r\n'), { body: 'POST / 3' }],
  // (`chunked,` — a trailing empty element — is chunked with the wafer parser and 400 with
  // llhttp, so it is not a same-answer case: test/chunk-framing.test.ts.)
  // Chunked framing (RFC 9112 §7.1)
  ['chunk-bws-ext', 'BWS before a chunk extension is accepted', chunked('3 ;a=b\r\nabc\r\n0\r\n\r\n'), { body: 'POST / 3' }],
  ['chunk-bws-no-ext', 'whitespace after a chunk size without an extension is refused', chunked('3 \r\nabc\r\n0\r\n\r\n'), 400],
  ['chunk-ext-quoted', 'a chunk extension with a quoted value is accepted', chunked('3;a="b c";d\r\nabc\r\n0\r\n\r\n'), { body: 'POST / 3' }],
  ['chunk-ext-bws-eq', 'BWS around "=" in a chunk extension is refused (llhttp)', chunked('3;a = b\r\nabc\r\n0\r\n\r\n'), 400],
  ['chunk-size-overflow', 'a chunk size past 2^64 - 1 is refused', chunked('fffffffffffffffff\r\nabc\r\n'), 400],
  ['chunk-size-negative', 'a signed chunk size is refused', chunked('-3\r\nabc\r\n0\r\n\r\n'), 400],
  ['chunk-size-0x', 'a 0x-prefixed chunk size is refused', chunked('0x3\r\nabc\r\n0\r\n\r\n'), 400],
  ['chunk-no-crlf', 'chunk data not followed by CRLF is refused', chunked('3\r\nabcX\r\n0\r\n\r\n'), 400],
  ['chunk-ext-limit', 'chunk extensions over maxChunkExtensionSize are too large', chunked(`3;${'e'.repeat(20_000)}\r\nabc\r\n0\r\n\r\n`), 413],
  ['chunk-trailers', 'trailer fields are accepted', chunked('3\r\nabc\r\n0\r\nX-T: 1\r\n\r\n'), { body: 'POST / 3' }],
  ['chunk-bad-trailer', 'a malformed trailer field is refused', chunked('3\r\nabc\r\n0\r\nX T: 1\r\n\r\n'), 400],
  // Whitespace and control bytes (RFC 9112 §2.2, §5.1, §5.2; RFC 9110 §5.5)
  ['ws-before-colon', 'whitespace between field name and colon is refused', get('Host : x\r\n'), 400],
  ['obs-fold', 'obs-fold (a continuation line) is refused', get('Host: x\r\nX-A: a\r\n b\r\n'), 400],
  ['ws-first-line', 'whitespace before the first field line is refused', get(' Host: x\r\n'), 400],
  ['bare-cr', 'a bare CR in a field value is refused', get('Host: x\r\nX-A: a\rb\r\n'), 400],
  ['nul', 'NUL in a field value is refused', get('Host: x\r\nX-A: a\x00b\r\n'), 400],
  ['ctl', 'a control byte in a field value is refused', get('Host: x\r\nX-A: a\x01b\r\n'), 400],
  ['del', 'DEL in a field value is refused', get('Host: x\r\nX-A: a\x7fb\r\n'), 400],
  ['empty-name', 'an empty field name is refused', get('Host: x\r\n: v\r\n'), 400],
  ['bare-lf-line', 'a bare LF ending a field line is refused', 'GET / HTTP/1.1\r\nHost: x\nX-A: b\r\n\r\n', 400],
  ['bare-lf-request-line', 'a bare LF ending the request line is refused', 'GET / HTTP/1.1\nHost: x\r\n\r\n', 400],
  ['bare-lf-end', 'a bare LF ending the header section is refused', 'GET / HTTP/1.1\r\nHost: x\r\n\n', 400],
  ['htab-obs-text', 'HTAB and obs-text inside a field value are accepted', get('Host: x\r\nX-A: a\tb\xe9c\r\n'), { body: 'GET / 0' }],
  ['version-trailing-space', 'a space after the version is refused', 'GET / HTTP/1.1 \r\nHost: x\r\n\r\n', 400],
  ['method-unknown', 'an unknown method is refused', 'get / HTTP/1.1\r\nHost: x\r\n\r\n', 400],
];

const echo = (req: WaferRequest, res: WaferResponse) => res.end(`${req.method} ${req.url} ${req.body.length}`);

for (const [id, rule, bytes, expect] of CASES) {
  const status = typeof expect === 'number' ? expect : 200;
  forEachServerKind(t, `${id}: ${rule} (${status})`, async (t, kind) => {
    let calls = 0;
    const server = await startServer(t, kind, (req, res) => {
      calls++;
      echo(req, res);
    });
    const r = await raw(server.port, bytes, typeof expect === 'number' ? {} : { responses: 1 });
    const got = responsesOf(r);
    t.equal(got[0]?.status, status, JSON.stringify(r.text.slice(0, 80)));
    if (typeof expect === 'number') {
      t.equal(got.length, 1, 'one answer: nothing after the refused head is read as a request');
      t.equal(got[0]?.headers.connection, 'close');
      t.ok(r.closed, 'closed');
      t.notOk(r.reset, 'with a FIN, not a reset');
      t.equal(calls, 0, 'the handler never saw it');
      t.equal(server.stats().parseErrors, 1);
    } else {
      t.equal(got[0]?.body, expect.body);
      t.equal(calls, 1);
    }
  }, PARSERS);
}

forEachServerKind(t, 'Content-Length with Transfer-Encoding is refused even with lenient parser flags', async (t, kind) => {
  let calls = 0;
  const server = await startServer(t, kind, (req, res) => {
    calls++;
    echo(req, res);
  }, { lenient: Lenient.CHUNKED_LENGTH | Lenient.TRANSFER_ENCODING });
  for (const bytes of [
    post('Content-Length: 5\r\nTransfer-Encoding: chunked\r\n', '0\r\n\r\n' + SMUGGLED),
    post('Transfer-Encoding: chunked\r\nContent-Length: 5\r\n', '0\r\n\r\n' + SMUGGLED),
  ]) {
    const r = await raw(server.port, bytes);
    t.same(responsesOf(r).map((x) => x.status), [400]);
    t.ok(r.closed);
  }
  t.equal(calls, 0);
}, PARSERS);

forEachServerKind(t, 'a refused request in a pipeline ends it: earlier ones answered, later ones never read', async (t, kind) => {
  const server = await startServer(t, kind, echo);
  const r = await raw(server.port, 'GET /1 HTTP/1.1\r\nHost: x\r\n\r\nGET /2 HTTP/1.1\r\n\r\nGET /3 HTTP/1.1\r\nHost: x\r\n\r\n');
  t.same(responsesOf(r).map((x) => x.status), [200, 400]);
  t.equal(responsesOf(r)[0].body, 'GET /1 0');
  t.ok(r.closed);
}, PARSERS);

forEachServerKind(t, 'bytes after a CONNECT head are never read as a request (answered once, then closed)', async (t, kind) => {
  const paths: string[] = [];
  const server = await startServer(t, kind, (req, res) => {
    paths.push(req.url);
    echo(req, res);
  });
  const r = await raw(server.port, 'CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n' + SMUGGLED);
  t.same(responsesOf(r).map((x) => x.status), [200]);
  t.ok(r.closed);
  t.same(paths, ['example.com:443'], 'the smuggled GET never reached the handler');
}, PARSERS);
