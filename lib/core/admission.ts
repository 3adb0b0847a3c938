// Admission: a connection over maxConns is answered 503 with Retry-After and closed (RFC 9110
// §15.6.4), without ever becoming a Connection.
import type { Socket } from 'node:net';
import { dateLine } from './date.js';
import { LINGER_TIMEOUT } from './deadlines.js';
import { RETRY_AFTER } from './dispatch.js';
import type { ServerStats } from './types.js';

function ignore(): void {}

function destroySocket(socket: Socket): void {
  socket.destroy();
}

/**
 * Turn `socket` away. A refused socket holds a descriptor but no maxConns slot, so it gets a
 * hard deadline from its accept (not an inactivity timer, which a client trickling bytes would
 * keep resetting), and is counted in stats().refusing while it lives (in `refusing`).
 */
export function refuse(socket: Socket, refusing: Set<Socket>, counters: ServerStats): void {
  counters.refused++;
  socket.on('error', ignore);
  refusing.add(socket);
  counters.refusing = refusing.size;
  const deadline = setTimeout(destroySocket, LINGER_TIMEOUT, socket);
  socket.once('close', () => {
    clearTimeout(deadline);
    refusing.delete(socket);
    counters.refusing = refusing.size;
  });
  // Read and drop whatever the client sends so our FIN is not overtaken by a reset.
  socket.resume();
  socket.end(
    'HTTP/1.1 503 Service Unavailable\r\n' + dateLine() +
    `Retry-After: ${RETRY_AFTER}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`,
  );
}
