// Who runs, and in which scenarios. `getOnly` servers can't find body boundaries (the ceiling
// parses nothing), so they sit out the POST scenarios and are shown as n/a there.
export const CONTENDERS = [
  { id: 'ceiling', label: 'ceiling (raw node:net)', script: 'ceiling.js', getOnly: true, color: '#7f7f7f' },
  // The same canned answers on the sockets' libuv handles (no stream machinery): what wafer's
  // edge loop runs on. Shown for reference; the targets are ratios to 'ceiling'.
  { id: 'ceiling-handle', label: 'ceiling on handles', script: 'ceiling.js', args: ['handle'], getOnly: true, color: '#bab0ac' },
  { id: 'node-http', label: 'node:http', script: 'node-http.js', color: '#4e79a7' },
  { id: 'fastify', label: 'fastify', script: 'fastify.js', color: '#9c755f' },
  { id: 'wafer-edge', label: 'wafer edge', script: 'wafer.js', args: ['edge', 'wafer'], wafer: true, color: '#e15759' },
  { id: 'wafer-poll', label: 'wafer poll', script: 'wafer.js', args: ['poll', 'wafer'], wafer: true, color: '#f28e2b' },
  { id: 'wafer-llhttp', label: 'wafer edge + llhttp', script: 'wafer.js', args: ['edge', 'llhttp'], wafer: true, color: '#b07aa1' },
  // HTTPS, side by side (`tls`: wrk speaks https to them). Not in `npm run bench` unless named
  // with --only; `npm run bench:alternate -- --a=wafer-tls --b=node-https --scenario=hello`.
  { id: 'wafer-tls', label: 'wafer edge, HTTPS', script: 'wafer.js', args: ['edge', 'wafer', 'tls'], wafer: true, tls: true, color: '#ff9d9a' },
  { id: 'node-https', label: 'node:https', script: 'node-http.js', args: ['tls'], tls: true, color: '#a0cbe8' },
];
// Before/after: WAFER_BASE_DIST=<another build's dist/> adds `wafer-base`, wafer edge run from that
// build (e.g. `git worktree add ../base <commit> && (cd ../base && npx tsc)`, then
// `WAFER_BASE_DIST=../base/dist npm run bench:alternate -- --a=wafer-edge --b=wafer-base`).
if (process.env.WAFER_BASE_DIST) {
  CONTENDERS.push({ id: 'wafer-base', label: 'wafer edge (base build)', script: 'wafer.js', args: ['edge', 'wafer', process.env.WAFER_BASE_DIST], wafer: true, color: '#76b7b2' });
}

// In report order. The varied scenarios come first: real traffic differs request by request
// (paths, query strings, cookies, request ids; 400–600-byte heads), and bench/wrk/varied.lua
// cycles through 1,024 such requests, so nothing a server remembers from the previous request
// helps it. The identical-request scenarios (wrk's one repeated request) follow. `args` are the
// wrk script's arguments (pipeline depth); a `path` other than / is put in front of every
// generated path (/h: the handler that reads three headers and the query, see servers/common.js).
export const SCENARIOS = [
  { id: 'varied', title: 'varied requests, keep-alive', connections: 50, script: 'varied.lua', args: ['1'], body: false },
  { id: 'varied-pipeline', title: 'varied requests, 16-deep pipelining', connections: 50, script: 'varied.lua', args: ['16'], body: false },
  {
    id: 'varied-headers-pipeline',
    title: 'varied requests, handler reads headers + query, 16-deep pipelining',
    connections: 50,
    script: 'varied.lua',
    args: ['16'],
    path: '/h',
    body: false,
    headers: true,
  },
  { id: 'hello', title: 'keep-alive hello world', connections: 50, script: null, body: false },
  { id: 'pipeline', title: '16-deep pipelining', connections: 50, script: 'pipeline.lua', body: false },
  { id: 'echo', title: '4 KB JSON POST echoed', connections: 50, script: 'echo.lua', path: '/echo', body: true },
  // The same document parsed and serialised back: mostly V8's JSON.parse/stringify (see docs/benchmarks.md).
  { id: 'json', title: '4 KB JSON POST parsed + re-serialised', connections: 50, script: 'echo.lua', path: '/json', body: true },
  { id: 'upload', title: '1 MiB upload', connections: 8, script: 'upload.lua', body: true },
];

export const BASELINE = 'node-http';
export const CEILING = 'ceiling';
export const SUBJECT = 'wafer-edge';
