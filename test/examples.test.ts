import t from 'tap';
import net from 'node:net';
import { spawn } from 'node:child_process';
import app from '../examples/app.js';
import factorAlone, { divisors, primeFactors, MAX_N } from '../examples/factor.js';
import apiAlone, { routes as apiRoutes } from '../examples/api.js';
import staticAlone from '../examples/static.js';
import { router } from '../lib/app/router.js';
import { serve, rawGet } from './app/serve.js';

t.test('divisors agrees with brute force for 1..3000', async (t) => {
  for (let n = 1; n <= 3000; n++) {
    const brute: number[] = [];
    for (let d = 1; d <= n; d++) if (n % d === 0) brute.push(d);
    if (divisors(n).join() !== brute.join()) t.fail(`divisors(${n})`);
  }
  t.same(primeFactors(360), [[2, 3], [3, 2], [5, 1]]);
  t.same(primeFactors(MAX_N), [[2, 10], [5, 10]]);
  t.same(divisors(9999999967), [1, 9999999967], 'a prime near the bound');
});

t.test('the example app', async (t) => {
  const srv = await serve(app);
  t.teardown(srv.close);
  const get = (path: string, init?: RequestInit) => fetch(`${srv.url}${path}`, init);

  t.test('the index page links every route, and every link answers', async (t) => {
    const r = await get('/');
    t.equal(r.status, 200);
    t.equal(r.headers.get('content-type'), 'text/html; charset=utf-8');
    const html = await r.text();
    const links = [...html.matchAll(/href="([^"]+)"/g)].map((m) => m[1]!).filter((h) => h !== '/static/style.css');
    for (const route of ['/factor', '/factor?q=360', '/api/notes', '/api/notes/1', '/static/', '/static/hello.txt', '/download/hello.txt']) {
      t.ok(links.includes(route), `links ${route}`);
    }
    t.match(html, 'action="/api/notes" method="post"', 'a form posts a note');
    const expected: Record<string, number> = { '/factor?q=1e5': 400, '/api/notes/1': 404 };
    for (const link of links) {
      const res = await get(link);
      await res.arrayBuffer();
      t.equal(res.status, expected[link] ?? 200, link);
    }
  });

  t.test('/factor without q shows the form', async (t) => {
    const r = await get('/factor');
    t.equal(r.status, 200);
    t.match(await r.text(), '<form action="/factor"');
  });

  t.test('/factor?q=N lists the divisors of N', async (t) => {
    const r = await get('/factor?q=360');
    t.equal(r.status, 200);
    const html = await r.text();
    t.match(html, '24 divisors');
    t.match(html, '1, 2, 3, 4, 5, 6, 8, 9, 10, 12, 15, 18, 20, 24, 30, 36, 40, 45, 60, 72, 90, 120, 180, 360');
  });

  t.test('/factor accepts N up to the bound and answers 400 beyond it', async (t) => {
    const r = await get(`/factor?q=${MAX_N}`);
    t.equal(r.status, 200);
    t.match(await r.text(), '121 divisors');
    const r2 = await get(`/factor?q=${MAX_N + 1}`);
    t.equal(r2.status, 400);
    t.match(await r2.text(), 'not a whole number from 1 to 10,000,000,000');
    const r3 = await get('/factor?q=' + '9'.repeat(400));
    t.equal(r3.status, 400);
    await r3.text();
  });

  t.test('/factor answers 400 for anything but a whole number from 1', async (t) => {
    for (const q of ['0', '-5', '12.5', '1e5', 'abc', '%2012', '', '0x10', '+7']) {
      const r = await get(`/factor?q=${q}`);
      t.equal(r.status, 400, JSON.stringify(q));
      await r.text();
    }
    const twice = await get('/factor?q=1&q=2');
    t.equal(twice.status, 400);
    t.match(await twice.text(), 'Give q once');
  });

  t.test('/factor escapes what it echoes', async (t) => {
    const r = await get('/factor?q=%3Cscript%3Ealert(1)%3C/script%3E');
    t.equal(r.status, 400);
    const html = await r.text();
    t.notMatch(html, '<script>');
    t.match(html, '&lt;script&gt;');
  });

  t.test('the notes API creates, lists, reads and deletes', async (t) => {
    const list0 = await (await get('/api/notes')).json();
    t.same(list0, []);
    const created = await get('/api/notes', {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: '  buy milk ' }),
    });
    t.equal(created.status, 201);
    const note = (await created.json()) as { id: number; text: string };
    t.equal(note.text, 'buy milk');
    t.equal(created.headers.get('location'), `/api/notes/${note.id}`);
    t.same(await (await get(`/api/notes/${note.id}`)).json(), note);
    t.same(await (await get('/api/notes')).json(), [note]);
    const del = await get(`/api/notes/${note.id}`, { method: 'DELETE' });
    t.equal(del.status, 204);
    const gone = await get(`/api/notes/${note.id}`);
    t.equal(gone.status, 404);
    t.same(await gone.json(), { error: 'no such note' });
  });

  t.test('the notes API answers a form post with 303 to the list', async (t) => {
    const r = await get('/api/notes', {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'text=from+a+form', redirect: 'manual',
    });
    t.equal(r.status, 303);
    t.equal(r.headers.get('location'), '/api/notes');
    const list = (await (await get('/api/notes')).json()) as { text: string }[];
    t.ok(list.some((n) => n.text === 'from a form'));
  });

  t.test('the notes API refuses bad bodies with JSON errors: 400, 415, 422', async (t) => {
    const post = (type: string, body: string) => get('/api/notes', { method: 'POST', headers: { 'content-type': type }, body });
    const cases: [string, string, number, RegExp][] = [
      ['application/json', '{"text":', 400, /malformed JSON/],
      ['application/json', '', 400, /empty/],
      ['application/x-www-form-urlencoded', 'text=%zz', 400, /percent-encoding/],
      ['text/plain', 'hello', 415, /Content-Type/],
      ['application/json', '["a"]', 422, /object/],
      ['application/json', '{"text":5}', 422, /string/],
      ['application/json', '{"text":"   "}', 422, /empty/],
      ['application/json', JSON.stringify({ text: 'x'.repeat(281) }), 422, /longer than 280/],
    ];
    for (const [type, body, status, message] of cases) {
      const r = await post(type, body);
      t.equal(r.status, status, `${type} ${body.slice(0, 20)}`);
      t.match(((await r.json()) as { error: string }).error, message);
    }
  });

  t.test('the notes API answers unknown ids 404 and other methods 405', async (t) => {
    const r = await get('/api/notes/abc');
    t.equal(r.status, 404);
    await r.text();
    const r2 = await get('/api/notes', { method: 'PUT' });
    t.equal(r2.status, 405);
    t.equal(r2.headers.get('allow'), 'GET, HEAD, OPTIONS, POST');
    await r2.text();
  });

  t.test('static files come with validators and revalidate to 304', async (t) => {
    const r = await get('/static/style.css');
    t.equal(r.status, 200);
    t.equal(r.headers.get('content-type'), 'text/css; charset=utf-8');
    t.equal(r.headers.get('cache-control'), 'public, max-age=60');
    await r.text();
    const again = await get('/static/style.css', { headers: { 'if-none-match': r.headers.get('etag')! } });
    t.equal(again.status, 304);
    const since = await get('/static/style.css', { headers: { 'if-modified-since': r.headers.get('last-modified')! } });
    t.equal(since.status, 304);
  });

  t.test('the download route names the file', async (t) => {
    const r = await get('/download/hello.txt');
    t.equal(r.headers.get('content-disposition'), 'attachment; filename="hello from wafer.txt"');
    t.match(await r.text(), 'Hello from wafer');
  });

  t.test('static files cannot reach outside examples/public', async (t) => {
    for (const path of ['/static/../package.json', '/static/%2e%2e/package.json', '/static/..%2f..%2fpackage.json']) {
      const r = await rawGet(srv.port, path);
      t.equal(r.status, 403, path);
    }
  });
});

t.test('a full notes store answers 507', async (t) => {
  const srv = await serve(apiRoutes(router(), { maxNotes: 2 }));
  t.teardown(srv.close);
  const post = () => fetch(`${srv.url}/api/notes`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"text":"n"}' });
  t.equal((await post()).status, 201);
  t.equal((await post()).status, 201);
  const full = await post();
  t.equal(full.status, 507);
  t.match(((await full.json()) as { error: string }).error, 'at most 2');
});

t.test('each example runs alone as a module whose default export is the handler', async (t) => {
  const cases: [string, typeof app, string, string][] = [
    ['factor', factorAlone, '/factor', '/factor?q=12'],
    ['api', apiAlone, '/api/notes', '/api/notes'],
    ['static', staticAlone, '/static/', '/static/hello.txt'],
  ];
  for (const [name, handler, home, page] of cases) {
    const srv = await serve(handler);
    const root = await fetch(`${srv.url}/`, { redirect: 'manual' });
    t.equal(root.status, 302, `${name}: / redirects`);
    t.equal(root.headers.get('location'), home, name);
    const r = await fetch(`${srv.url}${page}`);
    t.equal(r.status, 200, `${name}: ${page}`);
    await r.arrayBuffer();
    await srv.close();
  }
});

/** A port free right now (the kernel's pick for port 0, released again). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

t.test('examples/server.ts (npm start) listens on PORT and stops on SIGTERM', async (t) => {
  const port = await freePort();
  // Run the TypeScript source with the same loader tap gives this test.
  const loader = process.execArgv.filter((a) => a.includes('@tapjs/typescript'));
  const child = spawn(process.execPath, [...loader, 'examples/server.ts'], {
    env: { ...process.env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const killer = setTimeout(() => child.kill('SIGKILL'), 20000);
  t.teardown(() => {
    clearTimeout(killer);
    child.kill('SIGKILL');
  });
  let out = '';
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (c) => {
      out += c;
      if (out.includes('wafer examples on')) resolve();
    });
    child.on('exit', (code) => reject(new Error(`exited ${code} before listening: ${out}`)));
  });
  t.match(out, `http://localhost:${port}/`);
  const r = await fetch(`http://127.0.0.1:${port}/`, { headers: { connection: 'close' } });
  t.equal(r.status, 200);
  t.match(await r.text(), 'wafer examples');
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  child.kill('SIGTERM');
  t.equal(await exited, 0);
});

t.test('examples/server.ts (npm start) with a bad PORT says why in one line and exits 1', async (t) => {
  const loader = process.execArgv.filter((a) => a.includes('@tapjs/typescript'));
  const child = spawn(process.execPath, [...loader, 'examples/server.ts'], {
    env: { ...process.env, PORT: 'abc' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const killer = setTimeout(() => child.kill('SIGKILL'), 20000);
  t.teardown(() => clearTimeout(killer));
  let err = '';
  child.stderr.on('data', (c) => (err += c));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  t.equal(code, 1);
  t.equal(err.trim(), 'wafer examples: PORT=abc is not a port: expected a whole number from 0 to 65535 (or PORT unset for 4242)');
});
