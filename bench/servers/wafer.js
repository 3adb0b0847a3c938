// wafer contender: `node bench/servers/wafer.js [edge|poll] [wafer|llhttp] [tls]`, run from the
// compiled dist/ (`npm run build` first). `tls`: HTTPS with a throwaway certificate.
import { listen } from '../../dist/lib/index.js';
import { BODY_LIMIT, HELLO, HOST, PORT, announce, onStop, pinSelfIfAsked, tlsCredentials } from './common.js';

pinSelfIfAsked();

const loop = process.argv[2] ?? 'edge';
const parser = process.argv[3] ?? 'wafer';
const tls = process.argv[4] === 'tls' ? { tls: tlsCredentials() } : {};

const server = await listen(
  (req, res) => {
    if (req.method === 'GET' && req.path === '/') {
      res.setHeader('Content-Type', 'text/plain; charset=utf-8');
      res.end(HELLO);
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
