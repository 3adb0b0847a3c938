// Ratios, target verdicts and the markdown report of one benchmark run.
import { BASELINE, CEILING, SUBJECT, CONTENDERS, SCENARIOS } from '../contenders.js';

const label = (id) => CONTENDERS.find((c) => c.id === id)?.label ?? id;
const fmt = (n) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : 'n/a');
const x = (r, digits = 2) => (Number.isFinite(r) ? `${r.toFixed(digits)}x` : '—');

export function analyse(result) {
  const ratios = {};
  for (const [sid, s] of Object.entries(result.throughput)) {
    const base = s.results[BASELINE]?.median;
    const ceil = s.results[CEILING]?.median;
    ratios[sid] = {};
    for (const [id, r] of Object.entries(s.results)) {
      ratios[sid][id] = { vsNode: base ? r.median / base : null, vsCeiling: ceil ? r.median / ceil : null };
    }
  }
  const ratio = (sid, key) => ratios[sid]?.[SUBJECT]?.[key] ?? null;
  const verdict = (value, ok) => (value === null || value === undefined || Number.isNaN(value) ? null : ok(value));
  const lat = result.latency?.results ?? {};
  const p99 = (id) => lat[id]?.latencyMs?.p99 ?? null;
  const latVaried = result.latencyVaried?.results ?? {};
  const p99Varied = (id) => latVaried[id]?.latencyMs?.p99 ?? null;
  const perConn = result.memory?.results?.[SUBJECT]?.perConnKiB ?? null;
  const targets = [
    // Issue 17's goals for traffic that differs request by request (bench/wrk/varied.lua).
    { name: 'varied requests, keep-alive', goal: '≥ 1.0x ceiling', value: ratio('varied', 'vsCeiling'), show: x, ok: (v) => v >= 1.0 },
    { name: 'varied requests, 16-deep pipelining', goal: '≥ 0.7x ceiling', value: ratio('varied-pipeline', 'vsCeiling'), show: x, ok: (v) => v >= 0.7 },
    { name: 'varied, handler reads headers + query, pipelined', goal: '≥ 0.6x ceiling', value: ratio('varied-headers-pipeline', 'vsCeiling'), show: x, ok: (v) => v >= 0.6 },
    {
      name: result.latencyVaried ? `p99 latency at ${fmt(result.latencyVaried.rate)} req/s, varied requests` : 'p99 latency at a fixed rate, varied requests',
      goal: `≤ node:http (${p99Varied(BASELINE) ?? '—'} ms)`,
      value: p99Varied(SUBJECT) !== null && p99Varied(BASELINE) !== null ? p99Varied(SUBJECT) : null,
      show: (v) => `${v} ms`,
      ok: (v) => v <= p99Varied(BASELINE),
    },
    { name: 'keep-alive hello', goal: '≥ 1.0x ceiling', value: ratio('hello', 'vsCeiling'), show: x, ok: (v) => v >= 1.0 },
    { name: '16-deep pipelining', goal: '≥ 0.6x ceiling', value: ratio('pipeline', 'vsCeiling'), show: x, ok: (v) => v >= 0.6 },
    { name: '4 KB JSON POST echoed', goal: '≥ 2x node:http', value: ratio('echo', 'vsNode'), show: x, ok: (v) => v >= 2 },
    { name: '1 MiB upload', goal: '≥ 2x node:http', value: ratio('upload', 'vsNode'), show: x, ok: (v) => v >= 2 },
    {
      name: result.latency ? `p99 latency at ${fmt(result.latency.rate)} req/s` : 'p99 latency at a fixed rate',
      goal: `≤ node:http (${p99(BASELINE) ?? '—'} ms)`,
      value: p99(SUBJECT) !== null && p99(BASELINE) !== null ? p99(SUBJECT) : null,
      show: (v) => `${v} ms`,
      ok: (v) => v <= p99(BASELINE),
    },
    {
      name: `RSS per idle connection (${fmt(result.memory?.connections)} open)`,
      goal: '≤ 4.5 KiB',
      value: perConn,
      show: (v) => `${v} KiB`,
      ok: (v) => v <= 4.5,
    },
  ].map((t) => ({ name: t.name, goal: t.goal, value: t.value, shown: t.value === null ? 'not measured' : t.show(t.value), met: verdict(t.value, t.ok) }));
  return { ratios, targets };
}

export function toMarkdown(result, { svgName }) {
  const m = result.meta;
  const mc = m.machine;
  const lines = [];
  lines.push(`### Results: ${m.date.slice(0, 16).replace('T', ' ')} UTC (${m.mode} run)`, '');
  lines.push(
    `Machine: ${mc.nproc} CPUs (${mc.cpu}), ${mc.memoryGiB} GiB, Linux ${mc.kernel}, node ${mc.node}, wrk ${mc.wrk}. ` +
      (m.pinning.server === null
        ? 'Not pinned (see warnings). '
        : `Each server pinned to CPU ${m.pinning.server} (\`taskset\`), wrk and the Node clients to CPU ${m.pinning.load}. `) +
      `Load average ${mc.loadavg.join(' ')} at the start, ${m.loadavgEnd.join(' ')} at the end.`,
    '',
  );
  lines.push(
    `Command: \`${m.command}\`: ${m.options.warmup} s warm-up per server, then ${m.options.rounds} interleaved rounds ` +
      `of ${m.options.duration} s each (\`wrk -t1\`); the table shows the median and the range of the rounds.` +
      (m.revision ? ` wafer at commit ${m.revision.commit}${m.revision.dirty ? ' plus uncommitted changes in the work tree' : ''}.` : '') +
      (m.note ? ` Note: ${m.note}` : ''),
    '',
  );
  if (Object.keys(result.throughput).length) {
    lines.push('| scenario | server | req/s (median) | min – max | × node:http | × ceiling |', '|---|---|---:|---:|---:|---:|');
    for (const s of SCENARIOS) {
      const t = result.throughput[s.id];
      if (!t) continue;
      const title = `${t.title} (${t.connections} conns)`;
      for (const c of result.contenders) {
        const r = t.results[c.id];
        const rt = result.analysis.ratios[s.id][c.id];
        if (r) {
          const err = r.errors ? ` ⚠ ${r.errors} errors` : '';
          lines.push(`| ${title} | ${label(c.id)} | ${fmt(r.median)}${err} | ${fmt(r.min)} – ${fmt(r.max)} | ${x(rt.vsNode)} | ${x(rt.vsCeiling)} |`);
        } else if (s.body && CONTENDERS.find((k) => k.id === c.id)?.getOnly) {
          lines.push(`| ${title} | ${label(c.id)} | n/a (can't find bodies) | | | |`);
        } else {
          lines.push(`| ${title} | ${label(c.id)} | not run${c.reason ? `: ${c.reason}` : ''} | | | |`);
        }
      }
    }
    lines.push('');
  }
  for (const l of [result.latencyVaried, result.latency]) {
    if (!l) continue;
    const rounds = l.rounds ?? 1;
    lines.push(
      `Latency at a fixed ${fmt(l.rate)} req/s (${l.varied ? '1,024 different browser-like requests in turn, as the varied scenarios' : 'GET /'}, our open-loop Node client on the load CPU, ${l.connections} connections, ` +
        `${l.seconds} s after a 2 s warm-up; measured from write to complete response; not wrk)` +
        (rounds > 1 ? `; ${rounds} interleaved runs per server, each row the run with the median p99:` : ':'),
      '',
      `| server | p50 | p90 | p99 | p99.9 | max | achieved req/s | client behind schedule (max) | errors |${rounds > 1 ? ' p99 of each run |' : ''}`,
      `|---|---:|---:|---:|---:|---:|---:|---:|---:|${rounds > 1 ? '---:|' : ''}`,
    );
    for (const c of result.contenders) {
      const r = l.results[c.id];
      if (!r?.latencyMs) continue;
      const q = r.latencyMs;
      lines.push(
        `| ${label(c.id)} | ${q.p50} ms | ${q.p90} ms | ${q.p99} ms | ${q.p999} ms | ${q.max} ms | ${fmt(r.achievedRate)} | ${r.maxScheduleLagMs} ms | ${r.non200 + r.socketErrors + (r.sent - r.received)} |` +
          (rounds > 1 ? ` ${(r.p99Rounds ?? []).join(', ')} ms |` : ''),
      );
    }
    const lagging = Object.entries(l.results).filter(([, r]) => r.maxScheduleLagMs > 10);
    if (lagging.length) {
      lines.push(
        '',
        `⚠ The client fell more than 10 ms behind its schedule (${lagging.map(([id]) => label(id)).join(', ')}): the load CPU was busy, ` +
          'so these latencies include time the client itself lost.',
      );
    }
    lines.push('');
  }
  if (result.memory) {
    const mm = result.memory;
    lines.push(
      `Memory with ${fmt(mm.connections)} idle keep-alive connections (each sent one GET / and got its answer; server RSS from /proc/PID/status VmRSS, fresh server process):`,
      '',
      '| server | RSS before | RSS after | per connection | open |',
      '|---|---:|---:|---:|---:|',
    );
    for (const c of result.contenders) {
      const r = mm.results[c.id];
      if (!r) continue;
      lines.push(
        `| ${label(c.id)} | ${fmt(r.beforeKiB / 1024)} MiB | ${fmt(r.afterKiB / 1024)} MiB | ${r.perConnKiB} KiB | ${fmt(r.open)}${r.failed ? ` (${r.failed} failed)` : ''} |`,
      );
    }
    lines.push('');
  }
  lines.push(`Targets (${label(SUBJECT)}):`, '', '| target | goal | measured | met |', '|---|---|---:|:---:|');
  for (const t of result.analysis.targets) {
    lines.push(`| ${t.name} | ${t.goal} | ${t.shown} | ${t.met === null ? '—' : t.met ? 'yes' : '**no**'} |`);
  }
  lines.push('');
  if (svgName && Object.keys(result.throughput).length) lines.push(`![throughput relative to node:http and to the ceiling](${svgName})`, '');
  const out = result.contenders.filter((c) => !c.available);
  if (m.warnings.length || out.length) {
    lines.push('Warnings:', '');
    for (const w of m.warnings) lines.push(`- ${w.split('\n')[0]}`);
    lines.push('');
  }
  return lines.join('\n');
}
