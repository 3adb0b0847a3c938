// fastify contender, as its docs write a server: JSON bodies parsed by fastify's own parser and
// serialised back; uploads counted by a stream content-type parser (no buffering).
import Fastify from 'fastify';
import { BODY_LIMIT, HELLO, HOST, KEEP_ALIVE_MS, PORT, announce, onStop, pinSelfIfAsked } from './common.js';

pinSelfIfAsked();

const app = Fastify({ logger: false, bodyLimit: BODY_LIMIT, keepAliveTimeout: KEEP_ALIVE_MS });

app.addContentTypeParser('application/octet-stream', (req, payload, done) => {
  let size = 0;
  payload.on('data', (c) => (size += c.length));
  payload.on('end', () => done(null, size));
  payload.on('error', done);
});

app.get('/', (req, reply) => {
  reply.type('text/plain; charset=utf-8').send(HELLO);
});
app.post('/echo', (req, reply) => {
  reply.send(req.body);
});
app.post('/upload', (req, reply) => {
  reply.type('text/plain; charset=utf-8').send(String(req.body));
});

await app.listen({ port: PORT, host: HOST });
announce(app.server.address().port);
onStop(() => app.close());
