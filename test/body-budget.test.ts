// maxBodyBytes: buffered request bodies share one server-wide budget. A body that would pass it
// is answered 503 + Retry-After; a body's bytes return to the budget when its response ends or
// its connection closes, and a later body is accepted again.
import t from 'tap';
import { forEachServerKind, sleep, startServer, until } from './helpers/server-kinds.js';
import { connect, raw, responsesOf } from './helpers/raw-client.js';
import { listen } from '../lib/index.js';
import type { WaferRequest, WaferResponse } from '../lib/core/types.js';

const KiB = 1024;
const BUDGET = 64 * KiB;
const post = (path: string, size: number) => `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Length: ${size}\r\n\r\n` + 'b'.repeat(size);
const chunked = (path: string, size: number) =>
  `POST ${path} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n${size.toString(16)}\r\n${'c'.repeat(size)}\r\n0\r\n\r\n`;


/** A handler that answers /hold only when told to, and everything else at once with the body's size. */
function holding() {
  const held: WaferResponse[] = [];
  const handler = (req: WaferRequest, res: WaferResponse): void => {
    if (req.path === '/hold') held.push(res);
    else res.end(String(req.body.length));
  };
  return { held, handler };
}

forEachServerKind(t, 'a body past the server-wide budget gets 503 + Retry-After; the budget returns when the holder answers', async (t, kind) => {
  const { held, handler } = holding();
  const server = await startServer(t, kind, handler, { maxBodyBytes: BUDGET, maxBodySize: BUDGET });
  // 40 KiB held by a handler that has not answered yet.
  const holder = raw(server.port, post('/hold', 40 * KiB), { responses: 1, timeoutMs: 3000 });
  t.ok(await until(() => held.length === 1), 'the first body reached its handler');
  t.equal(server.stats().bodyBytes, 40 * KiB, 'its bytes are counted');
  // 40 more would pass 64 KiB: declared length, and chunked (grown by doubling to 32 KiB).
  for (const request of [post('/', 40 * KiB), chunked('/', 30 * KiB)]) {
    const r = await raw(server.port, request, { quietMs: 1000 });
    const [res] = responsesOf(r);
    t.equal(res?.status, 503, 'refused for the budget');
    t.equal(res?.headers['retry-after'], '1');
    t.equal(res?.headers.connection, 'close');
    t.ok(r.closed);
  }
  // A declared body that cannot fit is refused at its head: no 100 Continue, no body sent.
  const expect = await raw(server.port, 'POST / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 40960\r\n\r\n', { quietMs: 1000 });
  t.same(responsesOf(expect, true).map((x) => x.status), [503], 'a 503 instead of 100 Continue');
  t.equal(server.stats().bodyBudgetRejected, 3);
  t.equal(server.stats().parseErrors, 0, 'not counted as bad input');
  t.ok(await until(() => server.stats().bodyBytes === 40 * KiB), "the refused bodies' bytes returned");
  // A body that fits beside it is accepted.
  const small = await raw(server.port, post('/', 20 * KiB), { responses: 1 });
  t.equal(responsesOf(small)[0]?.body, String(20 * KiB));
  // The holder answers: its bytes return, and a 40 KiB body fits again.
  held[0].end('held');
  t.equal(responsesOf(await holder)[0]?.body, 'held');
  t.equal(server.stats().bodyBytes, 0, 'released when the response ended');
  const again = await raw(server.port, post('/', 40 * KiB), { responses: 1 });
  t.equal(responsesOf(again)[0]?.status, 200);
  t.equal(responsesOf(again)[0]?.body, String(40 * KiB));
  t.equal(server.stats().bodyBytes, 0);
});

forEachServerKind(t, 'two declared bodies that each fit at their head: the one whose bytes come second gets the 503', async (t, kind) => {
  const { held, handler } = holding();
  const server = await startServer(t, kind, handler, { maxBodyBytes: BUDGET, maxBodySize: BUDGET });
  const head = `POST /hold HTTP/1.1\r\nHost: x\r\nContent-Length: ${40 * KiB}\r\n\r\n`;
  const first = await connect(server.port);
  const second = await connect(server.port);
  t.teardown(() => {
    first.destroy();
    second.destroy();
  });
  let secondText = '';
  second.on('data', (d) => (secondText += d.toString('latin1')));
  second.on('error', () => {});
  first.write(head);
  second.write(head);
  await sleep(50);
  first.write('b'.repeat(40 * KiB));
  t.ok(await until(() => held.length === 1), 'the first body reached its handler');
  second.write('b'.repeat(40 * KiB));
  t.ok(await until(() => secondText.includes('\r\n\r\n')), 'the second was answered');
  t.equal(responsesOf({ text: secondText, closed: true, reset: false })[0]?.status, 503);
  t.equal(held.length, 1, 'its handler never ran');
  t.equal(server.stats().bodyBudgetRejected, 1);
  held[0].end('ok');
});

forEachServerKind(t, 'the budget returns when the client of an unanswered body goes away', async (t, kind) => {
  const { held, handler } = holding();
  const server = await startServer(t, kind, handler, { maxBodyBytes: BUDGET, maxBodySize: BUDGET });
  const socket = await connect(server.port);
  socket.on('error', () => {});
  socket.write(post('/hold', 50 * KiB));
  t.ok(await until(() => held.length === 1));
  t.equal(server.stats().bodyBytes, 50 * KiB);
  const refused = await raw(server.port, post('/', 20 * KiB), { quietMs: 1000 });
  t.equal(responsesOf(refused)[0]?.status, 503, 'full while it is held');
  socket.resetAndDestroy();
  t.ok(await until(() => server.stats().bodyBytes === 0), 'returned when the connection closed');
  const r = await raw(server.port, post('/', 50 * KiB), { responses: 1 });
  t.equal(responsesOf(r)[0]?.body, String(50 * KiB), 'a later body is accepted');
});

forEachServerKind(t, 'a body cut short mid-way returns what it reserved', async (t, kind) => {
  const server = await startServer(t, kind, (req, res) => res.end(String(req.body.length)), { maxBodyBytes: BUDGET, maxBodySize: BUDGET });
  const socket = await connect(server.port);
  socket.on('error', () => {});
  socket.write(post('/', 60 * KiB).slice(0, 30 * KiB));
  t.ok(await until(() => server.stats().bodyBytes > 0), 'reserved while it arrives');
  socket.resetAndDestroy();
  t.ok(await until(() => server.stats().bodyBytes === 0 && server.stats().connections === 0), 'returned on close');
  const r = await raw(server.port, post('/', 60 * KiB), { responses: 1 });
  t.equal(responsesOf(r)[0]?.body, String(60 * KiB));
});

t.test('maxBodyBytes is validated against maxBodySize', async (t) => {
  await t.rejects(listen(() => {}, { port: 0, maxBodyBytes: 1000, maxBodySize: 2000 }), /maxBodyBytes/);
  await t.rejects(listen(() => {}, { port: 0, maxBodyBytes: 0 }), /maxBodyBytes/);
});
