// The Date header (RFC 9110 §6.6.1), rendered at most once per second. The rendered line is
// kept until the next second begins, when a timer clears it: a response then costs one string
// load, not a clock read.

let cachedLine = '';

function expire(): void {
  cachedLine = '';
}

/** `Date: Wed, 25 Nov 2026 20:00:00 GMT\r\n` for the current second. */
export function dateLine(): string {
  if (cachedLine !== '') return cachedLine;
  const now = Date.now();
  cachedLine = `Date: ${new Date(now).toUTCString()}\r\n`;
  // One timer per second at most, and only while responses are being sent; unref'd so an idle
  // process can exit.
  setTimeout(expire, 1000 - (now % 1000)).unref();
  return cachedLine;
}
