// The soak in miniature (test/helpers/soak-run.ts; `npm run soak` is the full million): keep-alive
// requests and open/close cycles against one server process, then every connection released,
// descriptors back to where they started, no process warning (listener leaks), and the
// process exits by itself. RSS is reported; its bound here is loose, since a short run is
// mostly warm-up — the full soak reports the real drift.
import t from 'tap';
import { soak } from '../helpers/soak-run.js';

for (const [loop, parser] of [['edge', 'wafer'], ['poll', 'llhttp']] as const) {
  t.test(`soak (short): 40,000 keep-alive requests and 4,000 open/close cycles leave nothing behind [${loop}/${parser}]`, async (t) => {
    const r = await soak({ requests: 40_000, cycles: 4_000, conns: 20, depth: 4, cycleConcurrency: 10, loop, parser });
    t.equal(r.answered, 40_000, 'every keep-alive request answered');
    t.equal(r.cyclesDone, 4_000, 'every cycle completed');
    t.equal(r.cycleAnswers, 3_200, 'every cycle that asked was answered');
    t.equal(r.endConnections, 0, 'no connection left');
    t.ok(r.endFds <= r.baseFds, `descriptors back to baseline (${r.baseFds} → ${r.endFds})`);
    t.same(r.warnings, [], 'no MaxListenersExceededWarning or other warning');
    t.equal(r.exitCode, 0, 'the process exits by itself after close()');
    t.equal(r.stderr, '');
    t.comment(`RSS warm-up ${r.warmRssMiB} MiB → end ${r.endRssMiB} MiB (drift ${r.driftMiB} MiB), ${Math.round(r.answered / r.seconds.requests)} req/s`);
    t.ok(r.driftMiB < 64, `RSS drift ${r.driftMiB} MiB`);
  });
}
