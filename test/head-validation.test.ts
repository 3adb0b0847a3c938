// lib/core/validate.ts on its own: the head-level rules, case by case, without sockets. The same
// rules over real sockets, for both loops and parsers, are in request-framing-smuggling.test.ts.
import t from 'tap';
import { headRuleStatus, isHostValue, isTargetFor, listItems, validateHead as headRule } from '../lib/core/validate.js';
import type { RequestHead } from '../parser/types.js';

/** The status the engine answers a head with (0: served). */
function validateHead(head: RequestHead): number {
  const rule = headRule(head);
  return rule === null ? 0 : headRuleStatus(rule);
}

function head(method: string, url: string, headers: string[], minor = 1): RequestHead {
  return {
    method, url, versionMajor: 1, versionMinor: minor, rawHeaders: headers,
    contentLength: -1, chunked: false, keepAlive: true, upgrade: false,
  };
}

t.test('Host: exactly one in HTTP/1.1, at most one in HTTP/1.0 (RFC 9112 §3.2)', async (t) => {
  t.equal(validateHead(head('GET', '/', ['Host', 'x'])), 0);
  t.equal(validateHead(head('GET', '/', [])), 400, 'missing in 1.1');
  t.equal(validateHead(head('GET', '/', [], 0)), 0, 'optional in 1.0');
  t.equal(validateHead(head('GET', '/', ['Host', 'x', 'host', 'x'])), 400, 'repeated, even identical');
  t.equal(validateHead(head('GET', '/', ['Host', 'x', 'Host', 'y'], 0)), 400, 'repeated in 1.0');
  t.equal(validateHead(head('GET', '/', ['HOST', 'x'])), 0, 'name is case-insensitive');
});

t.test('Host values (RFC 9110 §7.2, RFC 3986 §3.2.2)', async (t) => {
  for (const ok of ['', 'example.com', 'example.com:8080', 'EXAMPLE.com:', '127.0.0.1:80', '[::1]', '[::1]:443', '[v1.fe]', 'a%41b', 'x,y', 'xn--bcher-kva.example']) {
    t.ok(isHostValue(ok, true), `accepts ${JSON.stringify(ok)}`);
  }
  for (const bad of ['u@x', 'user:pw@x:80', 'a b', 'x, y', 'x:8o', 'x:80:80', '[::1', '[]', '[::1]x', 'a%4', 'a%zz', 'x/y', 'x?y', 'é']) {
    t.notOk(isHostValue(bad, true), `refuses ${JSON.stringify(bad)}`);
  }
  t.equal(validateHead(head('GET', '/', ['Host', ' example.com '])), 0, 'OWS around the value');
});

t.test('request-target forms (RFC 9112 §3.2)', async (t) => {
  const cases: [string, string, boolean][] = [
    ['GET', '/', true],
    ['GET', '//a//b?c=d', true],
    ['GET', '/a#frag', false],
    ['GET', 'http://example.com/a?b', true],
    ['GET', 'HTTPS://example.com:443', true],
    ['GET', 'http://example.com?x', true],
    ['GET', 'http://u:p@example.com/', false],
    ['GET', 'http:///a', false],
    ['GET', 'http://:80/a', false],
    ['GET', '1http://x/', false],
    ['GET', '*', false],
    ['OPTIONS', '*', true],
    ['OPTIONS', '*x', false],
    ['OPTIONS', '/', true],
    ['GET', 'example.com:443', false],
    ['CONNECT', 'example.com:443', true],
    ['CONNECT', '[::1]:443', true],
    ['CONNECT', 'example.com', false],
    ['CONNECT', 'example.com:', false],
    ['CONNECT', ':443', false],
    ['CONNECT', '/a', false],
    ['CONNECT', 'http://example.com/', false],
    ['CONNECT', 'u@example.com:443', false],
  ];
  for (const [method, url, ok] of cases) t.equal(isTargetFor(method, url), ok, `${method} ${url}`);
  // isTargetFor remembers the last origin-form target that passed: every verdict must stay the
  // same whatever came before it (each case twice in a row, then every case after every other).
  for (const [method, url, ok] of cases) {
    t.equal(isTargetFor(method, url), ok, `${method} ${url} (first)`);
    t.equal(isTargetFor(method, url), ok, `${method} ${url} (again)`);
  }
  let wrong = 0;
  for (const [m1, u1] of cases) {
    for (const [m2, u2, ok2] of cases) {
      isTargetFor(m1, u1);
      if (isTargetFor(m2, u2) !== ok2) wrong++;
    }
  }
  t.equal(wrong, 0, 'no verdict depends on the one before');
});

t.test('Content-Length (RFC 9110 §8.6, RFC 9112 §6.3)', async (t) => {
  const cl = (...values: string[]) => validateHead(head('POST', '/', ['Host', 'x', ...values.flatMap((v) => ['Content-Length', v])]));
  t.equal(cl('3'), 0);
  t.equal(cl('003'), 0, 'leading zeros are digits');
  t.equal(cl(' 3 '), 0, 'OWS trimmed');
  t.equal(cl('3', '3'), 400, 'repeated, even identical');
  t.equal(cl('3', '4'), 400, 'conflicting');
  t.equal(cl('3, 3'), 400, 'a list');
  for (const bad of ['', '-1', '+3', '0x3', '3 4', '3a', '١']) t.equal(cl(bad), 400, `refuses ${JSON.stringify(bad)}`);
  t.equal(cl('9007199254740991'), 0, '2^53 - 1 is still a size (the body limit answers it)');
  t.equal(cl('9007199254740992'), 400, 'past 2^53 - 1, as parser/wafer.ts');
});

t.test('Transfer-Encoding (RFC 9112 §6.1, §6.3, §7)', async (t) => {
  const te = (values: string[], extra: string[] = [], minor = 1) =>
    validateHead(head('POST', '/', ['Host', 'x', ...values.flatMap((v) => ['Transfer-Encoding', v]), ...extra], minor));
  t.equal(te(['chunked']), 0);
  t.equal(te(['Chunked']), 0, 'coding names are case-insensitive');
  t.equal(te([' , chunked ,']), 0, 'empty list elements and OWS ignored (RFC 9110 §5.6.1)');
  t.equal(te(['chunked'], ['Content-Length', '3']), 400, 'with Content-Length');
  t.equal(te(['chunked'], [], 0), 400, 'in HTTP/1.0');
  t.equal(te(['gzip']), 400, 'chunked not final');
  t.equal(te(['chunked, gzip']), 400, 'chunked not final');
  t.equal(te(['chunked, chunked']), 400, 'chunked twice');
  t.equal(te(['chunked', 'chunked']), 400, 'chunked twice, on two lines');
  t.equal(te(['']), 400, 'no coding at all');
  t.equal(te(['gzip, chunked']), 501, 'a coding we do not decode');
  t.equal(te(['gzip', 'chunked']), 501, 'the same, on two lines');
  t.equal(te(['x;q="a,b", chunked']), 501, 'a comma inside a quoted parameter does not split');
  t.equal(te(['g@zip, chunked']), 400, 'not a token');
});

t.test('listItems follows RFC 9110 §5.6.1', async (t) => {
  t.same(listItems('a, b ,,c'), ['a', 'b', 'c']);
  t.same(listItems(' , '), []);
  t.same(listItems('a;p="x,\\"y", b'), ['a;p="x,\\"y"', 'b']);
  t.equal(listItems('a;p="open'), null);
});
