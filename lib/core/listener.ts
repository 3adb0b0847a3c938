// The listening socket: a node:net server, or a node:tls one when `tls` is set, and the Unix
// socket file's life (a stale file from a dead server is replaced, a live one is an error).
// What happens to an accepted connection is server.ts's job (Server.accept).
import net from 'node:net';
import tls from 'node:tls';
import { lstatSync, unlinkSync } from 'node:fs';
import type { Socket } from 'node:net';

export interface Listener {
  readonly net: net.Server;
  /** TLS only: the TCP sockets whose handshake is under way (close() cuts them); null for plain TCP. */
  readonly handshaking: Set<Socket> | null;
}

type NetOptions = net.ServerOpts & { highWaterMark: number };

/**
 * A server that calls `accept` with each connection ready for HTTP: at once for TCP, after the
 * handshake for TLS. `tlsOptions` pass through to tls.createServer.
 */
export function createListener(netOptions: NetOptions, tlsOptions: tls.TlsOptions | undefined, headersTimeout: number, accept: (socket: Socket) => void): Listener {
  if (tlsOptions === undefined) return { net: net.createServer(netOptions, accept), handshaking: null };
  if (tlsOptions === null || typeof tlsOptions !== 'object') throw new TypeError('tls must be an object of tls.createServer options ({ key, cert, … })');
  const handshaking = new Set<Socket>();
  const server = tls.createServer({
    // A client that connects and never completes its handshake is cut like one that never
    // sends a head: it holds no maxConns slot (admission starts after the handshake), but
    // a descriptor.
    handshakeTimeout: headersTimeout,
    ...tlsOptions,
    ...netOptions,
    // Only HTTP/1.1 is spoken here (RFC 7301): a client offering h2 must not pick it.
    ALPNProtocols: ['http/1.1'],
  }, (socket) => {
    // The TCP socket under this TLSSocket (node's own link, on Node 20, 22 and 24).
    const tcp = (socket as unknown as { _parent?: Socket })._parent;
    if (tcp !== undefined) handshaking.delete(tcp);
    accept(socket);
  });
  server.on('connection', (socket: HandshakingSocket) => {
    socket[kHandshaking] = handshaking;
    handshaking.add(socket);
    socket.once('close', onHandshakingClose);
  });
  // A failed or timed-out handshake (a plain-HTTP client, garbage, handshakeTimeout): node
  // reports it here, and after ERR_TLS_HANDSHAKE_TIMEOUT leaves the socket open (Node 20,
  // 22, 24), so it is closed here.
  server.on('tlsClientError', destroyFailedHandshake);
  return { net: server, handshaking };
}

function destroyFailedHandshake(_err: Error, socket: tls.TLSSocket): void {
  socket.destroy();
}

const kHandshaking = Symbol('wafer.handshaking');
interface HandshakingSocket extends Socket {
  [kHandshaking]?: Set<Socket>;
}

function onHandshakingClose(this: HandshakingSocket): void {
  this[kHandshaking]?.delete(this);
}

/**
 * Listening on the Unix socket `path` failed with `err`: if the file is a socket nothing accepts
 * on (left by a server that died without closing), remove it and say so (true: bind again).
 * Never removes a file that is not a socket, nor a live socket.
 */
export async function staleSocketRemoved(path: string, err: NodeJS.ErrnoException): Promise<boolean> {
  if (err.code !== 'EADDRINUSE') return false;
  let isSocket: boolean;
  try {
    isSocket = lstatSync(path).isSocket();
  } catch {
    return true; // gone meanwhile
  }
  if (!isSocket) {
    const e = new Error(`wafer: cannot listen on ${path}: the file exists and is not a socket`) as NodeJS.ErrnoException;
    e.code = 'EADDRINUSE';
    e.cause = err;
    throw e;
  }
  if (await socketIsLive(path)) return false;
  unlinkSync(path);
  return true;
}

/**
 * Does anything accept on the Unix socket at `path`? ECONNREFUSED (or ENOENT) means no: the
 * file is left over from a server that died without closing.
 */
function socketIsLive(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = net.connect({ path });
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', (e: NodeJS.ErrnoException) => resolve(e.code !== 'ECONNREFUSED' && e.code !== 'ENOENT'));
  });
}
