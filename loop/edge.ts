// The edge-triggered backlog strategy. Each arrival (one read of the socket) is parsed
// completely, every complete pipelined request in it is answered, and the responses of that
// drain leave in one write (Connection batches between beginBatch and endBatch).
//
// Where Node allows it (loop/raw-socket.ts), the loop sits directly on the socket's libuv
// handle: each read comes straight from the handle's onread, and the batch is written with one
// handle write — none of node:net's Readable/Writable machinery per request. Otherwise it
// listens to 'data' on the flowing stream; the behaviour is the same.
import type { Socket } from 'node:net';
import { connectionOf } from './owner.js';
import { hookReads, rawHandleOf, releaseReads, type RawReader } from './raw-socket.js';
import type { LoopConnection, LoopStrategy } from './types.js';

function arrival(conn: LoopConnection, chunk: Buffer): void {
  conn.beginBatch();
  conn.feed(chunk);
  conn.endBatch();
}

// One listener shared by every socket: nothing allocated per connection or per request.
function onData(this: Socket, chunk: Buffer): void {
  arrival(connectionOf(this), chunk);
}

/** A read of the raw handle; the next one lands where the connection says (a body's rest). */
function handleArrival(conn: LoopConnection, chunk: Buffer): Buffer | null {
  arrival(conn, chunk);
  return conn.readTarget();
}

const handleReader: RawReader<LoopConnection> = {
  read: handleArrival,
  end: (conn) => conn.onEnd(),
};

function attach(conn: LoopConnection, rawSocket: boolean): void {
  const handle = rawSocket ? rawHandleOf(conn.socket) : null;
  if (handle !== null) {
    conn.handle = handle;
    hookReads(handle, conn, handleReader);
  } else conn.socket.on('data', onData);
}

function pause(conn: LoopConnection): void {
  const handle = conn.handle;
  if (handle === null) conn.socket.pause();
  else if (!conn.socket.destroyed) handle.readStop();
}

function resume(conn: LoopConnection): void {
  // Neither resume is synchronous: no read can re-enter a parse in progress (the stream's
  // resume() works on the next tick; a handle's reads come from the event loop).
  const handle = conn.handle;
  if (handle === null) conn.socket.resume();
  else if (!conn.socket.destroyed) handle.readStart();
}

function detach(conn: LoopConnection): void {
  const handle = conn.handle;
  if (handle !== null) {
    conn.handle = null;
    releaseReads(handle, conn.socket);
  } else {
    // Paused already (the connection paused the loop): what net has read since stays buffered.
    conn.socket.pause();
    conn.socket.removeListener('data', onData);
  }
}

export const edge: LoopStrategy = { kind: 'edge', attach, pause, resume, detach };
