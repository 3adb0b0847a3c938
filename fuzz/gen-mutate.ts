// Byte-level mutations of valid requests: flips, insertions, deletions, duplications and
// truncations at generated positions, plus raw noise with and without a plausible prefix.
import fc from 'fast-check';
import { pipeline, request } from './gen-valid.js';
import { INTERESTING } from './gen-malformed.js';
import { join } from './segments.js';

export interface Mutation {
  op: 'flip-bit' | 'set-byte' | 'insert' | 'delete' | 'duplicate' | 'truncate';
  at: number;
  arg: number;
}

const mutation: fc.Arbitrary<Mutation> = fc.record({
  op: fc.constantFrom<Mutation['op']>('flip-bit', 'set-byte', 'set-byte', 'insert', 'insert', 'delete', 'duplicate', 'truncate'),
  at: fc.nat(),
  arg: fc.nat(),
});

export function mutate(text: string, m: Mutation): string {
  if (text.length === 0) return INTERESTING[m.arg % INTERESTING.length];
  const i = m.at % text.length;
  switch (m.op) {
    case 'flip-bit':
      return text.slice(0, i) + String.fromCharCode(text.charCodeAt(i) ^ (1 << (m.arg % 8))) + text.slice(i + 1);
    case 'set-byte':
      return text.slice(0, i) + INTERESTING[m.arg % INTERESTING.length] + text.slice(i + 1);
    case 'insert': {
      const ins = m.arg % 4 === 0 ? String.fromCharCode((m.arg >>> 2) % 256) : INTERESTING[m.arg % INTERESTING.length];
      return text.slice(0, i) + ins + text.slice(i);
    }
    case 'delete':
      return text.slice(0, i) + text.slice(i + 1 + (m.arg % 4));
    case 'duplicate': {
      const piece = text.slice(i, i + 1 + (m.arg % 32));
      return text.slice(0, i) + piece + text.slice(i);
    }
    case 'truncate':
      return text.slice(0, i);
  }
}

export const mutated: fc.Arbitrary<string> = fc
  .tuple(pipeline, fc.array(mutation, { minLength: 1, maxLength: 4 }))
  .map(([segs, ms]) => ms.reduce(mutate, join(segs)));

/**
 * One request sent two to six times in a row (the head parser/machine.ts remembers for
 * onRepeatHead), one of the later copies maybe mutated.
 */
export const repeated: fc.Arbitrary<string> = fc
  .tuple(request(), fc.integer({ min: 2, max: 6 }), fc.nat(), fc.option(mutation, { nil: null }))
  .map(([segs, n, which, m]) => {
    const one = join(segs);
    const copies: string[] = new Array(n).fill(one);
    if (m !== null) copies[1 + (which % (n - 1))] = mutate(one, m);
    return copies.join('');
  });

const PREFIXES = ['', 'GET / HTTP/1.1\r\n', 'POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n', 'PUT /x HTTP/1.1\r\nContent-Length: 4\r\n', 'GET / HTTP/1.'];

/** Raw noise biased towards the bytes parsers branch on, behind a plausible prefix. */
export const noise: fc.Arbitrary<string> = fc
  .tuple(
    fc.constantFrom(...PREFIXES),
    fc.string({ unit: fc.oneof(fc.constantFrom(...INTERESTING), fc.string({ unit: 'binary-ascii', minLength: 1, maxLength: 1 })), maxLength: 64 }),
  )
  .map(([p, s]) => p + s);
