// Admission past maxConns: a refused connection is answered 503 and is gone within a hard
// deadline (lingerTimeout, 2 s from its accept) whatever it keeps sending, and is counted in
// stats().refusing while it lives.
import net from 'node:net';
import t from 'tap';
import { forEachServerKind, sleep, startServer } from './helpers/server-kinds.js';
import { connect, raw, responsesOf } from './helpers/raw-client.js';

/** The engine's hard deadline for a refused connection (DEFAULT_OPTIONS.lingerTimeout). */
const DEADLINE = 2000;

interface Trickler {
  /** What the server sent. */
  text: () => string;
  /** Resolves with ms from connect to the socket's close. */
  closed: Promise<number>;
}

/**
 * A client that ignores the server's FIN (half-open) and sends one byte every `everyMs`: an
 * inactivity timer never fires for it.
 */
function trickle(port: number, everyMs: number): Promise<Trickler> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true });
    let text = '';
    socket.on('data', (d: Buffer) => (text += d.toString('latin1')));
    socket.on('error', () => {});
    socket.once('connect', () => {
      const started = Date.now();
      socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
      const timer = setInterval(() => {
        if (!socket.destroyed && socket.writable) socket.write('x');
      }, everyMs);
      const closed = new Promise<number>((r) => socket.once('close', () => {
        clearInterval(timer);
        r(Date.now() - started);
      }));
      resolve({ text: () => text, closed });
      // However the test ends, nothing is left behind.
      setTimeout(() => {
        clearInterval(timer);
        socket.destroy();
      }, DEADLINE + 3000).unref();
    });
    socket.once('error', reject);
  });
}

forEachServerKind(t, 'refused clients that keep trickling bytes are closed by the hard deadline, and counted while open', async (t, kind) => {
  const server = await startServer(t, kind, (_req, res) => res.end('hello'), { maxConns: 1 });
  const admitted = await connect(server.port);
  t.teardown(() => admitted.destroy());
  await sleep(30);
  const clients = await Promise.all([0, 1, 2].map(() => trickle(server.port, 100)));
  await sleep(150);
  t.equal(server.stats().refusing, 3, 'the three refused connections are counted while open');
  t.equal(server.stats().refused, 3);
  t.equal(server.stats().connections, 1, 'refused connections take no maxConns slot');
  const took = await Promise.all(clients.map((c) => c.closed));
  for (const [i, c] of clients.entries()) {
    const [res] = responsesOf({ text: c.text(), closed: true, reset: false });
    t.equal(res?.status, 503, `client ${i} was answered 503`);
    t.equal(res?.headers['retry-after'], '1');
    t.ok(took[i] >= DEADLINE - 200 && took[i] < DEADLINE + 700, `client ${i} closed by the deadline though it kept sending (${took[i]} ms)`);
  }
  t.equal(server.stats().refusing, 0, 'none counted once closed');
  // The admitted connection is untouched.
  const r = await raw(server.port, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n', { responses: 1 });
  t.equal(responsesOf(r)[0]?.status, 503, 'still full while the admitted one is open');
  admitted.destroy();
  const deadline = Date.now() + 1000;
  while (server.stats().connections > 0 && Date.now() < deadline) await sleep(10);
  const again = await raw(server.port, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n', { responses: 1 });
  t.equal(responsesOf(again)[0]?.status, 200);
});

forEachServerKind(t, 'a refused client that reads its 503 and hangs up is uncounted at once', async (t, kind) => {
  const server = await startServer(t, kind, (_req, res) => res.end('hello'), { maxConns: 1 });
  const admitted = await connect(server.port);
  t.teardown(() => admitted.destroy());
  await sleep(30);
  const r = await raw(server.port, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n', { quietMs: 1000 });
  t.equal(responsesOf(r)[0]?.status, 503);
  t.ok(r.closed);
  await sleep(30);
  t.equal(server.stats().refused, 1);
  t.equal(server.stats().refusing, 0, 'closed well before the deadline, and no longer counted');
});

t.test('close() ends lingering refused connections at once', async (t) => {
  const kind = { loop: 'edge' as const, parser: 'wafer' as const, rawSocket: true, name: 'edge/wafer' };
  const server = await startServer(t, kind, (_req, res) => res.end('hello'), { maxConns: 1 });
  const admitted = await connect(server.port);
  t.teardown(() => admitted.destroy());
  await sleep(30);
  const client = await trickle(server.port, 100);
  await sleep(100);
  t.equal(server.stats().refusing, 1);
  const started = Date.now();
  void server.close();
  const took = await client.closed;
  t.ok(Date.now() - started < 500, `closed with the server, not at the deadline (${took} ms after connect)`);
  t.equal(server.stats().refusing, 0);
});
