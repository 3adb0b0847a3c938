// The seeded CI subset of the whole-server fuzz (fuzz/server-fuzz.ts): random, malformed and
// mutated byte streams over real sockets against a server in a child process under
// --unhandled-rejections=strict, for both loops and both parsers. Every connection must end
// in well-formed answers and a close by the server; afterwards no connection is left and the
// process exits by itself. `npm run fuzz:server` runs the same with a bigger budget.
import t from 'tap';
import { BURST_SERVER, FUZZ_SERVER, burstProperty, judge, serverProperty } from '../fuzz/server-fuzz.js';
import { startChild } from './helpers/child-server.js';
import { holds } from './helpers/property.js';
import { serverKinds, PARSERS, sleep } from './helpers/server-kinds.js';

const SEED = 20261125;
const RUNS = 25;
const BURST_RUNS = 12;

t.test('the judge catches what it should', async (t) => {
  const ok = 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi';
  const bad = 'HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n';
  t.equal(judge({ text: ok + ok, closedByServer: true, ms: 5 }), null);
  t.equal(judge({ text: '', closedByServer: true, ms: 5 }), null, 'a close without an answer is allowed');
  t.match(judge({ text: ok, closedByServer: false, ms: 3000 }), /still open/);
  t.match(judge({ text: bad + ok, closedByServer: true, ms: 5 }), /after a Connection: close/);
  t.match(judge({ text: 'HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n', closedByServer: true, ms: 5 }), /without Connection: close/);
  t.match(judge({ text: 'HTTP/1.1 502 Bad Gateway\r\nConnection: close\r\n\r\n', closedByServer: true, ms: 5 }), /unexpected status/);
  t.match(judge({ text: 'garbage', closedByServer: true, ms: 5 }), /not a response/);
});

for (const kind of serverKinds(PARSERS)) {
  t.test(`random and mutated streams over sockets: every connection answered or closed, the process survives [${kind.name}]`, async (t) => {
    const child = await startChild({ ...FUZZ_SERVER, loop: kind.loop, parser: kind.parser, rawSocket: kind.rawSocket }, { mode: 'echo' });
    t.teardown(() => child.kill());
    await holds(t, 'every connection ended in well-formed answers and a close by the server', serverProperty(child.port), { seed: SEED, numRuns: RUNS });
    let { stats } = await child.stats();
    for (let i = 0; i < 100 && stats.connections > 0; i++) {
      await sleep(50);
      ({ stats } = await child.stats());
    }
    t.equal(stats.connections, 0, `all ${stats.accepted} connections released`);
    t.ok(stats.parseErrors > 0 && stats.requests > stats.parseErrors, 'both refused and served requests were exercised');
    await child.close();
    t.equal(await child.exited(5000), 0, 'exits by itself');
    t.equal(child.stderr(), '');
  });
}

for (const kind of serverKinds()) {
  t.test(`pipelined bursts with large string and Buffer answers: every request answered in order, byte for byte [${kind.name}]`, async (t) => {
    const child = await startChild({ ...BURST_SERVER, loop: kind.loop, parser: kind.parser, rawSocket: kind.rawSocket }, { mode: 'burst' });
    t.teardown(() => child.kill());
    // No shrinking: a stalled burst takes seconds to fail, and hundreds of shrink steps would
    // outlast the test's timeout. The seed and path replay it: npm run fuzz:server -- --seed …
    await holds(t, 'every burst answered in order, byte for byte', burstProperty(child.port), { seed: SEED, numRuns: BURST_RUNS, endOnFailure: true });
    const { stats } = await child.stats();
    t.ok(stats.requests > 100, `${stats.requests} requests answered`);
    await child.close();
    t.equal(await child.exited(5000), 0, 'exits by itself');
    t.equal(child.stderr(), '');
  });
}
