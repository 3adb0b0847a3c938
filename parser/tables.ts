// Byte-class tables and string tries for the request state machine (parser/machine.ts).
// Every set is the one llhttp declares in src/llhttp/constants.ts, rebuilt here as a
// 256-entry Uint8Array so a state can classify a byte with one load.

function table(pred: (c: number) => boolean): Uint8Array {
  const t = new Uint8Array(256);
  for (let c = 0; c < 256; c++) t[c] = pred(c) ? 1 : 0;
  return t;
}

const isAlpha = (c: number) => (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
const isDigit = (c: number) => c >= 0x30 && c <= 0x39;
const isAlnum = (c: number) => isAlpha(c) || isDigit(c);
const inString = (s: string) => (c: number) => s.indexOf(String.fromCharCode(c)) !== -1;

/** RFC 9110 §5.6.2 tchar (header names, chunk extension names and values). */
export const TOKEN = table((c) => isAlnum(c) || inString("!#$%&'*+-.^_`|~")(c));
/** Header value bytes: HTAB, SP, VCHAR, obs-text (RFC 9110 §5.5); no CTLs, no DEL. */
export const HEADER_CHARS = table((c) => c === 9 || (c >= 32 && c <= 255 && c !== 127));
/** HEADER_CHARS without ',' — a token inside Connection / Transfer-Encoding lists. */
export const CONNECTION_TOKEN_CHARS = table((c) => HEADER_CHARS[c] === 1 && c !== 44);
/** lenient HEADER_VALUE_RELAXED: everything but NUL, CR and LF. */
export const RELAXED_HEADER_CHARS = table((c) => c !== 0 && c !== 10 && c !== 13);
/** Request-target bytes llhttp accepts in path, query and fragment (visible ASCII, no ?#). */
export const URL_CHAR = table((c) => isAlnum(c) || inString('!"$%&\'()*+,-./:;<=>@[\\]^_`{|}~')(c));
/** Bytes of an authority (userinfo, host, port) in an absolute-form or CONNECT target. */
export const USERINFO_CHARS = table((c) => isAlnum(c) || inString("-_.!~*'()%;:&=+$,")(c));
export const ALPHA = table(isAlpha);
/** Quoted-string text of a chunk extension value (RFC 9110 §5.6.4). */
export const QDTEXT = table((c) => c === 9 || c === 32 || c === 0x21 || (c >= 0x23 && c <= 0x5b) ||
  (c >= 0x5d && c <= 0x7e) || c >= 0x80);
export const HTAB_SP_VCHAR_OBS_TEXT = table((c) => c === 9 || c === 32 || (c >= 33 && c <= 126) || c >= 128);

/** Hex digit value, or 255 when the byte is not a hex digit. */
export const HEX_VALUE = new Uint8Array(256).fill(255);
for (let c = 0; c < 256; c++) {
  if (isDigit(c)) HEX_VALUE[c] = c - 0x30;
  else if (c >= 0x41 && c <= 0x46) HEX_VALUE[c] = c - 0x41 + 10;
  else if (c >= 0x61 && c <= 0x66) HEX_VALUE[c] = c - 0x61 + 10;
}

/** ASCII lower-casing as llparse's toLower transform does it: only A-Z change. */
export const LOWER = new Uint8Array(256);
for (let c = 0; c < 256; c++) LOWER[c] = c >= 0x41 && c <= 0x5a ? c | 0x20 : c;

// ---------------------------------------------------------------------------------------
// String tries, shaped the way llparse compiles `select`/`match` over several strings:
// a node is either a one-byte switch (SINGLE, with an optional value taken without
// consuming when no child matches) or a run of bytes shared by every key below it
// (SEQUENCE). A mismatch inside a SEQUENCE leaves the bytes matched so far consumed and
// goes to the state's `otherwise` at the mismatching byte — llparse does not backtrack,
// and error offsets depend on that.

export const TRIE_MISMATCH = -1;
export const TRIE_MORE = -2;

export interface Trie {
  /** Per node: -1 SINGLE, else the offset of its bytes in `seq` (SEQUENCE) */
  kind: Int32Array;
  /** SINGLE: 256 child indexes per node (-1 none) */
  next: Int32Array;
  /** SEQUENCE: length of the run, and the node after it */
  seqLen: Int32Array;
  seqNext: Int32Array;
  seq: Uint8Array;
  /** Value when the node ends a key (SEQUENCE: after the run; SINGLE: on no child match). -1 none. */
  value: Int32Array;
  /** True when the node is a leaf: its value is taken at once. */
  leaf: Uint8Array;
}

interface Draft { kind: 'single' | 'seq' | 'leaf'; children?: Map<number, Draft>; bytes?: number[]; after?: Draft; value: number }

function level(keys: [number[], number][], off: number): Draft {
  if (keys.length === 1 && keys[0][0].length === off) return { kind: 'leaf', value: keys[0][1] };
  const first = keys[0][0];
  const last = keys[keys.length - 1][0];
  let i = off;
  while (i < first.length && i < last.length && first[i] === last[i]) i++;
  if (i > off) return { kind: 'seq', bytes: first.slice(off, i), after: level(keys, i), value: -1 };
  let value = -1;
  let rest = keys;
  if (keys[0][0].length === off) {
    value = keys[0][1];
    rest = keys.slice(1);
  }
  const children = new Map<number, Draft>();
  const groups = new Map<number, [number[], number][]>();
  for (const k of rest) {
    const g = groups.get(k[0][off]) ?? [];
    g.push(k);
    groups.set(k[0][off], g);
  }
  for (const [b, g] of groups) children.set(b, level(g, off + 1));
  return { kind: 'single', children, value };
}

/** Compile `entries` (key → value) into flat arrays. Keys are bytes; sorted as llparse does. */
export function buildTrie(entries: Record<string, number>): Trie {
  const keys: [number[], number][] = Object.entries(entries)
    .map(([k, v]) => [Array.from(Buffer.from(k, 'latin1')), v] as [number[], number])
    .sort((a, b) => Buffer.compare(Buffer.from(a[0]), Buffer.from(b[0])));
  const nodes: Draft[] = [];
  const index = new Map<Draft, number>();
  const visit = (d: Draft): number => {
    const id = nodes.length;
    nodes.push(d);
    index.set(d, id);
    if (d.children) for (const c of d.children.values()) visit(c);
    if (d.after) visit(d.after);
    return id;
  };
  visit(level(keys, 0));
  const n = nodes.length;
  const trie: Trie = {
    kind: new Int32Array(n), next: new Int32Array(n * 256).fill(-1), seqLen: new Int32Array(n),
    seqNext: new Int32Array(n).fill(-1), seq: new Uint8Array(0), value: new Int32Array(n).fill(-1),
    leaf: new Uint8Array(n),
  };
  const seqBytes: number[] = [];
  nodes.forEach((d, id) => {
    trie.value[id] = d.value;
    if (d.kind === 'leaf') {
      trie.leaf[id] = 1;
      trie.kind[id] = -1;
    } else if (d.kind === 'seq') {
      trie.kind[id] = seqBytes.length;
      seqBytes.push(...d.bytes!);
      trie.seqLen[id] = d.bytes!.length;
      trie.seqNext[id] = index.get(d.after!)!;
    } else {
      trie.kind[id] = -1;
      for (const [b, c] of d.children!) trie.next[id * 256 + b] = index.get(c)!;
    }
  });
  trie.seq = Uint8Array.from(seqBytes);
  return trie;
}
