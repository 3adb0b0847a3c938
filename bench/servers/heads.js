// Counting request-head terminators (`\r\n\r\n`, RFC 9112 §2.1) across chunk boundaries, for the
// ceiling server. Kept apart from the server so it can be checked without binding a port.
const CR = 13;
const LF = 10;
const TERMINATOR = Buffer.from('\r\n\r\n');

/** Continue a partial match of `\r\n\r\n` (`state` bytes of it matched so far) byte by byte.
 * Returns [count of completed terminators, index where the byte-wise walk stopped, new state];
 * it stops as soon as the state is back to 0 so the caller can switch to indexOf. */
function resume(buf, state) {
  let i = 0;
  while (state > 0 && i < buf.length) {
    const b = buf[i++];
    if (b === TERMINATOR[state]) {
      state++;
      if (state === 4) return [1, i, 0];
    } else {
      state = b === CR ? 1 : 0;
    }
  }
  return [0, i, state];
}

/** How much of `\r\n\r\n` the tail of buf (from `from`) matches: 0..3. */
function tailState(buf, from) {
  const n = buf.length;
  if (n - from >= 3 && buf[n - 3] === CR && buf[n - 2] === LF && buf[n - 1] === CR) return 3;
  if (n - from >= 2 && buf[n - 2] === CR && buf[n - 1] === LF) return 2;
  if (n - from >= 1 && buf[n - 1] === CR) return 1;
  return 0;
}

/** Counts terminators in one chunk, given the partial match carried from the previous chunk. */
export function countHeads(buf, state) {
  let count = 0;
  let i = 0;
  while (state > 0 && i < buf.length) {
    const [c, next, s] = resume(buf.subarray(i), state);
    count += c;
    i += next;
    state = s;
  }
  if (state > 0) return [count, state]; // the whole chunk was a continued partial match
  for (;;) {
    const at = buf.indexOf(TERMINATOR, i);
    if (at === -1) break;
    count++;
    i = at + 4;
  }
  return [count, tailState(buf, i)];
}
