// `npm start`: serve the example app on PORT (default 4242) until SIGINT/SIGTERM.
import { listen } from '../lib/index.js';
import app from './app.js';

// No port: listen() reads PORT (default 4242) and refuses one that is not a port.
// A bad PORT (or a port in use) is the user's to fix: say what is wrong, without a stack.
const server = await listen(app).catch((err: Error) => {
  console.error(`wafer examples: ${err.message}`);
  process.exit(1);
});
console.log(`wafer examples on http://localhost:${server.port}/`);

const stop = () => {
  server.close().then(() => process.exit(0), () => process.exit(1));
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
