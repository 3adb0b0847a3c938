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

export const SCENARIOS = [
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
