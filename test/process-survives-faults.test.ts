// Faults that need the server in its own process: run under --unhandled-rejections=strict
// (one unhandled rejection kills it), with a lowered descriptor limit (EMFILE on accept),
// and checked to exit by itself after close() — a leaked socket or timer would keep it alive.
import t, { type Test } from 'tap';
import net from 'node:net';
import { sleep } from './helpers/server-kinds.js';
import { connect, raw, responsesOf } from './helpers/raw-client.js';
import { startChild, type Child } from './helpers/child-server.js';
import { PRLIMIT } from './helpers/tools.js';

const GET = (path: string) => `GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`;

async function until(cond: () => Promise<boolean>, ms = 3000): Promise<boolean> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) return false;
    await sleep(25);
  }
  return true;
}

/** Send `bytes`, wait `ms`, then reset the connection. */
async function resetAfter(port: number, bytes: string, ms: number): Promise<void> {
  const s = await connect(port);
  s.on('error', () => {});
  s.write(bytes);
  await sleep(ms);
  s.resetAndDestroy();
}

/** close() the child's server and check that the process then exits by itself with code 0. */
async function closesAndExits(t: Test, child: Child): Promise<void> {
  const { warnings } = await child.close();
  t.same(warnings, [], 'no process warnings (MaxListenersExceeded, …)');
  t.equal(await child.exited(5000), 0, 'exits by itself after close(): no socket or timer left');
  t.notMatch(child.stderr(), /Unhandled|Error/, 'nothing on stderr');
}

for (const loop of ['edge', 'poll'] as const) {
  t.test(`a mix of faults leaves no trace: no crash, connections and descriptors back to baseline [${loop}]`, async (t) => {
    const child = await startChild({ loop, requestTimeout: 300, closeGrace: 1000 });
    t.teardown(() => child.kill());
    const port = child.port;
    const faults: Promise<unknown>[] = [];
    for (let i = 0; i < 5; i++) {
      faults.push(
        raw(port, GET('/throw')), // 500
        raw(port, GET('/reject')), // 500
        raw(port, GET('/thenable')), // a custom thenable whose then() throws: 500
        raw(port, GET('/evil')), // an error whose status getter throws: connection cut
        resetAfter(port, GET('/reject'), 1), // rejects after the client left
        resetAfter(port, GET('/late?ms=50'), 5), // answers after the client left
        resetAfter(port, GET('/big'), 20), // reset while a handler waits in drain()
        resetAfter(port, GET('/flood'), 20), // writes ignoring backpressure: EPIPE/ECONNRESET
        resetAfter(port, 'GET / HTTP/1.1\r\nHo', 5), // mid-head
        resetAfter(port, 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 9\r\n\r\nab', 5), // mid-body
        raw(port, GET('/never'), { end: true, quietMs: 100 }), // FIN while a handler never answers
        raw(port, '\x00\xff garbage \r\n\r\n'), // 400
        raw(port, GET('/slow'), { end: true }), // half-close: still answered
      );
    }
    await Promise.all(faults);
    const good = await raw(port, GET('/'), { responses: 1 });
    t.equal(responsesOf(good)[0]?.body, 'ok 0', 'a good client is served');
    t.ok(await until(async () => (await child.stats()).stats.connections === 0), 'every connection released');
    const after = await child.stats();
    t.ok(after.fds <= child.baseFds + 1, `descriptors back to baseline (${after.fds} vs ${child.baseFds})`);
    t.ok(after.stats.handlerErrors >= 10, 'throws and rejects were counted, not fatal');
    await closesAndExits(t, child);
  });
}

t.test('close() settles after closeGrace when only half-open connections remain, and the process exits', async (t) => {
  const child = await startChild({ closeGrace: 300 });
  t.teardown(() => child.kill());
  const s = await connect(child.port);
  s.on('error', () => {});
  s.end(GET('/never')); // request + FIN: the handler never answers
  await sleep(50);
  const started = Date.now();
  await closesAndExits(t, child);
  t.ok(Date.now() - started < 3000, `closed in ${Date.now() - started} ms`);
  s.destroy();
});

t.test('EMFILE on accept: the server survives, keeps serving open connections, and accepts again once descriptors free up', { skip: PRLIMIT.skip }, async (t) => {
  if (PRLIMIT.need(t) === undefined) return;
  const child = await startChild({}, { nofile: 64 });
  t.teardown(() => child.kill());
  const port = child.port;
  // A keep-alive connection opened before the descriptors run out.
  const early = await connect(port);
  t.teardown(() => early.destroy());
  let earlyText = '';
  early.on('data', (d) => (earlyText += d.toString('latin1')));
  early.write(GET('/'));
  // Flood: more connections than the child has descriptors left.
  const flood: net.Socket[] = [];
  let shut = 0;
  for (let i = 0; i < 100; i++) {
    const s = net.connect(port, '127.0.0.1');
    s.on('error', () => {});
    s.on('close', () => shut++);
    flood.push(s);
  }
  t.teardown(() => flood.forEach((s) => s.destroy()));
  await sleep(800);
  const full = await child.stats();
  t.ok(full.stats.accepted < 100, `accept failed past the limit (${full.stats.accepted} of 100 accepted)`);
  t.ok(shut > 0, `connections it could not take were closed, not left hanging (${shut})`);
  // The connection that was already open is still served while accept() fails.
  early.write(GET('/'));
  await sleep(200);
  t.equal(responsesOf({ text: earlyText, closed: false, reset: false }).length, 2, 'the early connection got both answers');
  // Free the descriptors: serving resumes.
  flood.forEach((s) => s.destroy());
  t.ok(await until(async () => (await child.stats()).stats.connections === 1), 'flood connections released');
  const r = await raw(port, GET('/'), { responses: 1 });
  t.equal(responsesOf(r)[0]?.body, 'ok 0', 'a new client is served again');
  early.destroy();
  await closesAndExits(t, child);
});
