// Files from disk: serveFile() answers one request with one file; serveStatic() maps a URL
// path under a root directory to a file and never lets it escape that root.
//
// What a response carries: Content-Type from the extension (mime-types), Last-Modified and
// a strong ETag from size + mtime, Accept-Ranges. Conditional requests follow RFC 9110
// §13.2.2's order; Range (§14) answers a single range with 206 and an unsatisfiable one with
// 416; a request for several ranges gets the whole file with 200 (allowed: §14.2 lets a
// server ignore Range). Bodies are read in 64 KiB pieces and written with backpressure;
// files up to 64 KiB are kept in a bounded in-memory cache checked against mtime/size/inode.
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import nodePath from 'node:path';
import mime from 'mime-types';
import { checkPreconditions, etagFor, header, ifRangeHolds, parseRange } from './conditional.js';
import { FileCache } from './file-cache.js';
import { decodeComponent } from './query.js';
import type { Handler, WaferRequest, WaferResponse } from '../core/index.js';

const CHUNK = 64 * 1024;
const sharedCache = new FileCache();

export { FileCache };

// ---------------------------------------------------------------- Content-Disposition

/** RFC 5987 attr-char: everything else is percent-encoded in filename*. */
const ATTR_CHAR = /[A-Za-z0-9!#$&+\-.^_`|~]/;

/**
 * `attachment` with a download name (RFC 6266 §4.3): a quoted ASCII `filename` for old
 * clients, and `filename*=UTF-8''…` (RFC 5987) when the name is not plain ASCII.
 */
export function contentDisposition(name: string): string {
  const base = nodePath.basename(name).replace(/[\x00-\x1f\x7f]/g, '');
  const ascii = base.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '\\$&');
  let out = `attachment; filename="${ascii}"`;
  if (/[^\x20-\x7e]/.test(base)) {
    let enc = '';
    for (const b of Buffer.from(base, 'utf8')) {
      const ch = String.fromCharCode(b);
      enc += b < 0x80 && ATTR_CHAR.test(ch) ? ch : '%' + b.toString(16).toUpperCase().padStart(2, '0');
    }
    out += `; filename*=UTF-8''${enc}`;
  }
  return out;
}

// ---------------------------------------------------------------- serveFile

export interface FileOptions {
  /** If set, `path` is resolved against it and must stay inside it (symlinks resolved): else 404. */
  root?: string;
  /** Send as a download: true uses the file's name, a string names it. */
  download?: boolean | string;
  /** Cache-Control max-age in seconds (default 0: clients revalidate, and get 304s). */
  maxAge?: number;
  /** Content-Type instead of the one from the extension. */
  type?: string;
  /** The in-memory cache to use (default: a shared 8 MiB one); false for none. */
  cache?: FileCache | false;
}

function plain(res: WaferResponse, status: number, text: string): void {
  res.statusCode = status;
  res.setHeader('Content-Type', 'text/plain; charset=utf-8');
  res.end(text + '\n');
}

function isInside(root: string, real: string): boolean {
  return real === root || real.startsWith(root.endsWith(nodePath.sep) ? root : root + nodePath.sep);
}

/** Resolve symlinks; undefined when the file does not exist (or a parent is not a directory). */
async function realpathOrUndefined(p: string): Promise<string | undefined> {
  try {
    return await fsp.realpath(p);
  } catch {
    return undefined;
  }
}

/** Answer `req` with the file at `path`: 200/206/304/412/416, or 404 if it is not a regular file. */
export async function serveFile(req: WaferRequest, res: WaferResponse, path: string, options: FileOptions = {}): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('Allow', 'GET, HEAD');
    return plain(res, 405, 'Method Not Allowed');
  }
  let real: string | undefined;
  if (options.root !== undefined) {
    const root = await realpathOrUndefined(options.root);
    real = root === undefined ? undefined : await realpathOrUndefined(nodePath.resolve(root, path));
    if (root === undefined || real === undefined || !isInside(root, real)) return plain(res, 404, 'Not Found');
  } else {
    real = await realpathOrUndefined(path);
    if (real === undefined) return plain(res, 404, 'Not Found');
  }
  let st: fs.Stats;
  try {
    st = await fsp.stat(real);
  } catch {
    return plain(res, 404, 'Not Found');
  }
  if (!st.isFile()) return plain(res, 404, 'Not Found');
  const cache = options.cache === undefined ? sharedCache : options.cache;
  let data = cache ? cache.get(real, st) : undefined;
  let fh: fsp.FileHandle | undefined;
  try {
    if (data === undefined) {
      // Read through one descriptor and describe what that descriptor holds, so the headers
      // match the bytes even if the path is replaced meanwhile.
      fh = await fsp.open(real, 'r');
      st = await fh.stat();
      if (!st.isFile()) return plain(res, 404, 'Not Found');
      if (cache && st.size <= cache.maxFileSize) {
        data = await fh.readFile();
        if (data.length === st.size) cache.set(real, st, data);
      }
    }
    // The bytes in hand decide the length: a file still being written may have grown.
    await respond(req, res, real, { size: data?.length ?? st.size, mtimeMs: st.mtimeMs }, data, fh, options);
  } finally {
    await fh?.close();
  }
}

async function respond(
  req: WaferRequest,
  res: WaferResponse,
  real: string,
  st: { size: number; mtimeMs: number },
  data: Buffer | undefined,
  fh: fsp.FileHandle | undefined,
  options: FileOptions,
): Promise<void> {
  const etag = etagFor(st);
  const lastModified = new Date(Math.floor(st.mtimeMs / 1000) * 1000).toUTCString();
  res.setHeader('ETag', etag);
  res.setHeader('Last-Modified', lastModified);
  res.setHeader('Cache-Control', `public, max-age=${Math.max(0, Math.floor(options.maxAge ?? 0))}`);
  res.setHeader('Accept-Ranges', 'bytes');

  const verdict = checkPreconditions(req, etag, Math.floor(st.mtimeMs / 1000));
  if (verdict === 304) {
    res.statusCode = 304;
    return res.end();
  }
  if (verdict === 412) return plain(res, 412, 'Precondition Failed');

  res.setHeader('Content-Type', options.type ?? (mime.contentType(nodePath.extname(real)) || 'application/octet-stream'));
  res.setHeader('X-Content-Type-Options', 'nosniff');
  if (options.download) {
    res.setHeader('Content-Disposition', contentDisposition(options.download === true ? real : options.download));
  }

  let start = 0;
  let end = st.size - 1;
  const rangeHeader = header(req, 'range');
  // §14.2: Range is only defined for GET.
  if (rangeHeader !== undefined && req.method === 'GET' && ifRangeHolds(req, etag, lastModified)) {
    const range = parseRange(rangeHeader, st.size);
    if (range === 'unsatisfiable') {
      res.removeHeader('Content-Type');
      res.setHeader('Content-Range', `bytes */${st.size}`);
      res.setHeader('Content-Length', 0);
      res.statusCode = 416;
      return res.end();
    }
    if (range !== undefined) {
      ({ start, end } = range);
      res.statusCode = 206;
      res.setHeader('Content-Range', `bytes ${start}-${end}/${st.size}`);
    }
  }
  const length = end - start + 1;
  res.setHeader('Content-Length', length);
  if (req.method === 'HEAD' || length === 0) return res.end();
  if (data !== undefined) return res.end(start === 0 && length === data.length ? data : data.subarray(start, end + 1));
  await streamRange(res, fh!, start, length);
}

/** Write `length` bytes from `start`, waiting for drain whenever the connection is full. */
async function streamRange(res: WaferResponse, fh: fsp.FileHandle, start: number, length: number): Promise<void> {
  let pos = start;
  let left = length;
  while (left > 0) {
    // A fresh buffer each time: the previous one may still be queued on the socket.
    const buf = Buffer.allocUnsafe(Math.min(CHUNK, left));
    const { bytesRead } = await fh.read(buf, 0, buf.length, pos);
    if (bytesRead === 0) break; // the file shrank under us; the engine sees a short body
    pos += bytesRead;
    left -= bytesRead;
    const piece = bytesRead === buf.length ? buf : buf.subarray(0, bytesRead);
    if (left === 0) return res.end(piece);
    if (!res.write(piece)) await res.drain();
    // The connection went away (drain() then resolves at once): stop reading the file.
    if (res.writableEnded || res.destroyed) return;
  }
  res.end();
}

// ---------------------------------------------------------------- serveStatic

export interface StaticOptions extends Omit<FileOptions, 'root' | 'download'> {
  /** URL path the directory is mounted at (default '': the whole path space). */
  prefix?: string;
  /** File served for a directory (default 'index.html'); false for none. */
  index?: string | false;
  /** Serve names starting with '.' (default false: 404, so .git or .env never leak). */
  dotfiles?: boolean;
}

/**
 * A handler serving files under `root`. The URL path is split on '/' before decoding, so an
 * encoded slash or backslash, a '..' or '.' segment (encoded or not) or a NUL byte is refused
 * with 403; a symlink that resolves outside the root is a 404, as if it were not there.
 * `root` must exist when this is called.
 */
export function serveStatic(root: string, options: StaticOptions = {}): Handler {
  const rootReal = fs.realpathSync(root);
  const prefix = (options.prefix ?? '').replace(/\/+$/, '');
  const index = options.index ?? 'index.html';
  const cache = options.cache === undefined ? new FileCache() : options.cache;
  const fileOptions: FileOptions = { ...options, root: rootReal, cache };

  return async function serveStaticHandler(req: WaferRequest, res: WaferResponse): Promise<void> {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      return plain(res, 405, 'Method Not Allowed');
    }
    const path = req.path;
    if (!path.startsWith(prefix) || (path.length > prefix.length && path[prefix.length] !== '/')) {
      return plain(res, 404, 'Not Found');
    }
    const rel = path.slice(prefix.length);
    const names: string[] = [];
    for (const raw of rel.split('/')) {
      if (raw === '') continue;
      const name = decodeComponent(raw);
      if (name === '.' || name === '..' || /[/\\\0]/.test(name)) return plain(res, 403, 'Forbidden');
      if (name.startsWith('.') && !options.dotfiles) return plain(res, 404, 'Not Found');
      names.push(name);
    }
    let real = await realpathOrUndefined(nodePath.join(rootReal, ...names));
    if (real === undefined || !isInside(rootReal, real)) return plain(res, 404, 'Not Found');
    const st = await fsp.stat(real).catch(() => undefined);
    if (st === undefined) return plain(res, 404, 'Not Found');
    // A trailing slash names a directory: `/a.txt/` is not the file (a filesystem would say
    // ENOTDIR), and serving it would give one file several URLs with other relative bases.
    if (!st.isDirectory() && rel.endsWith('/')) return plain(res, 404, 'Not Found');
    if (st.isDirectory()) {
      if (index === false) return plain(res, 404, 'Not Found');
      if (!rel.endsWith('/')) {
        // Relative links in the index resolve against the directory only with the slash.
        // Leading slashes collapsed: '//host' would be a redirect to another site.
        const q = req.query === '' ? '' : `?${req.query}`;
        return res.redirect('/' + path.replace(/^\/+/, '') + '/' + q, 301);
      }
      real = nodePath.join(real, index);
    }
    return serveFile(req, res, real, fileOptions);
  };
}
