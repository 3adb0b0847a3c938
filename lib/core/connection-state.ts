// What one connection holds, and the named states it moves through. The jobs that work on it
// live each in its own file — intake.ts (bytes in: slicing, held bytes, head, body), flow.ts
// (pause / resume), outbox.ts (the ordered response queue, write batching, drain),
// dispatch.ts (the handler call and failure answers), deadlines.ts (the timeouts) — as
// functions over this one object, so an idle connection is one object, not one per job.
// connection.ts is the Connection class: it owns the socket, closes it, and routes every call
// between the jobs (a job never imports another job: each reaches the others through the
// methods declared abstract below, so no file imports back around a cycle).
import { Buffer } from 'node:buffer';
import type { Socket } from 'node:net';
import type { RequestHead, RequestParser, RequestSink } from '../../parser/types.js';
import type { RawHandle, RawOwner } from '../../loop/raw-socket.js';
import type { LoopConnection, LoopStrategy } from '../../loop/types.js';
import type { ParserPool } from './parser-pool.js';
import type { ServerCaches } from './caches.js';
import type { Limits } from './limits.js';
import type { Response, ResponseSink } from './response.js';
import type { BodySource, Request } from './request.js';
import type { Handler, ServerStats, UpgradeHandler } from './types.js';
import type { AccessLog } from './access-log.js';
import type { ProxyTrust } from './proxy.js';

/** Where the connection is in receiving the next request (which timeout runs, deadlines.ts). */
export const enum Phase {
  /** Between requests: waiting for a first byte (keep-alive idle, or a fresh connection). */
  Idle = 0,
  /** Some bytes of a head have arrived. headersTimeout runs. */
  Head = 1,
  /** The head is complete; the body is being received. requestTimeout runs. */
  Body = 2,
}

/** What is done with the bytes the peer sends (flow.ts, intake.ts). */
export const enum ReadState {
  /** Arrivals are parsed. */
  Reading = 0,
  /** Lingering close (RFC 9112 §9.6): our FIN is out; what still comes is read and dropped. */
  Discarding = 1,
  /** Stopped by us: maxPipeline requests in flight, or a streaming body's buffer is full. */
  Paused = 2,
  /** Stopped by us until the socket drains: the client is not reading its answers. */
  PausedForDrain = 3,
}

/** Where the answers written now go (outbox.ts). */
export const enum WriteState {
  /** Straight to the socket (an async handler answering between arrivals). */
  Direct = 0,
  /** Inside a loop's drain of the socket: collected, and written in one go at endBatch(). */
  Batching = 1,
}

/** How far the connection is towards its end; it only ever moves forward. */
export const enum CloseState {
  Open = 0,
  /** No more requests will be read; the answers in flight still go out. */
  Closing = 1,
  /** Closing, and FIN goes out right after this batch's write. */
  CloseAfterWrite = 2,
  /** FIN sent (socket.end()): lingering until the peer closes or lingerTimeout. */
  Ended = 3,
  /** The socket is gone ('close'): everything released. */
  Closed = 4,
}

/** A request that asks to switch protocols, for ServerOptions.upgrade (lib/core/upgrade.ts). */
export const enum UpgradeState {
  None = 0,
  /** The last request read goes to core.upgrade, not the handler; reading never resumes. */
  Waiting = 1,
  /** …and it is complete, the bytes after it held: handed over once it is alone in the queue (outbox endBatch). */
  Ready = 2,
}

/** What a Connection needs from its server (lib/core/server.ts implements it). */
export interface ServerCore {
  readonly handler: Handler;
  readonly limits: Limits;
  readonly parsers: ParserPool;
  readonly caches: ServerCaches;
  readonly streamBody: boolean;
  readonly loop: LoopStrategy;
  readonly counters: ServerStats;
  readonly headersTimeout: number;
  readonly requestTimeout: number;
  readonly keepAliveTimeout: number;
  /**
   * handlerTimeout plus one sweep interval (0: off): a request's completion is stamped with
   * the coarse clock, up to one sweep old, so a handler is never cut before its full
   * handlerTimeout (at most 1.5× it).
   */
  readonly handlerDeadline: number;
  /** Coarse clock (ms), refreshed by the sweep. */
  now: number;
  /** server.close() has begun. */
  closing: boolean;
  /** trustProxy, resolved (null: trust no proxy). */
  readonly trustProxy: ProxyTrust | null;
  /** onResponse / log (null: neither set). */
  readonly accessLog: AccessLog | null;
  onHandlerError(err: unknown): void;
  release(conn: ConnectionState): void;
  /** ServerOptions.upgrade, or null. */
  readonly upgrade: UpgradeHandler | null;
  /** The connection's socket leaves wafer for the upgrade callback (accounting, listeners). */
  upgraded(conn: ConnectionState): void;
}

export const EMPTY = Buffer.alloc(0);

/**
 * The connection's fields, shared by its jobs (each field's job is named beside it), and the
 * calls one job makes into another. Every field is set here, in one order, so every connection
 * has one shape.
 */
export abstract class ConnectionState implements LoopConnection, RequestSink, ResponseSink, BodySource, RawOwner {
  readonly socket: Socket;
  /**
   * The socket's libuv handle when the loop drives it directly (edge loop, loop/raw-socket.ts):
   * answers are written with handle.write*() instead of socket.write(). null: the stream API.
   */
  handle: RawHandle | null = null;
  readonly core: ServerCore;

  readState: ReadState = ReadState.Reading;
  writeState: WriteState = WriteState.Direct;
  closeState: CloseState = CloseState.Open;
  upgrade: UpgradeState = UpgradeState.None;

  // intake.ts
  /** A parser lent by the server's pool while a message is being read (null between messages). */
  parser: RequestParser | null = null;
  /** The request whose head/body the parser is delivering now. */
  reading: Response | null = null;
  /** Buffered body of `reading` (buffered mode). */
  body: Buffer = EMPTY;
  bodyLength = 0;
  /** Content-Length of the body being read, or -1 (chunked / none). */
  bodyExpected = -1;
  /** The rest of an arrival that was not parsed because reading paused inside it. */
  held: Buffer | null = null;
  /** Inside feed(): the parser is running (no re-entry). */
  feeding = false;
  /** The peer sent FIN. */
  peerEnded = false;

  // flow.ts
  /** The loop strategy has been told to stop reading (pause() happened, resume not yet passed on). */
  loopHeld = false;
  /** Scratch state of the loop strategy (poll: not pulling / inside a pass), loop/types.ts. */
  loopPaused = false;
  loopActive = false;

  // outbox.ts
  /** Responses not yet fully written, oldest first; only queue[0] may write to the socket. */
  queue: Response[] | null = null;
  /** While batching, text written collects here (or in outList once a Buffer is among it). */
  outStr = '';
  outList: (string | Buffer)[] | null = null;
  /** In a batch: bytes queued on the socket when it began + bytes collected since (UTF-8 bytes for text). */
  outBytes = 0;
  /** Every string in `outStr` is ASCII: it may be written as latin1 (a plain byte copy). */
  outAscii = true;
  drainWaiters: (() => void)[] | null = null;

  // deadlines.ts
  phase: Phase = Phase.Idle;
  /** When the current phase began (ms, the server's clock `core.now`). */
  phaseStart: number;
  /** A request has been received (its first wait is headersTimeout, later ones keepAliveTimeout). */
  served = false;
  /** When FIN was sent (the linger clock). */
  endedAt = 0;
  /** When the front response began waiting for the client to read (0: not waiting). */
  drainSince = 0;
  /** Unsent bytes at the last sweep, and when that number last moved (a slow reader's progress). */
  lastPending = 0;
  sendMovedAt = 0;

  constructor(socket: Socket, core: ServerCore, now: number) {
    this.socket = socket;
    this.core = core;
    this.phaseStart = now;
  }

  // What the loop, the parser, the request and the response call (implemented by Connection).
  abstract readTarget(): Buffer | null;
  abstract onEnd(): void;
  abstract onHead(head: RequestHead): void;
  abstract onBody(chunk: Buffer): void;
  abstract onMessageComplete(): void;
  abstract endOut(res: Response): void;
  abstract drainOut(res: Response): Promise<void>;
  abstract isClosed(): boolean;
  abstract resumeBody(): void;
  abstract remoteAddress(): string | undefined;
  abstract proxyTrust(): ProxyTrust | null;
  abstract get caches(): ServerCaches;
  abstract onRawWriteDone(status: number): void;

  // Calls between jobs (implemented by Connection, each in the job's own file).
  abstract feed(data: Buffer): void;
  abstract beginBatch(): void;
  abstract endBatch(): void;
  abstract handOff(): void;
  abstract pause(): void;
  abstract resume(): void;
  abstract enqueue(res: Response): void;
  abstract writeOut(res: Response, data: string | Buffer, ascii?: boolean): boolean;
  abstract outputBacklogged(): boolean;
  abstract pendingOut(): number;
  abstract onDrain(): void;
  abstract dispatch(res: Response): void;
  abstract fail(status: number): void;
  abstract abandon(res: Response): void;
  abstract returnBody(req: Request): void;
  abstract closeWhenFlushed(): void;
  abstract finishClose(): void;
  abstract destroy(): void;
  abstract isIdle(): boolean;
}

/** No more requests are read on `conn` (a close state only moves forward). */
export function stopReading(conn: ConnectionState): void {
  if (conn.closeState === CloseState.Open) conn.closeState = CloseState.Closing;
}

export function isQueueEmpty(conn: ConnectionState): boolean {
  return conn.queue === null || conn.queue.length === 0;
}
