// llhttp's own 166 request fixtures (test/conformance/llhttp-request-cases.json, a copy of
// ../shared/conformance/llhttp-request-cases.json: llhttp v9.4.2 test/request/*.md) run against wafer's state machine (parser/machine.ts). For each
// case the machine's callback log, written in the fixtures' line format, must equal
// `expectedLog` exactly — the whole input at once and, unless the case says `noScan`,
// split at every point into two pieces and fed in chunks of every size from 1 to its
// length, as llhttp's own harness does. No rule is deliberately stricter than llhttp here:
// server-level RFC rules live in the server layer, not in the parser.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { RequestMachine, type CbResult, type MachineCallbacks } from '../parser/machine.js';

interface Case {
  location: string;
  name: string;
  input: string;
  lenientMask: number;
  noScan: boolean;
  pause: string | null;
  skipBody: boolean;
  finish: boolean;
  expectedLog: string[];
}

const casesPath = fileURLToPath(new URL('./conformance/llhttp-request-cases.json', import.meta.url));
const cases = JSON.parse(readFileSync(casesPath, 'utf8')) as Case[];

type Entry = { line: string } | { span: string; off: number; end: number; bytes: number[] };

/** A MachineCallbacks that writes llhttp's test-fixture log (test/fixtures/extra.c). */
class Logger implements MachineCallbacks {
  entries: Entry[] = [];
  base = 0;
  m!: RequestMachine;
  constructor(private readonly pauseOn: string | null, private readonly skipBody: boolean) {}

  private line(text: string): void {
    this.entries.push({ line: `off=${this.base + this.m.pos} ${text}` });
  }
  private event(name: string, text: string): CbResult {
    this.line(text);
    return this.pauseOn === name ? 'pause' : 0;
  }
  private span(name: string, buf: Buffer, start: number, end: number): CbResult {
    const off = this.base + start;
    const last = this.entries[this.entries.length - 1];
    // A span cut by a chunk boundary arrives in pieces: llhttp's log shows it whole.
    if (last !== undefined && 'span' in last && last.span === name && last.end === off) {
      for (let i = start; i < end; i++) last.bytes.push(buf[i]);
      last.end = this.base + end;
    } else {
      this.entries.push({ span: name, off, end: this.base + end, bytes: Array.from(buf.subarray(start, end)) });
    }
    return 0;
  }

  onMessageBegin() { return this.event('on_message_begin', 'message begin'); }
  onMethod(b: Buffer, s: number, e: number) { return this.span('method', b, s, e); }
  onMethodComplete() { return this.event('on_method_complete', 'method complete'); }
  onUrl(b: Buffer, s: number, e: number) { return this.span('url', b, s, e); }
  onUrlComplete() { return this.event('on_url_complete', 'url complete'); }
  onProtocol(b: Buffer, s: number, e: number) { return this.span('protocol', b, s, e); }
  onProtocolComplete() { return this.event('on_protocol_complete', 'protocol complete'); }
  onVersion(b: Buffer, s: number, e: number) { return this.span('version', b, s, e); }
  onVersionComplete() { return this.event('on_version_complete', 'version complete'); }
  onHeaderField(b: Buffer, s: number, e: number) { return this.span('header_field', b, s, e); }
  onHeaderFieldComplete() { return this.event('on_header_field_complete', 'header_field complete'); }
  onHeaderValue(b: Buffer, s: number, e: number) { return this.span('header_value', b, s, e); }
  onHeaderValueComplete() { return this.event('on_header_value_complete', 'header_value complete'); }
  onHeadersComplete(): CbResult {
    const m = this.m;
    const r = this.event('on_headers_complete',
      `headers complete method=${m.method} v=${m.httpMajor}/${m.httpMinor} flags=${m.flags.toString(16)} content_length=${m.contentLength}`);
    if (r !== 0) return r;
    if (this.skipBody) {
      this.line('skip body');
      return 1;
    }
    return 0;
  }
  onBody(b: Buffer, s: number, e: number) { return this.span('body', b, s, e); }
  onChunkHeader() { return this.event('on_chunk_header', `chunk header len=${this.m.contentLength}`); }
  onChunkExtensionName(b: Buffer, s: number, e: number) { return this.span('chunk_extension_name', b, s, e); }
  onChunkExtensionNameComplete() { return this.event('on_chunk_extension_name', 'chunk_extension_name complete'); }
  onChunkExtensionValue(b: Buffer, s: number, e: number) { return this.span('chunk_extension_value', b, s, e); }
  onChunkExtensionValueComplete() { return this.event('on_chunk_extension_value', 'chunk_extension_value complete'); }
  onChunkComplete() { return this.event('on_chunk_complete', 'chunk complete'); }
  onMessageComplete() { return this.event('on_message_complete', 'message complete'); }
  onReset() { return this.event('on_reset', 'reset'); }

  /** The log as llparse's print_span writes it: CR and LF inside a span get lines of their own. */
  lines(): string[] {
    const out: string[] = [];
    for (const e of this.entries) {
      if ('line' in e) {
        out.push(e.line);
        continue;
      }
      const bytes = Buffer.from(e.bytes);
      if (bytes.length === 0) {
        out.push(`off=${e.off} len=0 span[${e.span}]=""`);
        continue;
      }
      let last = 0;
      const regular = (to: number) => {
        if (to > last) out.push(`off=${e.off + last} len=${to - last} span[${e.span}]="${bytes.subarray(last, to).toString('utf8')}"`);
      };
      for (let i = 0; i < bytes.length; i++) {
        if (bytes[i] === 13 || bytes[i] === 10) {
          regular(i);
          out.push(`off=${e.off + i} len=1 span[${e.span}]=${bytes[i] === 13 ? 'cr' : 'lf'}`);
          last = i + 1;
        }
      }
      regular(bytes.length);
    }
    return out;
  }
}

/**
 * The same log, but taking the machine's strict-mode fast paths (onRequestLine, onHeaderLine),
 * as the server's parser does: each is written out as the spans and *_complete events it
 * stands for, at llhttp's offsets, so the fixtures check the fast paths too. Where a case
 * pauses on one of those events the fast path is declined (the byte states must pause there).
 */
class FastLogger extends Logger {
  /** Request and header lines that went through a fast path. */
  taken = 0;
  private readonly declines: boolean;
  constructor(pauseOn: string | null, skipBody: boolean) {
    super(pauseOn, skipBody);
    this.declines = pauseOn !== null && /^on_(method|url|protocol|version|header_field|header_value)_complete$/.test(pauseOn);
  }
  private at(off: number, text: string): void {
    this.entries.push({ line: `off=${this.base + off} ${text}` });
  }
  private whole(name: string, buf: Buffer, start: number, end: number): void {
    this.entries.push({ span: name, off: this.base + start, end: this.base + end, bytes: Array.from(buf.subarray(start, end)) });
  }
  onRequestLine(buf: Buffer, us: number, ue: number): CbResult {
    if (this.declines) return 1;
    const ms = buf[us - 4] === 71 ? us - 4 : us - 5; // "GET " or "POST "
    this.whole('method', buf, ms, us - 1);
    this.at(us - 1, 'method complete');
    this.whole('url', buf, us, ue);
    this.at(ue + 1, 'url complete');
    this.whole('protocol', buf, ue + 1, ue + 5);
    this.at(ue + 5, 'protocol complete');
    this.whole('version', buf, ue + 6, ue + 9);
    this.at(ue + 9, 'version complete');
    this.taken++;
    return 0;
  }
  onHeaderLine(buf: Buffer, ns: number, ne: number, vs: number, ve: number): CbResult {
    if (this.declines) return 1;
    this.whole('header_field', buf, ns, ne);
    this.at(ne + 1, 'header_field complete');
    this.whole('header_value', buf, vs, ve);
    this.at(ve + 2, 'header_value complete');
    this.taken++;
    return 0;
  }
}

/**
 * Feed `input` cut at `cuts` (sorted offsets) the way llhttp's harness does; return the log.
 * With `fast`, `count.fastLines` grows by the lines that went through a fast path.
 */
export function runCase(c: Case, cuts: number[], fast = false, count?: { fastLines: number }): string[] {
  const input = Buffer.from(c.input, 'latin1');
  const log = fast ? new FastLogger(c.pause, c.skipBody) : new Logger(c.pause, c.skipBody);
  const m = new RequestMachine(log, c.lenientMask);
  log.m = m;
  const bounds = [0, ...cuts, input.length];
  let stopped = false;
  for (let k = 0; k + 1 < bounds.length && !stopped; k++) {
    // Each piece is its own view: a read past its end sees undefined, not the next byte.
    const chunk = input.subarray(bounds[k], bounds[k + 1]);
    log.base = bounds[k];
    let off = 0;
    for (;;) {
      const code = m.execute(chunk, off, chunk.length);
      if (code === 21) { // HPE_PAUSED: log, resume, go on from where it stopped
        off = m.errorPos;
        log.entries.push({ line: `off=${log.base + off} pause` });
        m.resume();
        continue;
      }
      if (code !== 0) {
        log.entries.push({ line: `off=${log.base + m.errorPos} error code=${code} reason="${m.reason}"` });
        stopped = true;
      }
      break;
    }
  }
  if (c.finish) log.entries.push({ line: `off=NULL finish=${m.finishState}` });
  if (count !== undefined && log instanceof FastLogger) count.fastLines += log.taken;
  return log.lines();
}

t.test(`llhttp request fixtures: ${cases.length} cases`, async (t) => {
  for (const c of cases) {
    t.test(`${c.location} ${c.name}`, async (t) => {
      t.strictSame(runCase(c, []), c.expectedLog, 'whole input at once');
      t.strictSame(runCase(c, [], true), c.expectedLog, 'whole input at once, fast paths taken');
      if (c.noScan) return;
      const len = Buffer.byteLength(c.input, 'latin1');
      for (const fast of [false, true]) {
        let bad = '';
        for (let at = 1; at < len && bad === ''; at++) {
          if (JSON.stringify(runCase(c, [at], fast)) !== JSON.stringify(c.expectedLog)) bad = `split at ${at}`;
        }
        for (let size = 1; size < len && bad === ''; size++) {
          const cuts: number[] = [];
          for (let at = size; at < len; at += size) cuts.push(at);
          if (JSON.stringify(runCase(c, cuts, fast)) !== JSON.stringify(c.expectedLog)) bad = `chunks of ${size}`;
        }
        t.equal(bad, '', `same log at every split point and every chunk size${fast ? ', fast paths taken' : ''}`);
      }
    });
  }
});

t.test('the fast paths are taken on these fixtures, so the fast-path runs above check them', async (t) => {
  const count = { fastLines: 0 };
  for (const c of cases) runCase(c, [], true, count);
  t.ok(count.fastLines >= 100, `${count.fastLines} request/header lines went through a fast path, whole input at once`);
});
