// Pause and resume reading. Reading stops when maxPipeline requests are in flight, when a
// streaming body's buffer is full, or when the client does not read its answers (the socket's
// output past highWaterMark); it goes on when the reason is gone, first with the bytes held back
// from the arrival it stopped in.
import type { Request } from './request.js';
import { CloseState, ReadState, UpgradeState, WriteState, type ConnectionState } from './connection-state.js';

export function pause(conn: ConnectionState): void {
  if (conn.readState !== ReadState.Reading) return;
  conn.readState = ReadState.Paused;
  if (!conn.loopHeld) {
    conn.loopHeld = true;
    conn.core.loop.pause(conn);
  }
}

export function resume(conn: ConnectionState): void {
  // (After an upgrade request nothing more is read: what follows is the new protocol's.)
  if (conn.readState < ReadState.Paused || conn.closeState === CloseState.Closed || conn.upgrade !== UpgradeState.None) return;
  const limits = conn.core.limits;
  const queue = conn.queue;
  if (queue !== null && queue.length >= limits.maxPipeline) return;
  const reading = conn.reading;
  if (reading !== null && !reading.writableEnded && (reading.req as Request).buffered > limits.highWaterMark) return;
  if (conn.outputBacklogged()) {
    // onDrain() resumes: after this batch's write if the socket took it (drainIfWritten), else
    // when the socket drains (outputBacklogged() says yes only when a drain will come).
    conn.readState = ReadState.PausedForDrain;
    return;
  }
  conn.readState = ReadState.Reading;
  // Inside feed() the loop over the arrival simply goes on (and resumes the loop at its end).
  if (conn.feeding) return;
  const held = conn.held;
  if (held !== null) {
    // What was left of the last arrival comes before anything the socket has since.
    conn.held = null;
    const own = conn.writeState !== WriteState.Batching;
    if (own) conn.beginBatch();
    conn.feed(held);
    if (own) conn.endBatch();
    return; // feed() resumed the loop unless it paused again
  }
  if (conn.loopHeld) {
    conn.loopHeld = false;
    conn.core.loop.resume(conn);
  }
}
