// Bytes out: the ordered response queue and write batching. Responses leave strictly in request
// order — only the front one writes, the ones behind it hold their bytes on themselves
// (Response.outboxHeld) — and everything written during one loop drain of the socket leaves in
// one write at endBatch(). The queue also decides when reading must wait for the client to
// read its answers (outputBacklogged).
import { Buffer } from 'node:buffer';
import { rawWrite } from '../../loop/raw-socket.js';
import type { Request } from './request.js';
import type { Response } from './response.js';
import type { AccessLog } from './access-log.js';
import { CloseState, Phase, ReadState, UpgradeState, WriteState, stopReading, type ConnectionState } from './connection-state.js';

/** A drain of the socket begins: writes from here on collect into one batch. */
export function beginBatch(conn: ConnectionState): void {
  // Nothing reaches the socket until endBatch(), and bytes leave the socket's queue only
  // between callbacks: the batch's count starts at what is queued now (see pendingOut()).
  conn.outBytes = conn.handle !== null ? conn.handle.writeQueueSize : conn.socket.writableLength;
  conn.writeState = WriteState.Batching;
}

/** The drain is over: everything written during it leaves in one write. */
export function endBatch(conn: ConnectionState): void {
  conn.writeState = WriteState.Direct;
  conn.outBytes = 0;
  if (conn.closeState === CloseState.Closed) return;
  const list = conn.outList;
  if (list === null) {
    if (conn.outStr.length > 0) {
      const s = conn.outStr;
      conn.outStr = '';
      toWire(conn, s, conn.outAscii);
    }
    conn.outAscii = true;
  } else {
    conn.outList = null;
    conn.outAscii = true;
    if (conn.handle !== null) toWire(conn, list, false);
    else {
      const socket = conn.socket;
      socket.cork();
      for (let i = 0; i < list.length; i++) socket.write(list[i]);
      socket.uncork();
    }
  }
  if (conn.closeState === CloseState.CloseAfterWrite) conn.finishClose();
  // Earlier answers are written: an upgrade that waited behind them goes now.
  if (conn.upgrade === UpgradeState.Ready && conn.queue !== null && conn.queue.length === 1) return conn.handOff();
  // A raw write that libuv finished at once brings no completion: check here.
  drainIfWritten(conn);
}

/**
 * Whoever waits for the output to shrink (paused reading, res.drain()) decided to wait on the
 * batch's own count; now that the batch is written, wait on only if a signal is sure to come.
 * On the raw handle that is a write still in libuv's queue (its completion calls back here).
 * On the stream API it is a socket that wants a 'drain': node emits one only after a write()
 * that returned false, and on Node 20 a write the kernel takes at once returns true however
 * large it was — waiting then would wait for ever. (Read only when someone waits.)
 */
export function drainIfWritten(conn: ConnectionState): void {
  if ((conn.readState !== ReadState.PausedForDrain && conn.drainWaiters === null) || conn.closeState === CloseState.Closed) return;
  const handle = conn.handle;
  if (handle !== null ? handle.writeQueueSize === 0 : !conn.socket.writableNeedDrain) onDrain(conn);
}

/** The socket emptied its write buffer (or a held response reached the front). */
export function onDrain(conn: ConnectionState): void {
  if (conn.readState === ReadState.PausedForDrain) {
    conn.readState = ReadState.Paused;
    conn.resume();
  }
  const waiters = conn.drainWaiters;
  if (waiters === null) return;
  conn.drainWaiters = null;
  conn.drainSince = 0;
  for (let i = 0; i < waiters.length; i++) waiters[i]();
}

/** Queue bytes of `res` (ResponseSink.writeOut); false when the writer should wait for drain(). */
export function writeOut(conn: ConnectionState, res: Response, data: string | Buffer, ascii: boolean): boolean {
  if (conn.closeState === CloseState.Closed) return false;
  const queue = conn.queue;
  if (queue === null || queue[0] !== res) {
    // An earlier response is still in progress: hold these bytes until it is done.
    if (res.outboxHeld === null) res.outboxHeld = [];
    res.outboxHeld.push(data);
    res.outboxHeldBytes += byteCount(data, ascii);
    return res.outboxHeldBytes < conn.core.limits.highWaterMark;
  }
  send(conn, data, ascii);
  return !outputBacklogged(conn);
}

/** `res` is complete (ResponseSink.endOut). */
export function endOut(conn: ConnectionState, res: Response): void {
  // The response has ended: its request's body is released to the budget.
  const req = res.req as Request | null;
  if (req !== null && req.bodyReserved > 0) conn.returnBody(req);
  const queue = conn.queue;
  if (queue === null || queue[0] !== res) return; // flushed when it reaches the front
  if (conn.writeState === WriteState.Batching) return advance(conn);
  // Outside a drain (an async handler finished): held responses behind this one leave together.
  beginBatch(conn);
  advance(conn);
  endBatch(conn);
}

/** Resolves when `res` may write again (ResponseSink.drainOut). */
export function drainOut(conn: ConnectionState, res: Response): Promise<void> {
  if (conn.closeState === CloseState.Closed) return Promise.resolve();
  const queue = conn.queue;
  const front = queue !== null && queue[0] === res;
  if (front && !outputBacklogged(conn)) return Promise.resolve();
  // Only the front response waits on the client; one held behind it waits on its turn.
  if (front && conn.drainSince === 0) conn.drainSince = conn.core.now;
  return new Promise<void>((resolve) => {
    if (conn.drainWaiters === null) conn.drainWaiters = [];
    conn.drainWaiters.push(resolve);
  });
}

function send(conn: ConnectionState, data: string | Buffer, ascii: boolean): void {
  if (conn.writeState === WriteState.Batching) {
    conn.outBytes += byteCount(data, ascii);
    if (typeof data === 'string' && conn.outList === null) {
      conn.outStr += data;
      if (!ascii) conn.outAscii = false;
    } else {
      if (conn.outList === null) {
        conn.outList = conn.outStr.length > 0 ? [conn.outStr] : [];
        conn.outStr = '';
      }
      conn.outList.push(data);
    }
    return;
  }
  toWire(conn, data, ascii);
}

/**
 * Bytes handed to the socket and not yet taken by the kernel, not counting this batch's (in
 * a batch they are already in `outBytes`, which starts from this figure).
 */
export function pendingOut(conn: ConnectionState): number {
  if (conn.writeState === WriteState.Batching) return 0;
  const handle = conn.handle;
  return handle !== null ? handle.writeQueueSize : conn.socket.writableLength;
}

/** To the wire: the raw handle when the loop drives one, else the socket's Writable side. */
function toWire(conn: ConnectionState, data: string | Buffer | (string | Buffer)[], latin1: boolean): void {
  const handle = conn.handle;
  if (handle === null) {
    if (typeof data === 'string') conn.socket.write(data, latin1 ? 'latin1' : 'utf8');
    else conn.socket.write(data as Buffer);
    return;
  }
  // A destroyed socket has closed its handle ('close' comes a tick later).
  if (conn.socket.destroyed) return;
  const err = rawWrite(handle, conn, data, latin1);
  if (err < 0) conn.destroy(); // EPIPE, ECONNRESET …: the socket's 'close' tidies up
}

/** A raw write that went asynchronous is done: failed (close), or maybe the queue is empty. */
export function onRawWriteDone(conn: ConnectionState, status: number): void {
  if (status < 0) conn.destroy();
  else drainIfWritten(conn);
}

/** A new request's response joins the queue (it may not write before those ahead of it). */
export function enqueue(conn: ConnectionState, res: Response): void {
  if (conn.queue === null) conn.queue = [res];
  else conn.queue.push(res);
  if (conn.queue.length >= conn.core.limits.maxPipeline) conn.pause();
  else if (outputBacklogged(conn)) {
    // Read again once the answers have left, not only when the queue empties: the request
    // being read is in the queue, and its body may still be unread.
    conn.pause();
    if (conn.readState === ReadState.Paused) conn.readState = ReadState.PausedForDrain;
  }
}

/**
 * Answers not yet taken by the client fill the socket past highWaterMark. Then no more
 * requests are read, or a client that pipelines and never reads would make the server
 * buffer answers without bound (test/client-and-handler-faults.test.ts); and res.write()
 * says false, res.drain() waits.
 *
 * Whoever is told "backlogged" waits for onDrain(), so the answer must be yes only when
 * onDrain() is sure to come: in a batch, endBatch() checks after its write (drainIfWritten);
 * on the raw handle a queued write's completion reports; on the stream API only a socket
 * that wants a 'drain' emits one (node counts a string's length, not its bytes, and a write
 * the kernel took at once never wants one).
 */
export function outputBacklogged(conn: ConnectionState): boolean {
  if (pendingOut(conn) + conn.outBytes < conn.core.limits.highWaterMark) return false;
  return conn.writeState === WriteState.Batching || conn.handle !== null || conn.socket.writableNeedDrain;
}

/** The front response is complete: retire it and let the next one write. */
function advance(conn: ConnectionState): void {
  const queue = conn.queue as Response[];
  for (;;) {
    const done = queue.shift() as Response;
    if (done.meter !== null) (conn.core.accessLog as AccessLog).finish(done);
    if (!done.keepAlive) {
      stopReading(conn);
      for (let i = 0; i < queue.length; i++) conn.abandon(queue[i]); // never answered now
      queue.length = 0;
      conn.reading = null;
      conn.closeWhenFlushed();
      return;
    }
    if (queue.length === 0) break;
    const next = queue[0];
    const held = next.outboxHeld;
    if (held !== null) {
      next.outboxHeld = null;
      next.outboxHeldBytes = 0;
      for (let i = 0; i < held.length; i++) send(conn, held[i], false);
    }
    if (conn.drainWaiters !== null) onDrain(conn);
    if (!next.writableEnded) {
      // A slot in the pipeline is free: if reading stopped at maxPipeline, go on (the request
      // still being read may be the one in front, waiting for the rest of its body).
      if (conn.readState >= ReadState.Paused) conn.resume();
      return;
    }
  }
  conn.queue = null; // an idle connection holds no array
  if (conn.closeState !== CloseState.Open || conn.peerEnded) {
    conn.closeWhenFlushed();
    return;
  }
  if (conn.reading === null) {
    conn.phase = Phase.Idle;
    conn.phaseStart = conn.core.now;
  }
  if (conn.readState >= ReadState.Paused) conn.resume();
}

/**
 * Bytes `data` takes on the wire. A string not known to be ASCII is measured as UTF-8 (the
 * encoding write() sends it in): its length undercounts up to 3x, and highWaterMark is bytes.
 */
function byteCount(data: string | Buffer, ascii: boolean): number {
  return typeof data === 'string' && !ascii ? Buffer.byteLength(data) : data.length;
}
