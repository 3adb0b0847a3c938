// Before any load: every contender must give the right answers, or it is left out of the run
// with the reason (a fast wrong server is no contender).
const HELLO = 'Hello, World!';

async function expect(res, status, what) {
  if (res.status !== status) throw new Error(`${what}: status ${res.status}, want ${status}`);
  return res.text();
}

export async function checkServer(port, { body }) {
  const base = `http://127.0.0.1:${port}`;
  const t = AbortSignal.timeout(10_000);
  const hello = await expect(await fetch(`${base}/`, { signal: t }), 200, 'GET /');
  if (hello !== HELLO) throw new Error(`GET /: body ${JSON.stringify(hello.slice(0, 40))}`);
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
