// The access log: the `onResponse(req, res, info)` hook and the `log: true` Common Log Format
// printer. The connection calls begin() when a request head has arrived and finish() when its
// response is complete and handed to the socket (in wire order); with neither option set there
// is no AccessLog at all and the connection tests one field per response.
import { performance } from 'node:perf_hooks';
import type { Meter, Response } from './response.js';
import type { ResponseInfo, WaferRequest, WaferResponse } from './types.js';

export type OnResponse = (req: WaferRequest, res: WaferResponse, info: ResponseInfo) => void;

/** Lines are collected and written once per turn of the event loop, or when this much is waiting. */
const FLUSH_AT = 64 * 1024;

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

function two(n: number): string {
  return n < 10 ? '0' + n : String(n);
}

/**
 * stdout failed (EPIPE: `wafer app.js | head`): the log is dropped from then on. Without a
 * listener the stream's 'error' would be thrown out of the event loop and end the server.
 */
let stdoutBroken = false;
let stdoutWatched = false;

function watchStdout(): void {
  if (stdoutWatched) return;
  stdoutWatched = true;
  process.stdout.on('error', () => {
    stdoutBroken = true;
  });
}

let stampSecond = -1;
let stamp = '';

/** `[02/Dec/2026:15:40:00 +0000]`, in UTC, made once per second. */
function clfTime(): string {
  const now = Date.now();
  const second = Math.floor(now / 1000);
  if (second !== stampSecond) {
    const d = new Date(second * 1000);
    stamp = `[${two(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${two(d.getUTCHours())}:` +
      `${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} +0000]`;
    stampSecond = second;
  }
  return stamp;
}

/** A `"` or `\` (or a control character) in the target would break the quoted field: escaped as Apache does. */
function quoted(s: string): string {
  // eslint-disable-next-line no-control-regex
  return /["\\\x00-\x1f\x7f]/.test(s)
    ? s.replace(/["\\\x00-\x1f\x7f]/g, (c) => (c === '"' ? '\\"' : c === '\\' ? '\\\\' : '\\x' + c.charCodeAt(0).toString(16).padStart(2, '0')))
    : s;
}

/**
 * One Common Log Format line: `host ident authuser [date] "request-line" status bytes`, with
 * the client as req.ip (trustProxy applies), ident and authuser `-`, and bytes the body's.
 */
export function clfLine(req: WaferRequest, info: ResponseInfo): string {
  return `${req.ip ?? '-'} - - ${clfTime()} "${req.method} ${quoted(req.url)} HTTP/${req.httpVersion}" ${info.statusCode} ${info.bodyBytes}\n`;
}

export class AccessLog {
  private readonly hook: OnResponse | null;
  private readonly print: boolean;
  private readonly reportError: (err: unknown) => void;
  private lines = '';
  private readonly flushNow = (): void => this.flush();

  constructor({ hook, print, reportError }: { hook: OnResponse | null; print: boolean; reportError: (err: unknown) => void }) {
    this.hook = hook;
    this.print = print;
    this.reportError = reportError;
    if (print) watchStdout();
  }

  /** The head of the response's request has arrived: its clock starts and its bytes are counted. */
  begin(res: Response): void {
    res.meter = { start: performance.now(), head: 0, body: 0 };
  }

  /** The response is complete and handed to the socket. */
  finish(res: Response): void {
    const meter = res.meter as Meter;
    res.meter = null; // once
    const info: ResponseInfo = {
      statusCode: res.statusCode,
      bytes: meter.head + meter.body,
      bodyBytes: meter.body,
      durationMs: performance.now() - meter.start,
    };
    const req = res.req;
    if (this.hook !== null) {
      try {
        this.hook(req, res, info);
      } catch (err) {
        // Reported like a handler's failure; the connection and its responses go on.
        this.reportError(err);
      }
    }
    if (this.print) {
      if (this.lines === '') setImmediate(this.flushNow);
      this.lines += clfLine(req, info);
      if (this.lines.length >= FLUSH_AT) this.flush();
    }
  }

  /** Write the collected lines (also when the server closes, before the process may exit). */
  flush(): void {
    const lines = this.lines;
    if (lines === '') return;
    this.lines = '';
    if (!stdoutBroken) process.stdout.write(lines);
  }
}
