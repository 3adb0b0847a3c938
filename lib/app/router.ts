// A small router in the spirit of polka: routes are tried in the order they were added;
// `:name` captures one path segment (percent-decoded), a final `*` captures the rest.
// The router is itself a handler, so it can be passed straight to listen().
//
//   const app = router();
//   app.get('/users/:id', (req, res) => res.json({ id: req.params.id }));
//   listen(app);
//
// No match for the path at all → 404 (or your notFound handler). The path matches, but
// only under other methods → 405 with Allow (RFC 9110 §15.5.6). HEAD is served by GET
// routes (RFC 9110 §9.3.2), and OPTIONS without a route of its own answers 204 with Allow.
import { decodeComponent } from './query.js';
import type { Handler, WaferRequest, WaferResponse } from '../core/index.js';

interface Route {
  method: string;
  /** Pattern segments; ':x' is a parameter, a final '*' the rest of the path. */
  segments: string[];
  handler: Handler;
}

export interface Router {
  (req: WaferRequest, res: WaferResponse): unknown;
  route(method: string, pattern: string, handler: Handler): Router;
  get(pattern: string, handler: Handler): Router;
  post(pattern: string, handler: Handler): Router;
  put(pattern: string, handler: Handler): Router;
  patch(pattern: string, handler: Handler): Router;
  delete(pattern: string, handler: Handler): Router;
  /** Replace the default 404 answer. */
  notFound(handler: Handler): Router;
}

/** Split a path into segments, ignoring one trailing slash ('/a/' matches '/a'). */
function split(path: string): string[] {
  const parts = path.split('/');
  parts.shift(); // the empty piece before the leading '/'
  if (parts.length > 1 && parts[parts.length - 1] === '') parts.pop();
  return parts;
}

/** Match `path` segments against a route; the decoded parameters, or null. */
function match(route: Route, parts: string[]): Record<string, string> | null {
  const segs = route.segments;
  // Cheap reject before allocating: without a final '*' the segment counts must agree.
  if (segs.length !== parts.length && segs[segs.length - 1] !== '*') return null;
  const params: Record<string, string> = Object.create(null);
  for (let i = 0; i < segs.length; i++) {
    const seg = segs[i]!;
    if (seg === '*' && i === segs.length - 1) {
      params['*'] = parts.slice(i).map((p) => decodeComponent(p)).join('/');
      return params;
    }
    if (i >= parts.length) return null;
    if (seg.charCodeAt(0) === 58 /* : */) {
      if (parts[i] === '') return null; // a parameter needs at least one character
      params[seg.slice(1)] = decodeComponent(parts[i]!);
    } else if (seg !== parts[i]) {
      return null;
    }
  }
  return parts.length === segs.length ? params : null;
}

function defaultNotFound(_req: WaferRequest, res: WaferResponse): void {
  res.statusCode = 404;
  res.type('text').end('Not Found\n');
}

export function router(): Router {
  const routes: Route[] = [];
  let notFound: Handler = defaultNotFound;

  const app = function handle(req: WaferRequest, res: WaferResponse): unknown {
    const parts = split(req.path);
    const method = req.method;
    // A HEAD route of its own wins; otherwise GET routes answer HEAD.
    const r = find(method, parts) ?? (method === 'HEAD' ? find('GET', parts) : undefined);
    if (r !== undefined) {
      req.params = r.params;
      return r.route.handler(req, res);
    }
    const allow = allowed(parts);
    if (allow.length === 0) return notFound(req, res);
    res.setHeader('Allow', allow.join(', '));
    if (method === 'OPTIONS') {
      res.statusCode = 204;
      return res.end();
    }
    res.statusCode = 405;
    res.type('text').end('Method Not Allowed\n');
    return undefined;
  } as Router;

  function find(method: string, parts: string[]): { route: Route; params: Record<string, string> } | undefined {
    for (const route of routes) {
      if (route.method !== method) continue;
      const params = match(route, parts);
      if (params !== null) return { route, params };
    }
    return undefined;
  }

  /** Every method some route serves this path with (HEAD wherever GET is). */
  function allowed(parts: string[]): string[] {
    const set = new Set<string>();
    for (const r of routes) {
      if (match(r, parts) === null) continue;
      set.add(r.method);
      if (r.method === 'GET') set.add('HEAD');
    }
    if (set.size > 0) set.add('OPTIONS');
    return [...set].sort();
  }

  app.route = (method, pattern, handler) => {
    if (!pattern.startsWith('/')) throw new TypeError(`route pattern must start with '/': ${pattern}`);
    routes.push({ method: method.toUpperCase(), segments: split(pattern), handler });
    return app;
  };
  app.get = (p, h) => app.route('GET', p, h);
  app.post = (p, h) => app.route('POST', p, h);
  app.put = (p, h) => app.route('PUT', p, h);
  app.patch = (p, h) => app.route('PATCH', p, h);
  app.delete = (p, h) => app.route('DELETE', p, h);
  app.notFound = (handler) => {
    notFound = handler;
    return app;
  };
  return app;
}
