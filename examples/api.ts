// A JSON API: in-memory notes.
//   GET    /api/notes       → 200 [notes]
//   POST   /api/notes       → 201 note, Location: /api/notes/ID   (JSON {"text": "..."})
//                            → 303 to /api/notes                  (an HTML form post)
//   GET    /api/notes/:id   → 200 note | 404
//   DELETE /api/notes/:id   → 204 | 404
// Malformed JSON or form → 400, another Content-Type → 415 (from lib/app/body.ts), a body that
// parses but is not a valid note → 422 (RFC 9110 §15.5.21). Errors are JSON: {"error": "..."}.
// The store is bounded (MAX_NOTES by default); a full store answers 507 Insufficient Storage.
//
// Alone: `npx wafer examples/api`.
import { router, type Router } from '../lib/app/router.js';
import { readForm, readJson, mediaType } from '../lib/app/body.js';
import { errorStatus } from '../lib/core/http-error.js';
import { parseDecimal } from '../lib/core/limits.js';
import type { WaferRequest, WaferResponse } from '../lib/core/types.js';

export const MAX_NOTES = 1000;
export const MAX_TEXT = 280;

export interface Note {
  id: number;
  text: string;
  created: string;
}

/** The note's text from a parsed body, or the reason it is not one. */
function validText(body: unknown): string | { error: string } {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return { error: 'expected an object {"text": "..."}' };
  const text = (body as { text?: unknown }).text;
  if (typeof text !== 'string') return { error: '"text" must be a string' };
  const trimmed = text.trim();
  if (trimmed.length === 0) return { error: '"text" must not be empty' };
  if ([...trimmed].length > MAX_TEXT) return { error: `"text" is longer than ${MAX_TEXT} characters` };
  return trimmed;
}

/** Add the notes API to `app`, with its own store of at most `maxNotes`. */
export function routes(app: Router, { maxNotes = MAX_NOTES } = {}): Router {
  const notes = new Map<number, Note>();
  let nextId = 1;

  const fail = (res: WaferResponse, status: number, error: string) => res.json({ error }, status);
  const byId = (req: WaferRequest) => {
    const id = parseDecimal(req.params.id ?? '');
    return id < 0 ? undefined : notes.get(id);
  };

  return app
    .get('/api/notes', (_req, res) => res.json([...notes.values()]))
    .post('/api/notes', async (req, res) => {
      const isForm = mediaType(req.headers['content-type']).type === 'application/x-www-form-urlencoded';
      let body: unknown;
      try {
        body = isForm ? await readForm(req) : await readJson(req);
      } catch (err) {
        const status = errorStatus(err);
        if (status === undefined) throw err;
        return fail(res, status, (err as Error).message);
      }
      const text = validText(body);
      if (typeof text !== 'string') return fail(res, 422, text.error);
      if (notes.size >= maxNotes) return fail(res, 507, `the store holds at most ${maxNotes} notes; delete some`);
      const note: Note = { id: nextId++, text, created: new Date().toISOString() };
      notes.set(note.id, note);
      // A browser form gets redirected to the list (POST/redirect/GET); an API client gets the note.
      if (isForm) return res.redirect('/api/notes', 303);
      res.setHeader('Location', `/api/notes/${note.id}`);
      res.json(note, 201);
    })
    .get('/api/notes/:id', (req, res) => {
      const note = byId(req);
      if (note === undefined) return fail(res, 404, 'no such note');
      res.json(note);
    })
    .delete('/api/notes/:id', (req, res) => {
      const note = byId(req);
      if (note === undefined) return fail(res, 404, 'no such note');
      notes.delete(note.id);
      res.statusCode = 204;
      res.end();
    });
}

export default routes(router()).get('/', (_req, res) => res.redirect('/api/notes'));
