// Test helpers for the app-layer suites: a real wafer server on 127.0.0.1:0 and a raw
// socket client for requests fetch() would normalise away ('..', '%2e%2e', '%2f').
import net from 'node:net';
import { listen } from '../../lib/index.js';
import type { Handler, ServerOptions } from '../../lib/core/types.js';

export interface TestServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

export async function serve(handler: Handler, options: ServerOptions = {}): Promise<TestServer> {
  const server = await listen(handler, { port: 0, host: '127.0.0.1', ...options });
  return { url: `http://127.0.0.1:${server.port}`, port: server.port, close: () => server.close() };
}

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * Send `head` (request line and fields, without the blank line) plus `body` over a fresh
 * socket with `Connection: close`, and read the whole answer. Gives up after `timeoutMs`.
 */
export function rawRequest(port: number, head: string, body = '', timeoutMs = 3000): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`no complete answer within ${timeoutMs} ms: ${Buffer.concat(chunks).toString('latin1')}`));
    }, timeoutMs);
    sock.on('data', (c) => chunks.push(c));
    sock.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    sock.on('close', () => {
      clearTimeout(timer);
      resolve(parseRaw(Buffer.concat(chunks).toString('latin1')));
    });
    sock.end(`${head}\r\nConnection: close\r\n\r\n${body}`);
  });
}

function parseRaw(text: string): RawResponse {
  const end = text.indexOf('\r\n\r\n');
  const lines = text.slice(0, end === -1 ? text.length : end).split('\r\n');
  const status = Number(lines[0]?.split(' ')[1]);
  const headers: Record<string, string> = {};
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { status, headers, body: end === -1 ? '' : text.slice(end + 4) };
}

/** GET `path` over a raw socket (the path is sent byte for byte). */
export function rawGet(port: number, path: string, method = 'GET'): Promise<RawResponse> {
  return rawRequest(port, `${method} ${path} HTTP/1.1\r\nHost: 127.0.0.1`);
}
