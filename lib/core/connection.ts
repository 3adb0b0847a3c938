// One client connection: the socket, its parser, and the queue of in-flight requests.
// Bytes come in from a loop (feed), become requests through the parser's sink callbacks,
// meet the handler, and their responses leave strictly in request order — batched into one
// write per drain of the socket.
import { Buffer } from 'node:buffer';
import type { Socket } from 'node:net';
import { errorCode, statusForError } from '../../parser/errors.js';
import type { RequestHead, RequestParser, RequestSink } from '../../parser/types.js';
import { errorStatus } from './http-error.js';
import { addSize, growCapacity } from './limits.js';
import { rawWrite, type RawHandle, type RawOwner } from '../../loop/raw-socket.js';
import { Request, RequestBodyError, type BodySource } from './request.js';
import { Response, type ResponseSink } from './response.js';
import { headRuleStatus, sameName, validateHead } from './validate.js';
import type { ParserPool } from './parser-pool.js';
import type { Limits } from './limits.js';
import type { Handler, ServerStats, UpgradeHandler } from './types.js';
import { handOver, takesUpgrade } from './upgrade.js';
import { ownSocket } from '../../loop/owner.js';
import type { LoopConnection, LoopStrategy } from '../../loop/types.js';

/** Where the connection is in receiving the next request (for the timeout sweep). */
export const enum Phase {
  /** Between requests: waiting for a first byte (keep-alive idle, or a fresh connection). */
  Idle = 0,
  /** Some bytes of a head have arrived. headersTimeout runs. */
  Head = 1,
  /** The head is complete; the body is being received. requestTimeout runs. */
  Body = 2,
}

const EMPTY = Buffer.alloc(0);

const CONTINUE = 'HTTP/1.1 100 Continue\r\n\r\n';
/**
 * Seconds a client turned away for a passing shortage (maxConns, maxBodyBytes) is told to wait
 * before trying again (Retry-After, RFC 9110 §10.2.3).
 */
export const RETRY_AFTER = 1;
/**
 * Heads are parsed in slices of this many bytes, so that a pause (maxPipeline reached, output
 * backlog) takes effect inside one arrival: 64 KiB of tiny pipelined requests must not all be
 * admitted at once. Bodies are parsed whole.
 */
const HEAD_SLICE = 1024;
/**
 * A declared body with at least this much still to come is read straight into its Buffer on the
 * raw handle (readTarget): the kernel copies it there, instead of into the shared read buffer
 * and then from there (one copy of every byte fewer, and fewer, larger reads).
 */
const DIRECT_BODY = 16 * 1024;

// A connection's yes/no states live as bits of one small integer, not as boolean fields: each
// field is a whole pointer, and memory per idle connection counts (README "Admission and
// C10K"). Each name is an accessor on the prototype, defined after the class; the per-request
// paths test and set the bits directly (an accessor call V8 does not inline costs more).
const enum Bit {
  Batching = 1 << 0, OutAscii = 1 << 1, PausedByUs = 1 << 2, LoopHeld = 1 << 3, Feeding = 1 << 4,
  WaitingForDrain = 1 << 5, Closing = 1 << 6, Ended = 1 << 7, Closed = 1 << 8, PeerEnded = 1 << 9,
  Discarding = 1 << 10, LoopPaused = 1 << 11, LoopActive = 1 << 12, CloseAfterWrite = 1 << 13, Served = 1 << 14,
  /** The last request read goes to core.upgrade (set in onHead; reading never resumes). */
  Upgrade = 1 << 15,
  /** …and it is complete, the bytes after it held: hand over once it is at the front (endBatch). */
  UpgradeReady = 1 << 16,
}
const FLAGS: readonly (readonly [string, Bit])[] = [
  ['batching', Bit.Batching], ['outAscii', Bit.OutAscii], ['pausedByUs', Bit.PausedByUs], ['loopHeld', Bit.LoopHeld],
  ['feeding', Bit.Feeding], ['waitingForDrain', Bit.WaitingForDrain], ['closing', Bit.Closing], ['ended', Bit.Ended],
  ['closed', Bit.Closed], ['peerEnded', Bit.PeerEnded], ['discarding', Bit.Discarding], ['loopPaused', Bit.LoopPaused],
  ['loopActive', Bit.LoopActive], ['closeAfterWrite', Bit.CloseAfterWrite], ['served', Bit.Served],
];
/** A new connection's flags: only outAscii set. */
const INITIAL_FLAGS = Bit.OutAscii;

/** What a Connection needs from its server (lib/core/server.ts implements it). */
export interface ServerCore {
  readonly handler: Handler;
  readonly limits: Limits;
  readonly parsers: ParserPool;
  readonly streamBody: boolean;
  readonly loop: LoopStrategy;
  readonly counters: ServerStats;
  /** Coarse clock (ms), refreshed by the sweep. */
  now: number;
  /** server.close() has begun. */
  closing: boolean;
  onHandlerError(err: unknown): void;
  release(conn: Connection): void;
  /** ServerOptions.upgrade, or null. */
  readonly upgrade: UpgradeHandler | null;
  /** The connection's socket leaves wafer for the upgrade callback (accounting, listeners). */
  upgraded(conn: Connection): void;
}

export class Connection implements RequestSink, ResponseSink, BodySource, RawOwner, LoopConnection {
  readonly socket: Socket;
  /**
   * The socket's libuv handle when the loop drives it directly (edge loop, loop/raw-socket.ts):
   * answers are written with handle.write*() instead of socket.write(). null: the stream API.
   */
  handle: RawHandle | null = null;
  private readonly core: ServerCore;
  /** A parser lent by the server's pool while a message is being read (null between messages). */
  private parser: RequestParser | null = null;
  /** Responses not yet fully written, oldest first; only queue[0] may write to the socket. */
  private queue: Response[] | null = null;
  /** The request whose head/body the parser is delivering now. */
  private reading: Response | null = null;
  // Buffered body of `reading` (buffered mode).
  private body: Buffer = EMPTY;
  private bodyLength = 0;
  /** Content-Length of the body being read, or -1 (chunked / none). */
  private bodyExpected = -1;
  phase: Phase = Phase.Idle;
  /** A request has been received on this connection (its first wait is headersTimeout, later ones keepAliveTimeout). */
  declare served: boolean;
  /** When the current phase began (ms, the server's clock `core.now`). */
  phaseStart: number;
  // Output batching: while `batching`, writes collect here and leave in one write.
  declare private batching: boolean;
  private outStr = '';
  private outList: (string | Buffer)[] | null = null;
  /** In a batch: bytes queued on the socket when it began + bytes collected since (UTF-8 bytes for text, see byteCount). */
  private outBytes = 0;
  /** Every string in `outStr` is ASCII: it may be written as latin1 (a plain byte copy). */
  declare private outAscii: boolean;
  /** Reading is paused because too many requests are in flight (or a body stream is full). */
  declare private pausedByUs: boolean;
  /** The loop strategy has been told to stop reading (pause() happened, resume not yet passed on). */
  declare private loopHeld: boolean;
  /** The rest of an arrival that was not parsed because reading paused inside it. */
  private held: Buffer | null = null;
  /** Inside feed(): the parser is running (no re-entry). */
  declare private feeding: boolean;
  /** Reading stays paused until the socket drains: the client is not reading its answers. */
  declare private waitingForDrain: boolean;
  /** No more requests will be read: a close is pending after the queued responses. */
  declare closing: boolean;
  /** The socket has been ended (FIN sent) or destroyed. */
  declare ended: boolean;
  declare closed: boolean;
  endedAt = 0;
  /** The peer sent FIN (read by the timeout sweep). */
  declare peerEnded: boolean;
  /** After an error response: keep reading and discard, so the client sees our answer, not a reset. */
  declare private discarding: boolean;
  private drainWaiters: (() => void)[] | null = null;
  /** When the front response began waiting for the client to read (0: not waiting). The sweep cuts a wait past requestTimeout. */
  drainSince = 0;
  /** Unsent bytes at the last sweep, and when that number last moved (a slow reader's progress). */
  lastPending = 0;
  sendMovedAt = 0;
  /** Scratch flags for the loop strategy (poll: not pulling / inside a pass). */
  declare loopPaused: boolean;
  declare loopActive: boolean;

  /** The yes/no states declared above, one bit each (see FLAGS below the class). */
  private flags: number = INITIAL_FLAGS;

  constructor(socket: Socket, core: ServerCore, now: number) {
    this.socket = socket;
    this.core = core;
    this.phaseStart = now;
    ownSocket(socket, this);
  }

  // ---------------------------------------------------------------- input (from a loop)

  /** A drain of the socket begins: writes from here on collect into one batch. */
  beginBatch(): void {
    // Nothing reaches the socket until endBatch(), and bytes leave the socket's queue only
    // between callbacks: the batch's count starts at what is queued now (see pendingOut()).
    this.outBytes = this.handle !== null ? this.handle.writeQueueSize : this.socket.writableLength;
    this.flags |= Bit.Batching;
  }

  /** Parse one arrival. The loop calls this between beginBatch() and endBatch(). */
  feed(data: Buffer): void {
    if ((this.flags & (Bit.Discarding | Bit.Closing)) !== 0) return;
    this.flags |= Bit.Feeding;
    const end = data.length;
    let pos = 0;
    while (pos < end) {
      const stop = this.reading === null && end - pos > HEAD_SLICE ? pos + HEAD_SLICE : end;
      const rest = this.parse(pos === 0 && stop === end ? data : data.subarray(pos, stop));
      pos = stop;
      const flags = this.flags;
      if ((flags & (Bit.Closing | Bit.Discarding | Bit.Closed)) !== 0) {
        if (rest >= 0) this.upgradeArrived(data.subarray(stop - rest));
        break;
      }
      if ((flags & Bit.PausedByUs) !== 0 && pos < end) {
        // Reading paused inside this arrival: keep a copy of the rest for resume() (the edge
        // loop's read buffer is reused by the next read).
        this.held = Buffer.from(data.subarray(pos));
        break;
      }
    }
    this.flags &= ~Bit.Feeding;
    // A pause and its resume both happened during this feed: let the loop read again.
    if ((this.flags & (Bit.PausedByUs | Bit.LoopHeld)) === Bit.LoopHeld) {
      this.loopHeld = false;
      this.core.loop.resume(this);
    }
  }

  /** Returns -1, or after a complete request for core.upgrade the count of bytes of `data` after it. */
  private parse(data: Buffer): number {
    if (this.phase === Phase.Idle) {
      this.phase = Phase.Head;
      this.phaseStart = this.core.now;
    }
    let parser = this.parser;
    if (parser === null) parser = this.parser = this.core.parsers.acquire(this);
    const consumed = parser.execute(data);
    const err = parser.error;
    if (err !== null) {
      if (!this.closing) this.fail(statusForError(errorCode(err)));
    } else if (parser.upgraded) {
      // The parser stopped after an Upgrade/CONNECT head (onHead made it the last request).
      this.closing = true;
      if ((this.flags & Bit.Upgrade) !== 0 && this.reading === null) return data.length - consumed;
    } else if (this.reading === null) {
      if (parser.idle === true) {
        // Between messages: the parser goes back to the pool until the next byte arrives.
        this.parser = null;
        this.core.parsers.release(parser);
      } else if (parser.idle === false && (this.phase as Phase) === Phase.Idle) {
        // The arrival ended inside the next head (after a complete request): that head is on
        // the headersTimeout clock from now, not on the keep-alive one.
        this.phase = Phase.Head;
        this.phaseStart = this.core.now;
      }
    }
    return -1;
  }

  /** The drain is over: everything written during it leaves in one write. */
  endBatch(): void {
    this.flags &= ~Bit.Batching;
    this.outBytes = 0;
    if ((this.flags & Bit.Closed) !== 0) return;
    const list = this.outList;
    if (list === null) {
      if (this.outStr.length > 0) {
        const s = this.outStr;
        this.outStr = '';
        this.write(s, (this.flags & Bit.OutAscii) !== 0);
      }
      this.flags |= Bit.OutAscii;
    } else {
      this.outList = null;
      this.flags |= Bit.OutAscii;
      if (this.handle !== null) this.write(list, false);
      else {
        const socket = this.socket;
        socket.cork();
        for (let i = 0; i < list.length; i++) socket.write(list[i]);
        socket.uncork();
      }
    }
    if ((this.flags & Bit.CloseAfterWrite) !== 0) this.finishClose();
    // Earlier answers are written: an upgrade that waited behind them goes now.
    if ((this.flags & Bit.UpgradeReady) !== 0 && this.queue !== null && this.queue.length === 1) return this.handOff();
    // A raw write that libuv finished at once brings no completion: check here.
    this.drainIfWritten();
  }

  /**
   * Whoever waits for the output to shrink (paused reading, res.drain()) decided to wait on the
   * batch's own count; now that the batch is written, wait on only if a signal is sure to come.
   * On the raw handle that is a write still in libuv's queue (its completion calls back here).
   * On the stream API it is a socket that wants a 'drain': node emits one only after a write()
   * that returned false, and on Node 20 a write the kernel takes at once returns true however
   * large it was — waiting then would wait for ever. (Read only when someone waits.)
   */
  private drainIfWritten(): void {
    if (((this.flags & Bit.WaitingForDrain) === 0 && this.drainWaiters === null) || (this.flags & Bit.Closed) !== 0) return;
    const handle = this.handle;
    if (handle !== null ? handle.writeQueueSize === 0 : !this.socket.writableNeedDrain) this.onDrain();
  }

  /** The peer sent FIN. */
  onEnd(): void {
    this.peerEnded = true;
    if (this.discarding || this.closing) {
      if (this.isQueueEmpty()) this.finishClose();
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
    this.closing = true;
    if (this.isQueueEmpty()) this.finishClose();
  }

  // ---------------------------------------------------------------- parser sink

  onHead(head: RequestHead): void {
    // After a close is decided nothing more is read as a request (RFC 9112 §9.6).
    if ((this.flags & Bit.Closing) !== 0) return;
    const core = this.core;
    core.counters.requests++;
    this.flags |= Bit.Served;
    this.phase = Phase.Body;
    const req = new Request(head, this);
    const http10 = head.versionMinor === 0 && head.versionMajor === 1;
    const res = new Response(req, this, head.keepAlive && !core.closing, head.method === 'HEAD', http10);
    this.enqueue(res);
    this.reading = res;
    this.bodyLength = 0;
    this.bodyExpected = head.contentLength;
    if (this.body !== EMPTY) this.dropBody();

    // RFC 9110 §7.8: a server may ignore Upgrade (and we tunnel no CONNECT). What follows
    // such a head is not HTTP we can read, so the connection closes after the answer.
    if (head.upgrade) res.keepAlive = false;
    let expect: string | undefined;
    const raw = head.rawHeaders;
    for (let i = 0; i < raw.length; i += 2) {
      const name = raw[i];
      if (name.length === 6 && sameName(name, 'expect', 'Expect')) expect = raw[i + 1];
    }
    // HTTP/1.x only (505), Host, target form, CL/TE framing (400 when chunked is not final,
    // RFC 9112 §6.3; 501 for a coding we cannot decode, §6.1): the rules a parser leaves to the
    // server (lib/core/validate.ts).
    const broken = validateHead(head);
    if (broken !== null) return this.fail(headRuleStatus(broken));
    if (!core.streamBody && head.contentLength > core.limits.maxBodySize) return this.fail(413);
    // A declared body that cannot fit in the budget now is refused before any of it is sent
    // (before a 100 Continue); reserveBody() reserves it when its first bytes arrive.
    if (!core.streamBody && head.contentLength > 0 && core.counters.bodyBytes + head.contentLength > core.limits.maxBodyBytes) {
      return this.overBudget();
    }
    if (expect !== undefined) {
      // RFC 9110 §10.1.1: 100-continue is the only expectation defined; others get 417.
      if (expect.trim().toLowerCase() !== '100-continue') return this.fail(417);
      // HTTP/1.0 clients do not know 1xx; a body-less request needs no go-ahead.
      if (!http10 && (head.contentLength > 0 || head.chunked)) this.writeOut(res, CONTINUE);
    }
    if (head.upgrade && core.upgrade !== null && !core.closing && takesUpgrade(head)) {
      // Not for the handler: onMessageComplete leaves it in the queue, handOff() takes it.
      this.flags |= Bit.Upgrade;
      return;
    }
    if (core.streamBody) {
      req.streaming = true;
      this.dispatch(res);
    }
  }

  onBody(chunk: Buffer): void {
    const res = this.reading;
    if (res === null || this.closing) return;
    if (this.core.streamBody) {
      // Answered already: the rest of this body is read and dropped (keep-alive survives).
      if (res.writableEnded) return;
      const req = res.req as Request;
      // The chunk is a view into the read buffer; the handler may keep it, so copy.
      req.push(Buffer.from(chunk));
      if (req.buffered > this.core.limits.highWaterMark) this.pause();
      return;
    }
    const max = this.core.limits.maxBodySize;
    const need = addSize(this.bodyLength, chunk.length, max);
    if (need < 0) return this.fail(413); // a chunked body past maxBodySize
    if (need > this.body.length) {
      // A declared length (already checked against maxBodySize in onHead) is allocated once:
      // no regrowth copies. allocUnsafe leaves the pages untouched, so memory is committed
      // only as bytes arrive. A chunked body grows by doubling.
      if (!this.reserveBody(this.bodyExpected >= need ? this.bodyExpected : growCapacity(this.body.length, need, max))) {
        return this.overBudget();
      }
    }
    // (Read straight into place by the handle: nothing to copy.)
    if (chunk.buffer !== this.body.buffer || chunk.byteOffset !== this.body.byteOffset + this.bodyLength) chunk.copy(this.body, this.bodyLength);
    this.bodyLength = need;
  }

  /**
   * Where the raw handle's next read should land: the rest of a declared body still to come
   * (at least DIRECT_BODY bytes), straight into the body's Buffer — exactly that much, so every
   * byte read there is body and lands where onBody() would have copied it — or null, the shared
   * read buffer. Not while reading is paused with bytes held back (they come first), nor in
   * streaming mode (the handler gets copies of each piece).
   */
  readTarget(): Buffer | null {
    const expected = this.bodyExpected;
    if (this.reading === null || expected - this.bodyLength < DIRECT_BODY || this.held !== null ||
      (this.flags & (Bit.Closing | Bit.Discarding | Bit.Closed | Bit.PausedByUs)) !== 0 || this.core.streamBody) return null;
    // Over the body budget: the shared buffer, and onBody() answers 503.
    if (this.body.length < expected && !this.reserveBody(expected)) return null;
    return this.body.subarray(this.bodyLength, expected);
  }

  /**
   * A body Buffer of `cap` bytes (a size already checked against maxBodySize), keeping what came
   * so far — or false when the server-wide maxBodyBytes budget cannot take the growth.
   */
  private reserveBody(cap: number): boolean {
    const counters = this.core.counters;
    const more = cap - this.body.length;
    if (counters.bodyBytes + more > this.core.limits.maxBodyBytes) return false;
    counters.bodyBytes += more;
    const grown = Buffer.allocUnsafe(cap);
    this.body.copy(grown, 0, 0, this.bodyLength);
    this.body = grown;
    return true;
  }

  /** The server-wide body budget (maxBodyBytes) cannot take this body: 503 + Retry-After. */
  private overBudget(): void {
    this.core.counters.bodyBudgetRejected++;
    this.fail(503);
  }

  /** The body being read is dropped: its buffer's bytes go back to the budget. */
  private dropBody(): void {
    this.core.counters.bodyBytes -= this.body.length;
    this.body = EMPTY;
    this.bodyLength = 0;
  }

  onMessageComplete(): void {
    const res = this.reading;
    if (res === null || (this.flags & Bit.Closing) !== 0) return;
    this.reading = null;
    this.phase = Phase.Idle;
    this.phaseStart = this.core.now;
    // The last request on this connection: pipelined bytes after it are not read.
    if (!res.keepAlive) {
      this.closing = true;
      if ((this.flags & Bit.Upgrade) !== 0) return; // for core.upgrade (handOff), not the handler
    }
    const req = res.req as Request;
    req.completeAt = this.core.now; // handlerTimeout counts from here
    if (req.streaming) {
      req.finish(null);
      return;
    }
    if (this.bodyLength > 0) {
      req.body = this.body.length === this.bodyLength ? this.body : this.body.subarray(0, this.bodyLength);
      // The request holds the budget for its buffer until its response ends (endOut).
      req.bodyReserved = this.body.length;
      this.body = EMPTY;
      this.bodyLength = 0;
    }
    this.dispatch(res);
  }

  // ---------------------------------------------------------------- handler

  private dispatch(res: Response): void {
    res.started = true;
    const core = this.core;
    let ret: unknown;
    try {
      ret = core.handler(res.req, res);
      // Inside the try: a custom thenable's then() (or a `then` getter) may throw too.
      if (ret !== undefined && ret !== null && typeof (ret as Promise<unknown>).then === 'function') {
        (ret as Promise<unknown>).then(undefined, (err: unknown) => this.handlerFailed(res, err));
      }
    } catch (err) {
      this.handlerFailed(res, err);
    }
  }

  /**
   * For the sweep: the oldest response still due has not sent its head `limit` ms after its
   * request was complete (handlerTimeout). Once the head is out a response is streaming, and
   * only the drain wait (a client that does not read) bounds it.
   */
  handlerOverdue(now: number, limit: number): boolean {
    const queue = this.queue;
    if (queue === null || queue.length === 0 || (this.flags & Bit.Closed) !== 0) return false;
    const res = queue[0];
    if (res.headersSent) return false;
    const req = res.req as Request | null;
    return req !== null && req.completeAt > 0 && now - req.completeAt > limit;
  }

  /**
   * handlerTimeout passed: answer 503 (RFC 9110 §15.6.4) in the handler's place with
   * `Connection: close` — the handler may still hold state for this request — and abort
   * req.signal. The handler's later end() is ignored (and write() throws, as after any end()).
   */
  handlerTimedOut(): void {
    const res = (this.queue as Response[])[0];
    this.core.counters.handlerTimeouts++;
    // What the handler set was meant for its own answer, not this one. This runs in the sweep:
    // nothing may throw out of it; if answering fails after all, the connection is cut.
    try {
      for (const name of Object.keys(res.getHeaders())) res.removeHeader(name);
      res.resetForEngineAnswer();
      res.keepAlive = false;
      res.statusCode = 503;
      res.setHeader('Content-Type', 'text/plain; charset=utf-8');
      res.end('Service Unavailable\n');
    } catch {
      this.destroy();
    }
    // After the answer: an abort listener that answers itself finds the response ended.
    (res.req as Request).abort(new DOMException('the handler did not answer within handlerTimeout', 'TimeoutError'));
  }

  /**
   * `res` will not be (fully) answered on this connection: its request's body goes back to the
   * budget, and a handler still at work hears it on req.signal.
   */
  private abandon(res: Response): void {
    const req = res.req as Request | null;
    if (req === null) return; // the engine's own answer
    if (req.bodyReserved > 0) this.returnBody(req);
    if (res.started && !res.writableEnded) req.abort(new DOMException('the client connection closed', 'AbortError'));
  }

  private returnBody(req: Request): void {
    this.core.counters.bodyBytes -= req.bodyReserved;
    req.bodyReserved = 0;
  }

  /**
   * A handler threw or rejected. Reading the thrown value can throw again (a `status` getter,
   * a Proxy): then the connection is cut, rather than an exception escaping into the socket's
   * event (a crash) or an unhandled rejection.
   */
  private handlerFailed(res: Response, err: unknown): void {
    try {
      this.answerFailure(res, err);
    } catch {
      this.destroy();
    }
  }

  /** 500 if nothing was sent, else cut the connection. */
  private answerFailure(res: Response, err: unknown): void {
    // An error carrying a 4xx status (HttpError from the body parsers, say) is the app's
    // answer to a bad request, not a fault: answer it with that status and its message.
    const status = errorStatus(err);
    if (status === undefined || status >= 500) {
      this.core.counters.handlerErrors++;
      this.core.onHandlerError(err);
    }
    if (this.closed || res.writableEnded) return; // answered before failing: nothing to undo
    if (status !== undefined && !res.headersSent) {
      res.statusCode = status;
      const extra = (err as { headers?: Record<string, string> }).headers;
      try {
        if (extra !== null && typeof extra === 'object') for (const name of Object.keys(extra)) res.setHeader(name, extra[name]);
      } catch {
        // an invalid extra header is dropped, the status still goes out
      }
      // The handler's (or the error's) Content-Length / Transfer-Encoding / reason phrase would
      // misframe this answer.
      res.resetForEngineAnswer();
      res.setHeader('Content-Type', 'text/plain; charset=utf-8');
      const message = (err as { message?: unknown }).message;
      res.end((status < 500 && typeof message === 'string' ? message : res.statusMessage) + '\n');
      return;
    }
    if (!res.headersSent) {
      res.keepAlive = false;
      this.closing = true;
      res.resetForEngineAnswer();
      res.statusCode = 500;
      res.end('Internal Server Error');
      return;
    }
    this.destroy();
  }

  // ---------------------------------------------------------------- output (response sink)

  writeOut(res: Response, data: string | Buffer, ascii = false): boolean {
    if ((this.flags & Bit.Closed) !== 0) return false;
    const queue = this.queue;
    if (queue === null || queue[0] !== res) {
      // An earlier response is still in progress: hold these bytes until it is done.
      if (res.pending === null) res.pending = [];
      res.pending.push(data);
      res.pendingBytes += byteCount(data, ascii);
      return res.pendingBytes < this.core.limits.highWaterMark;
    }
    this.send(data, ascii);
    return !this.outputBacklogged();
  }

  endOut(res: Response): void {
    // The response has ended: its request's body is released to the budget.
    const req = res.req as Request | null;
    if (req !== null && req.bodyReserved > 0) this.returnBody(req);
    const queue = this.queue;
    if (queue === null || queue[0] !== res) return; // flushed when it reaches the front
    if ((this.flags & Bit.Batching) !== 0) return this.advance();
    // Outside a drain (an async handler finished): held responses behind this one leave together.
    this.beginBatch();
    this.advance();
    this.endBatch();
  }

  drainOut(res: Response): Promise<void> {
    if (this.closed) return Promise.resolve();
    const queue = this.queue;
    const front = queue !== null && queue[0] === res;
    if (front && !this.outputBacklogged()) return Promise.resolve();
    // Only the front response waits on the client; one held behind it waits on its turn.
    if (front && this.drainSince === 0) this.drainSince = this.core.now;
    return new Promise<void>((resolve) => {
      if (this.drainWaiters === null) this.drainWaiters = [];
      this.drainWaiters.push(resolve);
    });
  }

  /** The socket emptied its write buffer (or a held response reached the front). */
  onDrain(): void {
    if (this.waitingForDrain) {
      this.waitingForDrain = false;
      this.resume();
    }
    const waiters = this.drainWaiters;
    if (waiters === null) return;
    this.drainWaiters = null;
    this.drainSince = 0;
    for (let i = 0; i < waiters.length; i++) waiters[i]();
  }

  private send(data: string | Buffer, ascii = false): void {
    if ((this.flags & Bit.Batching) !== 0) {
      this.outBytes += byteCount(data, ascii);
      if (typeof data === 'string' && this.outList === null) {
        this.outStr += data;
        if (!ascii) this.flags &= ~Bit.OutAscii;
      } else {
        if (this.outList === null) {
          this.outList = this.outStr.length > 0 ? [this.outStr] : [];
          this.outStr = '';
        }
        this.outList.push(data);
      }
      return;
    }
    this.write(data, ascii);
  }

  /**
   * Bytes handed to the socket and not yet taken by the kernel, not counting this batch's (in
   * a batch they are already in `outBytes`, which starts from this figure).
   */
  pendingOut(): number {
    if ((this.flags & Bit.Batching) !== 0) return 0;
    const handle = this.handle;
    return handle !== null ? handle.writeQueueSize : this.socket.writableLength;
  }

  /** To the wire: the raw handle when the loop drives one, else the socket's Writable side. */
  private write(data: string | Buffer | (string | Buffer)[], latin1: boolean): void {
    const handle = this.handle;
    if (handle === null) {
      if (typeof data === 'string') this.socket.write(data, latin1 ? 'latin1' : 'utf8');
      else this.socket.write(data as Buffer);
      return;
    }
    // A destroyed socket has closed its handle ('close' comes a tick later).
    if (this.socket.destroyed) return;
    const err = rawWrite(handle, this, data, latin1);
    if (err < 0) this.destroy(); // EPIPE, ECONNRESET …: the socket's 'close' tidies up
  }

  /** A raw write that went asynchronous is done: failed (close), or maybe the queue is empty. */
  onRawWriteDone(status: number): void {
    if (status < 0) this.destroy();
    else this.drainIfWritten();
  }

  private enqueue(res: Response): void {
    if (this.queue === null) this.queue = [res];
    else this.queue.push(res);
    if (this.queue.length >= this.core.limits.maxPipeline) this.pause();
    else if (this.outputBacklogged()) {
      // Read again once the answers have left, not only when the queue empties: the request
      // being read is in the queue, and its body may still be unread.
      this.pause();
      this.waitingForDrain = true;
    }
  }

  /**
   * Answers not yet taken by the client fill the socket past highWaterMark. Then no more
   * requests are read, or a client that pipelines and never reads would make the server
   * buffer answers without bound (hardening: test/client-and-handler-faults.test.ts); and res.write()
   * says false, res.drain() waits.
   *
   * Whoever is told "backlogged" waits for onDrain(), so the answer must be yes only when
   * onDrain() is sure to come: in a batch, endBatch() checks after its write (drainIfWritten);
   * on the raw handle a queued write's completion reports; on the stream API only a socket
   * that wants a 'drain' emits one (node counts a string's length, not its bytes, and a write
   * the kernel took at once never wants one).
   */
  private outputBacklogged(): boolean {
    if (this.pendingOut() + this.outBytes < this.core.limits.highWaterMark) return false;
    return (this.flags & Bit.Batching) !== 0 || this.handle !== null || this.socket.writableNeedDrain;
  }

  private isQueueEmpty(): boolean {
    return this.queue === null || this.queue.length === 0;
  }

  /** The front response is complete: retire it and let the next one write. */
  private advance(): void {
    const queue = this.queue as Response[];
    for (;;) {
      const done = queue.shift() as Response;
      if (!done.keepAlive) {
        this.closing = true;
        for (let i = 0; i < queue.length; i++) this.abandon(queue[i]); // never answered now
        queue.length = 0;
        this.reading = null;
        this.closeWhenFlushed();
        return;
      }
      if (queue.length === 0) break;
      const next = queue[0];
      const pending = next.pending;
      if (pending !== null) {
        next.pending = null;
        next.pendingBytes = 0;
        for (let i = 0; i < pending.length; i++) this.send(pending[i]);
      }
      if (this.drainWaiters !== null) this.onDrain();
      if (!next.writableEnded) {
        // A slot in the pipeline is free: if reading stopped at maxPipeline, go on (the request
        // still being read may be the one in front, waiting for the rest of its body).
        if ((this.flags & Bit.PausedByUs) !== 0) this.resume();
        return;
      }
    }
    this.queue = null; // an idle connection holds no array
    if ((this.flags & (Bit.Closing | Bit.PeerEnded)) !== 0) {
      this.closeWhenFlushed();
      return;
    }
    if (this.reading === null) {
      this.phase = Phase.Idle;
      this.phaseStart = this.core.now;
    }
    if ((this.flags & Bit.PausedByUs) !== 0) this.resume();
  }

  // ---------------------------------------------------------------- flow control

  private pause(): void {
    if (this.pausedByUs) return;
    this.pausedByUs = true;
    if (!this.loopHeld) {
      this.loopHeld = true;
      this.core.loop.pause(this);
    }
  }

  private resume(): void {
    // (After an upgrade request nothing more is read: what follows is the new protocol's.)
    if ((this.flags & (Bit.PausedByUs | Bit.Closed | Bit.Upgrade)) !== Bit.PausedByUs) return;
    const queue = this.queue;
    if (queue !== null && queue.length >= this.core.limits.maxPipeline) return;
    const reading = this.reading;
    if (reading !== null && !reading.writableEnded && (reading.req as Request).buffered > this.core.limits.highWaterMark) return;
    if (this.outputBacklogged()) {
      // onDrain() resumes: after this batch's write if the socket took it (drainIfWritten), else
      // when the socket drains (outputBacklogged() says yes only when a drain will come).
      this.waitingForDrain = true;
      return;
    }
    this.pausedByUs = false;
    // Inside feed() the loop over the arrival simply goes on (and resumes the loop at its end).
    if (this.feeding) return;
    const held = this.held;
    if (held !== null) {
      // What was left of the last arrival comes before anything the socket has since.
      this.held = null;
      const own = !this.batching;
      if (own) this.beginBatch();
      this.feed(held);
      if (own) this.endBatch();
      return; // feed() resumed the loop unless it paused again
    }
    if (this.loopHeld) {
      this.loopHeld = false;
      this.core.loop.resume(this);
    }
  }

  /** A streaming body reader took data: read more if we had stopped. */
  resumeBody(): void {
    if (this.pausedByUs) this.resume();
  }

  // ---------------------------------------------------------------- upgrade (lib/core/upgrade.ts)

  /**
   * The request for core.upgrade is complete; `rest` is what followed it in this arrival (a
   * view of the read buffer). Reading stops for good here: every later byte is the new
   * protocol's, left in the socket for the upgrade callback.
   */
  private upgradeArrived(rest: Buffer): void {
    if (rest.length > 0) this.held = Buffer.from(rest);
    this.flags |= Bit.UpgradeReady;
    this.pause();
  }

  /**
   * The upgrade request is the only one left and every answer before it has been written (on
   * the raw handle libuv's queue keeps the order of those writes and the callback's): the socket
   * leaves wafer — out of the loop, the server's accounting and sweep — and goes to the app.
   * Nothing of wafer's touches the connection after this (`closed`).
   */
  private handOff(): void {
    const res = (this.queue as Response[])[0];
    this.queue = null;
    const head = this.held;
    this.held = null;
    this.flags = (this.flags | Bit.Closed | Bit.Closing) & ~(Bit.UpgradeReady | Bit.PausedByUs | Bit.LoopHeld | Bit.WaitingForDrain);
    const parser = this.parser;
    if (parser !== null) {
      this.parser = null;
      this.core.parsers.release(parser);
    }
    this.core.loop.detach(this);
    this.core.upgraded(this);
    handOver(this.core, res.req as Request, this.socket, head);
  }

  remoteAddress(): string | undefined {
    return this.socket.remoteAddress; // (net keeps it once read)
  }

  // ---------------------------------------------------------------- errors, timeouts, close

  /**
   * Answer bad input with `status` and `Connection: close`, in order after the responses
   * already in flight, then close once it is flushed.
   */
  fail(status: number): void {
    if (this.closing || this.closed) return;
    this.closing = true;
    // Every answer the engine gives to bad bytes counts (timeouts are counted apart).
    if (status !== 408 && status !== 503) this.core.counters.parseErrors++;
    let res = this.reading;
    this.reading = null;
    if (res !== null && res.headersSent) {
      // A streaming handler already answered part of this request: nothing sane to add.
      (res.req as Request).finish(new RequestBodyError('WAFER_REQUEST_FAILED', status));
      this.destroy();
      return;
    }
    if (res === null) {
      res = new Response(null as never, this, false, false, false);
      this.enqueue(res);
    } else if (res.started) (res.req as Request).finish(new RequestBodyError('WAFER_REQUEST_FAILED', status));
    res.started = true;
    res.keepAlive = false;
    // This runs in a socket event: whatever a streaming handler left on the response must not
    // throw out of it (a crash); if answering fails after all, the connection is cut.
    try {
      res.resetForEngineAnswer();
      res.statusCode = status;
      res.setHeader('Content-Type', 'text/plain; charset=utf-8');
      // 503 is a passing shortage (the body budget): say when to try again (RFC 9110 §10.2.3).
      if (status === 503) res.setHeader('Retry-After', RETRY_AFTER);
      res.end(res.statusMessage + '\n');
    } catch {
      this.destroy();
    }
  }

  /** A timeout fired in `phase` (called by the sweep). 408 when a request is being received. */
  timeout(): void {
    this.core.counters.timeouts++;
    if (this.phase === Phase.Idle) {
      this.closing = true;
      if (this.isQueueEmpty()) this.finishClose();
      return;
    }
    this.fail(408);
  }

  declare private closeAfterWrite: boolean;

  /** Send FIN once every queued byte is out; keep reading and discarding until the peer closes. */
  private closeWhenFlushed(): void {
    if (this.batching) {
      this.closeAfterWrite = true;
      return;
    }
    this.finishClose();
  }

  private finishClose(): void {
    this.closeAfterWrite = false;
    if (this.ended) return;
    this.ended = true;
    this.endedAt = this.core.now;
    this.closing = true;
    if (this.peerEnded) {
      this.socket.end();
      return;
    }
    // Lingering close: our answer goes out, then FIN; what the client still sends is read and
    // dropped, so its kernel does not see a reset that would wipe the answer (RFC 9112 §9.6).
    this.discarding = true;
    this.socket.end();
    this.held = null;
    this.pausedByUs = false;
    if (this.loopHeld) {
      this.loopHeld = false;
      this.core.loop.resume(this);
    }
  }

  /** Idle (no request in progress or in flight)? server.close() ends these at once. */
  isIdle(): boolean {
    return this.reading === null && this.isQueueEmpty() && this.phase === Phase.Idle;
  }

  /** server.close(): finish what is in flight, then close. */
  shutdown(): void {
    if (this.isIdle()) {
      this.closing = true;
      this.finishClose();
      return;
    }
    const queue = this.queue;
    if (queue !== null) for (let i = 0; i < queue.length; i++) if (!queue[i].headersSent) queue[i].keepAlive = false;
  }

  destroy(): void {
    if (this.closed) return;
    this.socket.destroy();
  }

  /** The socket is gone ('close'): release everything. */
  onClose(): void {
    if (this.closed) return;
    this.closed = true;
    this.closing = true;
    const reading = this.reading;
    if (reading !== null && reading.started) (reading.req as Request).finish(new RequestBodyError('WAFER_CONNECTION_CLOSED'));
    this.reading = null;
    const queue = this.queue;
    this.queue = null;
    if (queue !== null) for (let i = 0; i < queue.length; i++) this.abandon(queue[i]);
    this.dropBody();
    const parser = this.parser;
    if (parser !== null) {
      this.parser = null;
      this.core.parsers.release(parser); // kept only if it stands between messages
    }
    this.onDrain();
    this.core.release(this);
  }
}

/**
 * Bytes `data` takes on the wire. A string not known to be ASCII is measured as UTF-8 (the
 * encoding write() sends it in): its length undercounts up to 3x, and highWaterMark is bytes.
 */
function byteCount(data: string | Buffer, ascii: boolean): number {
  return typeof data === 'string' && !ascii ? Buffer.byteLength(data) : data.length;
}

for (const [name, bit] of FLAGS) {
  Object.defineProperty(Connection.prototype, name, {
    get(this: { flags: number }): boolean {
      return (this.flags & bit) !== 0;
    },
    set(this: { flags: number }, on: boolean) {
      this.flags = on ? this.flags | bit : this.flags & ~bit;
    },
  });
}
