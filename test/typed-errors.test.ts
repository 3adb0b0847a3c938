// The typed error surface (issue 14 item 5): every parse error code has a status, a well-formed
// but unsupported version has its own code, the llhttp adapter never lets an unknown code
// through, validateHead() names the rule a head broke (parser/RULES.md "Rule ids"), and body
// failures are error classes with stable codes, over real sockets with unchanged statuses.
import t, { type Test } from 'tap';
import { Buffer } from 'node:buffer';
import {
  BodyError, BodyParseError, BodyTooLargeError, HttpError, RequestBodyError, UnsupportedMediaTypeError,
  headRuleStatus, readBody, readForm, readJson, statusForError, type ErrorCode, type HeadRule,
} from '../lib/index.js';
import { validateHead } from '../lib/core/validate.js';
import { HPE, errorCode, type ParseError } from '../parser/errors.js';
import { createLlhttpParser, toParseError } from '../parser/llhttp.js';
import { createWaferParser } from '../parser/wafer.js';
import type { ParserFactory, RequestHead } from '../parser/types.js';
import { forEachServerKind, sleep, startServer, type ServerKind } from './helpers/server-kinds.js';
import { connect, raw, responsesOf } from './helpers/raw-client.js';

// ---------------------------------------------------------------- parse error codes

t.test('statusForError gives every code its status; HPE_INVALID_VERSION alone is a 400', async (t) => {
  const special: Partial<Record<ErrorCode, number>> = {
    HPE_HEADER_OVERFLOW: 431, HPE_URL_OVERFLOW: 414, HPE_BODY_OVERFLOW: 413,
    HPE_CHUNK_EXTENSIONS_OVERFLOW: 413, HPE_UNSUPPORTED_VERSION: 505,
  };
  const codes = [...Object.keys(HPE), 'HPE_UNSUPPORTED_VERSION'] as ErrorCode[];
  t.equal(codes.length, Object.keys(HPE).length + 1);
  for (const code of codes) t.equal(statusForError(code), special[code] ?? 400, code);
  t.equal(statusForError('HPE_INVALID_VERSION'), 400, 'a garbled version, whatever its reason');
  t.throws(() => statusForError('HPE_NOT_A_CODE' as never), TypeError, 'a code outside the type is a bug, not a 400');
});

const PARSER_FACTORIES: [string, ParserFactory][] = [['wafer', createWaferParser], ['llhttp', createLlhttpParser]];
const sink = { onHead() {}, onBody() {}, onMessageComplete() {} };

for (const [name, create] of PARSER_FACTORIES) {
  t.test(`${name}: a well-formed unsupported version keeps llhttp's code and is flagged`, async (t) => {
    const p = create(sink);
    const verdict = (line: string): [string | undefined, ErrorCode | undefined] => {
      p.reset();
      p.execute(Buffer.from(`GET / ${line}\r\nHost: x\r\n\r\n`, 'latin1'));
      return [p.error?.code, p.error === null ? undefined : errorCode(p.error)];
    };
    for (const v of ['HTTP/1.2', 'HTTP/3.0', 'HTTP/0.8', 'HTTP/9.9']) {
      t.same(verdict(v), ['HPE_INVALID_VERSION', 'HPE_UNSUPPORTED_VERSION'], v);
    }
    // Garbled: same code, no flag (also right after an unsupported one: reset clears it).
    for (const v of ['HTTP/1.x', 'HTTP/x.1', 'HTTP/11.1', 'HTTP/1.11', 'HTTP/1,1']) {
      verdict('HTTP/1.2');
      t.same(verdict(v), ['HPE_INVALID_VERSION', 'HPE_INVALID_VERSION'], v);
    }
    t.same(verdict('HTTP/1.1'), [undefined, undefined], 'HTTP/1.1 parses');
  });
}

t.test('the llhttp adapter maps a code it does not know to HPE_INTERNAL, keeping its name', async (t) => {
  const e = toParseError({ code: 'HPE_FROM_A_NEWER_LLHTTP', reason: 'Something new', bytesParsed: 7 });
  t.same(e, { code: 'HPE_INTERNAL', reason: 'HPE_FROM_A_NEWER_LLHTTP: Something new', offset: 7 });
  t.equal(statusForError(errorCode(e)), 400);
  t.same(toParseError({ code: 'toString', reason: 'x', bytesParsed: 0 }).code, 'HPE_INTERNAL', 'not fooled by Object.prototype');
  const known = toParseError({ code: 'HPE_INVALID_METHOD', reason: 'Invalid method encountered', bytesParsed: -1 });
  t.same(known, { code: 'HPE_INVALID_METHOD', reason: 'Invalid method encountered', offset: 0, unsupportedVersion: false });
  const version = toParseError({ code: 'HPE_INVALID_VERSION', reason: 'Invalid HTTP version', bytesParsed: 14 });
  t.equal(errorCode(version), 'HPE_UNSUPPORTED_VERSION');
  const garbled: ParseError = toParseError({ code: 'HPE_INVALID_VERSION', reason: 'Invalid minor version', bytesParsed: 13 });
  t.equal(errorCode(garbled), 'HPE_INVALID_VERSION');
});

// ---------------------------------------------------------------- validateHead rule ids

function head(method: string, url: string, headers: string[], version = '1.1'): RequestHead {
  const [major, minor] = version.split('.').map(Number) as [number, number];
  return {
    method, url, versionMajor: major, versionMinor: minor, rawHeaders: headers,
    contentLength: -1, chunked: false, keepAlive: true, upgrade: false,
  };
}

const H = ['Host', 'x'];
const te = (...v: string[]) => v.flatMap((x) => ['Transfer-Encoding', x]);
const cl = (...v: string[]) => v.flatMap((x) => ['Content-Length', x]);
// Every rule, with heads that break it (parser/RULES.md "Rule ids").
const RULES: Record<HeadRule, [number, RequestHead[]]> = {
  'version-unsupported': [505, [head('GET', '/', H, '2.0'), head('GET', '/', H, '0.9')]],
  'host-missing': [400, [head('GET', '/', [])]],
  'host-repeated': [400, [head('GET', '/', [...H, 'host', 'x']), head('GET', '/', [...H, 'Host', 'y'], '1.0')]],
  'host-userinfo': [400, [head('GET', '/', ['Host', 'u@x']), head('GET', '/', ['Host', 'u:p@x:80'])]],
  'host-invalid': [400, [head('GET', '/', ['Host', 'a b']), head('GET', '/', ['Host', 'x, y']), head('GET', '/', ['Host', 'x:8o'])]],
  'target-fragment': [400, [head('GET', '/a#f', H)]],
  'target-asterisk': [400, [head('GET', '*', H), head('OPTIONS', '*x', H)]],
  'target-form': [400, [head('GET', 'example.com:443', H), head('GET', '1http://x/', H)]],
  'target-connect': [400, [head('CONNECT', '/a', H), head('CONNECT', 'example.com', H), head('CONNECT', 'u@x:443', H)]],
  'target-absolute-userinfo': [400, [head('GET', 'http://u:p@example.com/', H)]],
  'target-absolute-empty-host': [400, [head('GET', 'http:///a', H), head('GET', 'http://:80/a', H)]],
  'target-absolute-host': [400, [head('GET', 'http://a b/', H), head('GET', 'http://x:8o/', H)]],
  'cl-with-te': [400, [head('POST', '/', [...H, ...te('chunked'), ...cl('3')])]],
  'cl-repeated': [400, [head('POST', '/', [...H, ...cl('3', '3')]), head('POST', '/', [...H, ...cl('3', '4')])]],
  'cl-invalid': [400, ['', '-1', '+3', '0x3', '3, 3'].map((v) => head('POST', '/', [...H, ...cl(v)]))],
  'cl-beyond-2^53': [400, [head('POST', '/', [...H, ...cl('9007199254740992')])]],
  'te-http10': [400, [head('POST', '/', [...H, ...te('chunked')], '1.0')]],
  'te-empty': [400, [head('POST', '/', [...H, ...te('')]), head('POST', '/', [...H, ...te(' , ')])]],
  'te-invalid': [400, [head('POST', '/', [...H, ...te('g@zip, chunked')]), head('POST', '/', [...H, ...te('x;q="open, chunked')])]],
  'te-final-not-chunked': [400, [head('POST', '/', [...H, ...te('gzip')]), head('POST', '/', [...H, ...te('chunked, gzip')])]],
  'te-chunked-twice': [400, [head('POST', '/', [...H, ...te('chunked, chunked')]), head('POST', '/', [...H, ...te('chunked', 'chunked')])]],
  'te-unknown-coding': [501, [head('POST', '/', [...H, ...te('gzip, chunked')]), head('POST', '/', [...H, ...te('gzip', 'chunked')])]],
};

t.test('validateHead names the rule a head broke, and headRuleStatus its status', async (t) => {
  for (const [rule, [status, heads]] of Object.entries(RULES) as [HeadRule, [number, RequestHead[]]][]) {
    t.equal(headRuleStatus(rule), status, `${rule} → ${status}`);
    for (const h of heads) t.equal(validateHead(h), rule, `${h.method} ${h.url} HTTP/${h.versionMajor}.${h.versionMinor} ${JSON.stringify(h.rawHeaders)}`);
  }
  for (const ok of [head('GET', '/', H), head('GET', '/', [], '1.0'), head('OPTIONS', '*', H), head('CONNECT', 'x:443', H),
    head('GET', 'http://example.com/', H), head('POST', '/', [...H, ...te('chunked')]), head('POST', '/', [...H, ...cl('3')])]) {
    t.equal(validateHead(ok), null, `${ok.method} ${ok.url} is served`);
  }
  t.throws(() => headRuleStatus('no-such-rule' as never), TypeError);
});

// Over a real socket the rule's status is the answer (a sample per status; every rule's
// status on the wire is in request-framing-smuggling.test.ts and server-errors.test.ts).
const WIRE: [string, string, number][] = [
  ['version-unsupported (HTTP/2.0, past the parser)', 'GET / HTTP/2.0\r\nHost: x\r\n\r\n', 505],
  ['version-unsupported (HTTP/1.2, the parser\'s)', 'GET / HTTP/1.2\r\nHost: x\r\n\r\n', 505],
  ['a garbled version', 'GET / HTTP/1.x\r\nHost: x\r\n\r\n', 400],
  ['host-missing', 'GET / HTTP/1.1\r\n\r\n', 400],
  ['te-unknown-coding', 'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n', 501],
];
for (const [what, bytes, status] of WIRE) {
  forEachServerKind(t, `${what} is answered ${status}`, async (t, kind) => {
    const server = await startServer(t, kind, (_req, res) => res.end('ok'));
    const r = await raw(server.port, bytes, { quietMs: 200 });
    t.equal(responsesOf(r)[0]?.status, status);
    t.ok(r.closed);
  }, ['wafer', 'llhttp']);
}

// ---------------------------------------------------------------- body errors

interface Seen { name: string; code: string; status: number; http: boolean; body: boolean; limit?: number; message: string }

function describe(err: unknown): Seen {
  const e = err as BodyError;
  return {
    name: e.name, code: e.code, status: e.status, http: e instanceof HttpError, body: e instanceof BodyError,
    ...(e instanceof BodyTooLargeError ? { limit: e.limit } : {}), message: e.message,
  };
}

const post = (path: string, type: string, body: string | Buffer) => Buffer.concat([
  Buffer.from(`POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: ${type}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n`, 'latin1'),
  Buffer.isBuffer(body) ? body : Buffer.from(body, 'latin1'),
]);

const BODY_CASES: [string, Buffer, number, Function, string][] = [
  ['a wrong Content-Type', post('/json', 'text/plain', '{}'), 415, UnsupportedMediaTypeError, 'WAFER_BODY_TYPE'],
  ['a charset other than UTF-8', post('/json', 'application/json; charset=latin1', '{}'), 415, UnsupportedMediaTypeError, 'WAFER_BODY_CHARSET'],
  ['malformed JSON', post('/json', 'application/json', '{"a":'), 400, BodyParseError, 'WAFER_BODY_INVALID_JSON'],
  ['an empty JSON body', post('/json', 'application/json', '  '), 400, BodyParseError, 'WAFER_BODY_EMPTY'],
  ['a body that is not UTF-8', post('/json', 'application/json', Buffer.from([0x22, 0xff, 0x22])), 400, BodyParseError, 'WAFER_BODY_NOT_UTF8'],
  ['a malformed form', post('/form', 'application/x-www-form-urlencoded', 'a=%zz'), 400, BodyParseError, 'WAFER_BODY_INVALID_FORM'],
  ['a body over the limit', post('/raw', 'text/plain', '12345'), 413, BodyTooLargeError, 'WAFER_BODY_TOO_LARGE'],
];

for (const streamBody of [false, true]) {
  for (const [what, bytes, status, Class, code] of BODY_CASES) {
    forEachServerKind(t, `${streamBody ? 'streamBody: ' : ''}${what}: ${Class.name} ${code}, answered ${status}`, async (t, kind) => {
      const seen: unknown[] = [];
      const server = await startServer(t, kind, async (req, res) => {
        try {
          if (req.path === '/json') await readJson(req);
          else if (req.path === '/form') await readForm(req);
          else await readBody(req, 4);
        } catch (err) {
          seen.push(err);
          throw err; // the engine answers it, as a handler that does not catch
        }
        res.end('parsed');
      }, { streamBody });
      const r = await raw(server.port, bytes, { responses: 1 });
      const [res] = responsesOf(r);
      t.equal(res?.status, status, 'the status on the wire is unchanged');
      t.equal(seen.length, 1);
      const e = describe(seen[0]);
      t.ok(seen[0] instanceof Class, `an instance of ${Class.name}`);
      t.match(e, { name: Class.name, code, status, http: true, body: true });
      t.equal((seen[0] as HttpError).statusCode, status);
      t.equal(res?.body, `${e.message}\n`, 'the message is the body of a 4xx');
      if (Class === BodyTooLargeError) t.equal(e.limit, 4);
    });
  }
}

// ---------------------------------------------------------------- a streamed body cut off

/** A streamBody server whose handler reads the body; resolves with what reading threw. */
async function streamReader(t: Test, kind: ServerKind, options = {}) {
  let settle!: (err: unknown) => void;
  const thrown = new Promise<unknown>((resolve) => (settle = resolve));
  const server = await startServer(t, kind, async (req, res) => {
    try {
      for await (const _chunk of req);
      settle(null);
    } catch (err) {
      settle(err);
    }
    res.end('done');
  }, { streamBody: true, ...options });
  return { server, thrown };
}

async function within<T>(p: Promise<T>, ms: number): Promise<T | 'timeout'> {
  return Promise.race([p, sleep(ms).then(() => 'timeout' as const)]);
}

forEachServerKind(t, 'streamBody: a FIN inside the body rejects the reader with WAFER_BODY_CUT_SHORT', async (t, kind) => {
  const { server, thrown } = await streamReader(t, kind);
  await raw(server.port, 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc', { end: true, quietMs: 200 });
  const err = await within(thrown, 2000);
  t.ok(err instanceof RequestBodyError);
  t.match(err, { name: 'RequestBodyError', code: 'WAFER_BODY_CUT_SHORT', message: 'request body cut short', answered: 0 });
  t.notOk(err instanceof HttpError, 'not an HttpError: nobody is left to answer');
});

forEachServerKind(t, 'streamBody: a body the engine refuses rejects the reader with WAFER_REQUEST_FAILED', async (t, kind) => {
  const { server, thrown } = await streamReader(t, kind);
  const r = await raw(server.port, ['POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n', 'zz\r\n'], { gapMs: 50, quietMs: 200 });
  const err = await within(thrown, 2000);
  t.equal(responsesOf(r)[0]?.status, 400, 'a bad chunk size');
  t.ok(err instanceof RequestBodyError);
  t.match(err, { code: 'WAFER_REQUEST_FAILED', message: 'request failed with 400', answered: 400 });
});

forEachServerKind(t, 'streamBody: a reset inside the body rejects the reader with WAFER_CONNECTION_CLOSED', async (t, kind) => {
  const { server, thrown } = await streamReader(t, kind);
  const socket = await connect(server.port);
  socket.on('error', () => {});
  socket.write('POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc');
  await sleep(50);
  socket.resetAndDestroy();
  const err = await within(thrown, 2000);
  t.ok(err instanceof RequestBodyError);
  t.match(err, { code: 'WAFER_CONNECTION_CLOSED', message: 'connection closed', answered: 0 });
});
