import t from 'tap';
import fc from 'fast-check';
import { decodeComponent, parseQuery, query } from '../lib/app/query.js';
import { HttpError } from '../lib/core/http-error.js';
import { serve } from './app/serve.js';

t.test('decodeComponent decodes percent-escapes in either case', async (t) => {
  t.equal(decodeComponent('a%2Fb%2fc'), 'a/b/c');
  t.equal(decodeComponent('%e2%82%AC'), '€');
  t.equal(decodeComponent('%F0%9F%98%80!'), '😀!');
});

t.test('decodeComponent turns + into a space only in form mode', async (t) => {
  t.equal(decodeComponent('a+b', true), 'a b');
  t.equal(decodeComponent('a+b%2B', true), 'a b+');
  t.equal(decodeComponent('a+b'), 'a+b');
});

t.test('decodeComponent keeps malformed % sequences literally in lenient mode', async (t) => {
  t.equal(decodeComponent('100%'), '100%');
  t.equal(decodeComponent('%zz%4'), '%zz%4');
  t.equal(decodeComponent('%%41'), '%A');
  t.equal(decodeComponent('%4g'), '%4g');
});

t.test('decodeComponent replaces invalid UTF-8 with U+FFFD in lenient mode', async (t) => {
  t.equal(decodeComponent('a%FFb'), 'a\uFFFDb');
  t.equal(decodeComponent('%C3'), '\uFFFD');
});

t.test('decodeComponent throws HttpError 400 on malformed input in strict mode', async (t) => {
  for (const bad of ['100%', '%zz', '%4', '%FF', '%C3']) {
    t.throws(() => decodeComponent(bad, true, true), { name: 'HttpError', status: 400 }, bad);
  }
});

t.test('decodeComponent inverts encodeURIComponent, with upper- or lower-case hex', async () => {
  fc.assert(
    fc.property(fc.string({ unit: 'grapheme', maxLength: 40 }), fc.boolean(), (s, lower) => {
      const enc = encodeURIComponent(s);
      const text = lower ? enc.replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase()) : enc;
      return decodeComponent(text) === s && decodeComponent(text, true, true) === s;
    }),
    { seed: 4242, numRuns: 500 },
  );
});

t.test('decodeComponent never throws in lenient mode and agrees with decodeURIComponent where that succeeds', async () => {
  const piece = fc.oneof(
    fc.constantFrom('%', '%2', '%zz', '%e2%82%ac', '%C3', '%ff', '+', 'a', 'é', '%41', '%%'),
    fc.string({ maxLength: 3 }),
  );
  fc.assert(
    fc.property(fc.array(piece, { maxLength: 12 }), (parts) => {
      const text = parts.join('');
      const out = decodeComponent(text);
      let expected: string | undefined;
      try {
        expected = decodeURIComponent(text);
      } catch {
        return typeof out === 'string';
      }
      return out === expected;
    }),
    { seed: 4242, numRuns: 1000 },
  );
});

t.test('parseQuery splits pairs, gathers repeats into arrays and keeps empty values', async (t) => {
  const q = parseQuery('a=1&b=x+y&a=2&flag&&c=&a=3');
  t.same({ ...q }, { a: ['1', '2', '3'], b: 'x y', flag: '', c: '' });
});

t.test('parseQuery splits on the first = only and decodes names too', async (t) => {
  t.same({ ...parseQuery('k%20ey=a=b') }, { 'k ey': 'a=b' });
});

t.test('parseQuery returns an object without prototype so __proto__ is a plain key', async (t) => {
  const q = parseQuery('__proto__=x&constructor=y&toString=z');
  t.equal(Object.getPrototypeOf(q), null);
  t.equal(q['__proto__'], 'x');
  t.equal(q['constructor'], 'y');
  t.equal(({} as Record<string, unknown>)['x'], undefined);
});

t.test('parseQuery answers 400 past maxParams', async (t) => {
  t.equal(Object.keys(parseQuery('a&b&c', { maxParams: 3 })).length, 3);
  t.throws(() => parseQuery('a&b&c&d', { maxParams: 3 }), { name: 'HttpError', status: 400 });
});

t.test('query(req) decodes the query string of a real request', async (t) => {
  const srv = await serve((req, res) => res.json({ ...query(req) }));
  t.teardown(srv.close);
  const r = await fetch(`${srv.url}/p?name=J%C3%BCrgen+M%c3%bcller&x=%zz&x=100%25&e=%E2%82%AC`);
  t.equal(r.status, 200);
  t.same(await r.json(), { name: 'Jürgen Müller', x: ['%zz', '100%'], e: '€' });
});
