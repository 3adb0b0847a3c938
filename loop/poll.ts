// The readiness-polling strategy. The socket stays in paused mode; on 'readable' the loop
// pulls with read() until the stream is empty, feeding each chunk to the connection, and the
// responses of that pass leave in one write. Flow control is simply not pulling: unread bytes
// stay in the stream's buffer and then in the kernel (TCP backpressure).
import type { Socket } from 'node:net';
import { connectionOf } from './owner.js';
import type { LoopConnection, LoopStrategy } from './types.js';


function drain(conn: LoopConnection): void {
  if (conn.loopPaused || conn.loopActive) return;
  const socket = conn.socket;
  conn.loopActive = true;
  conn.beginBatch();
  let chunk: Buffer | null;
  while (!conn.loopPaused && (chunk = socket.read() as Buffer | null) !== null) conn.feed(chunk);
  conn.loopActive = false;
  conn.endBatch();
}

function onReadable(this: Socket): void {
  drain(connectionOf(this));
}

function attach(conn: LoopConnection): void {
  conn.socket.on('readable', onReadable);
}

function pause(conn: LoopConnection): void {
  conn.loopPaused = true;
}

function resume(conn: LoopConnection): void {
  conn.loopPaused = false;
  // Inside a pass the while loop picks up again by itself; otherwise pull what is waiting.
  if (!conn.loopActive) drain(conn);
}

function detach(conn: LoopConnection): void {
  // Unread bytes stay in the stream's buffer (nothing pulls them now).
  conn.socket.removeListener('readable', onReadable);
  conn.loopPaused = false;
}

export const poll: LoopStrategy = { kind: 'poll', attach, pause, resume, detach };
