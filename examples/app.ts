// The example app: every example's routes on one router, and an index page linking them.
// `npm start` serves it (examples/server.ts); `npx wafer examples/app` does too.
import { router } from '../lib/app/router.js';
import { routes as factor, MAX_N } from './factor.js';
import { routes as api } from './api.js';
import { routes as files } from './static.js';
import { page } from './html.js';

const INDEX = `<p>Examples served by wafer, a raw-socket HTTP/1.1 server for Node.js.</p>
<h2>Divisors (WAFer's example)</h2>
<ul>
  <li><a href="/factor">/factor</a> — a form</li>
  <li><a href="/factor?q=360">/factor?q=360</a> — the divisors of 360</li>
  <li><a href="/factor?q=9999999967">/factor?q=9999999967</a> — a prime near the bound (${MAX_N.toLocaleString('en')})</li>
  <li><a href="/factor?q=1e5">/factor?q=1e5</a> — not a whole number: 400</li>
</ul>
<h2>JSON API</h2>
<ul>
  <li><a href="/api/notes">GET /api/notes</a> — the notes</li>
  <li><a href="/api/notes/1">GET /api/notes/1</a> — one note (404 until there is one)</li>
  <li>POST /api/notes — <code>curl -i -H 'content-type: application/json' -d '{"text":"hi"}' localhost:4242/api/notes</code></li>
  <li>DELETE /api/notes/:id</li>
</ul>
<form action="/api/notes" method="post"><input name="text" placeholder="a note" maxlength="280" required> <button>POST a note</button></form>
<h2>Static files</h2>
<ul>
  <li><a href="/static/">/static/</a> — examples/public/index.html</li>
  <li><a href="/static/style.css">/static/style.css</a></li>
  <li><a href="/static/wafer.svg">/static/wafer.svg</a></li>
  <li><a href="/static/hello.txt">/static/hello.txt</a></li>
  <li><a href="/download/hello.txt">/download/hello.txt</a> — the same file as a named download</li>
</ul>
`;

const app = router().get('/', (_req, res) => page(res, 200, 'wafer examples', INDEX));
factor(app);
api(app);
files(app);

export default app;
