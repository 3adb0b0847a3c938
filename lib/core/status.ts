// Reason phrases (RFC 9110 §15) and the pre-rendered status lines built from them.
// A status line is the same bytes for every response with that code, so it is rendered
// once per code and version and reused.
import { codedError } from './http-error.js';

export const STATUS_TEXT: Readonly<Record<number, string>> = {
  100: 'Continue', 101: 'Switching Protocols', 102: 'Processing', 103: 'Early Hints',
  200: 'OK', 201: 'Created', 202: 'Accepted', 203: 'Non-Authoritative Information',
  204: 'No Content', 205: 'Reset Content', 206: 'Partial Content', 207: 'Multi-Status',
  300: 'Multiple Choices', 301: 'Moved Permanently', 302: 'Found', 303: 'See Other',
  304: 'Not Modified', 307: 'Temporary Redirect', 308: 'Permanent Redirect',
  400: 'Bad Request', 401: 'Unauthorized', 402: 'Payment Required', 403: 'Forbidden',
  404: 'Not Found', 405: 'Method Not Allowed', 406: 'Not Acceptable',
  407: 'Proxy Authentication Required', 408: 'Request Timeout', 409: 'Conflict', 410: 'Gone',
  411: 'Length Required', 412: 'Precondition Failed', 413: 'Content Too Large',
  414: 'URI Too Long', 415: 'Unsupported Media Type', 416: 'Range Not Satisfiable',
  417: 'Expectation Failed', 418: "I'm a Teapot", 421: 'Misdirected Request',
  422: 'Unprocessable Content', 425: 'Too Early', 426: 'Upgrade Required',
  428: 'Precondition Required', 429: 'Too Many Requests',
  431: 'Request Header Fields Too Large', 451: 'Unavailable For Legal Reasons',
  500: 'Internal Server Error', 501: 'Not Implemented', 502: 'Bad Gateway',
  503: 'Service Unavailable', 504: 'Gateway Timeout', 505: 'HTTP Version Not Supported',
  507: 'Insufficient Storage', 511: 'Network Authentication Required',
};

export function statusText(code: number): string {
  return STATUS_TEXT[code] ?? (code < 200 ? 'Informational' : code < 300 ? 'Success' : code < 400 ? 'Redirection' : code < 500 ? 'Client Error' : code < 600 ? 'Server Error' : 'Unknown');
}

/**
 * Throws node's ERR_HTTP_INVALID_STATUS_CODE (a RangeError) unless `code` is an integer in
 * 100..999. RFC 9110 §15 defines only 100..599, but node:http sends any three-digit code
 * (600..999 are used for internal status between programs), and so does wafer. Anything else
 * (1000, 99, 200.5, NaN, a string carrying CRLF) would make a status line no client can read,
 * or inject fields after it.
 */
export function checkStatusCode(code: unknown): void {
  if (typeof code !== 'number' || !Number.isInteger(code) || code < 100 || code > 999) {
    throw codedError(RangeError, 'ERR_HTTP_INVALID_STATUS_CODE', `Invalid status code: ${String(code)}`);
  }
}

// Indexed by code: an array load, not a hash lookup, on every response.
const lines11: string[] = [];
for (let code = 100; code < 1000; code++) lines11.push(`HTTP/1.1 ${code} ${statusText(code)}\r\n`);

/** `HTTP/1.1 200 OK\r\n` for a code with its default reason, rendered once. */
export function statusLine(code: number): string {
  checkStatusCode(code);
  return lines11[code - 100];
}

/** RFC 9110 §6.4.1 / RFC 9112 §6.3: 1xx, 204 and 304 never carry content. */
export function bodyless(code: number): boolean {
  return code < 200 || code === 204 || code === 304;
}
