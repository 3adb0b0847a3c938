// listen()'s options: the defaults besides the byte limits, the list of known option names
// (an unknown one is a TypeError with a suggestion), and the checks of port and timeouts.
import type { ParserKind } from '../../parser/types.js';
import { LINGER_TIMEOUT } from './deadlines.js';
import { RETRY_AFTER } from './dispatch.js';
import { DEFAULT_LIMITS, isSize, parseDecimal, type Limits } from './limits.js';
import type { LoopKind, ServerOptions } from './types.js';

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
  lingerTimeout: LINGER_TIMEOUT,
  /** Seconds a refused client is told to wait (Retry-After, RFC 9110 §10.2.3). */
  retryAfter: RETRY_AFTER,
} as const;

export const LIMIT_KEYS = Object.keys(DEFAULT_LIMITS) as (keyof Limits)[];

/**
 * Every ServerOptions key that is not a limit. Typed as a Record so that tsc refuses this
 * list until a new option is added here (and one that is not an option). Limits come from
 * DEFAULT_LIMITS (lib/core/limits.ts) on their own.
 */
const SERVER_OPTION_KEYS: Record<Exclude<keyof ServerOptions, keyof Limits>, true> = {
  port: true, host: true, loop: true, maxConns: true, parser: true, lenient: true, streamBody: true,
  headersTimeout: true, requestTimeout: true, keepAliveTimeout: true, closeGrace: true, handlerTimeout: true,
  rawSocket: true, onError: true, trustProxy: true, onResponse: true, log: true, tls: true, path: true, caches: true,
  upgrade: true,
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
export function checkOptionNames(options: object): void {
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
export function portOption(options: ServerOptions): number {
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

export function timeoutOption(options: ServerOptions, name: 'headersTimeout' | 'requestTimeout' | 'keepAliveTimeout' | 'closeGrace' | 'handlerTimeout'): number {
  const v = options[name];
  if (v === undefined) return DEFAULT_OPTIONS[name];
  if (!isSize(v) || v === 0) throw new RangeError(`${name} must be a positive integer (ms), got ${v}`);
  return v;
}
