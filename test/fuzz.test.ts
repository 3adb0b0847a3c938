// The seeded CI subset of the fuzz suite (fuzz/): every property of fuzz/properties.ts with a
// fixed seed and a small budget, plus the robustness checks that need no generator. A failure
// prints fast-check's seed, path and counterexample; `npm run fuzz -- --only NAME --seed S
// --path P` replays it with a readable diff.
import t from 'tap';
import { PROPERTIES } from '../fuzz/properties.js';
import { flood, FLOOD_VERDICT, streamHugeBody, type Flood } from '../fuzz/robust.js';
import { ours, oursIsLlhttp } from '../fuzz/subjects.js';
import { trace } from '../fuzz/trace.js';
import { toBuffer } from '../fuzz/segments.js';
import { holds } from './helpers/property.js';

const SEED = 20261125;
/** Cases per property in CI (the full `npm run fuzz` budget is in properties.ts). */
const CI_RUNS: Record<string, number> = {
  'diff-valid': 6000,
  'diff-malformed': 12000,
  'diff-mutated': 10000,
  'diff-repeated': 4000,
  'diff-noise': 5000,
  'diff-lenient': 4000,
  'diff-server': 4000,
  'diff-limits': 3000,
  split: 5000,
  'split-lenient': 1500,
  'robust-options': 3000,
  'robust-flood': 200,
  reset: 2000,
};

t.test('our parser is the one under test, not llhttp', async (t) => {
  t.equal(oursIsLlhttp(), false, "createParser('wafer') must return parser/wafer.ts");
});

for (const entry of PROPERTIES) {
  t.test(`${entry.name}: ${entry.what}`, async (t) => {
    const numRuns = CI_RUNS[entry.name];
    t.ok(numRuns > 0, 'has a CI budget');
    await holds(t, `${numRuns} cases`, entry.property(), { seed: SEED, numRuns });
  });
}

t.test('floods fed one byte at a time stop at their limit with the right code', async (t) => {
  for (const kind of Object.keys(FLOOD_VERDICT) as Flood[]) {
    const r = flood(kind, 1, 64 * 1024);
    const want = FLOOD_VERDICT[kind];
    t.ok(r.code === want.code || (want.or !== undefined && r.code === want.or), `${kind}: ${r.code}`);
    if (want.code !== null) t.ok(r.at <= want.within + 1024, `${kind}: stopped at byte ${r.at}, limit ${want.within}`);
  }
});

t.test('a 1 MiB header value in 64 KiB reads ends in HPE_HEADER_OVERFLOW within the first read', async (t) => {
  const r = flood('header-value', 64 * 1024, 1024 * 1024);
  t.equal(r.code, 'HPE_HEADER_OVERFLOW');
  t.ok(r.fed <= 64 * 1024 + 64, `stopped after ${r.fed} bytes fed`);
});

// How much heap those 16 MiB leave behind is measured in the load tier (test/load/parser-memory.test.ts).
t.test('a Content-Length of 2^53-1 streams 16 MiB as views of the fed buffers', async (t) => {
  const r = streamHugeBody('content-length', '', 64 * 1024, 16 * 1024 * 1024);
  t.equal(r.code, null);
  t.equal(r.bodyBytes, 16 * 1024 * 1024);
  t.equal(r.notViews, 0, 'every body piece is a view into the fed buffer');
});

t.test('a chunk size of 1fffffffffffff (2^53-1) streams 16 MiB as views of the fed buffers', async (t) => {
  const r = streamHugeBody('chunk', '1fffffffffffff', 64 * 1024, 16 * 1024 * 1024);
  t.equal(r.code, null);
  t.equal(r.bodyBytes, 16 * 1024 * 1024);
  t.equal(r.notViews, 0, 'every body piece is a view into the fed buffer');
});

t.test('lengths past 2^64 are errors, not allocations', async (t) => {
  const cl = trace(ours.factory, toBuffer('PUT / HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n'));
  t.equal(cl.error?.code, 'HPE_INVALID_CONTENT_LENGTH');
  const chunk = trace(ours.factory, toBuffer('PUT / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffffffff\r\n'));
  t.equal(chunk.error?.code, 'HPE_INVALID_CHUNK_SIZE');
});
