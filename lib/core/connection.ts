// One client connection: it owns the socket, routes each call to the file that does that job,
// and closes. Bytes come in from a loop (feed → intake.ts), become requests through the
// parser's sink callbacks (intake.ts), meet the handler (dispatch.ts), and their responses leave
// strictly in request order, batched into one write per drain of the socket (outbox.ts);
// reading pauses and resumes in flow.ts, and the timeouts are decided in deadlines.ts. The
// fields and named states they share are in connection-state.ts.
import type { Buffer } from 'node:buffer';
import type { Socket } from 'node:net';
import type { RequestHead } from '../../parser/types.js';
import { ownSocket } from '../../loop/owner.js';
import { RequestBodyError, type Request } from './request.js';
import type { Response } from './response.js';
import type { ProxyTrust } from './proxy.js';
import type { ServerCaches } from './caches.js';
import {
  CloseState, ConnectionState, Phase, ReadState, UpgradeState, WriteState, isQueueEmpty, stopReading, type ServerCore,
} from './connection-state.js';
import * as intake from './intake.js';
import * as flow from './flow.js';
import * as outbox from './outbox.js';
import * as dispatch from './dispatch.js';
import { checkDeadline } from './deadlines.js';
import { handOver } from './upgrade.js';

export type { ServerCore } from './connection-state.js';

export class Connection extends ConnectionState {
  constructor(socket: Socket, core: ServerCore, now: number) {
    super(socket, core, now);
    ownSocket(socket, this);
  }

  // ---------------------------------------------------------------- from the loop (loop/types.ts)

  beginBatch(): void {
    outbox.beginBatch(this);
  }

  feed(data: Buffer): void {
    intake.feed(this, data);
  }

  endBatch(): void {
    outbox.endBatch(this);
  }

  readTarget(): Buffer | null {
    return intake.readTarget(this);
  }

  onRawWriteDone(status: number): void {
    outbox.onRawWriteDone(this, status);
  }

  /** The socket emptied its write buffer (stream API 'drain'; the raw handle reports in outbox.ts). */
  onDrain(): void {
    outbox.onDrain(this);
  }

  /** The peer sent FIN. */
  onEnd(): void {
    this.peerEnded = true;
    if (this.closeState !== CloseState.Open) {
      if (isQueueEmpty(this)) this.finishClose();
      return;
    }
    const parser = this.parser;
    const err = parser !== null ? parser.finish() : null;
    if (err !== null || this.reading !== null) {
      // The message was cut short: nobody is left to answer.
      const res = this.reading;
      if (res !== null && res.started) (res.req as Request).finish(new RequestBodyError('WAFER_BODY_CUT_SHORT'));
      this.destroy();
      return;
    }
    this.closeState = CloseState.Closing;
    if (isQueueEmpty(this)) this.finishClose();
  }

  // ---------------------------------------------------------------- from the parser (parser/types.ts RequestSink)

  onHead(head: RequestHead): void {
    intake.onHead(this, head);
  }

  onBody(chunk: Buffer): void {
    intake.onBody(this, chunk);
  }

  onMessageComplete(): void {
    intake.onMessageComplete(this);
  }

  // ---------------------------------------------------------------- from the response and request

  writeOut(res: Response, data: string | Buffer, ascii = false): boolean {
    return outbox.writeOut(this, res, data, ascii);
  }

  endOut(res: Response): void {
    outbox.endOut(this, res);
  }

  drainOut(res: Response): Promise<void> {
    return outbox.drainOut(this, res);
  }

  isClosed(): boolean {
    return this.closeState === CloseState.Closed;
  }

  /** A streaming body reader took data: read more if we had stopped. */
  resumeBody(): void {
    if (this.readState >= ReadState.Paused) flow.resume(this);
  }

  remoteAddress(): string | undefined {
    return this.socket.remoteAddress; // (net keeps it once read)
  }

  proxyTrust(): ProxyTrust | null {
    return this.core.trustProxy;
  }

  /** The server's memos (lib/core/caches.ts), for this connection's requests and responses. */
  get caches(): ServerCaches {
    return this.core.caches;
  }

  // ---------------------------------------------------------------- between the jobs

  pause(): void {
    flow.pause(this);
  }

  resume(): void {
    flow.resume(this);
  }

  enqueue(res: Response): void {
    outbox.enqueue(this, res);
  }

  outputBacklogged(): boolean {
    return outbox.outputBacklogged(this);
  }

  pendingOut(): number {
    return outbox.pendingOut(this);
  }

  dispatch(res: Response): void {
    dispatch.dispatch(this, res);
  }

  fail(status: number): void {
    dispatch.fail(this, status);
  }

  abandon(res: Response): void {
    dispatch.abandon(this, res);
  }

  returnBody(req: Request): void {
    dispatch.returnBody(this, req);
  }

  // ---------------------------------------------------------------- from the server

  /** The server's sweep: every timeout of this connection (deadlines.ts). */
  checkDeadline(now: number): void {
    checkDeadline(this, now);
  }

  /** Idle (no request in progress or in flight)? server.close() ends these at once. */
  isIdle(): boolean {
    return this.reading === null && isQueueEmpty(this) && this.phase === Phase.Idle;
  }

  /** server.close(): finish what is in flight, then close. */
  shutdown(): void {
    if (this.isIdle()) {
      stopReading(this);
      this.finishClose();
      return;
    }
    const queue = this.queue;
    if (queue !== null) for (let i = 0; i < queue.length; i++) if (!queue[i].headersSent) queue[i].keepAlive = false;
  }

  // ---------------------------------------------------------------- upgrade (lib/core/upgrade.ts)

  /**
   * The upgrade request is the only one left and every answer before it has been written (on
   * the raw handle libuv's queue keeps the order of those writes and the callback's): the socket
   * leaves wafer — out of the loop, the server's accounting and sweep — and goes to the app.
   * Nothing of wafer's touches the connection after this (Closed).
   */
  handOff(): void {
    const res = (this.queue as Response[])[0];
    this.queue = null;
    const head = this.held;
    this.held = null;
    this.closeState = CloseState.Closed;
    this.upgrade = UpgradeState.None;
    this.readState = ReadState.Reading;
    this.loopHeld = false;
    this.drainSince = 0;
    const parser = this.parser;
    if (parser !== null) {
      this.parser = null;
      this.core.parsers.release(parser);
    }
    this.core.loop.detach(this);
    this.core.upgraded(this);
    handOver(this.core, res.req as Request, this.socket, head);
  }

  // ---------------------------------------------------------------- close

  /** Send FIN once every queued byte is out; keep reading and discarding until the peer closes. */
  closeWhenFlushed(): void {
    if (this.writeState === WriteState.Batching) {
      if (this.closeState < CloseState.CloseAfterWrite) this.closeState = CloseState.CloseAfterWrite;
      return;
    }
    this.finishClose();
  }

  finishClose(): void {
    if (this.closeState >= CloseState.Ended) return;
    this.closeState = CloseState.Ended;
    this.endedAt = this.core.now;
    if (this.peerEnded) {
      this.socket.end();
      return;
    }
    // Lingering close: our answer goes out, then FIN; what the client still sends is read and
    // dropped, so its kernel does not see a reset that would wipe the answer (RFC 9112 §9.6).
    this.readState = ReadState.Discarding;
    this.socket.end();
    this.held = null;
    if (this.loopHeld) {
      this.loopHeld = false;
      this.core.loop.resume(this);
    }
  }

  destroy(): void {
    if (this.closeState === CloseState.Closed) return;
    this.socket.destroy();
  }

  /** The socket is gone ('close'): release everything. */
  onClose(): void {
    if (this.closeState === CloseState.Closed) return;
    this.closeState = CloseState.Closed;
    const reading = this.reading;
    if (reading !== null && reading.started) (reading.req as Request).finish(new RequestBodyError('WAFER_CONNECTION_CLOSED'));
    this.reading = null;
    const queue = this.queue;
    this.queue = null;
    if (queue !== null) for (let i = 0; i < queue.length; i++) dispatch.abandon(this, queue[i]);
    intake.dropBody(this);
    const parser = this.parser;
    if (parser !== null) {
      this.parser = null;
      this.core.parsers.release(parser); // kept only if it stands between messages
    }
    outbox.onDrain(this);
    this.core.release(this);
  }
}
