// A raw-socket client for wire-level tests: send exact bytes (optionally in pieces with
// pauses), read until the server closes or the line goes quiet, and split what came back
// into responses by their own framing (Content-Length, chunked, or close).
import net from 'node:net';

export interface RawOptions {
  /** ms between pieces. Default 0 (each piece still leaves as its own write). */
  gapMs?: number;
  /** Resolve when nothing arrives for this long (ms) after the last piece. Default 500. */
  quietMs?: number;
  /** Resolve no later than this (ms). Default 3000. */
  timeoutMs?: number;
  /** Half-close (FIN) after the last piece. Default false. */
  end?: boolean;
  /** Resolve as soon as `count` complete responses have arrived. */
  responses?: number;
}

export interface RawResult {
  /** Everything the server sent, as latin1 text. */
  text: string;
  /** The server closed the connection (FIN or reset) before we gave up. */
  closed: boolean;
  /** The connection ended with a reset. */
  reset: boolean;
}

export function connect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => resolve(socket));
    socket.once('error', reject);
  });
}

export async function raw(port: number, pieces: string | Buffer | (string | Buffer)[], options: RawOptions = {}): Promise<RawResult> {
  const list = Array.isArray(pieces) ? pieces : [pieces];
  const gap = options.gapMs ?? 0;
  const quiet = options.quietMs ?? 500;
  const socket = await connect(port);
  socket.setNoDelay(true);
  return new Promise<RawResult>((resolve) => {
    const chunks: Buffer[] = [];
    let sent = false;
    let done = false;
    let reset = false;
    let quietTimer: NodeJS.Timeout | null = null;
    const finish = (closed: boolean): void => {
      if (done) return;
      done = true;
      clearTimeout(overall);
      if (quietTimer !== null) clearTimeout(quietTimer);
      socket.destroy();
      resolve({ text: Buffer.concat(chunks).toString('latin1'), closed, reset });
    };
    const armQuiet = (): void => {
      if (!sent) return;
      if (quietTimer !== null) clearTimeout(quietTimer);
      quietTimer = setTimeout(() => finish(false), quiet);
    };
    const overall = setTimeout(() => finish(false), options.timeoutMs ?? 3000);
    socket.on('data', (c: Buffer) => {
      chunks.push(c);
      if (options.responses !== undefined && splitResponses(Buffer.concat(chunks).toString('latin1')).complete >= options.responses) {
        finish(false);
        return;
      }
      armQuiet();
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ECONNRESET') reset = true;
    });
    socket.on('close', () => finish(true));
    void (async () => {
      for (let i = 0; i < list.length; i++) {
        if (done) return;
        if (i > 0 && gap > 0) await new Promise((r) => setTimeout(r, gap));
        if (done) return;
        await new Promise<void>((r) => socket.write(list[i], () => r()));
      }
      if (options.end === true && !done) socket.end();
      sent = true;
      armQuiet();
    })();
  });
}

export interface ParsedResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** The head exactly as sent. */
  head: string;
}

/** Split a stream of responses by their framing. Interim 1xx responses are kept as entries. */
export function splitResponses(text: string, headRequests = 0): { responses: ParsedResponse[]; complete: number; rest: string } {
  const responses: ParsedResponse[] = [];
  let pos = 0;
  let heads = headRequests;
  for (;;) {
    const end = text.indexOf('\r\n\r\n', pos);
    if (end === -1) break;
    const head = text.slice(pos, end);
    const lines = head.split('\r\n');
    const status = Number(lines[0].split(' ')[1]);
    const headers: Record<string, string> = {};
    for (let i = 1; i < lines.length; i++) {
      const colon = lines[i].indexOf(':');
      const name = lines[i].slice(0, colon).toLowerCase();
      const value = lines[i].slice(colon + 1).trim();
      headers[name] = headers[name] === undefined ? value : headers[name] + ', ' + value;
    }
    let bodyStart = end + 4;
    let body = '';
    const noBody = status < 200 || status === 204 || status === 304 || heads-- > 0;
    if (noBody) {
      // no content
    } else if (headers['transfer-encoding'] === 'chunked') {
      let p = bodyStart;
      let ok = false;
      for (;;) {
        const lineEnd = text.indexOf('\r\n', p);
        if (lineEnd === -1) break;
        const size = parseInt(text.slice(p, lineEnd), 16);
        if (size === 0) {
          if (text.startsWith('\r\n', lineEnd + 2)) {
            p = lineEnd + 4;
            ok = true;
          }
          break;
        }
        if (text.length < lineEnd + 2 + size + 2) break;
        body += text.slice(lineEnd + 2, lineEnd + 2 + size);
        p = lineEnd + 2 + size + 2;
      }
      if (!ok) break;
      bodyStart = p;
    } else if (headers['content-length'] !== undefined) {
      const n = Number(headers['content-length']);
      if (text.length < bodyStart + n) break;
      body = text.slice(bodyStart, bodyStart + n);
      bodyStart += n;
    } else {
      body = text.slice(bodyStart); // close-delimited
      bodyStart = text.length;
    }
    responses.push({ status, headers, body, head });
    pos = bodyStart;
  }
  return { responses, complete: responses.filter((r) => r.status >= 200).length, rest: text.slice(pos) };
}

/** Responses in `result`, final ones only unless `interim`. */
export function responsesOf(result: RawResult, interim = false): ParsedResponse[] {
  const all = splitResponses(result.text).responses;
  return interim ? all : all.filter((r) => r.status >= 200);
}
