// Before any load: every contender must give the right answers, or it is left out of the run
// with the reason (a fast wrong server is no contender).
const HELLO = 'Hello, World!';

async function expect(res, status, what) {
  if (res.status !== status) throw new Error(`${what}: status ${res.status}, want ${status}`);
  return res.text();
}

// The header-reading handler (bench/servers/common.js headersAnswer) on one browser-like request:
// the first language tag, the sid cookie, the browser family and the decoded query parameter q.
const HEADERS_REQUEST = {
  path: '/h/search?page=2&q=t%C3%A9l%C3%A9phone+case&sort=newest',
  headers: {
    'user-agent': 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0',
    'accept-language': 'de-DE,de;q=0.9,en;q=0.8',
    cookie: '_ga=GA1.1.1.2; sid=0123abcd; theme=dark',
  },
  want: 'lang=de-DE sid=0123abcd browser=firefox q=téléphone case',
};

/** `headers`: also check the header-reading handler (every contender but the ceiling, which
 * answers the same canned response to anything). */
export async function checkServer(port, { body, headers = false }) {
  const base = `http://127.0.0.1:${port}`;
  const t = AbortSignal.timeout(10_000);
  const hello = await expect(await fetch(`${base}/`, { signal: t }), 200, 'GET /');
  if (hello !== HELLO) throw new Error(`GET /: body ${JSON.stringify(hello.slice(0, 40))}`);
  // The varied scenarios send many paths; every GET outside /h/ answers the same.
  const other = await expect(await fetch(`${base}/products/42?ref=home`, { signal: t }), 200, 'GET /products/42');
  if (other !== HELLO) throw new Error(`GET /products/42: body ${JSON.stringify(other.slice(0, 40))}`);
  if (headers) {
    const res = await fetch(`${base}${HEADERS_REQUEST.path}`, { headers: HEADERS_REQUEST.headers, signal: t });
    const got = await expect(res, 200, `GET ${HEADERS_REQUEST.path}`);
    if (got !== HEADERS_REQUEST.want) throw new Error(`GET /h/search: answered ${JSON.stringify(got.slice(0, 80))}, want ${JSON.stringify(HEADERS_REQUEST.want)}`);
  }
  if (!body) return;
  const doc = { items: Array.from({ length: 40 }, (_, i) => ({ id: i, name: `item-${i}`, ok: i % 2 === 0 })) };
  // Sent with extra spaces: /echo must return the bytes as they are, /json their re-serialisation.
  const sent = JSON.stringify(doc, null, 1);
  for (const [path, want] of [['/echo', sent], ['/json', JSON.stringify(doc)]]) {
    const res = await fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: sent, signal: t });
    if (!/application\/json/.test(res.headers.get('content-type') ?? '')) {
      throw new Error(`POST ${path}: content-type ${res.headers.get('content-type')}`);
    }
    const got = await expect(res, 200, `POST ${path}`);
    if (got !== want) throw new Error(`POST ${path}: the body came back different`);
  }
  const up = Buffer.alloc(1024 * 1024, 120);
  const upRes = await fetch(`${base}/upload`, {
    method: 'POST',
    headers: { 'content-type': 'application/octet-stream' },
    body: up,
    signal: t,
  });
  const len = await expect(upRes, 200, 'POST /upload');
  if (len.trim() !== String(up.length)) throw new Error(`POST /upload: answered ${len.slice(0, 20)}, want ${up.length}`);
}
