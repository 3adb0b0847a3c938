// ServerOptions.upgrade: a request that asks to switch protocols (RFC 9110 §7.8 Upgrade, or a
// CONNECT, §9.3.6) takes the connection with it. Once every earlier answer on the connection is
// written, the socket leaves wafer (Connection.handOff: out of the loop, the timeout sweep and
// maxConns) and goes, in plain stream mode, to the app's callback with the request and the bytes
// that came after its head — what node:http gives its 'upgrade' listeners, so the `ws` package's
// handleUpgrade() takes it as it is. docs/upgrade.md.
import { Buffer } from 'node:buffer';
import type { Socket } from 'node:net';
import type { RequestHead } from '../../parser/types.js';
import type { Request } from './request.js';
import type { ServerStats, UpgradeHandler, UpgradeRequest } from './types.js';

/** What the hand-over needs from the server. */
export interface UpgradeCore {
  readonly upgrade: UpgradeHandler | null;
  readonly counters: ServerStats;
  onHandlerError(err: unknown): void;
}

/**
 * Does this head go to the upgrade callback? An Upgrade request without a body, or any CONNECT
 * (its parser reads no body: what follows the head is the tunnel's). An Upgrade request with a
 * body (h2c's POST, say) goes to the handler as before: the server may ignore Upgrade (RFC 9110
 * §7.8), and a body already framed as HTTP/1.1 belongs to an HTTP/1.1 answer.
 */
export function takesUpgrade(head: RequestHead): boolean {
  return head.method === 'CONNECT' || (head.contentLength <= 0 && !head.chunked);
}

/**
 * Give the socket to the app: `head` (already a copy of its own) are the bytes read after the
 * request head. A throw or a rejection of the callback is reported as a handler error
 * (onError) and the socket destroyed: whatever the callback left half done, nobody serves it.
 */
export function handOver(core: UpgradeCore, req: Request, socket: Socket, head: Buffer | null): void {
  // Not flowing, not paused: bytes wait in the socket until someone listens, and the first
  // 'data' listener (ws adds one) starts the flow — node:http leaves its upgraded sockets so.
  (socket as { readableFlowing: boolean | null }).readableFlowing = null;
  const upgradeReq: UpgradeRequest = {
    method: req.method,
    url: req.url,
    path: req.path,
    query: req.query,
    headers: req.headers,
    rawHeaders: req.rawHeaders,
    httpVersion: req.httpVersion,
    remoteAddress: socket.remoteAddress,
    socket,
  };
  const upgrade = core.upgrade as UpgradeHandler;
  try {
    const ret = upgrade(upgradeReq, socket, head ?? Buffer.alloc(0));
    if (ret !== undefined && ret !== null && typeof (ret as Promise<unknown>).then === 'function') {
      (ret as Promise<unknown>).then(undefined, (err: unknown) => upgradeFailed(core, socket, err));
    }
  } catch (err) {
    upgradeFailed(core, socket, err);
  }
}

function upgradeFailed(core: UpgradeCore, socket: Socket, err: unknown): void {
  core.counters.handlerErrors++;
  core.onHandlerError(err);
  socket.destroy();
}
