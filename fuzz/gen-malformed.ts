// Structured malformed requests: a valid request (gen-valid.ts) with one to three of its
// segments replaced by a fault chosen for that segment's kind — odd tokens, control bytes,
// bare CR / bare LF, obs-fold, CL/TE combinations, duplicate and huge/negative lengths, bad
// chunk sizes and extensions, spaces in odd places — or with an extra framing header spliced in.
import fc from 'fast-check';
import { pipeline } from './gen-valid.js';
import type { Kind, Segment } from './segments.js';

/** Bytes that sit on parser decision points. */
export const INTERESTING = [
  '\x00', '\t', '\n', '\r', ' ', '"', ',', ':', ';', '=', '\\', '/', '?', '#', '%', '@', '-', '.', '0', '9', 'a', 'f', 'g', 'F',
  'H', 'T', 'P', '\x0b', '\x0c', '\x1f', '\x7f', '\x80', '\xa0', '\xff',
];

const BAD_LENGTHS = [
  '-1', '+5', '-0', ' 5', '5 ', '5 5', '13 37', '0x5', '5.0', '1,1', '5, 5', '', 'abc', '\t5\t', '5\t', '\t5', '1e3',
  '99999999999999999999', '18446744073709551615', '18446744073709551616', '9007199254740991', '9007199254740992',
  '9007199254740993', '4294967296', '1000000000000000000000', '00000000000000000000000005', '٣',
];

const EOL_FAULTS = ['\n', '\r', '\r\r\n', '\n\r', ' \r\n', '\t\r\n', '\r\n\r\n', '', '\r \n', '\r\x00\n', '\r\n ', '\r\n\t'];

const FAULTS: Partial<Record<Kind, readonly string[]>> = {
  lead: ['\n', '\r', '\r\n\r\n\r\n', ' ', '\t', '\x00', '\r\r\n'],
  method: [
    'get', 'Get', 'GETT', 'GE', 'G', '', 'FOO', 'PRI', 'ANNOUNCE', 'DESCRIBE', 'SETUP', 'PLAY', 'PAUSE', 'TEARDOWN',
    'GET_PARAMETER', 'SET_PARAMETER', 'REDIRECT', 'RECORD', 'FLUSH', 'M-SEARC', 'M_SEARCH', 'MKCOLA', 'PUTS', 'POST\x00',
    'HEAD\t', 'CONNECTX', 'OPTION', 'QUER', 'GET/', 'ÄGET', 'PATCHING', 'PROPPATCHX', 'SUBSCRIBEX', 'UNLINKED', 'SOURC',
  ],
  sp: ['', '  ', '\t', ' \t', '\t ', '\r', '\n', '\x00', '\x0b', '\x0c', '\xa0', '   '],
  target: [
    '', '/a b', '/\x00', '/\x7f', '/\xe9t\xe9', '/\t', '/a\x0cb', '/a\rb', '/a\nb', '*x', '**', 'a:b', 'http://', 'http:/x',
    'http://[::1', 'http://h:99999999/', '//', '?', '#', '/%', '/%zz', 'HTTP://A', 'h t', 'http://a b/', 'x', ':80',
    '/' + 'a'.repeat(9000), '/\x1f', '/\x80', '/\xff', '/ ', ' /',
  ],
  version: [
    'HTTP/1.2', 'HTTP/2.0', 'HTTP/0.9', 'HTTP/3.0', 'HTTP/0.0', 'HTTP/5.6', 'HTTP/1', 'HTTP/1.', 'HTTP/11.1', 'HTTP/1.11',
    'http/1.1', 'Http/1.1', 'HTTP/1.1 ', ' HTTP/1.1', 'HTTPS/1.1', 'HTTP /1.1', 'HTTP/ 1.1', 'RTSP/1.0', 'ICE/1.0',
    'IHTTP/1.0', 'HTTP/a.1', 'HTTP/1.a', '', 'HTTP/1.1\x00', 'HTTP/9.9', 'HTTP\\1.1', 'HTTP/1,1', 'HTT', 'HTTP/',
  ],
  eol: EOL_FAULTS,
  'head-end': EOL_FAULTS,
  ceol: [...EOL_FAULTS, 'x\r\n', '\r\n\r\n'],
  name: [
    '', ' Host', 'Host ', 'a b', 'a\x00', 'Fo@', 'Content-Length ', 'Transfer-Encoding ', '\xe9', '\x7f', 'a"b', 'a\tb',
    'Content\rLength', 'X\x1bY', 'a(b)', 'a/b', '[a]', 'a{b}', 'a=b', 'a?', '\t', 'Host\t', 'Content-Length\t',
  ],
  colon: ['', '::', ' :', '\t:', ': ', ':\r\n ', ':\r\n\t', ':\n ', ':\r\n'],
  ows: ['\x0b', '\x0c', '\x00', '\r\n ', '\r\n\t', '\r\n  ', '\xa0', '\r', '\n', ' \r\n \r\n '],
  value: ['\x00', '\x7f', 'a\rb', 'a\nb', '\x0c', 'a\r\n b', 'a\r\n\tb', 'a\x01b', 'a\x1fb', '\r', '\n', '\x08', 'a\x00'],
  tvalue: ['\x00', '\x7f', 'a\rb', 'a\nb', '\x0c', 'a\r\n b'],
  tname: ['', ' X', 'X ', 'a b', 'Fo@', '\x7f', 'Content-Length', 'Transfer-Encoding'],
  cl: BAD_LENGTHS,
  te: [
    'chunked, chunked', 'gzip', 'gzip, chunked', 'chunked, gzip', 'identity', 'CHUNKED', 'chunked ', ' chunked', 'chunked;q=1',
    'xchunked', 'chunkedx', ',chunked', 'chunked,', 'chunked\t', 'chunked, ', 'chunked,,', 'chunkedchunked', '', 'chunk',
    'chunked\x00', 'identity, chunked', 'chunked, identity', 'deflate', '"chunked"', 'chunked\r\n ', 'chunked\r\n x',
  ],
  conn: [
    'close\t', 'keep-alive\t', 'upgrade\t', ' close ', 'close\t,', ',,close,,', 'CLOSE\t', 'cl ose', 'keep-alive\x00',
    'Upgrade\r\n , close', 'close\r\n keep-alive', 'keep-alive, \r\n upgrade', '\tclose', 'upgrade, ', 'close, upgrade, keep-alive',
  ],
  upg: ['', 'websocket\x00', '\x7f'],
  body: ['', 'x', '\r\n', 'GET / HTTP/1.1\r\n\r\n'],
  csize: [
    '', '-1', 'g', ' 5', '5 ', '5\t', '0x5', '+5', 'fffffffffffffffffff', 'ffffffffffffffff', '10000000000000000',
    '1fffffffffffff', '20000000000000', 'ffffffffffffff', '7fffffff', '100000000', ' ', 'z', '5 ;a', '\t5', '00000000000000000000001',
  ],
  cext: [
    ';', ';a', ';a=b', ';a="b c"', ';a="b\\"c"', ';a="unterminated', '; a', ';a =b', ';a= b', ';=b', ';a=', ';a\x00', ';a;b;c', ';a=b;',
    ' ;a', '\t;a', ';a="\x00"', ';a="\x7f"', ';a=\x7f', ';a="\\', ';a=b c', ';' + 'x'.repeat(20000), ';a="' + 'y'.repeat(17000) + '"',
    ';a="b";', ';a=""', ';a="\r\n"', ';a\r\n', '  ', ' ',
  ],
  cdata: ['', 'x', 'xx\r\n', '\r\n'],
  gap: ['\n', '\r', ' ', '\x00', 'garbage', '\r\n\r\n\r\n', 'GET / HTTP/1.1\r\n'],
};

const EXTRA_HEADERS: readonly [string, string][] = [
  ['Content-Length', '0'], ['Content-Length', '5'], ['Content-Length', '10'], ['Content-Length', '-1'], ['Content-Length', ''],
  ['Content-Length', '99999999999999999999'], ['content-length', '3'], ['Transfer-Encoding', 'chunked'], ['Transfer-Encoding', 'gzip'],
  ['Transfer-Encoding', 'identity'], ['Transfer-Encoding', ''], ['transfer-encoding', 'gzip, chunked'], ['Transfer-Encoding', 'chunked, gzip'],
  ['Connection', 'close'], ['Connection', 'keep-alive'], ['Connection', 'upgrade'], ['Upgrade', 'websocket'],
  ['Proxy-Connection', 'close'], ['Expect', '100-continue'], ['Host', 'a'], ['Content-Length', '0, 0'], ['Content-Length', '5, 6'],
];

/** One fault: `where` picks a segment (modulo the count), `which` a fault (modulo the table). */
export interface Fault {
  op: 'replace' | 'insert-byte' | 'extra-header' | 'drop' | 'repeat';
  where: number;
  which: number;
}

const fault: fc.Arbitrary<Fault> = fc.record({
  op: fc.constantFrom<Fault['op']>('replace', 'replace', 'replace', 'replace', 'insert-byte', 'extra-header', 'extra-header', 'drop', 'repeat'),
  where: fc.nat(),
  which: fc.nat(),
});

export function applyFault(segs: Segment[], f: Fault): Segment[] {
  const out = segs.slice();
  const i = f.where % out.length;
  const [kind, text] = out[i];
  switch (f.op) {
    case 'replace': {
      const table = FAULTS[kind];
      if (table) out[i] = [kind, table[f.which % table.length]];
      break;
    }
    case 'insert-byte': {
      const at = text.length === 0 ? 0 : (f.which >>> 8) % (text.length + 1);
      out[i] = [kind, text.slice(0, at) + INTERESTING[f.which % INTERESTING.length] + text.slice(at)];
      break;
    }
    case 'extra-header': {
      // Splice a header line in right after a line end inside the head.
      let at = -1;
      for (let k = 0; k < out.length; k++) {
        const j = (i + k) % out.length;
        if (out[j][0] === 'eol') { at = j + 1; break; }
        if (out[j][0] === 'head-end') break;
      }
      if (at < 0) at = out.findIndex((s) => s[0] === 'eol') + 1;
      if (at <= 0) break;
      const [n, v] = EXTRA_HEADERS[f.which % EXTRA_HEADERS.length];
      out.splice(at, 0, ['name', n], ['colon', ':'], ['ows', ' '], ['value', v], ['eol', '\r\n']);
      break;
    }
    case 'drop':
      out.splice(i, 1);
      break;
    case 'repeat':
      out.splice(i, 0, out[i]);
      break;
  }
  return out;
}

export const malformed: fc.Arbitrary<Segment[]> = fc
  .tuple(pipeline, fc.array(fault, { minLength: 1, maxLength: 3 }))
  .map(([segs, faults]) => faults.reduce(applyFault, segs));
