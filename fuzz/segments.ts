// A request as a list of tagged segments ([kind, text]). Valid generators build them, the
// malformed generator swaps one segment for a fault chosen for its kind, and `join` turns the
// list into the bytes on the wire (every char is one latin1 byte).

export type Kind =
  | 'lead' // CRLFs before a request line (llhttp skips them)
  | 'method' | 'sp' | 'target' | 'version'
  | 'eol' // CRLF ending a line
  | 'name' | 'colon' | 'ows' | 'value' // a header field; `value` of special fields has its own kind:
  | 'cl' | 'te' | 'conn' | 'upg'
  | 'head-end' // the empty line ending the head
  | 'body' // Content-Length body bytes
  | 'csize' | 'cext' | 'cdata' | 'ceol' // a chunk: size, extensions, CRLF, data, CRLF
  | 'tname' | 'tvalue' // a trailer field
  | 'gap'; // bytes between pipelined requests

export type Segment = readonly [Kind, string];

export function join(segs: readonly Segment[]): string {
  let s = '';
  for (const seg of segs) s += seg[1];
  return s;
}

export function toBuffer(text: string): Buffer {
  return Buffer.from(text, 'latin1');
}

/** A latin1 string as JSON with every byte outside printable ASCII escaped: replayable and readable. */
export function show(text: string): string {
  return JSON.stringify(text).replace(/[\u007f-\u00ff]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
}
