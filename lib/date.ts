// The Date header (RFC 9110 §6.6.1), rendered at most once per second. Date.now() is cheap;
// toUTCString() plus the string building is not, and a second is the header's resolution.

let cachedSecond = -1;
let cachedLine = '';

/** `Date: Wed, 25 Nov 2026 20:00:00 GMT\r\n` for the current second. */
export function dateLine(): string {
  const now = Date.now();
  const second = Math.floor(now / 1000);
  if (second !== cachedSecond) {
    cachedSecond = second;
    cachedLine = `Date: ${new Date(second * 1000).toUTCString()}\r\n`;
  }
  return cachedLine;
}
