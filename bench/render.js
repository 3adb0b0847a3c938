// Re-render the markdown and SVG of a saved run after the report code changed:
// `node bench/render.js bench/results/latest.json` (writes latest.md and latest.svg beside it).
import fs from 'node:fs';
import path from 'node:path';
import { analyse, toMarkdown } from './harness/report.js';
import { toSvg } from './harness/svg.js';

const file = process.argv[2] ?? 'bench/results/latest.json';
const result = JSON.parse(fs.readFileSync(file, 'utf8'));
result.analysis = analyse(result);
const base = file.replace(/\.json$/, '');
fs.writeFileSync(file, JSON.stringify(result, null, 2) + '\n');
fs.writeFileSync(base + '.md', toMarkdown(result, { svgName: path.basename(base) + '.svg' }));
fs.writeFileSync(base + '.svg', toSvg(result));
console.log(`rendered ${base}.md and ${base}.svg`);
