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

const server = net.createServer({ noDelay: true }, (socket) => {
  let state = 0;
  socket.on('data', (chunk) => {
    const [n, s] = countHeads(chunk, state);
    state = s;
    if (n > 0) socket.write(batch(n));
  });
  socket.on('error', () => {});
});

server.listen(PORT, HOST, () => announce(server.address().port));
onStop(() => new Promise((resolve) => server.close(() => resolve())));
