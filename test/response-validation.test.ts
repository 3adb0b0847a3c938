// What a handler hands to `res` is checked the way node:http checks it: a body that is not a
// string, Buffer or Uint8Array, a status code outside 100..999, a header name that is not a
// token or a value with a control character (or past U+00FF), a Content-Length the body does
// not match. Each is refused with a TypeError/RangeError carrying node's `code`, thrown into the
// handler before anything is on the wire, so the client gets a 500 — never a crash of the
// process, and never bytes that disagree with the framing the head announced (a proxy that
// pools connections would hand the surplus to the next user as a response of its own).
import t, { type Test } from 'tap';
import { query } from '../lib/index.js';
import type { WaferRequest, WaferResponse } from '../lib/core/types.js';
import { raw, splitResponses, type ParsedResponse } from './helpers/raw-client.js';
import { forEachServerKind, startServer } from './helpers/server-kinds.js';

const GET = (path: string, version = '1.1', method = 'GET'): string => `${method} ${path} HTTP/${version}\r\nHost: x\r\n\r\n`;
/** A body that, written raw after a head, reads as the end of a chunked body and a second response. */
const SMUGGLE = '0\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 4\r\nX-Smuggled: yes\r\n\r\nEVIL';
const FAST = { timeoutMs: 2000, quietMs: 150 };

type Route = (req: WaferRequest, res: WaferResponse) => unknown;

interface Caught {
  name: string;
  code: unknown;
}

/** A server answering `routes` by path; '/ok' always answers 200 'ok'. What handlers threw is in `errors`. */
async function serve(t: Test, kind: Parameters<typeof startServer>[1], routes: Record<string, Route>, options = {}) {
  const errors: Caught[] = [];
  const server = await startServer(t, kind, (req, res) => {
    if (req.path === '/ok') return res.end('ok');
    const route = routes[req.path];
    if (route === undefined) throw new Error(`no route ${req.path}`);
    return route(req, res);
  }, { onError: (err: unknown) => errors.push({ name: (err as Error).name, code: (err as { code?: unknown }).code }), ...options });
  /** One request on a new connection: its responses, the raw text, and whether the server closed. */
  const ask = async (requests: string | string[], count = 1, headRequests = 0) => {
    const r = await raw(server.port, Array.isArray(requests) ? requests.join('') : requests, { ...FAST, responses: count });
    return { ...splitResponses(r.text, headRequests), text: r.text, closed: r.closed };
  };
  return { server, errors, ask };
}

/** A 500 whose Content-Length matches the bytes that follow it, and nothing after it. */
function assert500(t: Test, r: { responses: ParsedResponse[]; rest: string; text: string }, what: string): void {
  t.equal(r.responses.length, 1, `${what}: one response`);
  t.equal(r.responses[0]?.status, 500, `${what}: 500`);
  t.equal(r.responses[0]?.headers['content-length'], String(Buffer.byteLength(r.responses[0]?.body ?? '')), `${what}: framed`);
  t.equal(r.rest, '', `${what}: nothing after it`);
}

forEachServerKind(t, 'a body that is not a string, Buffer or Uint8Array is refused with ERR_INVALID_ARG_TYPE; the server lives on', async (t, kind) => {
  const bytes = new Uint8Array([0x30, 0x68, 0x69, 0x21, 0x39]);
  const view = bytes.subarray(1, 4); // 'hi!', offset 1 into its ArrayBuffer
  const bad: Record<string, unknown> = {
    array: ['X', 'y'], number: 42, object: { a: 1 }, f64: new Float64Array([1, 2]), dataview: new DataView(new ArrayBuffer(4)),
  };
  const routes: Record<string, Route> = {};
  for (const name of Object.keys(bad)) {
    routes[`/end-${name}`] = (_req, res) => res.end(bad[name] as string);
    routes[`/write-${name}`] = (_req, res) => res.write(bad[name] as string);
    // After the head has gone: the handler's throw cuts the connection (there is no 500 to give).
    routes[`/late-${name}`] = (_req, res) => {
      res.write('a');
      res.write(bad[name] as string);
    };
  }
  routes['/write-null'] = (_req, res) => res.write(null as unknown as string);
  routes['/end-null'] = (_req, res) => res.end(null as unknown as string); // node: no body
  // What node:http takes: Uint8Array (views included) goes out as its bytes.
  routes['/u8-end'] = (_req, res) => res.end(view);
  routes['/u8-write'] = (_req, res) => {
    res.write(view);
    res.end(bytes.subarray(0, 1));
  };
  routes['/u8-late'] = (_req, res) => {
    res.write('x');
    res.end(view);
  };
  routes['/u8-length'] = (_req, res) => {
    res.setHeader('Content-Length', 6);
    res.write(view);
    res.end(view);
  };
  const { errors, ask } = await serve(t, kind, routes);
  for (const name of Object.keys(bad)) {
    for (const how of ['end', 'write']) {
      errors.length = 0;
      const r = await ask(GET(`/${how}-${name}`));
      assert500(t, r, `${how}(${name})`);
      t.same(errors, [{ name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' }], `${how}(${name}): TypeError ERR_INVALID_ARG_TYPE`);
    }
    const late = await ask([GET(`/late-${name}`), GET('/ok')], 2);
    t.ok(late.closed, `late write(${name}): connection cut`);
    t.equal(late.responses.length, 0, `late write(${name}): no complete response`);
    t.match(late.text, /^(HTTP\/1\.1 200 OK\r\n[^]*Transfer-Encoding: chunked\r\n\r\n(1\r\na\r\n)?)?$/, `late write(${name}): only the bytes of the valid chunk`);
  }
  const wn = await ask(GET('/write-null'));
  assert500(t, wn, 'write(null)');
  t.equal(errors.at(-1)?.code, 'ERR_STREAM_NULL_VALUES');
  const en = await ask(GET('/end-null'));
  t.equal(en.responses[0]?.status, 200, 'end(null) ends without a body');
  t.equal(en.responses[0]?.headers['content-length'], '0');
  const u8 = await ask([GET('/u8-end'), GET('/u8-write'), GET('/u8-late'), GET('/u8-length')], 4);
  t.same(u8.responses.map((x) => x.body), ['hi!', 'hi!0', 'xhi!', 'hi!hi!'], 'Uint8Array bodies are accepted');
  t.equal(u8.responses[0]?.headers['content-length'], '3');
  t.equal(u8.rest, '');
  const ok = await ask(GET('/ok'));
  t.equal(ok.responses[0]?.body, 'ok', 'the server still answers');
});

forEachServerKind(t, 'res.end(query(req).q) with ?q=a&q=b cannot inject a response', async (t, kind) => {
  const { errors, ask } = await serve(t, kind, {
    '/echo': (req, res) => res.end(query(req).q as string),
    '/next': (_req, res) => res.end('next'),
  });
  const payload = encodeURIComponent('HTTP/1.1 200 OK\r\nContent-Length: 4\r\nX-Injected: yes\r\n\r\nEVIL');
  const r = await ask([GET(`/echo?q=a&q=${payload}`), GET('/next')], 2);
  t.notMatch(r.text, /EVIL|X-Injected/, 'no injected bytes on the wire');
  assert500(t, r, 'two q values');
  t.equal(errors[0]?.code, 'ERR_INVALID_ARG_TYPE');
  const one = await ask([GET('/echo?q=single'), GET('/next')], 2);
  t.same(one.responses.map((x) => x.body), ['single', 'next'], 'a single value is a string and is answered');
});

forEachServerKind(t, 'a handler-set Transfer-Encoding: chunked gets its body framed by the engine', async (t, kind) => {
  const { ask } = await serve(t, kind, {
    '/end': (_req, res) => {
      res.setHeader('Transfer-Encoding', 'chunked');
      res.end(SMUGGLE);
    },
    '/write': (_req, res) => {
      res.setHeader('transfer-encoding', ['chunked']);
      res.write(SMUGGLE);
      res.end('!');
    },
    '/empty': (_req, res) => {
      res.setHeader('Transfer-Encoding', 'chunked');
      res.end();
    },
    '/both': (_req, res) => {
      res.setHeader('Content-Length', 3);
      res.setHeader('Transfer-Encoding', 'chunked');
      res.end(SMUGGLE);
    },
    '/next': (_req, res) => res.end('next'),
  });
  const r = await ask([GET('/end'), GET('/write'), GET('/empty'), GET('/both'), GET('/next')], 5);
  t.same(r.responses.map((x) => x.status), [200, 200, 200, 200, 200]);
  t.same(r.responses.map((x) => x.body), [SMUGGLE, SMUGGLE + '!', '', SMUGGLE, 'next'], 'each body whole, inside its own chunks');
  for (const x of r.responses.slice(0, 4)) {
    t.equal(x.headers['transfer-encoding'], 'chunked');
    t.equal(x.headers['content-length'], undefined, 'no Content-Length beside Transfer-Encoding (RFC 9112 §6.1)');
  }
  t.equal(r.rest, '', 'nothing after the last response');
  t.notOk(r.closed, 'the connection stays usable');
});

forEachServerKind(t, 'a Transfer-Encoding that does not end in chunked, or an HTTP/1.0 client, gets a close-delimited or sized body', async (t, kind) => {
  const { ask } = await serve(t, kind, {
    '/gzip': (_req, res) => {
      res.setHeader('Transfer-Encoding', 'gzip');
      res.end(SMUGGLE);
    },
    '/chunked': (_req, res) => {
      res.setHeader('Transfer-Encoding', 'chunked');
      res.write('ab');
      res.end(SMUGGLE);
    },
    '/sized': (_req, res) => {
      res.setHeader('Transfer-Encoding', 'chunked');
      res.end(SMUGGLE);
    },
  });
  const gz = await ask([GET('/gzip'), GET('/ok')], 2);
  t.ok(gz.closed, 'TE without chunked: the body ends with the connection (RFC 9112 §6.3)');
  t.equal(gz.responses.length, 1);
  t.equal(gz.responses[0].headers.connection, 'close');
  t.equal(gz.responses[0].body, SMUGGLE);
  const old = await ask(GET('/chunked', '1.0'), 2);
  t.ok(old.closed);
  t.equal(old.responses[0].headers['transfer-encoding'], undefined, 'no Transfer-Encoding to an HTTP/1.0 client (RFC 9112 §6.1)');
  t.equal(old.responses[0].body, 'ab' + SMUGGLE, 'close-delimited, raw');
  const sized = await ask(GET('/sized', '1.0'));
  t.equal(sized.responses[0].headers['transfer-encoding'], undefined);
  t.equal(sized.responses[0].headers['content-length'], String(SMUGGLE.length));
  t.equal(sized.responses[0].body, SMUGGLE);
});

forEachServerKind(t, 'a handler-set Content-Length is what goes on the wire, never more', async (t, kind) => {
  const { errors, ask } = await serve(t, kind, {
    '/long': (_req, res) => {
      res.setHeader('Content-Length', 3);
      res.end('hello' + SMUGGLE);
    },
    '/over': (_req, res) => {
      res.setHeader('Content-Length', '3');
      res.write('ab');
      res.write('c' + SMUGGLE);
    },
    '/short': (_req, res) => {
      res.setHeader('Content-Length', 10);
      res.write('ab');
      res.end();
    },
    '/exact': (_req, res) => {
      res.setHeader('Content-Length', '5');
      res.write('he');
      res.end('llo');
    },
    '/head': (_req, res) => {
      res.setHeader('Content-Length', 100);
      res.end();
    },
    '/retry': (_req, res) => {
      // A write refused for its head (the status code) counts none of its bytes.
      res.setHeader('Content-Length', 2);
      res.statusCode = NaN;
      try {
        res.write('ab');
      } catch {
        res.statusCode = 200;
      }
      res.write('ab');
      res.end();
    },
    '/invalid': (req, res) => {
      res.setHeader('Content-Length', query(req).v as string);
      res.end('x');
    },
  });
  const long = await ask([GET('/long'), GET('/ok')]);
  assert500(t, long, 'end() longer than Content-Length');
  t.notMatch(long.text, /EVIL/);
  t.same(errors.map((e) => [e.name, e.code]), [['RangeError', 'ERR_HTTP_CONTENT_LENGTH_MISMATCH']]);
  const over = await ask([GET('/over'), GET('/ok')]);
  t.ok(over.closed, 'write() past Content-Length: the connection is cut');
  t.match(over.text, /^(HTTP\/1\.1 200 OK\r\n[^]*Content-Length: 3\r\n\r\n(ab)?)?$/, 'no byte past what the head declared');
  const short = await ask([GET('/short'), GET('/ok')]);
  t.ok(short.closed, 'end() short of Content-Length: the connection is cut, not reused');
  t.match(short.text, /^(HTTP\/1\.1 200 OK\r\n[^]*Content-Length: 10\r\n\r\n(ab)?)?$/, 'the next answer is not read as the rest of this body');
  const exact = await ask([GET('/head', '1.1', 'HEAD'), GET('/exact'), GET('/ok')], 3, 1);
  t.equal(exact.responses[0]?.headers['content-length'], '100', 'HEAD: Content-Length without the body is fine');
  t.equal(exact.responses[1]?.body, 'hello', 'writes adding up to Content-Length are fine');
  t.equal(exact.responses[2]?.body, 'ok');
  const retry = await ask(GET('/retry'));
  t.equal(retry.responses[0]?.status, 200);
  t.equal(retry.responses[0]?.body, 'ab', 'a write retried after its head was refused');
  for (const v of ['abc', '-1', '1.5', '1,1', '', ' 1']) {
    errors.length = 0;
    const r = await ask(GET(`/invalid?v=${encodeURIComponent(v)}`));
    assert500(t, r, `Content-Length ${JSON.stringify(v)}`);
    t.same(errors, [{ name: 'TypeError', code: 'ERR_HTTP_INVALID_HEADER_VALUE' }]);
  }
});

forEachServerKind(t, 'an invalid status code is refused with ERR_HTTP_INVALID_STATUS_CODE before the head leaves', async (t, kind) => {
  const codes: Record<string, unknown> = {
    injected: '200 OK\r\nX-Injected: yes', big: 1000, small: 99, fraction: 200.5, nan: NaN, string: '200',
  };
  const routes: Record<string, Route> = {
    '/writeHead': (_req, res) => res.writeHead(1000).end('x'),
    '/json': (_req, res) => res.json({ a: 1 }, 99),
    '/redirect': (_req, res) => res.redirect('/there', 200.5),
    '/999': (_req, res) => {
      res.statusCode = 999;
      res.end('x');
    },
  };
  for (const name of Object.keys(codes)) {
    routes[`/msg-${name}`] = (_req, res) => {
      res.statusCode = codes[name] as number;
      res.statusMessage = 'Fine';
      res.end('x');
    };
    routes[`/plain-${name}`] = (_req, res) => {
      res.statusCode = codes[name] as number;
      res.write('x');
      res.end();
    };
  }
  const { errors, ask } = await serve(t, kind, routes);
  for (const path of [...Object.keys(codes).flatMap((n) => [`/msg-${n}`, `/plain-${n}`]), '/writeHead', '/json', '/redirect']) {
    errors.length = 0;
    const r = await ask([GET(path), GET('/ok')]);
    assert500(t, r, path);
    t.notMatch(r.text, /X-Injected|Location/, `${path}: nothing of the refused response`);
    t.same(errors, [{ name: 'RangeError', code: 'ERR_HTTP_INVALID_STATUS_CODE' }], `${path}: RangeError`);
  }
  const high = await ask(GET('/999'));
  t.match(high.text, /^HTTP\/1\.1 999 Unknown\r\n/, '600..999 are codes node:http sends too');
  t.equal(high.responses[0]?.body, 'x');
});

forEachServerKind(t, 'header names, values and the status message are checked as node:http checks them', async (t, kind) => {
  const evil = { toString: () => 'a\r\nX-Injected: yes' };
  const setters: Record<string, (res: WaferResponse) => unknown> = {
    ctl: (res) => res.setHeader('X-A', 'a\x01b'),
    esc: (res) => res.setHeader('X-A', '\x1b[31m'),
    del: (res) => res.setHeader('X-A', 'a\x7fb'),
    wide: (res) => res.setHeader('X-A', 'a\u0100b'),
    emoji: (res) => res.setHeader('X-A', 'ok \u{1f600}'),
    arrayObject: (res) => res.setHeader('X-A', ['ok', evil as unknown as string]),
    arrayCtl: (res) => res.setHeader('X-A', ['ok', 'a\nX-Injected: yes']),
    undef: (res) => res.setHeader('X-A', undefined as unknown as string),
    object: (res) => res.setHeader('X-A', evil as unknown as string),
    msgCtl: (res) => (res.statusMessage = 'OK\x00'),
    msgWide: (res) => (res.statusMessage = 'OK\u2028'),
    writeHeadMsg: (res) => res.writeHead(200, 'OK\r\nX-Injected: yes'),
    writeHeadHeaders: (res) => res.writeHead(200, { 'X-A': 'a\x02' }),
    location: (res) => res.redirect('/a\r\nX-Injected: yes'),
    type: (res) => res.type('text/plain\x0b'),
    nameSpace: (res) => res.setHeader('X A', 'b'),
    nameObject: (res) => res.setHeader({ toString: () => 'X-A' } as unknown as string, 'b'),
    nameEmpty: (res) => res.setHeader('', 'b'),
  };
  const codes: Record<string, string> = {
    undef: 'ERR_HTTP_INVALID_HEADER_VALUE', object: 'ERR_HTTP_INVALID_HEADER_VALUE', arrayObject: 'ERR_HTTP_INVALID_HEADER_VALUE',
    nameSpace: 'ERR_INVALID_HTTP_TOKEN', nameObject: 'ERR_INVALID_HTTP_TOKEN', nameEmpty: 'ERR_INVALID_HTTP_TOKEN',
  };
  const routes: Record<string, Route> = {
    '/fine': (_req, res) => {
      res.setHeader('X-Tab', 'a\tb');
      res.setHeader('X-Latin1', 'caf\u00e9');
      res.setHeader('X-List', ['1', 2 as unknown as string]);
      res.statusMessage = 'Tr\u00e8s bien';
      res.writeHead(201, 'Made', { 'X-B': 'c' });
      res.end('ok');
    },
  };
  for (const name of Object.keys(setters)) {
    routes[`/${name}`] = (_req, res) => {
      setters[name](res);
      res.end('x');
    };
  }
  const { errors, ask } = await serve(t, kind, routes);
  for (const name of Object.keys(setters)) {
    errors.length = 0;
    const r = await ask([GET(`/${name}`), GET('/ok')]);
    assert500(t, r, name);
    t.notMatch(r.text, /X-Injected|X-A:|\x1b|\x7f|\x01|\x02/, `${name}: nothing of the refused field`);
    t.same(errors, [{ name: 'TypeError', code: codes[name] ?? 'ERR_INVALID_CHAR' }], `${name}: TypeError`);
  }
  const fine = await ask(GET('/fine'));
  const head = Buffer.from(fine.text, 'latin1').toString('utf8');
  t.match(head, /^HTTP\/1\.1 201 Made\r\n/, 'writeHead(code, reason, headers)');
  t.match(head, /\r\nX-Tab: a\tb\r\n/, 'HTAB is allowed');
  t.match(head, /\r\nX-Latin1: caf\u00e9\r\n/, 'U+0080..U+00FF is allowed');
  t.match(head, /\r\nX-List: 1\r\nX-List: 2\r\n/, 'numbers in a list are rendered');
  t.match(head, /\r\nX-B: c\r\n/);
  t.equal(fine.responses[0]?.body, 'ok');
});

forEachServerKind(t, 'a list value cannot be changed after setHeader checked it', async (t, kind) => {
  const { ask } = await serve(t, kind, {
    '/': (_req, res) => {
      const list = ['a'];
      res.setHeader('X-A', list);
      list.push('b\r\nX-Injected: yes');
      res.end('x');
    },
  });
  const r = await ask(GET('/'));
  t.notMatch(r.text, /X-Injected/);
  t.match(r.text, /\r\nX-A: a\r\n/);
});

forEachServerKind(t, "the engine's own failure answers carry their own framing, and never throw", async (t, kind) => {
  let chunk: Promise<unknown> | null = null;
  const { ask } = await serve(t, kind, {
    '/throw-length': (_req, res) => {
      res.setHeader('Content-Length', 1000);
      throw new Error('boom');
    },
    '/throw-chunked': (_req, res) => {
      res.setHeader('Transfer-Encoding', 'chunked');
      res.statusMessage = 'Custom';
      throw new Error('boom');
    },
    '/throw-status': (_req, res) => {
      res.setHeader('Content-Length', 1000);
      throw Object.assign(new Error('nope'), { status: 403 });
    },
    '/throw-status-headers': () => {
      throw Object.assign(new Error('nope'), { status: 403, headers: { 'Content-Length': '1', 'X-Reason': 'r' } });
    },
    '/body-length': async (req, res) => {
      res.setHeader('Content-Length', 1000);
      chunk = (async () => {
        for await (const c of req) void c;
      })().catch(() => {});
    },
    '/body-evil': async (req, res) => {
      try {
        // Refused now; before, it was kept and made the engine's 400 throw out of the socket event.
        res.setHeader('X-A', [{ toString: () => { throw new Error('toString'); } } as unknown as string]);
      } catch {
        // the handler goes on without it
      }
      chunk = (async () => {
        for await (const c of req) void c;
      })().catch(() => {});
    },
  }, { streamBody: true });
  for (const path of ['/throw-length', '/throw-chunked']) assert500(t, await ask([GET(path), GET('/ok')]), path);
  const forbidden = await ask(GET('/throw-status'));
  t.equal(forbidden.responses[0]?.status, 403);
  t.equal(forbidden.responses[0]?.body, 'nope\n');
  t.equal(forbidden.responses[0]?.headers['content-length'], '5');
  const withHeaders = await ask([GET('/throw-status-headers'), GET('/ok')], 2);
  t.same(withHeaders.responses.map((x) => [x.status, x.body]), [[403, 'nope\n'], [200, 'ok']], "the error's own Content-Length does not frame the answer");
  t.equal(withHeaders.responses[0]?.headers['x-reason'], 'r', 'its other headers are kept');
  const badChunk = (path: string) => `POST ${path} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\nzz\r\n`;
  for (const path of ['/body-length', '/body-evil']) {
    const r = await ask(badChunk(path));
    t.equal(r.responses[0]?.status, 400, `${path}: the bad body gets its 400`);
    t.equal(r.responses[0]?.headers['content-length'], String(r.responses[0]?.body.length), `${path}: framed by its own length`);
    t.equal(r.rest, '', `${path}: nothing more`);
    await chunk;
  }
  const ok = await ask(GET('/ok'));
  t.equal(ok.responses[0]?.body, 'ok', 'the server still answers');
});
