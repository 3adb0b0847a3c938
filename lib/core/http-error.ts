// An error that carries the HTTP status it should be answered with. App helpers (body
// parsers, the router, static files) throw it; the engine's error path answers
// `err.status` (or `err.statusCode`) instead of 500 when it holds a 4xx/5xx code, and uses
// the message as the body only for 4xx (a client may see what it did wrong; a 5xx message
// may leak internals).

export class HttpError extends Error {
  readonly status: number;
  /** Same as `status`, for code written against node:http conventions. */
  readonly statusCode: number;
  /** Extra response headers, e.g. `Allow` for 405. */
  readonly headers: Record<string, string>;

  constructor(status: number, message: string, headers: Record<string, string> = {}) {
    super(message);
    if (!Number.isInteger(status) || status < 400 || status > 599) {
      throw new RangeError(`HttpError status must be 400..599, got ${status}`);
    }
    this.name = 'HttpError';
    this.status = status;
    this.statusCode = status;
    this.headers = headers;
  }
}

/** The status an error asks for (400..599), or undefined for any other error. */
export function errorStatus(err: unknown): number | undefined {
  if (err === null || typeof err !== 'object') return undefined;
  const e = err as { status?: unknown; statusCode?: unknown };
  const s = typeof e.status === 'number' ? e.status : e.statusCode;
  return typeof s === 'number' && Number.isInteger(s) && s >= 400 && s <= 599 ? s : undefined;
}

/**
 * An error like the ones node:http throws for the same misuse: a TypeError or RangeError with
 * node's `code` ('ERR_INVALID_CHAR', …), so code written against node:http can tell them apart.
 */
export function codedError<E extends Error>(Kind: new (message: string) => E, code: string, message: string): E & { code: string } {
  const err = new Kind(message) as E & { code: string };
  err.code = code;
  return err;
}
