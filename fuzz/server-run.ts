// `npm run fuzz:server`: the whole-server fuzz (server-fuzz.ts) against a server in a child
// process under --unhandled-rejections=strict, for each loop × parser, with one seed printed
// first so a failure can be replayed: byte streams (serverProperty), then pipelined bursts with
// large answers (burstProperty, its own child with a small high-water mark). After each: every
// connection released, and the process exits by itself once closed. `edge-stream` is the edge
// loop on node:net's stream API (rawSocket: false).
//
//   npm run fuzz:server                                  # 300 batches + 40 bursts per kind, fresh seed
//   npm run fuzz:server -- --seed 42 --runs 2000 --bursts 200 --loop poll,edge-stream --parser llhttp
//   npm run fuzz:server -- --diff --seed 3 --runs 600    # differential: wafer vs llhttp servers
import fc from 'fast-check';
import { BATCH, BURST_SERVER, FUZZ_SERVER, burstProperty, send, serverProperty, stream } from './server-fuzz.js';
import { show } from './segments.js';
import { startChild } from '../test/helpers/child-server.js';
import type { LoopKind, ServerOptions } from '../lib/core/types.js';
import type { ParserKind } from '../parser/types.js';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const seed = Number(arg('seed') ?? ((Date.now() ^ (Math.random() * 0x7fffffff)) | 0));
const numRuns = Number(arg('runs') ?? 300);
const burstRuns = Number(arg('bursts') ?? 40);
/** Loop names on the command line: the two loops, and the edge loop on the stream API. */
const KINDS: Record<string, { loop: LoopKind; rawSocket: boolean }> = {
  edge: { loop: 'edge', rawSocket: true },
  poll: { loop: 'poll', rawSocket: true },
  'edge-stream': { loop: 'edge', rawSocket: false },
};
if (process.argv.includes('--diff')) {
  // The same streams, split the same way, to a wafer-parser server and an llhttp server: the
  // sequences of answer statuses must be equal (`--runs` streams here, BATCH at a time).
  console.log(`server differential: seed ${seed}, ${numRuns} streams, wafer vs llhttp`);
  const a = await startChild({ ...FUZZ_SERVER, parser: 'wafer' }, { mode: 'echo' });
  const b = await startChild({ ...FUZZ_SERVER, parser: 'llhttp' }, { mode: 'echo' });
  const statuses = (text: string) => [...text.matchAll(/HTTP\/1\.1 (\d{3})/g)].map((m) => m[1]).join(',');
  const streams = fc.sample(stream, { seed, numRuns });
  let diffs = 0;
  for (let i = 0; i < streams.length; i += BATCH) {
    const batch = streams.slice(i, i + BATCH);
    const [ra, rb] = await Promise.all([Promise.all(batch.map((s) => send(a.port, s))), Promise.all(batch.map((s) => send(b.port, s)))]);
    for (let k = 0; k < batch.length; k++) {
      const sa = statuses(ra[k].text);
      const sb = statuses(rb[k].text);
      if (sa !== sb && ++diffs <= 20) console.log(`wafer [${sa}] llhttp [${sb}]: ${show(batch[k].text).slice(0, 300)}`);
    }
  }
  console.log(`${diffs} of ${streams.length} streams answered differently`);
  a.kill();
  b.kill();
  process.exit(diffs === 0 ? 0 : 1);
}

console.log(`server fuzz: seed ${seed}, ${numRuns} batches of up to ${BATCH} connections and ${burstRuns} runs of pipelined bursts per server kind`);

/** One property against a fresh child; then every connection must be released and the child exit by itself. */
async function fuzzChild(name: string, options: ServerOptions, mode: 'echo' | 'burst', run: (port: number) => Promise<void>): Promise<void> {
  const child = await startChild(options, { mode });
  const started = Date.now();
  try {
    await run(child.port);
    let { stats } = await child.stats();
    for (let i = 0; i < 100 && stats.connections > 0; i++) {
      await new Promise((r) => setTimeout(r, 50));
      ({ stats } = await child.stats());
    }
    if (stats.connections !== 0) throw new Error(`${stats.connections} connections left open`);
    await child.close();
    const code = await child.exited(5000);
    if (code !== 0) throw new Error(`server process exit code ${code}: ${child.stderr()}`);
    console.log(`${name}: ok in ${((Date.now() - started) / 1000).toFixed(1)} s — ${stats.accepted} connections, ` +
      `${stats.requests} request heads, ${stats.parseErrors} refused, ${stats.timeouts} timeouts, process exited 0`);
  } catch (err) {
    child.kill();
    console.error(`${name}: FAILED\n${err instanceof Error ? err.message : String(err)}\n${child.stderr()}`);
    process.exitCode = 1;
  }
}

for (const name of (arg('loop') ?? 'edge,poll,edge-stream').split(',')) {
  const kind = KINDS[name];
  if (kind === undefined) throw new Error(`unknown loop ${name} (edge, poll, edge-stream)`);
  for (const parser of (arg('parser') ?? 'wafer,llhttp').split(',') as ParserKind[]) {
    const options = { ...kind, parser };
    if (numRuns > 0) {
      await fuzzChild(`${name}/${parser}`, { ...FUZZ_SERVER, ...options }, 'echo',
        (port) => fc.assert(serverProperty(port), { seed, numRuns, path: arg('path') }));
    }
    if (burstRuns > 0) {
      await fuzzChild(`${name}/${parser} bursts`, { ...BURST_SERVER, ...options }, 'burst',
        (port) => fc.assert(burstProperty(port), { seed, numRuns: burstRuns, path: arg('path') }));
    }
  }
}
