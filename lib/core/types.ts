// The public shapes a handler sees. The engine (lib/core/server.ts, lib/core/connection.ts,
// lib/core/request.ts, lib/core/response.ts) implements them; app helpers (router, static files,
// body parsers) are written against these interfaces only.
import type { TlsOptions } from 'node:tls';
import type { Limits } from './limits.js';
import type { ParserKind } from '../../parser/types.js';
import type { LoopKind } from '../../loop/types.js';
import type { Buffer } from 'node:buffer';
import type { Socket } from 'node:net';

export interface WaferRequest {
  method: string;
  /** The raw request target, exactly as sent (`/a/b?x=1`). */
  url: string;
  /** The path part of `url`, not decoded. */
  path: string;
  /** The query string without `?` ('' when none), not decoded. */
  query: string;
  /** Lower-cased names; repeated fields joined with ', ' (RFC 9110 §5.3), `set-cookie` kept as an array. */
  headers: Record<string, string | string[] | undefined>;
  /** As sent: [name, value, name, value, …]. */
  rawHeaders: string[];
  /** '1.1' or '1.0'. */
  httpVersion: string;
  /** The complete body when the handler runs (empty Buffer when none). In streaming mode: empty; read `req` as an async iterable instead. */
  body: Buffer;
  /** Route parameters, filled by the router (`/users/:id` → { id }). */
  params: Record<string, string>;
  /** Peer address. */
  remoteAddress: string | undefined;
  /**
   * The client's address: the peer address, or — when the peer is trusted by `trustProxy` — the
   * first untrusted address of X-Forwarded-For (else Forwarded `for=`), read from the right.
   * Computed when read.
   */
  readonly ip: string | undefined;
  /**
   * 'https' on a TLS connection; else, from a peer trusted by `trustProxy`, what
   * X-Forwarded-Proto (else Forwarded `proto=`) says; else 'http'. Computed when read.
   */
  readonly protocol: 'http' | 'https';
  /**
   * Aborted when the client goes away (the connection closes) before the response has ended,
   * or when `handlerTimeout` passes without the head sent (reason: a DOMException named
   * 'AbortError' or 'TimeoutError'). Long handlers pass it on (fetch, timers, streams) or check
   * `aborted` to stop work nobody will receive. Made on first read: free when unused.
   */
  readonly signal: AbortSignal;
  /** Streaming mode only: the body chunk by chunk, with backpressure. */
  [Symbol.asyncIterator](): AsyncIterator<Buffer>;
}

export interface WaferResponse {
  statusCode: number;
  /** Reason phrase; defaults from the status code. */
  statusMessage: string;
  setHeader(name: string, value: string | number | readonly string[]): this;
  getHeader(name: string): string | number | readonly string[] | undefined;
  removeHeader(name: string): this;
  hasHeader(name: string): boolean;
  /** True once the status line and headers have been queued for the wire. */
  readonly headersSent: boolean;
  /** True once end() has been called. */
  readonly writableEnded: boolean;
  /** Set the status (and reason phrase, and headers) for the head, which leaves with the first write()/end(). */
  writeHead(statusCode: number, reason?: string | Record<string, string | number | readonly string[]>, headers?: Record<string, string | number | readonly string[]>): this;
  /** Send a piece of body (chunked when no Content-Length was set). False: wait for 'drain' (see drain()). */
  write(chunk: string | Buffer | Uint8Array): boolean;
  /**
   * Resolves when the connection can take more (after write() returned false) — or at once when
   * the connection is gone, so a writer must check `destroyed` to stop.
   */
  drain(): Promise<void>;
  /** The connection is gone (client reset, timeout, server cut): writes are dropped. */
  readonly destroyed: boolean;
  /** Finish the response, with an optional last piece of body. */
  end(body?: string | Buffer | Uint8Array | null): void;
  /** Send `value` as JSON with `content-type: application/json; charset=utf-8`. */
  json(value: unknown, statusCode?: number): void;
  /** Set Content-Type from a short name or extension ('json', 'html', 'txt', '.css') or a full type. */
  type(name: string): this;
  /** Redirect (default 302) to `location`. */
  redirect(location: string, statusCode?: number): void;
  /** The request this answers (for helpers that need both). */
  readonly req: WaferRequest;
}

export type Handler = (req: WaferRequest, res: WaferResponse) => unknown | Promise<unknown>;

/** What `onResponse` learns about a finished response. */
export interface ResponseInfo {
  /** The status sent. */
  statusCode: number;
  /** Bytes of the head (status line and fields) plus the body, as handed to the connection; chunk framing and a 100 Continue not counted. */
  bytes: number;
  /** Bytes of the body alone (0 for HEAD, 204, 304). */
  bodyBytes: number;
  /** ms from the request head's arrival to the response's end (handed to the socket), fractional. */
  durationMs: number;
}

/**
 * An Upgrade (or CONNECT) request handed to ServerOptions.upgrade: the shape node:http gives its
 * 'upgrade' listeners, so `ws`'s `handleUpgrade(req, socket, head, cb)` takes it as it is.
 */
export interface UpgradeRequest extends Pick<WaferRequest,
  'method' | 'url' | 'path' | 'query' | 'headers' | 'rawHeaders' | 'httpVersion' | 'remoteAddress'> {
  /** The connection's socket (the same one the callback gets). */
  socket: Socket;
}

/**
 * Takes over a connection whose request asked to switch protocols (ServerOptions.upgrade).
 * `socket` is the connection's own socket, now the callback's: wafer neither reads, writes,
 * times nor closes it any more. `head`: bytes the client sent after the request head (the
 * start of the new protocol), possibly empty.
 */
export type UpgradeHandler = (req: UpgradeRequest, socket: Socket, head: Buffer) => unknown | Promise<unknown>;

export type { LoopKind } from '../../loop/types.js';

export interface ServerOptions extends Partial<Limits> {
  /** Default: $PORT, or 4242 when PORT is unset or empty (any other PORT that is not 0..65535 is an error). 0 picks a free port. */
  port?: number;
  /** Default '0.0.0.0'. */
  host?: string;
  /** Default 'edge'. */
  loop?: LoopKind;
  /** Live connection cap (WAFer's MAX_CON_CONS); default 10000. Excess connections get 503. */
  maxConns?: number;
  /** Default 'wafer'. */
  parser?: ParserKind;
  /** llhttp lenient flags (bits of parser/types.ts Lenient); default Lenient.SPACES_AFTER_CHUNK_SIZE (BWS before a chunk extension, RFC 9112 §7.1.1), else strict. */
  lenient?: number;
  /** Deliver the body as a stream instead of a Buffer. Default false. */
  streamBody?: boolean;
  /** ms to receive a complete request head (slowloris). */
  headersTimeout?: number;
  /** ms to receive a complete request (head + body). */
  requestTimeout?: number;
  /** ms an idle keep-alive connection is kept. Default 60000 (60 s). */
  keepAliveTimeout?: number;
  /** ms server.close() waits for in-flight requests before cutting them. */
  closeGrace?: number;
  /**
   * ms a handler has, from the complete request, to send its response's head; past it the
   * client gets `503` + `Connection: close`, `req.signal` aborts, and the connection (and its
   * maxConns slot) is freed once the answer is out. A response whose head has been sent
   * (streaming) is no longer timed by it. Checked by the server's coarse sweep: the 503 comes
   * after handlerTimeout, and before about 1.5× it. Default 120000 (120 s); 0 = off.
   */
  handlerTimeout?: number;
  /**
   * edge loop: drive the socket's libuv handle directly (reads from its onread into one shared
   * buffer, each batch of answers in one handle write) where Node allows it. Default true;
   * false keeps the loop on node:net's stream API ('data' events, socket.write).
   */
  rawSocket?: boolean;
  /** Called with what a handler threw or rejected with. Default: console.error. */
  onError?: (err: unknown) => void;
  /**
   * Which peers' X-Forwarded-For / Forwarded / X-Forwarded-Proto to believe (req.ip,
   * req.protocol): false (default) none; true every hop; a number, that many proxies in front;
   * or a list of addresses and CIDR ranges (IPv4, IPv6).
   */
  trustProxy?: boolean | number | readonly string[];
  /**
   * Called once per finished response (handler answers, the engine's answers to a request
   * such as 500, 503, 413, 408 mid-body), in wire order. What it throws goes to onError.
   */
  onResponse?: (req: WaferRequest, res: WaferResponse, info: ResponseInfo) => void;
  /** Print one Common Log Format line per finished response to stdout. Default false. */
  log?: boolean;
  /**
   * Serve HTTPS: options for node:tls's `tls.createServer` (`key` and `cert`, or `pfx`, at
   * least), passed through as given. ALPN offers `http/1.1` only. `handshakeTimeout` defaults
   * to `headersTimeout`. TLS connections run on the stream API (no raw-handle path).
   */
  tls?: TlsOptions;
  /**
   * Listen on this Unix domain socket instead of a TCP port (`port` and `host` must then be
   * unset). A stale socket file (nothing accepts on it) is replaced; a live one is an error
   * (EADDRINUSE). The file is removed by close().
   */
  path?: string;
  /**
   * Testing and diagnostic switch, not a tuning knob: false turns off every memo of the
   * request and response path (lib/core/caches.ts, parser/head-memo.ts), an object turns off
   * the ones it names with false. Answers are the same bytes either way (only slower).
   * Default true.
   */
  caches?: CacheSwitch;
  /**
   * Takes requests that ask to switch protocols: `Connection: upgrade` with an `Upgrade` field
   * and no body, and every CONNECT. Gets the request, the connection's socket (in plain stream
   * mode, out of wafer's hands) and the bytes already read after the head; mount `ws` with
   * `wss.handleUpgrade(req, socket, head, cb)`. Unset (default): such requests go to the handler
   * like any other, and the connection closes after its answer (RFC 9110 §7.8). docs/upgrade.md.
   */
  upgrade?: UpgradeHandler;
}

/** The memos a `caches` option names (docs/performance.md says what each remembers). */
export type CacheName = 'repeatHead' | 'shortStrings' | 'host' | 'originForm' | 'fieldNames' | 'asciiValue' | 'renderedHead';
/** `caches` option: true (default) or false for all, or per memo (unnamed ones stay on). */
export type CacheSwitch = boolean | Partial<Record<CacheName, boolean>>;

export interface ServerStats {
  /** Connections open now. */
  connections: number;
  /** Connections admitted since start. */
  accepted: number;
  /** Connections turned away with 503 because `maxConns` were open. */
  refused: number;
  /**
   * Refused connections open now (answered 503, not yet closed): each is closed at the latest
   * 2 s after its accept, whatever it sends, so they number at most the refusals of the last 2 s.
   */
  refusing: number;
  /** Request heads received. */
  requests: number;
  /** Requests the engine rejected for their bytes (400, 413, 414, 417, 431, 501, 505). */
  parseErrors: number;
  /** Connections closed by headersTimeout, requestTimeout or keepAliveTimeout. */
  timeouts: number;
  /** Handlers that threw or rejected. */
  handlerErrors: number;
  /** Responses answered 503 because their handler had not sent the head within `handlerTimeout`. */
  handlerTimeouts: number;
  /** Bytes of request bodies buffered now, counted against `maxBodyBytes`. */
  bodyBytes: number;
  /** Requests answered 503 because their body would have passed `maxBodyBytes`. */
  bodyBudgetRejected: number;
  /** Connections handed to the `upgrade` callback since start (they left `connections` then). */
  upgraded: number;
  /** Of those, the sockets still open now (not counted against `maxConns`). */
  upgradedOpen: number;
}

export interface WaferServer {
  /** The bound TCP port; 0 on a Unix socket (`path`). */
  readonly port: number;
  /** The bound address as given in `host`; '' on a Unix socket. */
  readonly host: string;
  /** The Unix socket's path when listening on one (`path` option), else undefined. */
  readonly path: string | undefined;
  stats(): ServerStats;
  close(): Promise<void>;
}
