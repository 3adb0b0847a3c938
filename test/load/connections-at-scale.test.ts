// Load and time, against a server in its own process: slowloris (1,000 connections trickling
// header bytes), C10K (10,000 concurrent keep-alive connections, each answered twice), and a
// connection flood against the admission cap. Sizes can be scaled down with WAFER_LOAD_SCALE
// (e.g. 0.2) on a slow machine; the defaults run in seconds.
import t from 'tap';
import net from 'node:net';
import { sleep } from '../helpers/server-kinds.js';
import { startChild } from '../helpers/child-server.js';
import { PRLIMIT } from '../helpers/tools.js';

const SCALE = Number(process.env.WAFER_LOAD_SCALE ?? 1);
const GET = 'GET / HTTP/1.1\r\nHost: x\r\n\r\n';

/**
 * Open `n` connections, `batch` at a time with a pause between batches: the kernel completes
 * a handshake before the server accepts it, and past the listen backlog (511) it drops the
 * final ACK, which costs the client a 1 s retransmission. Set-up is not what is measured.
 */
async function openMany(port: number, n: number, batch = 200): Promise<net.Socket[]> {
  const out: net.Socket[] = [];
  for (let i = 0; i < n; i += batch) {
    if (i > 0) await sleep(15);
    const k = Math.min(batch, n - i);
    out.push(...(await Promise.all(Array.from({ length: k }, () => new Promise<net.Socket>((resolve, reject) => {
      const s = net.connect(port, '127.0.0.1', () => resolve(s));
      s.once('error', reject);
    })))));
  }
  for (const s of out) s.on('error', () => {});
  return out;
}

/** One request on each socket; resolves with how many complete answers (`ok 0` bodies) came back. */
function requestAll(sockets: net.Socket[], ms: number): Promise<number> {
  return new Promise((resolve) => {
    let answered = 0;
    let pending = sockets.length;
    const timer = setTimeout(() => resolve(answered), ms);
    for (const s of sockets) {
      let text = '';
      const onData = (d: Buffer): void => {
        text += d.toString('latin1');
        if (text.endsWith('\r\n\r\nok 0')) {
          s.off('data', onData);
          answered++;
          if (--pending === 0) {
            clearTimeout(timer);
            resolve(answered);
          }
        }
      };
      s.on('data', onData);
      s.write(GET);
    }
  });
}

/** Time one request on a fresh connection (ms), or -1 on failure. */
async function timedRequest(port: number): Promise<number> {
  const started = performance.now();
  const [s] = await openMany(port, 1);
  const n = await requestAll([s], 5000);
  s.destroy();
  return n === 1 ? performance.now() - started : -1;
}

t.test('slowloris: 1,000 connections trickling header bytes do not delay a good client; each is cut at headersTimeout', async (t) => {
  const headersTimeout = 2000;
  const child = await startChild({ headersTimeout });
  t.teardown(() => child.kill());
  const n = Math.round(1000 * SCALE);
  const slow = await openMany(child.port, n);
  t.teardown(() => slow.forEach((s) => s.destroy()));
  // Connection set-up is not what is measured: wait until the server has accepted them all.
  const ready = Date.now() + 10_000;
  while ((await child.stats()).stats.connections < n && Date.now() < ready) await sleep(20);
  const firstByte = Date.now();
  const closedAt: number[] = [];
  let got408 = 0;
  for (const s of slow) {
    s.on('data', (d) => {
      if (d.toString('latin1').startsWith('HTTP/1.1 408')) got408++;
    });
    s.on('close', () => closedAt.push(Date.now() - firstByte));
    s.write('GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ');
  }
  // One more byte per connection every 500 ms (a fifth of them every 100 ms): the heads
  // never complete.
  let tick = 0;
  const trickle = setInterval(() => {
    tick++;
    for (let i = tick % 5; i < slow.length; i += 5) if (!slow[i].destroyed && slow[i].writable) slow[i].write('a');
  }, 100);
  t.teardown(() => clearInterval(trickle));

  const latencies: number[] = [];
  while (Date.now() - firstByte < headersTimeout - 200) {
    latencies.push(await timedRequest(child.port));
    await sleep(50);
  }
  t.notOk(latencies.includes(-1), 'every good request answered');
  latencies.sort((a, b) => a - b);
  const median = latencies[Math.floor(latencies.length / 2)];
  const worst = latencies[latencies.length - 1];
  t.comment(`latencies: ${latencies.map((x) => x.toFixed(0)).join(' ')}`);
  t.comment(`good client during the trickle: ${latencies.length} requests, median ${median.toFixed(1)} ms, worst ${worst.toFixed(1)} ms`);
  // Generous bounds (the machine is shared): the point is that a good client never waits
  // for the slow ones, which would take headersTimeout.
  t.ok(median < 250, `median ${median.toFixed(1)} ms`);
  t.ok(worst < headersTimeout / 2, `worst ${worst.toFixed(1)} ms`);

  const deadline = Date.now() + headersTimeout + 3000;
  while (closedAt.length < n && Date.now() < deadline) await sleep(50);
  clearInterval(trickle);
  t.equal(closedAt.length, n, 'every slow connection was closed');
  t.equal(got408, n, 'each with a 408');
  const last = Math.max(...closedAt);
  t.comment(`slow connections closed between ${Math.min(...closedAt)} and ${last} ms after their first byte (headersTimeout ${headersTimeout})`);
  // The engine's clock is coarse (refreshed by its sweep, every headersTimeout / 4 here), so a
  // deadline can fire up to one sweep period early or late.
  t.ok(Math.min(...closedAt) >= headersTimeout * 0.75 - 50, 'not before headersTimeout, within the sweep resolution');
  t.ok(last < headersTimeout + 2000, 'soon after it');
  const { stats } = await child.stats();
  t.equal(stats.timeouts, n);
  await child.close();
});

t.test('C10K: 10,000 concurrent keep-alive connections are each answered, twice', { skip: PRLIMIT.skip }, async (t) => {
  if (PRLIMIT.need(t) === undefined) return;
  const n = Math.round(10_000 * SCALE);
  const child = await startChild({ maxConns: n }, { nofile: 20_000 });
  t.teardown(() => child.kill());
  const started = Date.now();
  const sockets = await openMany(child.port, n);
  t.teardown(() => sockets.forEach((s) => s.destroy()));
  const opened = Date.now() - started;
  const first = await requestAll(sockets, 30_000);
  const second = await requestAll(sockets, 30_000);
  const took = Date.now() - started;
  t.equal(first, n, 'first round: every connection answered');
  t.equal(second, n, 'second round on the same connections (keep-alive)');
  const { stats, rss } = await child.stats();
  t.equal(stats.connections, n, `${n} open at once`);
  t.equal(stats.accepted, n, 'no connection was re-opened');
  t.equal(stats.refused, 0);
  t.comment(`${n} connections opened in ${opened} ms; ${2 * n} requests answered in ${took} ms in all; server RSS ${(rss / 1048576).toFixed(0)} MiB`);
  sockets.forEach((s) => s.destroy());
  const deadline = Date.now() + 10_000;
  while ((await child.stats()).stats.connections > 0 && Date.now() < deadline) await sleep(100);
  t.equal((await child.stats()).stats.connections, 0, 'all released');
  await child.close();
});

t.test('the admission cap holds under a connection flood: maxConns admitted, the rest get 503 and a close', async (t) => {
  const maxConns = 200;
  const n = Math.round(1000 * SCALE);
  const child = await startChild({ maxConns });
  t.teardown(() => child.kill());
  // Everyone connects and asks at once; nobody hangs up, so admitted connections stay open.
  const statuses: number[] = [];
  let closedByServer = 0;
  const sockets: net.Socket[] = [];
  await Promise.all(Array.from({ length: n }, () => new Promise<void>((resolve) => {
    const s = net.connect(child.port, '127.0.0.1', () => s.write(GET));
    sockets.push(s);
    let text = '';
    let done = false;
    const finish = (): void => {
      if (!done) {
        done = true;
        resolve();
      }
    };
    s.on('data', (d) => {
      text += d.toString('latin1');
      if (text.includes('\r\n\r\n') && !done) {
        statuses.push(Number(text.slice(9, 12)));
        if (text.startsWith('HTTP/1.1 200')) finish();
      }
    });
    s.on('error', () => {});
    s.on('close', () => {
      closedByServer++;
      finish();
    });
    setTimeout(finish, 15_000);
  })));
  t.teardown(() => sockets.forEach((s) => s.destroy()));
  const ok = statuses.filter((x) => x === 200).length;
  const refused = statuses.filter((x) => x === 503).length;
  t.equal(statuses.length, n, 'every connection got an answer');
  t.equal(ok, maxConns, `${maxConns} admitted`);
  t.equal(refused, n - maxConns, 'the rest refused with 503');
  const { stats } = await child.stats();
  t.equal(stats.connections, maxConns, 'never more than maxConns open');
  t.equal(stats.refused, n - maxConns);
  t.equal(closedByServer, n - maxConns, 'the refused ones were closed');
  // A freed slot is available again.
  sockets.forEach((s) => s.destroy());
  const deadline = Date.now() + 5000;
  while ((await child.stats()).stats.connections > 0 && Date.now() < deadline) await sleep(50);
  const [s] = await openMany(child.port, 1);
  t.equal(await requestAll([s], 3000), 1, 'admitted after the flood');
  s.destroy();
  await child.close();
});
