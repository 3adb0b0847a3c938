// The examples' shared page frame and HTML escaping.
import type { WaferResponse } from '../lib/core/types.js';

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

/** Answer with a small HTML page; `body` must already be escaped. */
export function page(res: WaferResponse, status: number, title: string, body: string): void {
  res.statusCode = status;
  res.type('html').end(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)} · wafer</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="/static/style.css"></head>
<body><h1>${escapeHtml(title)}</h1>
${body}
<p><a href="/">wafer examples</a></p>
</body></html>
`);
}
