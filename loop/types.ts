// A loop strategy: how bytes get from a socket into a Connection. The connection calls
// pause/resume for flow control (too many requests in flight, a full body stream).
import type { Connection } from '../lib/connection.js';
import type { LoopKind } from '../lib/types.js';

export interface LoopStrategy {
  readonly kind: LoopKind;
  /** Start delivering the socket's bytes to the connection (rawSocket: ServerOptions.rawSocket). */
  attach(conn: Connection, rawSocket: boolean): void;
  /** Stop reading until resume(). */
  pause(conn: Connection): void;
  resume(conn: Connection): void;
}
