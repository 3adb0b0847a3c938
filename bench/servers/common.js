// Shared plumbing for the benchmark servers. Each server is a small standalone script run by
// plain `node` (no TypeScript loader at bench time): it binds 127.0.0.1 on PORT (0 = any free
// port), prints `READY <port>` on stdout once bound, and exits cleanly on SIGINT/SIGTERM
// (clinic relies on that to write its data).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const HELLO = 'Hello, World!';
export const HOST = '127.0.0.1';
export const PORT = Number(process.env.PORT ?? 0) || 0;
/** Bodies up to this size are accepted by every contender (the upload scenario sends 1 MiB). */
export const BODY_LIMIT = 2 * 1024 * 1024;
/** Idle keep-alive connections are kept this long by every contender, so the 10k-idle memory
 * check measures the same thing everywhere (node:http's own default would close them after 5 s). */
export const KEEP_ALIVE_MS = 120_000;

/** GET paths under this prefix go to the handler that reads headers and the query (the
 * `varied-headers-pipeline` scenario); every other GET path answers HELLO. */
export const HEADERS_PREFIX = '/h/';

/**
 * The answer of the header-reading handler, the same in every contender: what a real handler
 * does with a request's headers and query, kept small. It takes the first Accept-Language tag,
 * the `sid` cookie, the browser family from the User-Agent and the query parameter `q` (already
 * decoded by each server's own query parsing), and answers a short text that depends on all four.
 */
export function headersAnswer(userAgent, acceptLanguage, cookie, q) {
  const lang = acceptLanguage === undefined ? '-' : firstTag(acceptLanguage);
  const sid = cookie === undefined ? '-' : cookieValue(cookie, 'sid');
  const browser = userAgent === undefined ? '-' : userAgent.includes('Firefox/') ? 'firefox' : userAgent.includes('Chrome/') ? 'chrome' : 'other';
  return `lang=${lang} sid=${sid} browser=${browser} q=${q ?? '-'}`;
}

function firstTag(list) {
  let end = list.length;
  const comma = list.indexOf(',');
  if (comma !== -1) end = comma;
  const semi = list.indexOf(';');
  if (semi !== -1 && semi < end) end = semi;
  return list.slice(0, end).trim();
}

/** A cookie's value from a Cookie header (RFC 6265 §4.2.1: `name=value` pairs joined by "; "). */
function cookieValue(header, name) {
  let at = 0;
  while (at < header.length) {
    let end = header.indexOf(';', at);
    if (end === -1) end = header.length;
    const eq = header.indexOf('=', at);
    if (eq !== -1 && eq < end && header.slice(at, eq).trim() === name) return header.slice(eq + 1, end).trim();
    at = end + 1;
  }
  return '-';
}

/**
 * A throwaway self-signed certificate for the HTTPS contenders (wrk does not verify it), made
 * by the `openssl` command: P-256, as a typical modern server certificate.
 */
export function tlsCredentials() {
  const dir = mkdtempSync(join(tmpdir(), 'wafer-bench-tls-'));
  try {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
      '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=localhost'], { stdio: 'ignore' });
    return { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function announce(port) {
  process.stdout.write(`READY ${port}\n`);
}

/** `WAFER_BENCH_CPU=1` makes the server pin itself: used by `npm run profile`, where clinic
 * spawns node itself and a `taskset` prefix can't be put in front. */
export function pinSelfIfAsked() {
  const cpu = process.env.WAFER_BENCH_CPU;
  if (cpu === undefined || cpu === '') return;
  try {
    execFileSync('taskset', ['-a', '-p', '-c', cpu, String(process.pid)], { stdio: 'ignore' });
  } catch {
    process.stderr.write(`warning: could not pin pid ${process.pid} to CPU ${cpu}\n`);
  }
}

export function onStop(close) {
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    // Don't wait on idle keep-alive clients forever: a benchmark server must go away promptly.
    const force = setTimeout(() => process.exit(0), 2000);
    force.unref();
    Promise.resolve()
      .then(close)
      .catch(() => {})
      .finally(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
