// Opens N keep-alive connections to 127.0.0.1:PORT, sends one GET / on each, waits for every
// answer, prints one JSON line, then holds the connections open and idle until it is killed:
// `node idle-client.js PORT N [PARALLEL]`. Run for the memory scenario (RSS per idle connection).
import net from 'node:net';

const [port, n, parallel = 200] = process.argv.slice(2).map(Number);
const REQUEST = Buffer.from('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
const sockets = [];
let ok = 0;
let failed = 0;
let closedLater = 0;

function one() {
  return new Promise((resolve) => {
    const s = net.connect({ port, host: '127.0.0.1' });
    let head = '';
    let settled = false;
    const settle = (good) => {
      if (settled) return;
      settled = true;
      if (good) ok++;
      else failed++;
      resolve();
    };
    s.setTimeout(20_000, () => {
      settle(false);
      s.destroy();
    });
    s.once('connect', () => s.write(REQUEST));
    s.on('data', (d) => {
      if (settled) return;
      head += d.latin1Slice(0, d.length);
      if (head.includes('\r\n\r\n')) {
        s.setTimeout(0);
        settle(head.startsWith('HTTP/1.1 200'));
      }
    });
    s.on('error', () => settle(false));
    s.on('close', () => {
      if (settled) closedLater++;
      settle(false);
    });
    sockets.push(s);
  });
}

const started = performance.now();
let next = 0;
async function worker() {
  while (next < n) {
    next++;
    await one();
  }
}
await Promise.all(Array.from({ length: Math.min(parallel, n) }, worker));
process.stdout.write(
  JSON.stringify({ ok, failed, seconds: Math.round(performance.now() - started) / 1000 }) + '\n',
);

// Hold everything open; report on stdout how many the server closed meanwhile when asked.
process.on('SIGUSR2', () => process.stdout.write(JSON.stringify({ closedLater }) + '\n'));
process.on('SIGTERM', () => {
  for (const s of sockets) s.destroy();
  process.exit(0);
});
setInterval(() => {}, 1 << 30);
