// wafer contender: `node bench/servers/wafer.js [edge|poll] [wafer|llhttp] [tls] [DIST]`, run from
// the compiled dist/ (`npm run build` first), or from another build's dist folder (a before/after
// comparison: the `wafer-base` contender, see contenders.js). `tls`: HTTPS with a throwaway
// certificate.
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { BODY_LIMIT, HEADERS_PREFIX, HELLO, HOST, PORT, announce, headersAnswer, onStop, pinSelfIfAsked, tlsCredentials } from './common.js';

pinSelfIfAsked();

const extra = process.argv.slice(4);
const distArg = extra.find((a) => a !== 'tls');
const dist = distArg ? path.resolve(distArg) : new URL('../../dist', import.meta.url).pathname;
const { listen, query } = await import(pathToFileURL(path.join(dist, 'lib/index.js')).href);

const loop = process.argv[2] ?? 'edge';
const parser = process.argv[3] ?? 'wafer';
const tls = extra.includes('tls') ? { tls: tlsCredentials() } : {};

const server = await listen(
  (req, res) => {
    if (req.method === 'GET') {
      res.setHeader('Content-Type', 'text/plain; charset=utf-8');
      if (req.path.startsWith(HEADERS_PREFIX)) {
        // The public API, as an application reads them: req.headers and the query helper.
        const h = req.headers;
        const q = query(req).q;
        res.end(headersAnswer(h['user-agent'], h['accept-language'], h.cookie, Array.isArray(q) ? q[0] : q));
      } else {
        res.end(HELLO);
      }
    } else if (req.method === 'POST' && req.path === '/echo') {
      res.setHeader('Content-Type', 'application/json; charset=utf-8');
      res.end(req.body);
    } else if (req.method === 'POST' && req.path === '/json') {
      let value;
      try {
        value = JSON.parse(req.body.toString('utf8'));
      } catch {
        res.statusCode = 400;
        res.end();
        return;
      }
      res.json(value);
    } else if (req.method === 'POST' && req.path === '/upload') {
      res.setHeader('Content-Type', 'text/plain; charset=utf-8');
      res.end(String(req.body.length));
    } else {
      res.statusCode = 404;
      res.end();
    }
  },
  { port: PORT, host: HOST, loop, parser, maxBodySize: BODY_LIMIT, ...tls },
);

announce(server.port);
onStop(() => server.close());
