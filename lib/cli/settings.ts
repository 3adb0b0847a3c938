// The `wafer` command's settings: WAFer's environment variables (PORT, LOOP, MAX_CON_CONS,
// THREADS) read at run time instead of at build time, plus flags that mirror them.
// Flags win over the environment; every value is checked here so a typo stops the command
// with one line instead of surfacing later as a strange server.
import { availableParallelism } from 'node:os';
import type { LoopKind } from '../core/types.js';
import type { ParserKind } from '../../parser/types.js';
import { parseDecimal } from '../core/limits.js';

export interface CliSettings {
  /** The module to serve, as given (not yet resolved). */
  file: string;
  port: number;
  host: string;
  loop: LoopKind;
  maxConns: number;
  parser: ParserKind;
  /** Number of processes; 1 = no cluster. */
  workers: number;
  /** ACCESS_LOG=1: a Common Log Format line per response on stdout (the server's `log` option). */
  accessLog: boolean;
  /** A Unix socket to listen on instead of host:port (SOCKET_PATH, --socket). */
  socketPath: string | undefined;
  /** PEM files: HTTPS when both are set (TLS_KEY/TLS_CERT, --tls-key/--tls-cert). */
  tlsKey: string | undefined;
  tlsCert: string | undefined;
}

/** A setting the user got wrong: the command prints `wafer: <message>` and exits 2. */
export class SettingsError extends Error {
  override name = 'SettingsError';
}

export const DEFAULT_PORT = 4242;
export const DEFAULT_HOST = '0.0.0.0';
export const DEFAULT_MAX_CONNS = 10_000;
/** More processes than this is a typo, not a deployment (each one is a whole V8 heap). */
export const MAX_WORKERS = 256;

// WAFer picked epoll or select at build time; wafer's loops are named for what they do.
const LOOP_NAMES: Record<string, LoopKind> = { edge: 'edge', epoll: 'edge', poll: 'poll', select: 'poll' };
const PARSER_NAMES: Record<string, ParserKind> = { wafer: 'wafer', llhttp: 'llhttp' };
const SWITCH_NAMES: Record<string, boolean> = { 1: true, 0: false, true: true, false: false };

export const USAGE = `usage: wafer [options] <app.js|app.ts>

Serves the handler exported by the module (default export, or an export named \`server\`).

options (each mirrors an environment variable; flags win):
  -p, --port <n>        PORT          port to listen on (default ${DEFAULT_PORT}; 0 = any free port)
      --host <addr>     HOST          address to bind (default ${DEFAULT_HOST})
      --loop <name>     LOOP          edge | poll (WAFer's epoll | select are aliases; default edge)
      --max-conns <n>   MAX_CON_CONS  live connection cap; excess gets 503 (default ${DEFAULT_MAX_CONNS})
  -w, --workers <n>     WORKERS       processes sharing the port (alias THREADS; 'auto' = one per CPU; default 1)
      --parser <name>   PARSER        wafer | llhttp (default wafer)
                        ACCESS_LOG    1: print a Common Log Format line per response to stdout (default 0)
      --socket <path>   SOCKET_PATH   listen on this Unix socket instead of HOST:PORT (one process)
      --tls-key <file>  TLS_KEY       PEM private key: serve HTTPS (with --tls-cert)
      --tls-cert <file> TLS_CERT      PEM certificate (chain) for --tls-key
  -h, --help                          this text
`;

/** Flags that take a value, mapped to the setting they set. */
const FLAGS: Record<string, keyof Omit<CliSettings, 'file'>> = {
  '-p': 'port', '--port': 'port',
  '--host': 'host',
  '--loop': 'loop',
  '--max-conns': 'maxConns',
  '-w': 'workers', '--workers': 'workers',
  '--parser': 'parser',
  '--socket': 'socketPath',
  '--tls-key': 'tlsKey',
  '--tls-cert': 'tlsCert',
};

export interface ParsedArgs {
  help: boolean;
  settings: CliSettings;
}

/**
 * Read argv (without node and the script) and the environment into checked settings.
 * Throws SettingsError naming the variable or flag that is wrong.
 */
export function parseSettings(argv: readonly string[], env: NodeJS.ProcessEnv): ParsedArgs {
  const raw: Partial<Record<keyof Omit<CliSettings, 'file'>, { value: string; from: string }>> = {};
  const fromEnv = (key: keyof typeof raw, ...names: string[]): void => {
    for (const name of names) {
      const value = env[name];
      if (value !== undefined && value !== '') { raw[key] = { value, from: name }; return; }
    }
  };
  fromEnv('port', 'PORT');
  fromEnv('host', 'HOST');
  fromEnv('loop', 'LOOP');
  fromEnv('maxConns', 'MAX_CON_CONS');
  fromEnv('workers', 'WORKERS', 'THREADS');
  fromEnv('parser', 'PARSER');
  const accessLog = env.ACCESS_LOG;
  fromEnv('socketPath', 'SOCKET_PATH');
  fromEnv('tlsKey', 'TLS_KEY');
  fromEnv('tlsCert', 'TLS_CERT');

  let file: string | undefined;
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '-h' || arg === '--help') { help = true; continue; }
    if (arg === '--') {
      if (i + 1 < argv.length) file = setFile(file, argv[i + 1]!);
      if (i + 2 < argv.length) throw new SettingsError(`unexpected argument: ${argv[i + 2]}`);
      break;
    }
    if (arg.startsWith('-') && arg !== '-') {
      const eq = arg.indexOf('=');
      const name = eq > 0 ? arg.slice(0, eq) : arg;
      const key = FLAGS[name];
      if (key === undefined) throw new SettingsError(`unknown option: ${name} (see wafer --help)`);
      let value: string | undefined;
      if (eq > 0) value = arg.slice(eq + 1);
      else if (i + 1 < argv.length) value = argv[++i];
      if (value === undefined) throw new SettingsError(`option ${name} needs a value`);
      raw[key] = { value, from: name };
      continue;
    }
    file = setFile(file, arg);
  }

  if (help) return { help, settings: defaults('') };
  if (file === undefined) throw new SettingsError('no app module given (usage: wafer [options] <app.js|app.ts>)');

  const s = defaults(file);
  if (raw.port) s.port = integer(raw.port, 0, 65535);
  if (raw.host) s.host = raw.host.value;
  if (raw.loop) s.loop = named(raw.loop, LOOP_NAMES);
  if (raw.maxConns) s.maxConns = integer(raw.maxConns, 1, 1_000_000);
  if (raw.parser) s.parser = named(raw.parser, PARSER_NAMES);
  if (accessLog !== undefined && accessLog !== '') s.accessLog = named({ value: accessLog, from: 'ACCESS_LOG' }, SWITCH_NAMES);
  if (raw.workers) {
    s.workers = raw.workers.value.toLowerCase() === 'auto'
      ? availableParallelism()
      : integer(raw.workers, 1, MAX_WORKERS);
  }
  if (raw.socketPath) {
    // The cluster shares one TCP port between workers; each worker would replace the others'
    // socket file as stale-looking, so a Unix socket is served by one process.
    if (s.workers > 1) throw new SettingsError(`${raw.socketPath.from} serves one process: run one wafer per socket (WORKERS=1)`);
    s.socketPath = raw.socketPath.value;
  }
  if ((raw.tlsKey === undefined) !== (raw.tlsCert === undefined)) {
    const given = (raw.tlsKey ?? raw.tlsCert)!;
    throw new SettingsError(`${given.from} needs ${raw.tlsKey ? 'TLS_CERT (--tls-cert)' : 'TLS_KEY (--tls-key)'} too`);
  }
  s.tlsKey = raw.tlsKey?.value;
  s.tlsCert = raw.tlsCert?.value;
  return { help, settings: s };
}

function setFile(current: string | undefined, arg: string): string {
  if (current !== undefined) throw new SettingsError(`one app module only, got ${current} and ${arg}`);
  return arg;
}

function defaults(file: string): CliSettings {
  return {
    file, port: DEFAULT_PORT, host: DEFAULT_HOST, loop: 'edge',
    maxConns: DEFAULT_MAX_CONNS, parser: 'wafer', workers: 1, accessLog: false,
    socketPath: undefined, tlsKey: undefined, tlsCert: undefined,
  };
}

/** A whole decimal number in [min, max]: no sign, no spaces, no '1e3', no hex. */
function integer(v: { value: string; from: string }, min: number, max: number): number {
  const n = parseDecimal(v.value, max);
  if (n < min) throw new SettingsError(`${v.from}=${v.value} is not a whole number from ${min} to ${max}`);
  return n;
}

function named<T>(v: { value: string; from: string }, names: Record<string, T>): T {
  const found = Object.hasOwn(names, v.value.toLowerCase()) ? names[v.value.toLowerCase()] : undefined;
  if (found === undefined) {
    throw new SettingsError(`${v.from}=${v.value} is not one of ${Object.keys(names).join(', ')}`);
  }
  return found;
}

/**
 * The startup line: `wafer: serving app.js on http://localhost:4242 (loop edge, parser wafer,
 * max 10000 connections, pid 123)`; `who` names the process(es).
 */
export function startupLine(s: CliSettings, port: number, who: string): string {
  const any = s.host === '0.0.0.0' || s.host === '::';
  const host = any ? 'localhost' : s.host.includes(':') ? `[${s.host}]` : s.host;
  const conns = `${s.maxConns} connection${s.maxConns === 1 ? '' : 's'}`;
  const scheme = s.tlsKey !== undefined ? 'https' : 'http';
  const where = s.socketPath !== undefined ? `${scheme}+unix:${s.socketPath}` : `${scheme}://${host}:${port}`;
  return `wafer: serving ${s.file} on ${where} (loop ${s.loop}, parser ${s.parser}, ` +
    `max ${conns}${s.workers > 1 ? ' per worker' : ''}, ${who}${any && s.socketPath === undefined ? ', all interfaces' : ''})`;
}
