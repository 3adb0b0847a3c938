// node:http contender: the baseline every ratio is taken against. Idiomatic code, nothing tuned
// beyond keeping idle connections as long as the other contenders do. With the argument `tls`:
// node:https (https.createServer) with a throwaway certificate, the HTTPS baseline.
import http from 'node:http';
import https from 'node:https';
import querystring from 'node:querystring';
import { BODY_LIMIT, HEADERS_PREFIX, HELLO, HOST, KEEP_ALIVE_MS, PORT, announce, headersAnswer, onStop, pinSelfIfAsked, tlsCredentials } from './common.js';

pinSelfIfAsked();

function readBody(req, done) {
  const chunks = [];
  let size = 0;
  req.on('data', (c) => {
    size += c.length;
    if (size <= BODY_LIMIT) chunks.push(c);
  });
  req.on('end', () => done(size, chunks));
}

const handler = (req, res) => {
  if (req.method === 'GET') {
    res.setHeader('Content-Type', 'text/plain; charset=utf-8');
    if (req.url.startsWith(HEADERS_PREFIX)) {
      // The query as an idiomatic node:http handler reads it: split off at '?', parsed by node:querystring.
      const at = req.url.indexOf('?');
      const q = at === -1 ? undefined : querystring.parse(req.url.slice(at + 1)).q;
      const h = req.headers;
      res.end(headersAnswer(h['user-agent'], h['accept-language'], h.cookie, Array.isArray(q) ? q[0] : q));
    } else {
      res.end(HELLO);
    }
  } else if (req.method === 'POST' && req.url === '/echo') {
    readBody(req, (size, chunks) => {
      res.setHeader('Content-Type', 'application/json; charset=utf-8');
      res.end(Buffer.concat(chunks, size));
    });
  } else if (req.method === 'POST' && req.url === '/json') {
    readBody(req, (size, chunks) => {
      let value;
      try {
        value = JSON.parse(Buffer.concat(chunks, size).toString('utf8'));
      } catch {
        res.statusCode = 400;
        res.end();
        return;
      }
      res.setHeader('Content-Type', 'application/json; charset=utf-8');
      res.end(JSON.stringify(value));
    });
  } else if (req.method === 'POST' && req.url === '/upload') {
    // Counted, not kept: the cheapest way node:http can consume a body.
    let size = 0;
    req.on('data', (c) => (size += c.length));
    req.on('end', () => {
      res.setHeader('Content-Type', 'text/plain; charset=utf-8');
      res.end(String(size));
    });
  } else {
    res.statusCode = 404;
    res.end();
  }
};
const server = process.argv[2] === 'tls' ? https.createServer(tlsCredentials(), handler) : http.createServer(handler);
server.keepAliveTimeout = KEEP_ALIVE_MS;
server.headersTimeout = KEEP_ALIVE_MS + 1000;

server.listen(PORT, HOST, () => announce(server.address().port));
onStop(
  () =>
    new Promise((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
);
