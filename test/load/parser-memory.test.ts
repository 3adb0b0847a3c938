// Memory, measured: a body of 2^53-1 announced bytes streamed through the parser keeps none of
// itself on the heap (the pieces are views of the fed buffers, checked in test/fuzz.test.ts;
// here, that nothing accumulates). A heap figure depends on the machine and on GC timing, so
// it is in the load tier, not in npm test.
import t from 'tap';
import { streamHugeBody } from '../../fuzz/robust.js';

const MiB = 1024 * 1024;

for (const [what, framing, size] of [
  ['a Content-Length of 2^53-1', 'content-length', ''],
  ['a chunk size of 1fffffffffffff (2^53-1)', 'chunk', '1fffffffffffff'],
] as const) {
  t.test(`${what}: 16 MiB streamed in 64 KiB reads grows the heap by less than 4 MiB`, async (t) => {
    const r = streamHugeBody(framing, size, 64 * 1024, 16 * MiB);
    t.equal(r.bodyBytes, 16 * MiB, 'all of it went through');
    t.ok(r.heapGrowth < 4 * MiB, `heap grew ${r.heapGrowth} bytes`);
  });
}
