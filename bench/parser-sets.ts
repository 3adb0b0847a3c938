// The parser benchmark's inputs and contestants. Every contestant gets the same buffer and
// hands a common sink the same things a server needs — method, URL and every header name and
// value as strings, body bytes, message ends — so each does equivalent work, and the tallies
// (messages, body bytes, string lengths) prove that it did.
import { createRequire } from 'node:module';
import { createParser } from '../parser/index.js';
import { createLlhttpParser } from '../parser/llhttp.js';
import type { RequestHead, RequestSink } from '../parser/types.js';

export interface BenchSet {
  name: string;
  /** What one op parses: the whole buffer, in one execute(). */
  buffer: Buffer;
  messages: number;
  bodyBytes: number;
}

const BROWSER_GET =
  'GET /assets/app/dashboard.js?v=3f9a2c HTTP/1.1\r\n'
  + 'Host: www.example.com\r\n'
  + 'Connection: keep-alive\r\n'
  + 'sec-ch-ua: "Chromium";v="120", "Not?A_Brand";v="8"\r\n'
  + 'sec-ch-ua-mobile: ?0\r\n'
  + 'User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36\r\n'
  + 'sec-ch-ua-platform: "Linux"\r\n'
  + 'Accept: */*\r\n'
  + 'Sec-Fetch-Site: same-origin\r\n'
  + 'Sec-Fetch-Mode: no-cors\r\n'
  + 'Sec-Fetch-Dest: script\r\n'
  + 'Referer: https://www.example.com/dashboard\r\n'
  + 'Accept-Encoding: gzip, deflate, br\r\n'
  + 'Accept-Language: en-US,en;q=0.9\r\n'
  + 'Cookie: session=8c1f0e7a9b2d4c6e; theme=dark; _ga=GA1.2.123456789.1700000000\r\n'
  + '\r\n';

function jsonPost(): string {
  const items = Array.from({ length: 16 }, (_, i) => ({ id: 1000 + i, sku: `SKU-${i}-XYZ`, qty: i % 4 + 1, price: 9.99 + i }));
  const body = JSON.stringify({ customer: 'c_81f3a', currency: 'EUR', items, note: 'leave at the door' });
  return 'POST /api/v1/orders HTTP/1.1\r\n'
    + 'Host: api.example.com\r\n'
    + 'Content-Type: application/json\r\n'
    + 'Accept: application/json\r\n'
    + 'Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U\r\n'
    + 'User-Agent: okhttp/4.12.0\r\n'
    + `Content-Length: ${Buffer.byteLength(body)}\r\n`
    + '\r\n' + body;
}

function chunkedUpload(): string {
  let s = 'PUT /upload/video.bin HTTP/1.1\r\nHost: files.example.com\r\nContent-Type: application/octet-stream\r\nTransfer-Encoding: chunked\r\n\r\n';
  const chunk = 'x'.repeat(4096);
  for (let i = 0; i < 16; i++) s += '1000\r\n' + chunk + '\r\n';
  return s + '0\r\n\r\n';
}

function pipelined(): string {
  let s = '';
  for (let i = 0; i < 16; i++) s += `GET /api/items/${i}?fields=name,price HTTP/1.1\r\nHost: api.example.com\r\nAccept: application/json\r\nUser-Agent: bench/1.0\r\n\r\n`;
  return s;
}

export const SETS: BenchSet[] = [
  { name: 'browser GET (15 headers)', buffer: Buffer.from(BROWSER_GET, 'latin1'), messages: 1, bodyBytes: 0 },
  (() => {
    const text = jsonPost();
    return { name: `JSON POST (${text.length - text.indexOf('\r\n\r\n') - 4} B body)`, buffer: Buffer.from(text, 'latin1'), messages: 1, bodyBytes: text.length - text.indexOf('\r\n\r\n') - 4 };
  })(),
  { name: 'chunked upload (64 KiB in 4 KiB chunks)', buffer: Buffer.from(chunkedUpload(), 'latin1'), messages: 1, bodyBytes: 65536 },
  { name: '16 pipelined GETs', buffer: Buffer.from(pipelined(), 'latin1'), messages: 16, bodyBytes: 0 },
];

/** What a contestant delivered: compared across contestants and against the set. */
export class Tally {
  messages = 0;
  bodyBytes = 0;
  /** Total length of every method, URL, header name and value string handed over. */
  stringChars = 0;

  head(method: string, url: string, headers: readonly string[]): void {
    let n = method.length + url.length;
    for (let i = 0; i < headers.length; i++) n += headers[i].length;
    this.stringChars += n;
  }
}

export interface Contestant {
  name: string;
  /** A long-lived parser (one keep-alive connection) feeding `tally`; returns the op. */
  make(tally: Tally): (buf: Buffer) => void;
}

function sinkFor(t: Tally): RequestSink {
  return {
    onHead: (h: RequestHead) => t.head(h.method, h.url, h.rawHeaders),
    onBody: (b: Buffer) => void (t.bodyBytes += b.length),
    onMessageComplete: () => void t.messages++,
  };
}

function checked(name: string, execute: (b: Buffer) => unknown): (buf: Buffer) => void {
  return (buf) => {
    const r = execute(buf);
    if (typeof r !== 'number' || r !== buf.length) throw new Error(`${name} did not consume the input: ${String(r)}`);
  };
}

const require = createRequire(import.meta.url);
const common = require('_http_common') as {
  HTTPParser: any;
  methods: string[];
};

export const CONTESTANTS: Contestant[] = [
  {
    name: 'wafer',
    make(t) {
      const p = createParser('wafer', sinkFor(t));
      return checked('wafer', (b) => p.execute(b));
    },
  },
  {
    name: 'llhttp (adapter)',
    make(t) {
      const p = createLlhttpParser(sinkFor(t));
      return checked('llhttp adapter', (b) => p.execute(b));
    },
  },
  {
    // Node's binding with the least possible JS around it: a reference for the adapter's cost.
    name: 'llhttp (raw binding)',
    make(t) {
      const { HTTPParser, methods } = common;
      const p = new HTTPParser();
      p.initialize(HTTPParser.REQUEST, {}, 0, 0);
      let pending: string[] = [];
      let pendingUrl = '';
      p[HTTPParser.kOnHeaders] = (h: string[], url: string) => {
        pending = pending.concat(h);
        pendingUrl += url;
      };
      p[HTTPParser.kOnHeadersComplete] = (_maj: number, _min: number, headers: string[] | undefined, method: number, url: string | undefined) => {
        const hs = pending.length > 0 ? pending.concat(headers ?? []) : (headers ?? []);
        t.head(methods[method], pendingUrl + (url ?? ''), hs);
        pending = [];
        pendingUrl = '';
        return 0;
      };
      p[HTTPParser.kOnBody] = (b: Buffer) => void (t.bodyBytes += b.length);
      p[HTTPParser.kOnMessageComplete] = () => void t.messages++;
      p[HTTPParser.kOnExecute] = null;
      return checked('llhttp raw', (b) => p.execute(b));
    },
  },
  {
    name: 'http-parser-js',
    make(t) {
      const { HTTPParser } = require('http-parser-js') as { HTTPParser: any };
      // Reading kOnExecute switches http-parser-js to Node's positional callback arguments.
      void HTTPParser.kOnExecute;
      const p = new HTTPParser(HTTPParser.REQUEST);
      const methods: string[] = HTTPParser.methods;
      p[HTTPParser.kOnHeadersComplete] = (_maj: number, _min: number, headers: string[], method: number, url: string) => {
        t.head(methods[method], url, headers);
        return 0;
      };
      p[HTTPParser.kOnBody] = (b: Buffer, start: number, len: number) => void (t.bodyBytes += len ?? b.length - start);
      p[HTTPParser.kOnMessageComplete] = () => void t.messages++;
      return checked('http-parser-js', (b) => p.execute(b));
    },
  },
];
