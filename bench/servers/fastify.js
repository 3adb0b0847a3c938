// fastify contender, as its docs write a server: /json bodies parsed by fastify's own parser and
// serialised back, /echo bodies sent back as bytes; uploads counted by a stream content-type parser (no buffering).
import Fastify from 'fastify';
import { BODY_LIMIT, HELLO, HOST, KEEP_ALIVE_MS, PORT, announce, headersAnswer, onStop, pinSelfIfAsked } from './common.js';

pinSelfIfAsked();

const app = Fastify({ logger: false, bodyLimit: BODY_LIMIT, keepAliveTimeout: KEEP_ALIVE_MS });

app.addContentTypeParser('application/octet-stream', (req, payload, done) => {
  let size = 0;
  payload.on('data', (c) => (size += c.length));
  payload.on('end', () => done(null, size));
  payload.on('error', done);
});

const hello = (req, reply) => {
  reply.type('text/plain; charset=utf-8').send(HELLO);
};
// Every GET path answers HELLO (the varied scenarios send many paths), except /h/…, the handler
// that reads headers and the query (parsed by fastify's own query parser).
app.get('/', hello);
app.get('/*', hello);
app.get('/h/*', (req, reply) => {
  const h = req.headers;
  const q = req.query.q;
  reply.type('text/plain; charset=utf-8').send(headersAnswer(h['user-agent'], h['accept-language'], h.cookie, Array.isArray(q) ? q[0] : q));
});
// /echo takes the body as bytes (a content-type parser scoped to this plugin) and sends it back.
app.register(async (scope) => {
  scope.addContentTypeParser('application/json', { parseAs: 'buffer' }, (req, body, done) => done(null, body));
  scope.post('/echo', (req, reply) => {
    reply.type('application/json; charset=utf-8').send(req.body);
  });
});
app.post('/json', (req, reply) => {
  reply.send(req.body);
});
app.post('/upload', (req, reply) => {
  reply.type('text/plain; charset=utf-8').send(String(req.body));
});

await app.listen({ port: PORT, host: HOST });
announce(app.server.address().port);
onStop(() => app.close());
