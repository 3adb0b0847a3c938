import t, { type Test } from 'tap';
import { readBody, readForm, readJson, mediaType } from '../lib/app/body.js';
import { HttpError } from '../lib/core/http-error.js';
import { router } from '../lib/app/router.js';
import type { WaferRequest } from '../lib/core/types.js';
import net from 'node:net';
import { serve, rawRequest } from './app/serve.js';
import { forEachServerKind, startServer } from './helpers/server-kinds.js';

/** A request object as the engine would hand it over, for checking messages without sockets. */
function fakeReq(contentType: string | undefined, body: string | Buffer): WaferRequest {
  const headers: Record<string, string> = {};
  if (contentType !== undefined) headers['content-type'] = contentType;
  return {
    method: 'POST', url: '/', path: '/', query: '', headers, rawHeaders: [], httpVersion: '1.1',
    body: Buffer.isBuffer(body) ? body : Buffer.from(body), params: {}, remoteAddress: undefined,
    async *[Symbol.asyncIterator]() {},
  } as WaferRequest;
}

/**
 * `promise` rejects with an HttpError (a subclass counts: the body error classes are ones)
 * with this status and a message matching.
 */
async function rejectsWith(t: Test, promise: Promise<unknown>, status: number, message: RegExp, what?: string) {
  const err = await promise.then(() => null, (e: unknown) => e);
  t.ok(err instanceof HttpError, what ?? 'an HttpError');
  t.match(err, { status, message }, what ?? 'its status and message');
}

t.test('mediaType splits type and charset, case-insensitively', async (t) => {
  t.same(mediaType('Application/JSON; Charset="UTF-8"'), { type: 'application/json', charset: 'utf-8' });
  t.same(mediaType(undefined), { type: '', charset: undefined });
});

t.test('readJson parses application/json and +json types', async (t) => {
  t.same(await readJson(fakeReq('application/json', '{"a":[1,2]}')), { a: [1, 2] });
  t.same(await readJson(fakeReq('application/vnd.api+json; charset=utf-8', '"x"')), 'x');
});

t.test('readJson says why malformed JSON is refused (400)', async (t) => {
  await rejectsWith(t, readJson(fakeReq('application/json', '{"a":')), 400, /^malformed JSON: /);
});

t.test('readJson refuses an empty body with 400', async (t) => {
  await rejectsWith(t, readJson(fakeReq('application/json', '  ')), 400, /empty/);
});

t.test('readJson refuses bytes that are not UTF-8 with 400', async (t) => {
  await rejectsWith(t, readJson(fakeReq('application/json', Buffer.from([0x22, 0xff, 0x22]))), 400, /UTF-8/);
});

t.test('readJson answers 415 for another or missing Content-Type, or a non-UTF-8 charset', async (t) => {
  await rejectsWith(t, readJson(fakeReq('text/plain', '{}')), 415, /application\/json, got text\/plain/);
  await rejectsWith(t, readJson(fakeReq(undefined, '{}')), 415, /got none/);
  await rejectsWith(t, readJson(fakeReq('application/json; charset=iso-8859-1', '{}')), 415, /charset/);
});

t.test('readJson with checkType: false parses whatever was sent', async (t) => {
  t.same(await readJson(fakeReq('text/plain', '[1]'), { checkType: false }), [1]);
});

t.test('readForm decodes fields strictly and refuses malformed escapes with 400', async (t) => {
  const f = await readForm(fakeReq('application/x-www-form-urlencoded', 'name=J%C3%BCrgen+M&tag=a&tag=b'));
  t.same({ ...f }, { name: 'Jürgen M', tag: ['a', 'b'] });
  await rejectsWith(t, readForm(fakeReq('application/x-www-form-urlencoded', 'a=%zz')), 400, /percent-encoding/);
  await rejectsWith(t, readForm(fakeReq('application/x-www-form-urlencoded', 'a=%FF')), 400, /UTF-8/);
});

t.test('readForm refuses another Content-Type with 415 and too many fields with 400', async (t) => {
  await rejectsWith(t, readForm(fakeReq('application/json', 'a=1')), 415, /x-www-form-urlencoded/);
  await rejectsWith(t, readForm(fakeReq('application/x-www-form-urlencoded', 'a&b&c'), { maxParams: 2 }), 400, /too many/);
});

t.test('bodies over real sockets', async (t) => {
  const app = router()
    .post('/json', async (req, res) => res.json({ got: await readJson(req) }))
    .post('/form', async (req, res) => res.json({ got: { ...(await readForm(req)) } }));
  const srv = await serve(app);
  t.teardown(srv.close);
  const post = (path: string, type: string, body: string) =>
    fetch(`${srv.url}${path}`, { method: 'POST', headers: { 'content-type': type }, body });

  t.test('a JSON body is parsed', async (t) => {
    const r = await post('/json', 'application/json', '{"n":1,"s":"é"}');
    t.equal(r.status, 200);
    t.same(await r.json(), { got: { n: 1, s: 'é' } });
  });

  t.test('malformed JSON is answered 400 with the reason', async (t) => {
    const r = await post('/json', 'application/json', '{n:1}');
    t.equal(r.status, 400);
    t.match(await r.text(), /malformed JSON/);
  });

  t.test('a JSON route answers 415 to a form body', async (t) => {
    const r = await post('/json', 'application/x-www-form-urlencoded', 'n=1');
    t.equal(r.status, 415);
    await r.text();
  });

  t.test('a form body is parsed', async (t) => {
    const r = await post('/form', 'application/x-www-form-urlencoded', 'q=a+b%26c&q=2');
    t.same(await r.json(), { got: { q: ['a b&c', '2'] } });
  });

  t.test('a malformed form body is answered 400', async (t) => {
    const r = await post('/form', 'application/x-www-form-urlencoded', 'q=%E2%82');
    t.equal(r.status, 400);
    await r.text();
  });

  t.test('a chunked JSON body is parsed', async (t) => {
    const r = await rawRequest(
      srv.port,
      'POST /json HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked',
      '4\r\n{"a"\r\n3\r\n:1}\r\n0\r\n\r\n',
    );
    t.equal(r.status, 200);
    t.match(r.body, '{"got":{"a":1}}');
  });
});

t.test('in streamBody mode the parsers read the request stream, up to the limit', async (t) => {
  const app = router().post('/json', async (req, res) => res.json({ got: await readJson(req, { limit: 64 }) }));
  const srv = await serve(app, { streamBody: true });
  t.teardown(srv.close);
  const post = (body: string) =>
    fetch(`${srv.url}/json`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  const r = await post(JSON.stringify({ a: 'x'.repeat(40) }));
  t.equal(r.status, 200);
  t.same(await r.json(), { got: { a: 'x'.repeat(40) } });
  const big = await post(JSON.stringify({ a: 'x'.repeat(100) }));
  t.equal(big.status, 413);
  t.match(await big.text(), 'larger than 64 bytes');
});

t.test('after a 413 from a streamed body, the rest of that body is skipped, not read as a request', async (t) => {
  const app = router()
    .post('/json', async (req, res) => res.json({ got: await readJson(req, { limit: 64 }) }))
    .get('/ok', (_req, res) => res.end('ok'));
  const srv = await serve(app, { streamBody: true });
  t.teardown(srv.close);
  // The body carries something that looks like a request line; it must stay body.
  const body = JSON.stringify({ a: 'x'.repeat(500) + 'GET /smuggled HTTP/1.1\r\n\r\n' });
  const answer = await new Promise<string>((resolve, reject) => {
    const sock = net.connect(srv.port, '127.0.0.1');
    let out = '';
    const timer = setTimeout(() => sock.destroy(new Error(`no close within 3 s: ${out}`)), 3000);
    sock.on('data', (c) => (out += c));
    sock.on('error', reject);
    sock.on('close', () => {
      clearTimeout(timer);
      resolve(out);
    });
    sock.write(
      `POST /json HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}` +
        'GET /ok HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
    );
  });
  const statuses = [...answer.matchAll(/^HTTP\/1\.1 (\d+)/gm)].map((m) => m[1]);
  t.same(statuses, ['413', '200']);
  t.ok(answer.endsWith('\r\n\r\nok'));
});

t.test('readBody applies its limit to a buffered body too', async (t) => {
  const req = fakeReq('application/octet-stream', 'x'.repeat(100));
  await rejectsWith(t, readBody(req, 99), 413, /larger than 99 bytes/);
  await rejectsWith(t, readBody(req, { limit: 99 }), 413, /larger than 99 bytes/, 'the limit as { limit }');
  t.equal((await readBody(req, { limit: 100 })).length, 100, 'exactly the limit passes');
  t.equal((await readBody(req)).length, 100, 'no limit: the engine\'s maxBodySize already decided');
  await t.rejects(readBody(req, { limit: -1 }), TypeError);
});

// Buffered mode (the default): the engine has read the body before the handler asks for it.
forEachServerKind(t, 'readJson and readForm answer 413 for a buffered body over their limit', async (t, kind) => {
  const app = router()
    .post('/json', async (req, res) => res.json({ got: await readJson(req, { limit: 64 }) }))
    .post('/form', async (req, res) => res.json({ got: await readForm(req, { limit: 16 }) }));
  const server = await startServer(t, kind, app);
  const send = (path: string, type: string, body: string) =>
    rawRequest(server.port, `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: ${type}\r\nContent-Length: ${Buffer.byteLength(body)}`, body);
  const small = await send('/json', 'application/json', JSON.stringify({ a: 'x'.repeat(40) }));
  t.equal(small.status, 200);
  t.match(small.body, '"got":{"a":"xxxx');
  const big = await send('/json', 'application/json', JSON.stringify({ a: 'x'.repeat(100) }));
  t.equal(big.status, 413);
  t.match(big.body, 'larger than 64 bytes');
  const form = await send('/form', 'application/x-www-form-urlencoded', 'a=1&b=2&c=3&d=4&e=5');
  t.equal(form.status, 413);
  t.match(form.body, 'larger than 16 bytes');
  const shortForm = await send('/form', 'application/x-www-form-urlencoded', 'a=1&b=2');
  t.equal(shortForm.status, 200);
});
