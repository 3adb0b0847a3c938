// What a loop strategy is, and what it needs from a connection. The loop knows connections only
// through LoopConnection (lib/core/connection.ts implements it), so loop/ depends on nothing in
// lib/: the bytes go one way, socket → loop → connection → parser.
import type { Buffer } from 'node:buffer';
import type { Socket } from 'node:net';
import type { RawHandle } from './raw-socket.js';

/** Which loop strategy a server runs (ServerOptions.loop). */
export type LoopKind = 'edge' | 'poll';

/** The connection as a loop sees it: where arrivals go, and the state a loop keeps on it. */
export interface LoopConnection {
  readonly socket: Socket;
  /** The socket's libuv handle once the edge loop drives it directly, else null. */
  handle: RawHandle | null;
  /** Scratch flags for the loop strategy (poll: not pulling / inside a pass). */
  loopPaused: boolean;
  loopActive: boolean;
  /** A drain of the socket begins: answers written from here on leave together at endBatch(). */
  beginBatch(): void;
  /** Parse one arrival (between beginBatch() and endBatch()). */
  feed(data: Buffer): void;
  endBatch(): void;
  /** Where the raw handle's next read should land: null for the shared buffer. */
  readTarget(): Buffer | null;
  /** The peer sent FIN. */
  onEnd(): void;
}

export interface LoopStrategy {
  readonly kind: LoopKind;
  /** Start delivering the socket's bytes to the connection (rawSocket: ServerOptions.rawSocket). */
  attach(conn: LoopConnection, rawSocket: boolean): void;
  /** Stop reading until resume(). */
  pause(conn: LoopConnection): void;
  resume(conn: LoopConnection): void;
  /**
   * Stop delivering the socket's bytes for good and give the socket back its own stream
   * reading (an upgrade: loop/raw-socket.ts releaseReads). The connection paused the loop
   * first; bytes not yet read stay in the socket, for whoever listens to it next.
   */
  detach(conn: LoopConnection): void;
}
