// Placeholder until the engine lands: answers every request on PORT (default 4242).
import net from 'node:net';
const port = Number(process.env.PORT) || 4242;
net.createServer((s) => {
  s.on('data', () => s.end('HTTP/1.1 200 OK\r\nContent-Length: 6\r\nConnection: close\r\n\r\nwafer\n'));
  s.on('error', () => {});
}).listen(port, () => console.log(`wafer example listening on http://localhost:${port}`));
