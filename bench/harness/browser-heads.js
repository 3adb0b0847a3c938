// Browser-like request heads for the in-process drives (bench/inproc.js, bench/inproc-varied.js)
// and the fixed-rate client's varied mode (rate-client.js): ~450 bytes each, every varying field
// (path, query, User-Agent version, Accept q-values, Accept-Language, Accept-Encoding, Cookie,
// X-Request-Id) different for each n — the same mix bench/wrk/varied.lua sends wrk's way.

/** A browser-like head, every varying field different for each n. */
export function browserHead(n, prefix = '/catalog/item/') {
  const hex = (n * 2654435761 >>> 0).toString(16).padStart(8, '0');
  return `GET ${prefix}${n % 997}?page=${n % 13}&sort=price&q=${hex} HTTP/1.1\r\n` +
    'Host: shop.example.com\r\n' +
    `User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/${100 + (n % 31)}.0.${n % 7}.0 Safari/537.36\r\n` +
    `Accept: text/html,application/xhtml+xml,application/xml;q=0.${n % 9 + 1},*/*;q=0.8\r\n` +
    `Accept-Language: en-US,en;q=0.${n % 9 + 1},de;q=0.${(n >> 3) % 9 + 1}\r\n` +
    `Accept-Encoding: gzip, deflate, br${n % 2 === 0 ? ', zstd' : ''}\r\n` +
    `Cookie: session=${hex}${hex}; theme=${n % 3 === 0 ? 'dark' : 'light'}; visits=${n}\r\n` +
    `X-Request-Id: ${hex}-${(n >>> 0).toString(36)}-${(n * 40503 >>> 0).toString(16)}\r\n\r\n`;
}
