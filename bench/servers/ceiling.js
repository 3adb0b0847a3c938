// The ceiling: raw node:net that parses nothing. It answers one canned keep-alive response per
// `\r\n\r\n` it sees (the end of a request head, RFC 9112 §2.1), all answers of one chunk in one
// write. That is the physical limit for any server built on node:net sockets. It can't know
// where bodies end, so it takes part in the GET scenarios only.
import net from 'node:net';
import { HELLO, HOST, PORT, announce, onStop, pinSelfIfAsked } from './common.js';
import { countHeads } from './heads.js';

pinSelfIfAsked();

const RESPONSE = Buffer.from(
  'HTTP/1.1 200 OK\r\n' +
    'Content-Type: text/plain; charset=utf-8\r\n' +
    `Content-Length: ${Buffer.byteLength(HELLO)}\r\n` +
    `Date: ${new Date().toUTCString()}\r\n` +
    'Connection: keep-alive\r\n' +
    '\r\n' +
    HELLO,
);
// Batches of up to 64 answers are preallocated; bigger ones are built on demand.
const BATCHES = [Buffer.alloc(0)];
for (let n = 1; n <= 64; n++) BATCHES.push(Buffer.concat(Array(n).fill(RESPONSE)));
const batch = (n) => (n < BATCHES.length ? BATCHES[n] : Buffer.concat(Array(n).fill(RESPONSE)));

// `handle` mode: the same work on the socket's libuv handle, below node:net's streams — each read
// from handle.onread into one shared buffer, each batch written with handle.writeBuffer() — as
// wafer's edge loop does (loop/raw-socket.ts). The ceiling for anything on node:net's handles.
const mode = process.argv[2] ?? 'stream';
const sw = mode === 'handle' ? process.binding('stream_wrap') : null;
const READ = Buffer.allocUnsafe(64 * 1024);
let spare = null;

function onHandleRead() {
  const n = sw.streamBaseState[sw.kReadBytesOrError];
  if (n <= 0) return n < 0 ? this.netOnread() : undefined;
  const [count, s] = countHeads(READ.subarray(0, n), this.heads);
  this.heads = s;
  if (count === 0) return undefined;
  const req = spare ?? new sw.WriteWrap();
  spare = null;
  req.handle = this;
  req.oncomplete = () => {};
  const data = batch(count);
  if (this.writeBuffer(req, data) === 0 && sw.streamBaseState[sw.kLastWriteWasAsync] !== 0) req.data = data;
  else spare = req;
  return undefined;
}

const server = net.createServer({ noDelay: true }, (socket) => {
  socket.on('error', () => {});
  if (sw !== null) {
    const handle = socket._handle;
    handle.heads = 0;
    handle.netOnread = handle.onread;
    handle.useUserBuffer(READ);
    handle.onread = onHandleRead;
    return;
  }
  let state = 0;
  socket.on('data', (chunk) => {
    const [n, s] = countHeads(chunk, state);
    state = s;
    if (n > 0) socket.write(batch(n));
  });
});

server.listen(PORT, HOST, () => announce(server.address().port));
onStop(() => new Promise((resolve) => server.close(() => resolve())));
