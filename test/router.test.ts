import t from 'tap';
import { router } from '../lib/app/router.js';
import { HttpError } from '../lib/core/http-error.js';
import { serve, rawGet } from './app/serve.js';

function app() {
  return router()
    .get('/', (_req, res) => res.type('text').end('home'))
    .get('/users/:id', (req, res) => res.json({ id: req.params.id }))
    .get('/users/:id/books/:book', (req, res) => res.json({ ...req.params }))
    .post('/users', (_req, res) => res.json({ created: true }, 201))
    .delete('/users/:id', (_req, res) => {
      res.statusCode = 204;
      res.end();
    })
    .get('/files/*', (req, res) => res.json({ rest: req.params['*'] }))
    .get('/async', async (_req, res) => {
      await new Promise((r) => setTimeout(r, 5));
      res.end('later');
    })
    .get('/teapot', () => {
      throw new HttpError(418, 'short and stout');
    });
}

t.test('router', async (t) => {
  const srv = await serve(app());
  t.teardown(srv.close);

  t.test('matches a static route', async (t) => {
    const r = await fetch(`${srv.url}/`);
    t.equal(r.status, 200);
    t.equal(await r.text(), 'home');
  });

  t.test('fills req.params with percent-decoded segments', async (t) => {
    const r = await fetch(`${srv.url}/users/J%C3%BCrgen%2Fx`);
    t.same(await r.json(), { id: 'Jürgen/x' });
    const r2 = await fetch(`${srv.url}/users/7/books/a%20b`);
    t.same(await r2.json(), { id: '7', book: 'a b' });
  });

  t.test('ignores one trailing slash', async (t) => {
    const r = await fetch(`${srv.url}/users/42/`);
    t.same(await r.json(), { id: '42' });
  });

  t.test('does not match a parameter against an empty segment', async (t) => {
    const r = await fetch(`${srv.url}/users//books/1`);
    t.equal(r.status, 404);
    await r.text();
  });

  t.test('a final * captures the rest of the path', async (t) => {
    const r = await fetch(`${srv.url}/files/a/b%20c.txt`);
    t.same(await r.json(), { rest: 'a/b c.txt' });
  });

  t.test('answers 404 when no route has the path', async (t) => {
    const r = await fetch(`${srv.url}/nope`);
    t.equal(r.status, 404);
    t.equal(await r.text(), 'Not Found\n');
  });

  t.test('answers 405 with Allow when the path exists under other methods', async (t) => {
    const r = await fetch(`${srv.url}/users/1`, { method: 'PUT' });
    t.equal(r.status, 405);
    t.equal(r.headers.get('allow'), 'DELETE, GET, HEAD, OPTIONS');
    await r.text();
    const r2 = await fetch(`${srv.url}/users`, { method: 'GET' });
    t.equal(r2.status, 405);
    t.equal(r2.headers.get('allow'), 'OPTIONS, POST');
    await r2.text();
  });

  t.test('serves HEAD from a GET route, without a body', async (t) => {
    const r = await rawGet(srv.port, '/users/5', 'HEAD');
    t.equal(r.status, 200);
    t.equal(r.headers['content-type'], 'application/json; charset=utf-8');
    t.equal(r.headers['content-length'], String('{"id":"5"}'.length));
    t.equal(r.body, '');
  });

  t.test('answers OPTIONS with 204 and Allow', async (t) => {
    const r = await fetch(`${srv.url}/users/1`, { method: 'OPTIONS' });
    t.equal(r.status, 204);
    t.equal(r.headers.get('allow'), 'DELETE, GET, HEAD, OPTIONS');
  });

  t.test('dispatches by method on the same path', async (t) => {
    const r = await fetch(`${srv.url}/users`, { method: 'POST' });
    t.equal(r.status, 201);
    t.same(await r.json(), { created: true });
    const d = await fetch(`${srv.url}/users/3`, { method: 'DELETE' });
    t.equal(d.status, 204);
  });

  t.test('awaits async handlers', async (t) => {
    const r = await fetch(`${srv.url}/async`);
    t.equal(await r.text(), 'later');
  });

  t.test('a thrown HttpError becomes its status', async (t) => {
    const r = await fetch(`${srv.url}/teapot`);
    t.equal(r.status, 418);
    await r.text();
  });
});

t.test('a custom notFound handler replaces the default 404', async (t) => {
  const srv = await serve(
    router()
      .get('/a', (_req, res) => res.end('a'))
      .notFound((req, res) => res.json({ missing: req.path }, 404)),
  );
  t.teardown(srv.close);
  const r = await fetch(`${srv.url}/b?x=1`);
  t.equal(r.status, 404);
  t.same(await r.json(), { missing: '/b' });
  // 405 still wins over notFound when the path exists.
  const r2 = await fetch(`${srv.url}/a`, { method: 'POST' });
  t.equal(r2.status, 405);
  await r2.text();
});

t.test('an explicit HEAD route wins over a GET route added before it', async (t) => {
  let seen = '';
  const srv = await serve(
    router()
      .get('/x', (_req, res) => {
        seen = 'get';
        res.end('get');
      })
      .route('head', '/x', (_req, res) => {
        seen = 'head';
        res.end();
      }),
  );
  t.teardown(srv.close);
  await rawGet(srv.port, '/x', 'HEAD');
  t.equal(seen, 'head');
});

t.test('route() refuses a pattern that does not start with /', async (t) => {
  t.throws(() => router().get('users', () => {}), TypeError);
});
