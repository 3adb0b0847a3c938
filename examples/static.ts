// Static files from examples/public/ under /static/, with validators (304s), ranges, a
// max-age of 60 s and small files kept in memory; and one file sent as a named download.
//
// Alone: `npx wafer examples/static`.
import fs from 'node:fs';
import nodePath from 'node:path';
import { fileURLToPath } from 'node:url';
import { router, type Router } from '../lib/app/router.js';
import { serveFile, serveStatic } from '../lib/app/static.js';

/**
 * The package root: the nearest directory above this module holding package.json. Found at
 * run time so the same code works from examples/ (ts) and from dist/examples/ (compiled),
 * whose public/ would otherwise be missing: tsc does not copy assets.
 */
function packageRoot(): string {
  let dir = nodePath.dirname(fileURLToPath(import.meta.url));
  while (!fs.existsSync(nodePath.join(dir, 'package.json'))) {
    const up = nodePath.dirname(dir);
    if (up === dir) throw new Error('examples/static: no package.json above ' + fileURLToPath(import.meta.url));
    dir = up;
  }
  return dir;
}

export const publicDir = nodePath.join(packageRoot(), 'examples', 'public');

/** Add /static/* and /download/hello.txt to `app`. */
export function routes(app: Router): Router {
  return app
    .get('/static/*', serveStatic(publicDir, { prefix: '/static', maxAge: 60 }))
    .get('/download/hello.txt', (req, res) =>
      serveFile(req, res, 'hello.txt', { root: publicDir, download: 'hello from wafer.txt' }));
}

export default routes(router()).get('/', (_req, res) => res.redirect('/static/'));
