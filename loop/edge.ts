// The edge-triggered backlog strategy. Each 'data' event is one arrival: it is parsed
// completely, every complete pipelined request in it is answered, and the responses of that
// drain leave in one write (Connection batches between beginBatch and endBatch). The stream
// flows on its own; Node reads up to 64 KiB per event.
import type { Socket } from 'node:net';
import { connectionOf, type Connection } from '../lib/connection.js';
import type { LoopStrategy } from './types.js';

// One listener shared by every socket: nothing allocated per connection or per request.
function onData(this: Socket, chunk: Buffer): void {
  const conn = connectionOf(this);
  conn.beginBatch();
  conn.feed(chunk);
  conn.endBatch();
}

function attach(conn: Connection): void {
  conn.socket.on('data', onData);
}

function pause(conn: Connection): void {
  conn.socket.pause();
}

function resume(conn: Connection): void {
  // Stream resume() is asynchronous: no 'data' can re-enter a parse in progress.
  conn.socket.resume();
}

export const edge: LoopStrategy = { kind: 'edge', attach, pause, resume };
