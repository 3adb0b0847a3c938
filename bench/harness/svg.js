// A small hand-written SVG bar chart of one run: throughput of every server relative to
// node:http (top) and to the raw node:net ceiling (bottom), one group of bars per scenario.
import { CONTENDERS, SCENARIOS, SUBJECT } from '../contenders.js';

const W = 780;
const LABEL_X = 16;
const BAR_X = 200;
const BAR_W = 460;
const BAR_H = 13;
const GAP = 3;
const GROUP_GAP = 16;
const TARGETS_VS_CEILING = { varied: 1.0, 'varied-pipeline': 0.7, 'varied-headers-pipeline': 0.6, hello: 1.0, pipeline: 0.6 };
const TARGETS_VS_NODE = { echo: 2, upload: 2 };

const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const info = (id) => CONTENDERS.find((c) => c.id === id) ?? { label: id, color: '#999' };

function panel(result, y, key, title, refLabel, targets) {
  const groups = [];
  for (const s of SCENARIOS) {
    const ratios = result.analysis.ratios[s.id];
    if (!ratios) continue;
    const bars = result.contenders
      .filter((c) => ratios[c.id]?.[key] != null)
      .map((c) => ({ id: c.id, value: ratios[c.id][key] }));
    if (bars.length) groups.push({ s, bars });
  }
  if (!groups.length) return { svg: '', height: 0 };
  const max = Math.max(1.05, ...groups.flatMap((g) => g.bars.map((b) => b.value)), ...groups.map((g) => targets[g.s.id] ?? 0)) * 1.12;
  const px = (v) => BAR_X + (v / max) * BAR_W;
  const parts = [`<text x="${LABEL_X}" y="${y + 16}" class="h">${esc(title)}</text>`];
  let cy = y + 30;
  const top = cy;
  for (const g of groups) {
    parts.push(`<text x="${LABEL_X}" y="${cy + 11}" class="g">${esc(g.s.title)}</text>`);
    cy += 16;
    const gTop = cy;
    const t = targets[g.s.id];
    if (t !== undefined) {
      // Drawn first, so bars and their value labels sit on top of the target line.
      const gEnd = gTop + g.bars.length * (BAR_H + GAP);
      parts.push(
        `<line x1="${px(t).toFixed(1)}" y1="${gTop - 3}" x2="${px(t).toFixed(1)}" y2="${gEnd}" class="t"/>`,
        `<text x="${(px(t) + 3).toFixed(1)}" y="${gTop - 4}" class="tl">target ${t}x</text>`,
      );
    }
    for (const b of g.bars) {
      const c = info(b.id);
      const w = Math.max(1, px(b.value) - BAR_X);
      const bold = b.id === SUBJECT ? ' class="s"' : '';
      const text = `${b.value.toFixed(2)}x`;
      parts.push(
        `<text x="${BAR_X - 6}" y="${cy + BAR_H - 3}" text-anchor="end"${bold}>${esc(c.label)}</text>`,
        `<rect x="${BAR_X}" y="${cy}" width="${w.toFixed(1)}" height="${BAR_H}" fill="${c.color}"/>`,
        // A white backing keeps the value readable where a target line crosses it.
        `<rect x="${(BAR_X + w + 2).toFixed(1)}" y="${cy}" width="${(text.length * 6.6 + 4).toFixed(1)}" height="${BAR_H}" fill="#fff"/>`,
        `<text x="${(BAR_X + w + 4).toFixed(1)}" y="${cy + BAR_H - 3}"${bold}>${text}</text>`,
      );
      cy += BAR_H + GAP;
    }
    cy += GROUP_GAP;
  }
  // The reference line goes under the bars (drawn first), its label below the panel.
  parts.splice(1, 0, `<line x1="${px(1).toFixed(1)}" y1="${top}" x2="${px(1).toFixed(1)}" y2="${cy - GROUP_GAP + 4}" class="r"/>`);
  parts.push(
    `<text x="${px(1).toFixed(1)}" y="${cy - GROUP_GAP + 16}" text-anchor="middle" class="rl">${esc(refLabel)}</text>`,
  );
  return { svg: parts.join('\n'), height: cy - y + 10 };
}

export function toSvg(result) {
  const m = result.meta;
  const header = `wafer benchmark, ${m.date.slice(0, 10)}: ${m.machine.nproc} × ${m.machine.cpu}, node ${m.machine.node}, median of ${m.options.rounds} rounds (${m.mode} run)`;
  let y = 28;
  const a = panel(result, y, 'vsNode', 'Throughput relative to node:http (median req/s ÷ node:http’s)', 'node:http = 1.0x', TARGETS_VS_NODE);
  y += a.height;
  const b = panel(result, y, 'vsCeiling', 'Throughput relative to the raw node:net ceiling (GET scenarios only)', 'ceiling = 1.0x', TARGETS_VS_CEILING);
  y += b.height;
  const H = Math.max(60, y + 8);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="Helvetica, Arial, sans-serif" font-size="11">
<style>
.h { font-size: 14px; font-weight: bold; fill: #222 }
.g { font-size: 12px; font-weight: bold; fill: #444 }
.s { font-weight: bold }

.r { stroke: #333; stroke-dasharray: 4 3 }
.rl { fill: #333; font-size: 10px }
.t { stroke: #d62728; stroke-width: 1.5; stroke-dasharray: 2 2 }
.tl { fill: #d62728; font-size: 10px }
text { fill: #222 }
</style>
<rect width="100%" height="100%" fill="#fff"/>
<text x="${LABEL_X}" y="16" font-size="11" fill="#555">${esc(header)}</text>
${a.svg}
${b.svg}
</svg>
`;
}

