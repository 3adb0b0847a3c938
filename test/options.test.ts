// listen()'s options are checked when the server is made: an unknown key (a typo) is a
// TypeError naming the nearest known option, and the port — from options or $PORT — must be a
// whole number 0..65535, as the `wafer` command already requires; PORT empty or unset is 4242.
import t from 'tap';
import { listen, Server } from '../lib/index.js';
import { KNOWN_OPTIONS, editDistance } from '../lib/core/server.js';
import { startupLine, type CliSettings } from '../lib/cli/settings.js';
import { forEachServerKind } from './helpers/server-kinds.js';
import { raw, responsesOf } from './helpers/raw-client.js';
import type { ServerOptions } from '../lib/core/types.js';

const ok = (_req: unknown, res: { end(s: string): void }) => res.end('ok');

/** Run `fn` with PORT set to `value` (undefined: unset), restoring it after. */
async function withPort<T>(value: string | undefined, fn: () => T | Promise<T>): Promise<T> {
  const saved = process.env.PORT;
  if (value === undefined) delete process.env.PORT;
  else process.env.PORT = value;
  try {
    return await fn();
  } finally {
    if (saved === undefined) delete process.env.PORT;
    else process.env.PORT = saved;
  }
}

t.test('editDistance counts insertions, deletions and substitutions', async (t) => {
  t.equal(editDistance('maxConn', 'maxConns'), 1);
  t.equal(editDistance('kitten', 'sitting'), 3);
  t.equal(editDistance('', 'abc'), 3);
  t.equal(editDistance('same', 'same'), 0);
});

t.test('an unknown option is a TypeError naming the nearest known one', async (t) => {
  const cases: [Record<string, unknown>, string][] = [
    [{ maxConn: 5 }, "unknown option 'maxConn' (did you mean 'maxConns'?)"],
    [{ maxconns: 5 }, "unknown option 'maxconns' (did you mean 'maxConns'?)"],
    [{ keepaliveTimeout: 5 }, "unknown option 'keepaliveTimeout' (did you mean 'keepAliveTimeout'?)"],
    [{ maxBodysize: 5 }, "unknown option 'maxBodysize' (did you mean 'maxBodySize'?)"],
    [{ hots: 'x' }, "unknown option 'hots' (did you mean 'host'?)"],
    [{ port: 0, somethingElseEntirely: true }, "unknown option 'somethingElseEntirely'"],
  ];
  for (const [options, message] of cases) {
    await t.rejects(listen(ok, options as ServerOptions), { constructor: TypeError, message }, message);
  }
});

t.test('every known option name is accepted', async (t) => {
  // Each key alone, with an undefined value: the name check passes and the default applies.
  for (const key of KNOWN_OPTIONS) t.doesNotThrow(() => new Server(ok, { [key]: undefined } as ServerOptions), key);
  for (const key of ['port', 'host', 'loop', 'maxConns', 'parser', 'lenient', 'streamBody', 'headersTimeout',
    'requestTimeout', 'keepAliveTimeout', 'closeGrace', 'rawSocket', 'onError', 'upgrade', 'maxHeaderSize', 'maxBodySize']) {
    t.ok(KNOWN_OPTIONS.includes(key), `${key} is known`);
  }
});

t.test('PORT that is not a port is an error, not port 4242', async (t) => {
  for (const value of ['abc', '80abc', '-1', '65536', '1e3', '0x50', ' 8080', '8080 ', '99999999999999999999']) {
    await withPort(value, () =>
      t.rejects(listen(ok, { host: '127.0.0.1' }), { constructor: RangeError, message: `PORT=${value} is not a port` }, JSON.stringify(value)));
  }
});

t.test('PORT empty or unset means 4242; a valid PORT is used', async (t) => {
  // Not bound (4242 may be taken on a shared machine): the port asked for, before start().
  t.equal(await withPort(undefined, () => new Server(ok).port), 4242);
  t.equal(await withPort('', () => new Server(ok).port), 4242);
  t.equal(await withPort('8081', () => new Server(ok).port), 8081);
  t.equal(await withPort('0', () => new Server(ok).port), 0);
  t.equal(await withPort('abc', () => new Server(ok, { port: 9 }).port), 9, 'options.port wins and PORT is not read');
});

t.test('options.port must be a whole number 0..65535', async (t) => {
  for (const port of [-1, 65536, 1.5, NaN, '80' as unknown as number]) {
    await t.rejects(listen(ok, { port, host: '127.0.0.1' }), { constructor: RangeError, message: /port must be a whole number from 0 to 65535/ }, String(port));
  }
});

forEachServerKind(t, 'PORT=0 from the environment binds a free port that answers', async (t, kind) => {
  const server = await withPort('0', () =>
    listen(ok, { host: '127.0.0.1', loop: kind.loop, parser: kind.parser, rawSocket: kind.rawSocket }));
  t.teardown(() => server.close());
  t.not(server.port, 0);
  t.not(server.port, 4242);
  const r = await raw(server.port, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n', { responses: 1 });
  t.equal(responsesOf(r)[0]?.body, 'ok');
});

t.test('the startup line says "1 connection", and "connections" for any other number', async (t) => {
  const s: CliSettings = { file: 'app.js', port: 0, host: '127.0.0.1', loop: 'edge', maxConns: 1, parser: 'wafer', workers: 1, accessLog: false };
  t.match(startupLine(s, 8080, 'pid 1'), /, max 1 connection, pid 1\)$/);
  t.match(startupLine({ ...s, maxConns: 2 }, 8080, 'pid 1'), /, max 2 connections, pid 1\)$/);
  t.match(startupLine({ ...s, maxConns: 1, workers: 2 }, 8080, 'pids'), /, max 1 connection per worker, pids\)$/);
});
