// Below node:net's stream machinery: a TCP socket's libuv stream handle (`socket._handle`),
// read and written directly. This is what the edge loop runs on. Each read arrives as one
// call of `handle.onread` (no Readable push/emit, no Buffer list), and each batch of answers
// leaves as one `handle.write*()` call — usually completed at once by libuv's try-write, with
// no Writable bookkeeping, no callback tick and no WriteWrap kept.
//
// The handle API is Node's own (what `net` does in lib/internal/stream_base_commons.js),
// reached through `process.binding('stream_wrap')`: the same on Node 20, 22 and 24 (CI runs the
// suite on each, and test/raw-socket.test.ts fails where a connection misses this path). Where it
// is missing (another runtime, a future Node without it, `--permission`, which denies
// process.binding, a handle that is not a stream), `rawHandleOf()` returns null and the caller
// stays on the stream API. EOF and read errors are handed back to net's own onread, so
// 'end', 'error' and 'close' reach the socket exactly as before.
import { Buffer } from 'node:buffer';
import type { Socket } from 'node:net';

/** The libuv stream handle methods used here (node's StreamBase / LibuvStreamWrap). */
export interface RawHandle {
  onread: (this: RawHandle, ab: ArrayBuffer | undefined) => unknown;
  /** Read into this buffer instead of a fresh allocation per read (node's `onread.buffer`). */
  useUserBuffer?(buf: Uint8Array): void;
  readStart(): number;
  readStop(): number;
  writeBuffer(req: WriteReq, data: Buffer): number;
  writeLatin1String(req: WriteReq, data: string): number;
  writeUtf8String(req: WriteReq, data: string): number;
  writev(req: WriteReq, chunks: (string | Buffer)[], allBuffers: boolean): number;
  /** Bytes accepted by write*() that libuv has not yet handed to the kernel. */
  readonly writeQueueSize: number;
}

/** A WriteWrap: the request object a write is tracked by when it cannot complete at once. */
interface WriteReq {
  handle: RawHandle | null;
  oncomplete: ((this: WriteReq, status: number) => void) | null;
  /** Keeps an in-flight Buffer (or writev list) alive until libuv is done with it. */
  data: unknown;
  owner: RawOwner | null;
}

/** Who a handle's write completions are reported to (the Connection). */
export interface RawOwner {
  /** A write that went asynchronous has completed; status < 0 is a libuv error. */
  onRawWriteDone(status: number): void;
}

/**
 * What a loop hears from the handles it hooks. `read` gets each read: a view of one read
 * buffer shared by every handle, valid only until the call returns (the next read, of any
 * socket, overwrites it), so whatever the owner keeps must be copied — wafer's parser turns
 * heads into strings within the call and the connection copies bodies and held bytes. `end`:
 * the peer sent FIN (after net has seen it too).
 */
export interface RawReader<T> {
  /**
   * Returns where the handle's next read should land: null for the shared buffer, or a
   * Buffer of the owner's, which must then take exactly the bytes read into it (the rest of a
   * request body of known length: the kernel copies it straight into the body).
   */
  read(owner: T, chunk: Buffer): Buffer | null;
  end(owner: T): void;
}

interface Binding {
  state: Int32Array;
  kReadBytesOrError: number;
  kArrayBufferOffset: number;
  kLastWriteWasAsync: number;
  WriteWrap: new () => WriteReq;
}

function loadBinding(): Binding | null {
  if (process.env.WAFER_NO_RAW_SOCKET === '1') return null;
  try {
    const b = (process as unknown as { binding(name: string): Record<string, unknown> }).binding('stream_wrap');
    const state = b.streamBaseState;
    if (!(state instanceof Int32Array) || typeof b.WriteWrap !== 'function') return null;
    for (const k of ['kReadBytesOrError', 'kArrayBufferOffset', 'kLastWriteWasAsync']) if (typeof b[k] !== 'number') return null;
    return {
      state,
      kReadBytesOrError: b.kReadBytesOrError as number,
      kArrayBufferOffset: b.kArrayBufferOffset as number,
      kLastWriteWasAsync: b.kLastWriteWasAsync as number,
      WriteWrap: b.WriteWrap as new () => WriteReq,
    };
  } catch {
    return null;
  }
}

const binding = loadBinding();
// Reads are delivered one at a time from the event loop and consumed before the next one, so
// one buffer serves every socket: no 64 KiB allocation (and resize) per read. 64 KiB is what
// Node itself offers a read.
const READ_BUFFER = Buffer.allocUnsafe(64 * 1024);
const UV_EOF = -4095;

// One property per handle (memory per idle connection): its owner. The reader is the loop's,
// and net's onread is one function for every socket, both kept here.
const kOwner = Symbol('wafer.rawOwner');
// Set only on a handle whose reads were sent elsewhere than READ_BUFFER: the Buffer libuv reads
// into now. libuv keeps just a pointer to it, so the handle keeps the Buffer alive here until a
// read has landed in it and the next target is given.
const kTarget = Symbol('wafer.readTarget');
type Hooked = RawHandle & { [kOwner]: unknown; [kTarget]?: Buffer | null };
let reader: RawReader<unknown> | null = null;
let netOnread: RawHandle['onread'] | null = null;

/** Is the raw path available in this process? */
export const rawSocketSupported = binding !== null;

/** The socket's stream handle, if it can be driven directly; null: use the stream API. */
export function rawHandleOf(socket: Socket): RawHandle | null {
  if (binding === null) return null;
  const handle = (socket as unknown as { _handle?: Partial<RawHandle> | null })._handle;
  if (handle === null || handle === undefined) return null;
  if (typeof handle.readStart !== 'function' || typeof handle.writeLatin1String !== 'function' ||
    typeof handle.writev !== 'function' || typeof handle.onread !== 'function' ||
    typeof handle.writeQueueSize !== 'number') return null;
  // Every hooked handle must hand EOF back to the same net function.
  if (netOnread !== null && handle.onread !== netOnread) return null;
  return handle as RawHandle;
}

function onRead(this: Hooked, ab: ArrayBuffer | undefined): unknown {
  const state = (binding as Binding).state;
  const n = state[(binding as Binding).kReadBytesOrError];
  if (n > 0) {
    // Into the shared buffer or the owner's target (ab undefined), or a buffer Node allocated
    // for this read.
    const target = this[kTarget];
    const chunk = ab !== undefined ? Buffer.from(ab, state[(binding as Binding).kArrayBufferOffset], n)
      : (target === undefined || target === null ? READ_BUFFER : target).subarray(0, n);
    const next = (reader as RawReader<unknown>).read(this[kOwner], chunk);
    // What onread returns becomes the buffer of the next read (node's CustomBufferJSListener);
    // undefined keeps the current one.
    if (next !== null) {
      this[kTarget] = next;
      return next;
    }
    if (target !== undefined && target !== null) {
      this[kTarget] = null;
      return READ_BUFFER;
    }
    return undefined;
  }
  if (n === 0) return undefined;
  // EOF or a read error: net's own handler turns it into 'end' / 'error' + 'close'; then the
  // owner hears of the FIN.
  const ret = (netOnread as RawHandle['onread']).call(this, ab);
  if (n === UV_EOF) (reader as RawReader<unknown>).end(this[kOwner]);
  return ret;
}

/**
 * Route the handle's reads to the loop's `read(owner, chunk)` instead of the socket's Readable
 * side. Every handle is hooked with the same reader (one loop drives them all).
 */
export function hookReads<T>(handle: RawHandle, owner: T, read: RawReader<T>): void {
  if (reader === null) reader = read as RawReader<unknown>;
  else if (reader !== (read as RawReader<unknown>)) throw new Error('raw-socket: one reader for every handle');
  if (netOnread === null) netOnread = handle.onread;
  const h = handle as Hooked;
  h[kOwner] = owner;
  if (typeof h.useUserBuffer === 'function') h.useUserBuffer(READ_BUFFER);
  h.onread = onRead as RawHandle['onread'];
}

/**
 * Give a hooked handle back to its socket's own Readable side, for good (an upgrade hands the
 * socket to other code). The handle keeps reading into the shared buffer — node offers no way
 * to undo useUserBuffer(), and net's onread cannot read from a user buffer it did not set — so
 * reads go through onStreamRead below, which does what net's does: push a copy of each read
 * into the socket, stop the handle when the stream is full (net's `_read` starts it again
 * through `handle.reading`), and hand EOF and errors to net's own onread. The caller stopped
 * reading first (readStop, nothing lost: unread bytes wait in the kernel) and owns every byte
 * it read before.
 */
export function releaseReads(handle: RawHandle, socket: Socket): void {
  const h = handle as Hooked & { reading?: boolean };
  h[kOwner] = socket;
  h.onread = onStreamRead as RawHandle['onread'];
  if (socket.destroyed) return;
  // Read ahead up to the stream's highWaterMark, as net does from a socket's start; nothing is
  // emitted until someone listens ('data', or read()).
  h.reading = true;
  h.readStart();
}

/** A released handle's read (see releaseReads): the owner is the socket. */
function onStreamRead(this: Hooked & { reading?: boolean }, ab: ArrayBuffer | undefined): unknown {
  const b = binding as Binding;
  const n = b.state[b.kReadBytesOrError];
  if (n > 0) {
    const socket = this[kOwner] as Socket & { _unrefTimer?: () => void };
    // An idle timer the new owner set (socket.setTimeout) counts from the last read, as in net.
    if (typeof socket._unrefTimer === 'function') socket._unrefTimer();
    // The shared buffer is reused by the next read of any socket: the stream gets a copy. A
    // buffer Node allocated for this read alone is the stream's as it is. (A read target left
    // from before the release is read from once, then the shared buffer again.)
    const target = this[kTarget];
    const chunk = ab !== undefined ? Buffer.from(ab, b.state[b.kArrayBufferOffset], n)
      : Buffer.from((target === undefined || target === null ? READ_BUFFER : target).subarray(0, n));
    if (!socket.destroyed && !socket.push(chunk)) {
      this.reading = false;
      this.readStop();
    }
    if (target !== undefined && target !== null) {
      this[kTarget] = null;
      return READ_BUFFER;
    }
    return undefined;
  }
  if (n === 0) return undefined;
  return (netOnread as RawHandle['onread']).call(this, ab);
}

function onWriteComplete(this: WriteReq, status: number): void {
  const owner = this.owner;
  this.owner = null;
  this.data = null;
  this.handle = null;
  if (owner !== null) owner.onRawWriteDone(status);
}

// Most writes complete inside the call (libuv tries the write at once), so one request object
// serves them all; a new one is made only after a write went asynchronous and kept its own.
let spare: WriteReq | null = null;

/**
 * Write `data` (latin1: the string is one byte per character) to the handle. Returns the libuv
 * status (0, or a negative error such as EPIPE: the caller closes) and, through `owner`, reports
 * completion of writes that could not finish at once.
 */
export function rawWrite(handle: RawHandle, owner: RawOwner, data: string | Buffer | (string | Buffer)[], latin1: boolean): number {
  const b = binding as Binding;
  let req = spare;
  if (req === null) {
    req = new b.WriteWrap();
    req.oncomplete = onWriteComplete;
  }
  spare = null;
  req.handle = handle;
  let err: number;
  if (typeof data === 'string') err = latin1 ? handle.writeLatin1String(req, data) : handle.writeUtf8String(req, data);
  else if (!Array.isArray(data)) err = handle.writeBuffer(req, data);
  else {
    // writev with mixed chunks takes [chunk, encoding, chunk, encoding, …].
    const list: (string | Buffer)[] = [];
    for (let i = 0; i < data.length; i++) list.push(data[i], typeof data[i] === 'string' ? (latin1 ? 'latin1' : 'utf8') : 'buffer');
    data = list;
    err = handle.writev(req, list, false);
  }
  if (err === 0 && b.state[b.kLastWriteWasAsync] !== 0) {
    // libuv holds this request (and the caller's bytes) until the kernel takes the rest.
    req.owner = owner;
    req.data = data;
    return 0;
  }
  req.handle = null;
  spare = req;
  return err;
}
