// Each socket points at its connection, so socket events can go to shared functions instead of
// closures made per connection (memory per idle connection; see README "Admission and C10K").
import type { Socket } from 'node:net';
import type { LoopConnection } from './types.js';

const kConn = Symbol('wafer.connection');
type OwnedSocket<C> = Socket & { [kConn]: C };

/** Make `conn` the owner of `socket` (the Connection's constructor does this). */
export function ownSocket<C extends LoopConnection>(socket: Socket, conn: C): void {
  (socket as OwnedSocket<C>)[kConn] = conn;
}

/** The connection a socket belongs to (set by ownSocket). */
export function connectionOf<C extends LoopConnection = LoopConnection>(socket: Socket): C {
  return (socket as OwnedSocket<C>)[kConn];
}
