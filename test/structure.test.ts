// The shape of the source tree (issue 14): the bytes go one way — parser/ at the bottom, loop/
// on it, lib/core (the engine) on both, lib/app (helpers) on the engine's public API, lib/index.ts
// (the package entry) on core and app, lib/cli (the command) and examples/ on top — and no file
// or folder imports itself back around a cycle. Read from the sources' import statements.
//
// Every import counts, `import type` included, for the cycles between files and between folders
// and for the layering rules: a type is a dependency of the design even when tsc erases it
// (Connection declares the ServerCore it needs, and Server implements it, rather than each file
// naming the other). The one use of type-only-ness: loop/ may name parser/ types and no more.
import t from 'tap';
import { readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, posix } from 'node:path';
import { ROOT } from './helpers/wafer-process.js';

const SOURCE_DIRS = ['parser', 'loop', 'lib', 'examples'];

/**
 * What each part may import (besides node: built-ins): a folder name allows every file in that
 * folder; a path ending in .ts allows that one file. Anything else is a layering error.
 */
const ALLOWED: Record<string, { parts: string[]; packages?: string[]; typeOnly?: string[] }> = {
  // The parser stands alone (`wafer/parser` is published on its own).
  parser: { parts: ['parser'] },
  // Transport: sockets and libuv handles. A connection is known only as loop/types.ts
  // LoopConnection; parser types may be named, nothing else.
  loop: { parts: ['loop'], typeOnly: ['parser'] },
  // The engine: server, connection, request, response, validation, limits.
  'lib/core': { parts: ['lib/core', 'loop', 'parser'] },
  // App helpers use what a user of the package has: the engine's public API (lib/core/index.ts,
  // all of which lib/index.ts re-exports) and the parser's dependency-free number checks.
  'lib/app': { parts: ['lib/app', 'lib/core/index.ts', 'parser/limits.ts'], packages: ['mime-types'] },
  // The package entry (lib/index.ts).
  lib: { parts: ['lib/core/index.ts', 'lib/app'] },
  // The `wafer` command.
  'lib/cli': { parts: ['lib/cli', 'lib', 'lib/core', 'parser'], packages: ['tsx'] },
  examples: { parts: ['examples', 'lib', 'lib/core', 'lib/app', 'parser'] },
};

interface Edge { from: string; to: string; typeOnly: boolean; spec: string }

/** The part (folder) a repo-relative file belongs to: its directory. */
function partOf(file: string): string {
  return posix.dirname(file);
}

function tsFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
    const p = posix.join(dir, e.name);
    if (e.isDirectory()) out.push(...tsFiles(p));
    else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

// A static import or re-export starting a line (comments never start with `import`/`export`),
// possibly across lines up to its `from '…'`; a side-effect import; a literal dynamic import.
const STATIC = /^(import|export)\s+(type\s+)?([^;'"]*?)\s*from\s*['"]([^'"]+)['"]/gm;
const BARE = /^import\s*['"]([^'"]+)['"]/gm;
const DYNAMIC = /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g;

/** Every import of `file`, as [specifier, typeOnly]. */
export function importsOf(source: string): [string, boolean][] {
  const out: [string, boolean][] = [];
  for (const m of source.matchAll(STATIC)) {
    const clause = m[3]!;
    // `import { type A, type B } from` is erased too; `export *` and default imports are not.
    const names = /^\{([^}]*)\}$/.exec(clause.trim());
    const allTypes = names !== null && names[1]!.split(',').map((s) => s.trim()).filter(Boolean).every((s) => s.startsWith('type '));
    out.push([m[4]!, m[2] !== undefined || allTypes]);
  }
  for (const m of source.matchAll(BARE)) out.push([m[1]!, false]);
  for (const m of source.matchAll(DYNAMIC)) out.push([m[1]!, false]);
  return out;
}

/** Resolve a relative specifier ('./x.js') from `file` to a repo-relative .ts path. */
function resolveSpec(file: string, spec: string): string {
  const p = posix.normalize(posix.join(posix.dirname(file), spec));
  return p.replace(/\.js$/, '.ts');
}

/** The cycles in a directed graph (each as a list of nodes, first repeated at the end), by DFS. */
export function findCycles(graph: Map<string, Set<string>>): string[][] {
  const cycles: string[][] = [];
  const state = new Map<string, 1 | 2>(); // 1: on the stack, 2: done
  const stack: string[] = [];
  const visit = (n: string): void => {
    state.set(n, 1);
    stack.push(n);
    for (const m of graph.get(n) ?? []) {
      const s = state.get(m);
      if (s === 1) cycles.push([...stack.slice(stack.indexOf(m)), m]);
      else if (s === undefined) visit(m);
    }
    stack.pop();
    state.set(n, 2);
  };
  for (const n of [...graph.keys()].sort()) if (!state.has(n)) visit(n);
  return cycles;
}

function allowedTarget(rule: string[], to: string): boolean {
  return rule.some((r) => (r.endsWith('.ts') ? to === r : partOf(to) === r));
}

const files = SOURCE_DIRS.flatMap(tsFiles).sort();
const known = new Set(files);
const edges: Edge[] = [];
const external: { from: string; spec: string }[] = [];
for (const from of files) {
  for (const [spec, typeOnly] of importsOf(readFileSync(join(ROOT, from), 'utf8'))) {
    if (spec.startsWith('.')) edges.push({ from, to: resolveSpec(from, spec), typeOnly, spec });
    else external.push({ from, spec });
  }
}

t.test('the import reader and cycle finder work (on known inputs)', async (t) => {
  const src = [
    "import { a } from './a.js';",
    "import type { B } from './b.js';",
    "import {\n  type C,\n  type D,\n} from './cd.js';",
    "import { type E, f } from './ef.js';",
    "export { g } from './g.js';",
    "export type { H } from './h.js';",
    "export * from './star.js';",
    "import './side.js';",
    "  const m = await import('./dyn.js');",
    "// import { no } from './comment.js';",
  ].join('\n');
  t.same(importsOf(src).sort(), [
    ['./a.js', false], ['./b.js', true], ['./cd.js', true], ['./dyn.js', false], ['./ef.js', false],
    ['./g.js', false], ['./h.js', true], ['./side.js', false], ['./star.js', false],
  ]);
  const g = new Map([['a', new Set(['b'])], ['b', new Set(['c'])], ['c', new Set(['a'])], ['d', new Set(['a'])]]);
  t.same(findCycles(g), [['a', 'b', 'c', 'a']]);
  t.same(findCycles(new Map([['a', new Set(['b'])], ['b', new Set<string>()]])), []);
});

t.test('the sources were read', async (t) => {
  t.ok(files.includes('lib/index.ts') && files.includes('parser/index.ts') && files.includes('loop/edge.ts'), `${files.length} files`);
  t.ok(edges.length > 50, `${edges.length} relative imports`);
});

t.test('every relative import names a source file', async (t) => {
  const missing = edges.filter((e) => !known.has(e.to)).map((e) => `${e.from}: ${e.spec}`);
  t.same(missing, []);
});

t.test('no import cycle between files', async (t) => {
  const graph = new Map<string, Set<string>>(files.map((f) => [f, new Set<string>()]));
  for (const e of edges) graph.get(e.from)!.add(e.to);
  t.same(findCycles(graph).map((c) => c.join(' → ')), []);
});

t.test('no import cycle between folders (every import, types too)', async (t) => {
  const graph = new Map<string, Set<string>>();
  for (const e of edges) {
    const [a, b] = [partOf(e.from), partOf(e.to)];
    if (!graph.has(a)) graph.set(a, new Set());
    if (a !== b) graph.get(a)!.add(b);
  }
  t.same(findCycles(graph).map((c) => c.join(' → ')), []);
});

t.test('each folder imports only the layers below it', async (t) => {
  const wrong: string[] = [];
  for (const e of edges) {
    const part = partOf(e.from);
    const rule = ALLOWED[part];
    if (rule === undefined) { wrong.push(`${e.from}: folder ${part} has no rule in test/structure.test.ts`); continue; }
    if (allowedTarget(rule.parts, e.to)) continue;
    if (e.typeOnly && rule.typeOnly !== undefined && allowedTarget(rule.typeOnly, e.to)) continue;
    wrong.push(`${e.from} imports ${e.to}${e.typeOnly ? ' (type)' : ''}`);
  }
  for (const { from, spec } of external) {
    if (spec.startsWith('node:')) continue;
    const pkg = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!;
    if (builtinModules.includes(pkg)) wrong.push(`${from} imports '${spec}' (write node:${pkg})`);
    else if (!(ALLOWED[partOf(from)]?.packages ?? []).includes(pkg)) wrong.push(`${from} imports package '${spec}'`);
  }
  t.same(wrong, []);
});

t.test('the layering is as documented', async (t) => {
  // The folders are the ones the rules name (a new folder needs a rule, an old rule its folder).
  const parts = [...new Set(files.map(partOf))].sort();
  t.same(parts, Object.keys(ALLOWED).sort());
  // The names in the rules exist.
  for (const { parts: ps } of Object.values(ALLOWED)) {
    for (const p of ps) t.ok(p.endsWith('.ts') ? known.has(p) : parts.includes(p), `${p} exists`);
  }
});

/**
 * No source file over ~400 lines (issue 14: a file holds one job, small enough to read whole).
 * The exceptions, each with its reason; one that has come under the limit leaves this list.
 */
const MAX_LINES = 400;
const LONG_FILES: Record<string, string> = {
  'parser/machine.ts': "the parser's state switch: one loop over every state of the message grammar, which reads best whole",
};

t.test(`no file in lib/, loop/ or parser/ is over ${MAX_LINES} lines, but the listed exceptions`, async (t) => {
  const over: string[] = [];
  for (const file of files) {
    if (file.startsWith('examples/')) continue;
    const lines = readFileSync(join(ROOT, file), 'utf8').split('\n').length - 1;
    if (file in LONG_FILES) t.ok(lines > MAX_LINES, `${file} (${lines} lines) is still long: ${LONG_FILES[file]}`);
    else if (lines > MAX_LINES) over.push(`${file}: ${lines} lines`);
  }
  t.same(over, []);
  for (const file of Object.keys(LONG_FILES)) t.ok(known.has(file), `${file} exists`);
});
