// listen(): a node:net server, admission (maxConns), one coarse timer that sweeps every
// connection for timeouts, stats, and graceful close. Everything per request lives in
// Connection; this file only deals with connections as a whole.
import net from 'node:net';
import type { Socket } from 'node:net';
import { Lenient, type ParserKind, type ParserOptions } from '../../parser/types.js';
import { edge } from '../../loop/edge.js';
import { poll } from '../../loop/poll.js';
import type { LoopStrategy } from '../../loop/types.js';
import { connectionOf } from '../../loop/owner.js';
import { Connection, Phase, RETRY_AFTER, type ServerCore } from './connection.js';
import { ParserPool } from './parser-pool.js';
import { dateLine } from './date.js';
import { DEFAULT_LIMITS, isSize, parseDecimal, resolveLimits, type Limits } from './limits.js';
import type { Handler, LoopKind, ServerOptions, ServerStats, UpgradeHandler, WaferServer } from './types.js';

/** Server defaults besides the byte limits (those are DEFAULT_LIMITS in lib/core/limits.ts). */
export const DEFAULT_OPTIONS = {
  host: '0.0.0.0',
  loop: 'edge' as LoopKind,
  maxConns: 10_000,
  parser: 'wafer' as ParserKind,
  /** Node's default: a complete head within 60 s of its first byte (or of connecting). */
  headersTimeout: 60_000,
  /** Node's default: a complete request (head + body) within 5 min of its first byte. */
  requestTimeout: 300_000,
  /** 60 s: at or above common load-balancer idle timeouts, so the balancer closes first. */
  keepAliveTimeout: 60_000,
  /** server.close() waits this long for in-flight requests before cutting them. */
  closeGrace: 10_000,
  /**
   * A handler has this long, from its complete request, to send the response's head (then 503).
   * Go's WriteTimeout and nginx's proxy_read_timeout bound the same wait; 0 turns it off.
   */
  handlerTimeout: 120_000,
  /**
   * After our FIN, how long a peer may keep sending (lingering close) before a hard close; also
   * the hard deadline of a refused connection, counted from its accept.
   */
  lingerTimeout: 2_000,
  /** Seconds a refused client is told to wait (Retry-After, RFC 9110 §10.2.3). */
  retryAfter: RETRY_AFTER,
} as const;

const LIMIT_KEYS = Object.keys(DEFAULT_LIMITS) as (keyof Limits)[];

/**
 * Every ServerOptions key that is not a limit. Typed as a Record so that tsc refuses this
 * list until a new option is added here (and one that is not an option). Limits come from
 * DEFAULT_LIMITS (lib/core/limits.ts) on their own.
 */
const SERVER_OPTION_KEYS: Record<Exclude<keyof ServerOptions, keyof Limits>, true> = {
  port: true, host: true, loop: true, maxConns: true, parser: true, lenient: true, streamBody: true,
  headersTimeout: true, requestTimeout: true, keepAliveTimeout: true, closeGrace: true, handlerTimeout: true,
  rawSocket: true, onError: true, upgrade: true,
};

/** The option names listen() accepts; any other key is a TypeError (a typo must not be ignored). */
export const KNOWN_OPTIONS: readonly string[] = [...Object.keys(SERVER_OPTION_KEYS), ...LIMIT_KEYS];
const KNOWN_OPTION_SET = new Set(KNOWN_OPTIONS);

/** Levenshtein distance: single-character insertions, deletions and substitutions. */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return prev[b.length]!;
}

/** Throw for the first key of `options` that is not an option, suggesting the nearest name. */
function checkOptionNames(options: object): void {
  for (const key of Object.keys(options)) {
    if (KNOWN_OPTION_SET.has(key)) continue;
    let best = '';
    let bestDistance = Infinity;
    for (const name of KNOWN_OPTIONS) {
      // Case differences count once: `maxconns` is as near to `maxConns` as `maxConn`.
      const d = editDistance(key.toLowerCase(), name.toLowerCase()) + (key.toLowerCase() === name.toLowerCase() ? 1 : 0);
      if (d < bestDistance) {
        best = name;
        bestDistance = d;
      }
    }
    // A suggestion only when it is plausibly a typo: at most a third of the name differs.
    const hint = bestDistance <= Math.max(2, Math.floor(best.length / 3)) ? ` (did you mean '${best}'?)` : '';
    throw new TypeError(`unknown option '${key}'${hint}`);
  }
}

/**
 * The port: options.port, else $PORT, else 4242. An empty or unset PORT means the default;
 * anything else must be a whole number 0..65535 (as the CLI requires), never silently 4242.
 */
function portOption(options: ServerOptions): number {
  const v = options.port;
  if (v !== undefined) {
    if (!isSize(v, 65535)) throw new RangeError(`port must be a whole number from 0 to 65535, got ${String(v)}`);
    return v;
  }
  const env = process.env.PORT;
  if (env === undefined || env === '') return 4242;
  const port = parseDecimal(env, 65535);
  if (port < 0) throw new RangeError(`PORT=${env} is not a port: expected a whole number from 0 to 65535 (or PORT unset for 4242)`);
  return port;
}

function timeoutOption(options: ServerOptions, name: 'headersTimeout' | 'requestTimeout' | 'keepAliveTimeout' | 'closeGrace' | 'handlerTimeout'): number {
  const v = options[name];
  if (v === undefined) return DEFAULT_OPTIONS[name];
  if (!isSize(v) || v === 0) throw new RangeError(`${name} must be a positive integer (ms), got ${v}`);
  return v;
}

function ignore(): void {}

function onSocketEnd(this: Socket): void {
  connectionOf<Connection>(this).onEnd();
}

function onSocketDrain(this: Socket): void {
  connectionOf<Connection>(this).onDrain();
}

function onSocketClose(this: Socket): void {
  connectionOf<Connection>(this).onClose();
}

/** An upgraded socket closed (its 'close' listener; `this` is the server's counters). */
function upgradedClosed(this: ServerStats): void {
  this.upgradedOpen--;
}

function destroySocket(socket: Socket): void {
  socket.destroy();
}

export class Server implements ServerCore, WaferServer {
  readonly handler: Handler;
  readonly limits: Limits;
  readonly parserKind: ParserKind;
  readonly parserOptions: ParserOptions;
  readonly parsers: ParserPool;
  readonly streamBody: boolean;
  readonly loop: LoopStrategy;
  readonly rawSocket: boolean;
  readonly counters: ServerStats;
  readonly upgrade: UpgradeHandler | null;
  /**
   * Coarse clock: ms since just before the server started, so that it stays a small integer
   * (a Smi) in every connection's timestamps, never a boxed double.
   */
  now = 1;
  private readonly epoch = Date.now() - 1;
  closing = false;
  readonly maxConns: number;
  readonly headersTimeout: number;
  readonly requestTimeout: number;
  readonly keepAliveTimeout: number;
  readonly closeGrace: number;
  /** 0: off. */
  readonly handlerTimeout: number;
  /** Refused connections still open (until their hard deadline, lingerTimeout after accept). */
  private readonly refusing = new Set<Socket>();
  private readonly requestedPort: number;
  private readonly requestedHost: string;
  private readonly net: net.Server;
  private readonly conns = new Set<Connection>();
  private sweepTimer: NodeJS.Timeout | null = null;
  /** ms between sweeps. */
  private sweepEvery = 1000;
  private closePromise: Promise<void> | null = null;
  private closeResolve: (() => void) | null = null;
  private readonly errorHook: (err: unknown) => void;

  constructor(handler: Handler, options: ServerOptions = {}) {
    if (typeof handler !== 'function') throw new TypeError('listen(handler): handler must be a function');
    checkOptionNames(options);
    this.handler = handler;
    const overrides: Partial<Limits> = {};
    for (const key of LIMIT_KEYS) if (options[key] !== undefined) overrides[key] = options[key];
    this.limits = resolveLimits(overrides);
    const kind = options.loop ?? DEFAULT_OPTIONS.loop;
    if (kind !== 'edge' && kind !== 'poll') throw new TypeError(`unknown loop: ${String(kind)} (expected 'edge' or 'poll')`);
    this.loop = kind === 'edge' ? edge : poll;
    this.parserKind = options.parser ?? DEFAULT_OPTIONS.parser;
    if (this.parserKind !== 'wafer' && this.parserKind !== 'llhttp') throw new TypeError(`unknown parser: ${String(this.parserKind)} (expected 'wafer' or 'llhttp')`);
    this.parserOptions = {
      // RFC 9112 §7.1.1 allows BWS before a chunk extension's `;` (`5 ;ext`); llhttp refuses it
      // unless this flag is set. Everything else stays strict (parser/RULES.md).
      lenient: options.lenient ?? Lenient.SPACES_AFTER_CHUNK_SIZE,
      // …and only there: `5 \r\n` stays 400 (llhttp's flag would let it through). And RFC 9110
      // §5.6.1's empty list elements: `Transfer-Encoding: chunked,` is chunked (wafer parser).
      chunkSpacesOnlyBeforeExtension: true,
      teEmptyListElements: true,
      maxHeaderSize: this.limits.maxHeaderSize,
      maxHeaderCount: this.limits.maxHeaderCount,
      maxUrlLength: this.limits.maxUrlLength,
      maxChunkExtensionSize: this.limits.maxChunkExtensionSize,
    };
    this.parsers = new ParserPool(this.parserKind, this.parserOptions);
    this.streamBody = options.streamBody === true;
    this.rawSocket = options.rawSocket !== false;
    const maxConns = options.maxConns ?? DEFAULT_OPTIONS.maxConns;
    if (!isSize(maxConns) || maxConns === 0) throw new RangeError(`maxConns must be a positive integer, got ${maxConns}`);
    this.maxConns = maxConns;
    this.headersTimeout = timeoutOption(options, 'headersTimeout');
    this.requestTimeout = timeoutOption(options, 'requestTimeout');
    this.keepAliveTimeout = timeoutOption(options, 'keepAliveTimeout');
    this.closeGrace = timeoutOption(options, 'closeGrace');
    this.handlerTimeout = options.handlerTimeout === 0 ? 0 : timeoutOption(options, 'handlerTimeout');
    this.requestedPort = portOption(options);
    this.requestedHost = options.host ?? DEFAULT_OPTIONS.host;
    this.errorHook = options.onError ?? ((err: unknown) => console.error('wafer: handler failed:', err));
    if (options.upgrade !== undefined && typeof options.upgrade !== 'function') throw new TypeError('upgrade must be a function (req, socket, head)');
    this.upgrade = options.upgrade ?? null;
    this.counters = {
      connections: 0, accepted: 0, refused: 0, refusing: 0, requests: 0, parseErrors: 0, timeouts: 0, handlerErrors: 0,
      handlerTimeouts: 0, bodyBytes: 0, bodyBudgetRejected: 0, upgraded: 0, upgradedOpen: 0,
    };
    this.net = net.createServer(
      // The socket's own high-water mark is ours, so write() → false and 'drain' agree with it.
      { allowHalfOpen: true, noDelay: true, highWaterMark: this.limits.highWaterMark }, (socket) => this.accept(socket));
  }

  get port(): number {
    const addr = this.net.address();
    return addr !== null && typeof addr === 'object' ? addr.port : this.requestedPort;
  }

  get host(): string {
    return this.requestedHost;
  }

  /** Bind; resolves once listening, rejects with a readable error (EADDRINUSE, EACCES …). */
  start(): Promise<this> {
    return new Promise((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException): void => {
        this.net.removeListener('listening', onListening);
        const where = `${this.requestedHost}:${this.requestedPort}`;
        const why = err.code === 'EADDRINUSE' ? 'the address is already in use'
          : err.code === 'EACCES' ? 'permission denied' : err.message;
        const e = new Error(`wafer: cannot listen on ${where}: ${why}`) as NodeJS.ErrnoException;
        e.code = err.code;
        e.cause = err;
        reject(e);
      };
      const onListening = (): void => {
        this.net.removeListener('error', onError);
        this.net.on('error', ignore); // accept errors (EMFILE…) must not crash the process
        this.startSweep();
        resolve(this);
      };
      this.net.once('error', onError);
      this.net.once('listening', onListening);
      this.net.listen({ port: this.requestedPort, host: this.requestedHost });
    });
  }

  private accept(socket: Socket): void {
    if (this.closing) {
      socket.destroy();
      return;
    }
    if (this.conns.size >= this.maxConns) {
      this.refuse(socket);
      return;
    }
    this.counters.accepted++;
    // The coarse clock is refreshed by the sweep; a sweep that ran late (a busy process) would
    // leave it far behind, and a new connection timed from it would meet headersTimeout early.
    // One clock read per connection, none per request.
    this.now = Date.now() - this.epoch;
    const conn = new Connection(socket, this, this.now);
    this.conns.add(conn);
    this.counters.connections = this.conns.size;
    // Shared listeners, no closure per connection.
    socket.on('error', ignore); // resets and EPIPE end in 'close'; nothing else to do
    socket.on('close', onSocketClose);
    this.loop.attach(conn, this.rawSocket);
    // A loop on the raw handle reports EOF and write completion itself (loop/raw-socket.ts).
    if (conn.handle === null) {
      socket.on('end', onSocketEnd);
      socket.on('drain', onSocketDrain);
    }
  }

  /**
   * Admission: over maxConns, answer 503 with Retry-After and close (RFC 9110 §15.6.4). A
   * refused socket holds a descriptor but no maxConns slot, so it gets a hard deadline from its
   * accept (not an inactivity timer, which a client trickling bytes would keep resetting), and
   * is counted in stats().refusing while it lives.
   */
  private refuse(socket: Socket): void {
    this.counters.refused++;
    socket.on('error', ignore);
    const refusing = this.refusing;
    refusing.add(socket);
    this.counters.refusing = refusing.size;
    const deadline = setTimeout(destroySocket, DEFAULT_OPTIONS.lingerTimeout, socket);
    socket.once('close', () => {
      clearTimeout(deadline);
      refusing.delete(socket);
      this.counters.refusing = refusing.size;
    });
    // Read and drop whatever the client sends so our FIN is not overtaken by a reset.
    socket.resume();
    socket.end(
      'HTTP/1.1 503 Service Unavailable\r\n' + dateLine() +
      `Retry-After: ${DEFAULT_OPTIONS.retryAfter}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`,
    );
  }

  onHandlerError(err: unknown): void {
    try {
      this.errorHook(err);
    } catch {
      // a failing error hook must not take the server down
    }
  }

  /**
   * `conn`'s socket goes to the upgrade callback: wafer's listeners come off (but the one that
   * swallows 'error': an app that adds none must not crash the process), and it leaves `conns`
   * — the sweep, maxConns and server.close(), which neither waits for nor closes upgraded
   * sockets (node:http leaves them to the app too). stats() counts it until it closes.
   */
  upgraded(conn: Connection): void {
    const socket = conn.socket;
    socket.removeListener('close', onSocketClose);
    socket.removeListener('end', onSocketEnd);
    socket.removeListener('drain', onSocketDrain);
    this.counters.upgraded++;
    this.counters.upgradedOpen++;
    socket.once('close', upgradedClosed.bind(this.counters));
    this.release(conn);
  }

  release(conn: Connection): void {
    this.conns.delete(conn);
    this.counters.connections = this.conns.size;
    if (this.closing && this.conns.size === 0) this.finishClose();
  }

  // ---------------------------------------------------------------- timeouts

  /**
   * One timer per server, not one per socket: every tick checks each connection's phase
   * against its deadline. Resolution is a quarter of the shortest timeout (10 ms – 1 s).
   */
  private startSweep(): void {
    let shortest = Math.min(this.headersTimeout, this.requestTimeout, this.keepAliveTimeout);
    if (this.handlerTimeout > 0 && this.handlerTimeout < shortest) shortest = this.handlerTimeout;
    const every = (this.sweepEvery = Math.max(10, Math.min(1000, Math.floor(shortest / 4))));
    this.sweepTimer = setInterval(() => this.sweep(), every);
    this.sweepTimer.unref();
  }

  private sweep(): void {
    const now = (this.now = Date.now() - this.epoch);
    // A request's completion is stamped with the coarse clock, up to one sweep old: waiting one
    // sweep longer means a handler is never cut before its full handlerTimeout (at most 1.5× it).
    const handlerTimeout = this.handlerTimeout > 0 ? this.handlerTimeout + this.sweepEvery : 0;
    for (const conn of this.conns) {
      const pending = conn.pendingOut();
      if (pending > 0 && (conn.ended || conn.isIdle())) {
        // The last answers are still leaving (a large body to a slow reader): the idle and
        // linger clocks wait for them. Node shows no progress inside one large write
        // (writableLength drops only when it completes), so only a count that has not moved
        // for a whole requestTimeout means a reader that stopped reading.
        if (pending !== conn.lastPending) {
          conn.lastPending = pending;
          conn.sendMovedAt = now;
        } else if (now - conn.sendMovedAt > this.requestTimeout) {
          conn.destroy();
          continue;
        }
        if (conn.ended) conn.endedAt = now;
        else conn.phaseStart = now;
        continue;
      }
      conn.lastPending = 0;
      if (conn.ended) {
        if (now - conn.endedAt > DEFAULT_OPTIONS.lingerTimeout) conn.destroy();
        continue;
      }
      if (handlerTimeout > 0 && conn.handlerOverdue(now, handlerTimeout)) {
        conn.handlerTimedOut();
        continue;
      }
      const age = now - conn.phaseStart;
      switch (conn.phase) {
        case Phase.Idle:
          // Waiting for a first byte; handlers still running are timed by handlerTimeout (above).
          if (conn.isIdle()) {
            if (age > (conn.served ? this.keepAliveTimeout : this.headersTimeout)) conn.timeout();
          } else if (conn.peerEnded && age > this.requestTimeout) {
            // The client sent FIN while a handler runs: it may await the answer (half-close) or
            // be gone, which TCP cannot tell us. requestTimeout bounds the wait, else a handler
            // that never answers would hold the connection until server.close().
            conn.destroy();
          } else if (conn.drainSince > 0 && now - conn.drainSince > this.requestTimeout) {
            // A response has waited in drain() that long: the client reads nothing (slow read).
            // Cut it, or it would hold its connection and a maxConns slot for ever.
            conn.destroy();
          }
          break;
        case Phase.Head:
          if (age > this.headersTimeout) conn.timeout();
          break;
        case Phase.Body:
          if (age > this.requestTimeout) conn.timeout();
          break;
      }
    }
  }

  // ---------------------------------------------------------------- close

  stats(): ServerStats {
    return { ...this.counters, connections: this.conns.size, refusing: this.refusing.size };
  }

  /**
   * Stop accepting, close idle keep-alive connections at once, let in-flight requests finish
   * (their responses say `Connection: close`) for up to closeGrace, then cut what is left.
   */
  close(): Promise<void> {
    if (this.closePromise !== null) return this.closePromise;
    this.closing = true;
    this.closePromise = new Promise<void>((resolve) => {
      this.closeResolve = resolve;
    });
    this.net.close();
    for (const socket of this.refusing) socket.destroy();
    for (const conn of this.conns) conn.shutdown();
    if (this.conns.size === 0) this.finishClose();
    else {
      const grace = setTimeout(() => {
        for (const conn of this.conns) conn.destroy();
      }, this.closeGrace);
      // Not unref'd: with only half-open sockets left the loop could otherwise empty out and
      // close() would never settle (code awaiting it would never run).
      void this.closePromise.then(() => clearTimeout(grace));
    }
    return this.closePromise;
  }

  private finishClose(): void {
    if (this.sweepTimer !== null) {
      clearInterval(this.sweepTimer);
      this.sweepTimer = null;
    }
    const resolve = this.closeResolve;
    this.closeResolve = null;
    if (resolve !== null) {
      // Resolve once the listening socket is closed too.
      if (this.net.listening) this.net.once('close', () => resolve());
      else resolve();
    }
  }
}

/** Start a server: resolves with it once the port is bound. */
export function listen(handler: Handler, options?: ServerOptions): Promise<WaferServer> {
  let server: Server;
  try {
    server = new Server(handler, options);
  } catch (err) {
    return Promise.reject(err);
  }
  return server.start();
}
