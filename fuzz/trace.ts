// Runs one parser over one input, fed in given pieces, and records what a server would see:
// the sink's events (heads, body bytes, completions) and the verdict (error code and the
// absolute byte offset where parsing stopped, the EOF verdict from finish(), upgrade).
// Two traces are what the differential and the split-invariance properties compare.
import type { ParserFactory, ParserOptions, RequestHead } from '../parser/types.js';

export interface Trace {
  /** 'H <json head>', 'B <latin1 body bytes>' (adjacent pieces merged), 'C' (message complete). */
  events: string[];
  /** The error execute() stopped with, or null. `offset` is absolute within the whole input. */
  error: { code: string; offset: number } | null;
  /** What finish() said at end of input (only asked when no error and no upgrade). */
  finish: string | null;
  /** Absolute offset where the upgraded protocol begins, or -1. */
  upgradeAt: number;
  /** An exception that escaped execute()/finish()/reset(), or a broken promise of the contract. */
  faults: string[];
}

/** The head fields every consumer relies on, in a fixed order so JSON is comparable. */
export function headKey(h: RequestHead): string {
  return JSON.stringify([
    h.method, h.url, h.versionMajor, h.versionMinor, h.rawHeaders, h.contentLength, h.chunked, h.keepAlive, h.upgrade,
  ]);
}

class Recorder {
  events: string[] = [];
  faults: string[] = [];
  private inMessage = false;
  /** When set, every body piece must be a view into this buffer (zero-copy contract). */
  zeroCopyOf: Buffer | null = null;

  onHead(h: RequestHead): void {
    if (this.inMessage) this.faults.push('onHead inside an unfinished message');
    this.inMessage = true;
    this.events.push('H ' + headKey(h));
  }

  onBody(chunk: Buffer): void {
    if (!this.inMessage) this.faults.push('onBody outside a message');
    if (chunk.length === 0) this.faults.push('empty onBody');
    const z = this.zeroCopyOf;
    if (z !== null && (chunk.buffer !== z.buffer || chunk.byteOffset < z.byteOffset || chunk.byteOffset + chunk.length > z.byteOffset + z.length)) {
      this.faults.push('onBody chunk is not a view into the buffer given to execute()');
    }
    const text = chunk.toString('latin1');
    const last = this.events.length - 1;
    if (last >= 0 && this.events[last].charCodeAt(0) === 66 /* B */) this.events[last] += text;
    else this.events.push('B ' + text);
  }

  onMessageComplete(): void {
    if (!this.inMessage) this.faults.push('onMessageComplete outside a message');
    this.inMessage = false;
    this.events.push('C');
  }
}

export interface FeedOptions {
  parser?: ParserOptions;
  /** Check that body pieces are views into the fed buffer (true for our parser, not llhttp's). */
  zeroCopy?: boolean;
}

function describe(e: unknown): string {
  return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
}

/**
 * Feed `input` to a fresh parser in pieces cut at `cuts` (ascending offsets inside the input),
 * each piece a separate Buffer as a socket would deliver it.
 */
export function trace(factory: ParserFactory, input: Buffer, cuts: readonly number[] = [], opts: FeedOptions = {}): Trace {
  const rec = new Recorder();
  const out: Trace = { events: rec.events, error: null, finish: null, upgradeAt: -1, faults: rec.faults };
  let p;
  try {
    p = factory(rec, opts.parser);
  } catch (e) {
    rec.faults.push('factory threw ' + describe(e));
    return out;
  }
  let base = 0;
  for (let i = 0; i <= cuts.length; i++) {
    const end = i < cuts.length ? cuts[i] : input.length;
    if (end < base) continue;
    if (end === base && i < cuts.length) continue; // empty pieces are not delivered by sockets
    const piece = cuts.length === 0 ? input : Buffer.from(input.subarray(base, end));
    rec.zeroCopyOf = opts.zeroCopy ? piece : null;
    let ret: number;
    try {
      ret = p.execute(piece);
    } catch (e) {
      rec.faults.push('execute threw ' + describe(e));
      return out;
    }
    if (p.error) {
      if (ret !== p.error.offset) rec.faults.push(`execute returned ${ret} but error.offset is ${p.error.offset}`);
      out.error = { code: String(p.error.code), offset: base + p.error.offset };
      return out;
    }
    if (p.upgraded) {
      out.upgradeAt = base + ret;
      return out;
    }
    if (ret !== piece.length) rec.faults.push(`execute returned ${ret} of ${piece.length} without error or upgrade`);
    base = end;
  }
  try {
    const f = p.finish();
    out.finish = f === null ? null : String(f.code);
  } catch (e) {
    rec.faults.push('finish threw ' + describe(e));
  }
  return out;
}
