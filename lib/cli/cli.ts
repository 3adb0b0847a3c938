#!/usr/bin/env node
// `wafer app.js` — load a module, take its handler, serve it. One process, or with
// WORKERS=n a primary that forks n of these (lib/cli/cluster.ts). Exit codes: 0 after a signal
// closed the server, 2 for a bad setting or a module without a handler (one line on stderr),
// 1 for anything else (cannot listen, the app threw while loading).
import cluster from 'node:cluster';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { extname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { listen } from '../index.js';
import type { Handler, WaferServer } from '../core/types.js';
import { parseSettings, SettingsError, startupLine, USAGE, type CliSettings } from './settings.js';
import { CLUSTER_PORT_ENV, runPrimary, workerMessages, type WorkerMessage } from './cluster.js';

/** Tried in order when the name given has no extension (`wafer examples/factor`). */
const EXTENSIONS = ['.js', '.mjs', '.cjs', '.ts', '.mts', '.cts'];
const TS_EXTENSIONS = new Set(['.ts', '.mts', '.cts']);

/** Find the file `wafer NAME` means: NAME itself, NAME + a known extension, or NAME/index.*. */
function resolveAppFile(name: string, cwd: string = process.cwd()): string {
  const base = resolve(cwd, name);
  if (isFile(base)) return base;
  const candidates = EXTENSIONS.map((ext) => base + ext);
  if (isDirectory(base)) candidates.push(...EXTENSIONS.map((ext) => join(base, 'index' + ext)));
  for (const c of candidates) if (isFile(c)) return c;
  throw new SettingsError(`app module not found: ${name}`);
}

function isFile(p: string): boolean {
  return existsSync(p) && statSync(p).isFile();
}
function isDirectory(p: string): boolean {
  return existsSync(p) && statSync(p).isDirectory();
}

/**
 * Import the app and return its handler. `.js`/`.mjs`/`.cjs` load with plain Node; TypeScript
 * goes through tsx's loader, imported only here so JavaScript apps never pay for it.
 */
async function loadHandler(file: string): Promise<Handler> {
  if (TS_EXTENSIONS.has(extname(file))) await registerTypeScript();
  const mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  const handler = pickHandler(mod);
  if (handler === undefined) {
    throw new SettingsError(
      `${file} exports no handler (expected \`export default (req, res) => …\` or \`export const server = …\`)`);
  }
  return handler;
}

/** The default export, else an export named `server`; CommonJS `module.exports` arrives as default. */
function pickHandler(mod: Record<string, unknown>): Handler | undefined {
  const def = mod.default as Record<string, unknown> | Handler | undefined;
  const candidates = [def, mod.server];
  if (def !== null && typeof def === 'object') candidates.push(def.default, def.server);
  for (const c of candidates) if (typeof c === 'function') return c as Handler;
  return undefined;
}

/**
 * tsx hooks both module systems: a .ts file outside a `"type": "module"` package is loaded
 * as CommonJS by Node, through require's hooks, not the ESM loader's.
 */
async function registerTypeScript(): Promise<void> {
  let esm: { register: () => unknown };
  let cjs: { register: () => unknown };
  try {
    esm = (await import('tsx/esm/api')) as typeof esm;
    cjs = (await import('tsx/cjs/api')) as typeof cjs;
  } catch {
    throw new SettingsError(
      'running a .ts app needs the optional dependency tsx (npm install tsx), or compile it to .js first');
  }
  esm.register();
  cjs.register();
}

/** Serve in this process: the whole command when WORKERS=1, one worker otherwise. */
async function serve(s: CliSettings): Promise<void> {
  const handler = await loadHandler(resolveAppFile(s.file));
  const port = cluster.isWorker ? Number(process.env[CLUSTER_PORT_ENV] ?? s.port) : s.port;
  let tls: { key: Buffer; cert: Buffer } | undefined;
  if (s.tlsKey !== undefined && s.tlsCert !== undefined) {
    try {
      tls = { key: readFileSync(s.tlsKey), cert: readFileSync(s.tlsCert) };
    } catch (err) {
      throw new SettingsError(`cannot read the TLS key or certificate: ${(err as Error).message}`);
    }
  }
  const where = s.socketPath !== undefined ? { path: s.socketPath } : { port, host: s.host };
  let server: WaferServer;
  try {
    server = await listen(handler, { ...where, loop: s.loop, maxConns: s.maxConns, parser: s.parser, log: s.accessLog, ...(tls !== undefined ? { tls } : {}) });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    console.error(`wafer: cannot listen on ${s.socketPath ?? `${s.host}:${port}`}: ${code}`);
    process.exit(1);
  }

  let closing = false;
  let signals = 0;
  /**
   * Close gracefully. A second *signal* (Ctrl-C twice) stops waiting for in-flight requests;
   * a close asked for by the primary does not count, since a terminal's Ctrl-C reaches a
   * worker both directly and through the primary, in either order.
   */
  const close = (bySignal: boolean): void => {
    if (bySignal && ++signals > 1) {
      console.error(`wafer: second signal, pid ${process.pid} exits without waiting`);
      process.exit(1);
    }
    if (closing) return;
    closing = true;
    server.close().then(() => process.exit(0), (err: Error) => {
      console.error(`wafer: close failed: ${err.message}`);
      process.exit(1);
    });
  };
  process.on('SIGINT', () => close(true));
  process.on('SIGTERM', () => close(true));

  if (cluster.isWorker) {
    process.on('message', (msg: WorkerMessage) => { if (msg?.wafer === workerMessages.close) close(false); });
    // The primary is gone (killed hard): nobody will restart us or tell us to stop.
    process.on('disconnect', () => close(false));
    process.send?.({ wafer: workerMessages.listening, port: server.port } satisfies WorkerMessage);
  } else {
    console.log(startupLine(s, server.port, `pid ${process.pid}`));
  }
}

async function main(): Promise<void> {
  const { help, settings } = parseSettings(process.argv.slice(2), process.env);
  if (help) {
    process.stdout.write(USAGE);
    return;
  }
  if (settings.workers > 1 && cluster.isPrimary) {
    // Check the file exists before forking n processes that would each say so.
    resolveAppFile(settings.file);
    runPrimary(settings, (port, pids) => console.log(startupLine(settings, port, `${pids.length} workers: pids ${pids.join(' ')}`)));
    return;
  }
  await serve(settings);
}

main().catch((err: unknown) => {
  if (err instanceof SettingsError) {
    console.error(`wafer: ${err.message.replace(/\s+/g, ' ')}`);
    process.exit(2);
  }
  console.error('wafer: the app failed to load:', err);
  process.exit(1);
});
