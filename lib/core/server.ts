// listen(): a node:net server, admission (maxConns; refusals in admission.ts), one coarse timer
// that asks every connection to check its deadlines (deadlines.ts), stats, and graceful close.
// Everything per request lives in Connection; this file only deals with connections as a whole.
import net from 'node:net';
import type { Socket } from 'node:net';
import { Lenient, type ParserKind, type ParserOptions } from '../../parser/types.js';
import { edge } from '../../loop/edge.js';
import { poll } from '../../loop/poll.js';
import type { LoopStrategy } from '../../loop/types.js';
import { connectionOf } from '../../loop/owner.js';
import { Connection, type ServerCore } from './connection.js';
import { refuse } from './admission.js';
import { createListener, staleSocketRemoved } from './listener.js';
import { ParserPool } from './parser-pool.js';
import { isSize, resolveLimits, type Limits } from './limits.js';
import { DEFAULT_OPTIONS, LIMIT_KEYS, checkOptionNames, portOption, timeoutOption } from './options.js';
import type { Handler, ServerOptions, ServerStats, UpgradeHandler, WaferServer } from './types.js';

export { DEFAULT_OPTIONS, KNOWN_OPTIONS, editDistance } from './options.js';
import { resolveTrustProxy, type ProxyTrust } from './proxy.js';
import { AccessLog } from './access-log.js';
import { cacheOn, checkCacheSwitch, ServerCaches } from './caches.js';

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

export class Server implements ServerCore, WaferServer {
  readonly handler: Handler;
  readonly limits: Limits;
  readonly parserKind: ParserKind;
  readonly parserOptions: ParserOptions;
  readonly parsers: ParserPool;
  /** This server's memos (lib/core/caches.ts): its connections, requests and responses share them, no other server does. */
  readonly caches: ServerCaches;
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
  /** handlerTimeout plus one sweep interval, or 0 (ServerCore.handlerDeadline; set by startSweep). */
  handlerDeadline = 0;
  /** Refused connections still open (until their hard deadline, lingerTimeout after accept). */
  private readonly refusing = new Set<Socket>();
  private readonly requestedPort: number;
  private readonly requestedHost: string;
  /** The Unix socket path (`path` option), or undefined on TCP. */
  readonly path: string | undefined;
  /** TLS: TCP sockets accepted whose handshake has not completed; close() destroys them. */
  private readonly handshaking: Set<Socket> | null;
  private readonly net: net.Server;
  private readonly conns = new Set<Connection>();
  private sweepTimer: NodeJS.Timeout | null = null;
  private closePromise: Promise<void> | null = null;
  private closeResolve: (() => void) | null = null;
  private readonly errorHook: (err: unknown) => void;
  readonly trustProxy: ProxyTrust | null;
  readonly accessLog: AccessLog | null;

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
    checkCacheSwitch(options.caches);
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
      caches: { repeatHead: cacheOn(options.caches, 'repeatHead'), shortStrings: cacheOn(options.caches, 'shortStrings') },
    };
    this.caches = new ServerCaches(options.caches);
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
    if (options.path !== undefined) {
      if (typeof options.path !== 'string' || options.path === '') throw new TypeError(`path must be a non-empty string (a Unix socket's file name), got ${String(options.path)}`);
      if (options.port !== undefined || options.host !== undefined) throw new TypeError('path (a Unix socket) and port/host (TCP) exclude each other: give one or the other');
      this.path = options.path;
      this.requestedPort = 0;
      this.requestedHost = '';
    } else {
      this.path = undefined;
      this.requestedPort = portOption(options);
      this.requestedHost = options.host ?? DEFAULT_OPTIONS.host;
    }
    this.errorHook = options.onError ?? ((err: unknown) => console.error('wafer: handler failed:', err));
    this.trustProxy = resolveTrustProxy(options.trustProxy);
    const onResponse = options.onResponse;
    if (onResponse !== undefined && typeof onResponse !== 'function') throw new TypeError(`onResponse must be a function, got ${typeof onResponse}`);
    if (options.log !== undefined && typeof options.log !== 'boolean') throw new TypeError(`log must be true or false, got ${typeof options.log}`);
    this.accessLog = onResponse !== undefined || options.log === true
      ? new AccessLog({ hook: onResponse ?? null, print: options.log === true, reportError: (err) => this.onHandlerError(err) }) : null;
    if (options.upgrade !== undefined && typeof options.upgrade !== 'function') throw new TypeError('upgrade must be a function (req, socket, head)');
    this.upgrade = options.upgrade ?? null;
    this.counters = {
      connections: 0, accepted: 0, refused: 0, refusing: 0, requests: 0, parseErrors: 0, timeouts: 0, handlerErrors: 0,
      handlerTimeouts: 0, bodyBytes: 0, bodyBudgetRejected: 0, upgraded: 0, upgradedOpen: 0,
    };
    // The socket's own high-water mark is ours, so write() → false and 'drain' agree with it.
    const netOptions = { allowHalfOpen: true, noDelay: true, highWaterMark: this.limits.highWaterMark };
    const listener = createListener(netOptions, options.tls, this.headersTimeout, (socket) => this.accept(socket));
    this.net = listener.net;
    this.handshaking = listener.handshaking;
  }

  get port(): number {
    const addr = this.net.address();
    return addr !== null && typeof addr === 'object' ? addr.port : this.requestedPort;
  }

  get host(): string {
    return this.requestedHost;
  }

  /** Bind; resolves once listening, rejects with a readable error (EADDRINUSE, EACCES …). */
  async start(): Promise<this> {
    if (this.path === undefined) return this.bind();
    try {
      return await this.bind();
    } catch (err) {
      // A socket file left by a server that died is replaced (listener.ts).
      if (!(await staleSocketRemoved(this.path, err as NodeJS.ErrnoException))) throw err;
      return this.bind();
    }
  }

  private bind(): Promise<this> {
    return new Promise((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException): void => {
        this.net.removeListener('listening', onListening);
        const where = this.path ?? `${this.requestedHost}:${this.requestedPort}`;
        const why = err.code === 'EADDRINUSE' ? (this.path !== undefined ? 'another server is listening on this socket' : 'the address is already in use')
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
      if (this.path !== undefined) this.net.listen({ path: this.path });
      else this.net.listen({ port: this.requestedPort, host: this.requestedHost });
    });
  }

  private accept(socket: Socket): void {
    if (this.closing) {
      socket.destroy();
      return;
    }
    if (this.conns.size >= this.maxConns) {
      refuse(socket, this.refusing, this.counters);
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
    // A TLSSocket's handle is a TLS wrap, not the TCP handle: its bytes must go through node's
    // TLS layer, so it stays on the stream API.
    this.loop.attach(conn, this.rawSocket && this.handshaking === null);
    // A loop on the raw handle reports EOF and write completion itself (loop/raw-socket.ts).
    if (conn.handle === null) {
      socket.on('end', onSocketEnd);
      socket.on('drain', onSocketDrain);
    }
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
    const every = Math.max(10, Math.min(1000, Math.floor(shortest / 4)));
    if (this.handlerTimeout > 0) this.handlerDeadline = this.handlerTimeout + every;
    this.sweepTimer = setInterval(() => this.sweep(), every);
    this.sweepTimer.unref();
  }

  private sweep(): void {
    const now = (this.now = Date.now() - this.epoch);
    for (const conn of this.conns) conn.checkDeadline(now);
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
    if (this.handshaking !== null) for (const socket of this.handshaking) socket.destroy();
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
    if (this.accessLog !== null) this.accessLog.flush();
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
