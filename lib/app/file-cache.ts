// A bounded in-memory cache of small files for serveFile/serveStatic. An entry is used only
// while the file on disk still has the inode, size and mtime it had when cached, so an edit
// (or a replacement by rename) is picked up on the next request.
// A named import, not `import type fs from`: this line is copied into file-cache.d.ts, and a
// default import of node:fs fails to compile for consumers without esModuleInterop.
import type { Stats } from 'node:fs';

interface CacheEntry {
  ino: number;
  size: number;
  mtimeMs: number;
  data: Buffer;
}

/** Small files by real path, least recently used evicted first, bounded in bytes. */
export class FileCache {
  readonly maxFileSize: number;
  readonly maxBytes: number;
  private bytes = 0;
  private readonly entries = new Map<string, CacheEntry>();

  constructor(options: { maxFileSize?: number; maxBytes?: number } = {}) {
    this.maxFileSize = options.maxFileSize ?? 64 * 1024;
    this.maxBytes = options.maxBytes ?? 8 * 1024 * 1024;
  }

  get size(): number {
    return this.bytes;
  }

  /** The cached bytes if the file on disk is still the one cached (same inode, size, mtime). */
  get(path: string, st: Stats): Buffer | undefined {
    const e = this.entries.get(path);
    if (e === undefined) return undefined;
    this.delete(path);
    if (e.ino !== st.ino || e.size !== st.size || e.mtimeMs !== st.mtimeMs) return undefined;
    this.entries.set(path, e); // re-insert: Map order is our recency order
    this.bytes += e.size;
    return e.data;
  }

  set(path: string, st: Stats, data: Buffer): void {
    if (data.length > this.maxFileSize || data.length > this.maxBytes) return;
    this.delete(path);
    while (this.bytes + data.length > this.maxBytes) {
      const oldest = this.entries.keys().next().value as string;
      this.delete(oldest);
    }
    this.entries.set(path, { ino: st.ino, size: st.size, mtimeMs: st.mtimeMs, data });
    this.bytes += data.length;
  }

  private delete(path: string): void {
    const e = this.entries.get(path);
    if (e === undefined) return;
    this.entries.delete(path);
    this.bytes -= e.size;
  }
}
