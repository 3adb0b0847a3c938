// trustProxy → req.ip and req.protocol, over real sockets on every server kind. The peer is
// always 127.0.0.1, so a trust list with 127.0.0.1 in it trusts the client of this test, and
// one without it (10.0.0.0/8) shows that the same headers from an untrusted peer are ignored.
import t from 'tap';
import { listen } from '../lib/index.js';
import type { ServerOptions } from '../lib/core/types.js';
import { forEachServerKind, startServer, type ServerKind } from './helpers/server-kinds.js';
import { raw, responsesOf } from './helpers/raw-client.js';
import type { Test } from 'tap';

/** What the server made of one request with these header lines: `ip protocol`. */
async function seen(port: number, lines: string[]): Promise<string> {
  const head = `GET / HTTP/1.1\r\nHost: x\r\n${lines.map((l) => l + '\r\n').join('')}Connection: close\r\n\r\n`;
  const [res] = responsesOf(await raw(port, head, { responses: 1 }));
  return res === undefined ? '(no answer)' : res.body;
}

async function server(t: Test, kind: ServerKind, trustProxy: ServerOptions['trustProxy']): Promise<number> {
  const s = await startServer(t, kind, (req, res) => res.end(`${req.ip} ${req.protocol}`), { trustProxy });
  return s.port;
}

const SPOOF = ['X-Forwarded-For: 6.6.6.6', 'X-Forwarded-Proto: https', 'Forwarded: for=7.7.7.7;proto=https'];

forEachServerKind(t, 'an untrusted peer: forwarded headers are ignored', async (t, kind) => {
  for (const trust of [undefined, false, 0, ['10.0.0.0/8'], ['::1', '192.168.0.0/16']] as ServerOptions['trustProxy'][]) {
    const port = await server(t, kind, trust);
    t.equal(await seen(port, SPOOF), '127.0.0.1 http', `trustProxy ${JSON.stringify(trust)}`);
    t.equal(await seen(port, []), '127.0.0.1 http', `trustProxy ${JSON.stringify(trust)}, no headers`);
  }
});

forEachServerKind(t, 'a trust list of addresses and CIDR ranges', async (t, kind) => {
  let port = await server(t, kind, ['127.0.0.1']);
  t.equal(await seen(port, ['X-Forwarded-For: 1.2.3.4', 'X-Forwarded-Proto: https']), '1.2.3.4 https');
  // 10.1.2.3 is not on the list: it is the client, whatever it claims to the left.
  t.equal(await seen(port, ['X-Forwarded-For: 9.9.9.9, 10.1.2.3']), '10.1.2.3 http');
  port = await server(t, kind, ['127.0.0.1', '10.0.0.0/8']);
  t.equal(await seen(port, ['X-Forwarded-For: 9.9.9.9, 10.1.2.3']), '9.9.9.9 http');
  t.equal(await seen(port, ['X-Forwarded-For: 8.8.8.8, 9.9.9.9, 10.1.2.3']), '9.9.9.9 http', 'stops at the first untrusted');
  t.equal(await seen(port, ['X-Forwarded-For: 10.0.0.1, 10.0.0.2']), '10.0.0.1 http', 'all trusted: the leftmost');
  // An IPv4-mapped IPv6 address is its IPv4 address, in the header and in the list.
  t.equal(await seen(port, ['X-Forwarded-For: 8.8.8.8, ::ffff:10.1.2.3']), '8.8.8.8 http');
  port = await server(t, kind, ['::ffff:127.0.0.1']);
  t.equal(await seen(port, ['X-Forwarded-For: 1.2.3.4']), '1.2.3.4 http', 'a mapped rule trusts the IPv4 peer');
  port = await server(t, kind, ['::ffff:127.0.0.0/104']);
  t.equal(await seen(port, ['X-Forwarded-For: 1.2.3.4']), '1.2.3.4 http', 'a mapped CIDR rule');
  // IPv6 ranges.
  port = await server(t, kind, ['127.0.0.0/8', '2001:db8:cafe::/48']);
  t.equal(await seen(port, ['X-Forwarded-For: 2001:db8::1, 2001:db8:cafe::17']), '2001:db8::1 http');
  t.equal(await seen(port, ['X-Forwarded-For: 2001:db8::1, 2001:db8:beef::17']), '2001:db8:beef::17 http');
});

forEachServerKind(t, 'a hop count and true', async (t, kind) => {
  const chain = 'X-Forwarded-For: 1.1.1.1, 2.2.2.2, 3.3.3.3';
  const expected: [ServerOptions['trustProxy'], string][] = [[1, '3.3.3.3'], [2, '2.2.2.2'], [3, '1.1.1.1'], [9, '1.1.1.1'], [true, '1.1.1.1']];
  for (const [trust, ip] of expected) {
    const port = await server(t, kind, trust);
    t.equal(await seen(port, [chain, 'X-Forwarded-Proto: https']), `${ip} https`, `trustProxy ${trust}`);
    t.equal(await seen(port, []), '127.0.0.1 http', `trustProxy ${trust}, no header: the peer`);
  }
});

forEachServerKind(t, 'repeated X-Forwarded-For lines form one list, in order', async (t, kind) => {
  const lines = ['X-Forwarded-For: 1.1.1.1', 'x-forwarded-for: 2.2.2.2, 3.3.3.3'];
  t.equal(await seen(await server(t, kind, 2), lines), '2.2.2.2 http');
  t.equal(await seen(await server(t, kind, 3), lines), '1.1.1.1 http');
  t.equal(await seen(await server(t, kind, 1), lines), '3.3.3.3 http');
});

forEachServerKind(t, 'Forwarded (RFC 7239): quoted IPv6, ports, proto, several elements', async (t, kind) => {
  let port = await server(t, kind, ['127.0.0.1']);
  t.equal(await seen(port, ['Forwarded: for="[2001:db8:cafe::17]:4711";proto=https']), '2001:db8:cafe::17 https');
  t.equal(await seen(port, ['Forwarded: For="192.0.2.60:8080" ; Proto=HTTPS ; by=203.0.113.43']), '192.0.2.60 https');
  t.equal(await seen(port, ['Forwarded: for=192.0.2.43, for=198.51.100.17;proto=http']), '198.51.100.17 http');
  port = await server(t, kind, true);
  t.equal(await seen(port, ['Forwarded: for=192.0.2.43;proto=https, for=198.51.100.17']), '192.0.2.43 http',
    'all trusted: the leftmost for=; the protocol is the nearest proxy\'s (none said)');
  t.equal(await seen(port, ['Forwarded: for=192.0.2.43', 'Forwarded: for="[::1]", for=10.0.0.9;proto=https']), '192.0.2.43 https',
    'repeated Forwarded lines');
  // X-Forwarded-For first, when both are present (see lib/core/proxy.ts for why).
  port = await server(t, kind, 1);
  t.equal(await seen(port, ['Forwarded: for=7.7.7.7;proto=http', 'X-Forwarded-For: 1.2.3.4', 'X-Forwarded-Proto: https']), '1.2.3.4 https');
  t.equal(await seen(port, ['Forwarded: for=7.7.7.7;proto=https']), '7.7.7.7 https');
});

forEachServerKind(t, 'malformed values fall back to the last address a trusted hop vouched for', async (t, kind) => {
  let port = await server(t, kind, ['127.0.0.1']);
  for (const line of ['X-Forwarded-For: garbage', 'X-Forwarded-For: ', 'X-Forwarded-For: 1.2.3.4.5', 'X-Forwarded-For: 999.1.1.1',
    'X-Forwarded-For: 1.2.3.4 5.6.7.8', 'X-Forwarded-For: 1.2.3.4,', 'Forwarded: for=unknown', 'Forwarded: for=_hidden',
    'Forwarded: for="[2001:db8::1', 'Forwarded: for=1.2.3.4;for=5.6.7.8', 'Forwarded: for', 'Forwarded: for=2001:db8::1',
    'Forwarded: ,,,', 'Forwarded: for="1.2.3.4" junk', 'X-Forwarded-For: [::1', 'X-Forwarded-For: [1.2.3.4]']) {
    t.equal(await seen(port, [line]), '127.0.0.1 http', line);
  }
  // The nearest entry is good: it is the client; garbage further left is never reached.
  t.equal(await seen(port, ['X-Forwarded-For: garbage, 1.2.3.4']), '1.2.3.4 http');
  t.equal(await seen(port, ['Forwarded: for="[::1, for=1.2.3.4']), '127.0.0.1 http', 'an open quote swallows its line');
  t.equal(await seen(port, ['Forwarded: for="[::1", for=1.2.3.4']), '1.2.3.4 http', 'a closed one does not');
  t.equal(await seen(port, ['X-Forwarded-For: 1.2.3.4:5678']), '1.2.3.4 http', 'a port is dropped');
  t.equal(await seen(port, ['X-Forwarded-For: [2001:db8::1]:443']), '2001:db8::1 http', 'a bracketed IPv6 with a port');
  port = await server(t, kind, true);
  t.equal(await seen(port, ['X-Forwarded-For: evil, 10.0.0.1']), '10.0.0.1 http', 'trust all: stops before the garbage');
  for (const [line, proto] of [['X-Forwarded-Proto: ftp', 'http'], ['X-Forwarded-Proto: HTTPS', 'https'], ['X-Forwarded-Proto: https, http', 'http'],
    ['X-Forwarded-Proto: http, https', 'https'], ['X-Forwarded-Proto:', 'http'], ['Forwarded: proto="https"', 'https'], ['Forwarded: proto=', 'http']]) {
    t.equal((await seen(port, [line])).split(' ')[1], proto, line);
  }
});

t.test('trustProxy is checked at listen()', async (t) => {
  const ok = (): void => {};
  for (const [value, type] of [
    ['yes', TypeError], [{}, TypeError], [null, TypeError], [['nope'], TypeError], [[5], TypeError], [['10.0.0.0/'], RangeError],
    [-1, RangeError], [1.5, RangeError], [Number.NaN, RangeError], [['10.0.0.0/33'], RangeError], [['::/129'], RangeError], [['1.2.3.4/x'], RangeError],
  ] as [unknown, ErrorConstructor][]) {
    await t.rejects(listen(ok, { port: 0, host: '127.0.0.1', trustProxy: value as never }), type, JSON.stringify(value));
  }
  const s = await listen(ok, { port: 0, host: '127.0.0.1', trustProxy: ['10.0.0.0/8', '::1', 'fd00::/8', '192.168.1.1/32', ' 172.16.0.0/12 '] });
  await s.close();
});
