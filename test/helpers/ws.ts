// WebSocket pieces shared by the upgrade tests: a `ws` echo server to mount on wafer's `upgrade`
// option, a client that resolves once open, message/close waiters, and hand-made handshake and
// frame bytes (RFC 6455) for the tests that check what travels with the upgrade request.
import type { Test } from 'tap';
import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import { WebSocket, WebSocketServer, type RawData } from 'ws';

/** A `ws` server that echoes (text stays text, binary binary); 'close-me' closes with 4002 'server bye'. */
export function echoWsServer(t: Test): WebSocketServer {
  const wss = new WebSocketServer({ noServer: true });
  wss.on('connection', (ws) => {
    ws.on('message', (data: RawData, isBinary: boolean) => {
      if (!isBinary && String(data) === 'close-me') ws.close(4002, 'server bye');
      else ws.send(data, { binary: isBinary });
    });
  });
  t.teardown(() => {
    for (const ws of wss.clients) ws.terminate();
    wss.close();
  });
  return wss;
}

/** A `ws` client for `url`, resolved once open (terminated at the test's end). */
export function openWs(t: Test, url: string, options: { ca?: Buffer } = {}): Promise<WebSocket> {
  const ws = new WebSocket(url, options);
  t.teardown(() => ws.terminate());
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

export function nextMessage(ws: WebSocket): Promise<{ data: Buffer; isBinary: boolean }> {
  return new Promise((resolve, reject) => {
    ws.once('message', (data: RawData, isBinary: boolean) => resolve({ data: data as Buffer, isBinary }));
    ws.once('close', () => reject(new Error('closed before a message')));
  });
}

export function closed(ws: WebSocket): Promise<{ code: number; reason: string }> {
  return new Promise((resolve) => ws.once('close', (code: number, reason: Buffer) => resolve({ code, reason: String(reason) })));
}

/** A WebSocket opening handshake (RFC 6455 §4.1) for `path`, with `key` (default: a fresh one). */
export function handshake(path: string, key = randomBytes(16).toString('base64')): string {
  return `GET ${path} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
    `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`;
}

/** A masked client frame (RFC 6455 §5.2), FIN set, payload under 126 bytes. */
export function clientFrame(opcode: number, payload: Buffer): Buffer {
  const mask = randomBytes(4);
  const out = Buffer.alloc(6 + payload.length);
  out[0] = 0x80 | opcode;
  out[1] = 0x80 | payload.length;
  mask.copy(out, 2);
  for (let i = 0; i < payload.length; i++) out[6 + i] = payload[i] ^ mask[i & 3];
  return out;
}

/** The unmasked server frames from offset `from` of `b`: [opcode, payload text]. */
export function serverFrames(b: Buffer, from: number): [number, string][] {
  const out: [number, string][] = [];
  let p = from;
  while (p + 2 <= b.length) {
    const len = b[p + 1] & 0x7f;
    if (len >= 126 || p + 2 + len > b.length) break;
    out.push([b[p] & 0x0f, b.subarray(p + 2, p + 2 + len).toString('latin1')]);
    p += 2 + len;
  }
  return out;
}

/** Read from `socket` until `done(bytes so far)` holds, or fail after `ms`. */
export function readUntil(socket: Socket, done: (b: Buffer) => boolean, ms = 3000): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let got = Buffer.alloc(0);
    const timer = setTimeout(() => {
      socket.removeListener('data', onData);
      reject(new Error(`timed out with ${JSON.stringify(got.toString('latin1'))}`));
    }, ms);
    const onData = (c: Buffer): void => {
      got = Buffer.concat([got, c]);
      if (done(got)) {
        clearTimeout(timer);
        socket.removeListener('data', onData);
        resolve(got);
      }
    };
    socket.on('data', onData);
  });
}
