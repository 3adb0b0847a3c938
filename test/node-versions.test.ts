// package.json `engines` says what is tested: each of its ranges starts at a Node version that
// scripts/node-versions.sh pins and runs the whole suite on (CI: .ci/run), and nothing else is
// pinned. Change one without the other and this fails.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './helpers/wafer-process.js';

const engines = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { engines: { node: string } }).engines.node;
const script = readFileSync(join(ROOT, 'scripts/node-versions.sh'), 'utf8');

t.test('engines.node lists exactly the pinned versions, one caret range per major', async (t) => {
  const ranges = engines.split('||').map((r) => r.trim());
  for (const r of ranges) t.match(r, /^\^\d+\.\d+\.\d+$/, `"${r}": this version and later ones of its major`);
  const fromEngines = ranges.map((r) => r.slice(1)).sort();
  const pinned = /^PINNED=\(([^)]*)\)/m.exec(script)?.[1].trim().split(/\s+/).sort();
  t.same(fromEngines, pinned, 'engines names the versions the suite runs on');
  const majors = fromEngines.map((v) => v.split('.')[0]);
  t.equal(new Set(majors).size, majors.length, 'one version per major');
  for (const v of pinned ?? []) t.match(script, new RegExp(`^  \\[${v.replace(/\./g, '\\.')}\\]=sha512-`, 'm'), `${v} has a pinned integrity`);
});
