// Where our parser knowingly differs from Node 20's llhttp 9.3.1 (the oracle), each rule says
// how to recognise a case it explains. The differential property consults them only for a
// case whose traces differ, counts every case a rule passes, and the runner prints the counts.
// Each rule's behaviour on our side is pinned by a test in test/fuzz-regressions.test.ts.
import { diffTraces } from './compare.js';
import type { Trace } from './trace.js';

export interface KnownRule {
  name: string;
  why: string;
  /**
   * An input on which the two versions agree (the construct removed or rewritten); the case
   * passes when both parsers agree on it. Null: the rule does not apply.
   */
  variant?(text: string): string | null;
  /** A direct check of the two traces; true: the rule explains the difference. */
  explains?(text: string, oracle: Trace, ours: Trace): boolean;
}

const MAX_SAFE = 2n ** 53n - 1n;

/** Our events are those of the oracle cut short (the last body piece possibly shorter). */
function isPrefix(ours: string[], oracle: string[]): boolean {
  if (ours.length > oracle.length) return false;
  for (let i = 0; i < ours.length; i++) {
    if (ours[i] === oracle[i]) continue;
    if (i === ours.length - 1 && ours[i].startsWith('B ') && oracle[i].startsWith(ours[i])) continue;
    return false;
  }
  return true;
}

/** The run of hex digits around `offset` (the parser stops inside or right after it). */
function digitsAround(text: string, offset: number): string {
  const isHex = (c: string) => /[0-9a-fA-F]/.test(c);
  let a = Math.min(offset, text.length);
  if (a > 0 && !isHex(text[a] ?? '') && isHex(text[a - 1])) a--;
  let b = a;
  while (a > 0 && isHex(text[a - 1])) a--;
  while (b < text.length && isHex(text[b])) b++;
  return text.slice(a, b);
}

/**
 * A Transfer-Encoding line whose value has a comma right after `chunked` (OWS between):
 * groups: the line up to the value's start, the value up to `chunked`, what follows it.
 */
const TE_CHUNKED_COMMA = /((?:^|\n) ?transfer-encoding[ \t]*:)([^\r\n]*?chunked)([ \t]*,[^\r\n]*)/i;

export const KNOWN_RULES: KnownRule[] = [
  {
    name: 'llhttp 9.4 HTAB as whitespace',
    why: 'llhttp 9.4 (the fixtures, so us) reads HTAB as whitespace around Connection, Proxy-Connection, Content-Length and '
      + 'Transfer-Encoding values; 9.3.1 does not (`Content-Length: 5<TAB>` is an error there, `Connection: close<TAB>` is not close). '
      + 'Variant: those TABs made SPs.',
    variant(text) {
      let changed = false;
      // The value runs on over obs-fold lines (a fold is SP or HTAB either way).
      const out = text.replace(/(^|\n)((?:proxy-)?connection|content-length|transfer-encoding)([ \t]*:)([^\r\n]*(?:\r?\n[ \t][^\r\n]*)*)/gi, (m, nl: string, name: string, colon: string, value: string) => {
        if (!value.includes('\t')) return m;
        changed = true;
        return nl + name + colon + value.replace(/\t/g, ' ');
      });
      return changed ? out : null;
    },
  },
  {
    name: 'llhttp 9.4.3 empty Transfer-Encoding',
    why: 'a Transfer-Encoding field with an empty (whitespace-only) value is HPE_INVALID_TRANSFER_ENCODING in llhttp 9.4.3 '
      + '(nodejs/llhttp#874, a smuggling fix) and in our parser; llhttp 9.3.1 ignores the field. Variant: such fields removed.',
    variant(text) {
      // (a lone CR ends the line too under lenient flags)
      // (lenient HEADERS also lets a space open the first field line)
      const out = text.replace(/(?<=^|\n) ?transfer-encoding[ \t]*:[ \t]*(?:\r\n|\r|\n)(?![ \t])/gi, '');
      return out === text ? null : out;
    },
  },
  {
    name: 'lengths past 2^53-1',
    why: 'RFC 9110 §8.6 asks for no precision loss in a length; our parser rejects a Content-Length or chunk size above '
      + '2^53-1 (HPE_INVALID_CONTENT_LENGTH / HPE_INVALID_CHUNK_SIZE) where llhttp accepts up to 2^64-1. Explains a case '
      + 'when ours stops with that code on such a number (or, in the body of an upgrade request, stops there as an '
      + 'upgrade, as Node does on any error once the upgrade head is through) and saw the same events as llhttp up to there.',
    explains(text, oracle, ours) {
      // Ours stops there with the length error — or, after an upgrade head, as an upgrade
      // (Node's binding turns any error after an upgrade head into the end of HTTP).
      const code = ours.error?.code;
      let at: number;
      let hex: boolean;
      if (code === 'HPE_INVALID_CONTENT_LENGTH' || code === 'HPE_INVALID_CHUNK_SIZE') {
        if (oracle.error?.code === code && oracle.error.offset === ours.error!.offset) return false;
        at = ours.error!.offset;
        hex = code === 'HPE_INVALID_CHUNK_SIZE';
      } else if (ours.error === null && ours.upgradeAt >= 0 && ours.upgradeAt !== oracle.upgradeAt) {
        at = ours.upgradeAt;
        hex = true;
      } else {
        return false;
      }
      const digits = digitsAround(text, at);
      if (digits.length === 0) return false;
      const value = hex ? BigInt('0x' + digits) : /^[0-9]+$/.test(digits) ? BigInt(digits) : 0n;
      return value > MAX_SAFE && isPrefix(ours.events, oracle.events);
    },
  },
  {
    name: 'RFC 9110 §5.6.1 empty Transfer-Encoding elements',
    why: 'with teEmptyListElements (the server sets it) our parser ignores empty list elements after chunked: '
      + '`Transfer-Encoding: chunked,` is chunked, where llhttp refuses it (strict) or reads until EOF (lenient '
      + 'TRANSFER_ENCODING); and a coding after `chunked,` is refused where it is met, not at the comma. '
      + 'Variant: the trailing empty elements removed. Direct check: both stop with HPE_INVALID_TRANSFER_ENCODING '
      + 'after the same events, on a Transfer-Encoding line with a comma after chunked. Pinned in test/chunk-framing.test.ts.',
    variant(text) {
      const out = text.replace(new RegExp(TE_CHUNKED_COMMA.source, 'gi'), (m, lead: string, value: string, rest: string) =>
        /^[ \t,]*$/.test(rest) ? lead + value : m);
      return out === text ? null : out;
    },
    explains(text, oracle, ours) {
      if (ours.error?.code !== 'HPE_INVALID_TRANSFER_ENCODING' || oracle.error?.code !== ours.error.code) return false;
      if (!TE_CHUNKED_COMMA.test(text)) return false;
      return diffTraces({ ...oracle, error: null }, { ...ours, error: null }, 'differential') === null;
    },
  },
  {
    name: 'adapter-derived chunked flag',
    why: "the llhttp adapter cannot read llhttp's F_CHUNKED: it derives `chunked` from the Transfer-Encoding text Node hands "
      + 'over, which has lost obs-folds (llhttp resets the chunked state on a fold) and treats control bytes differently. '
      + 'Explains a case whose traces differ only in the `chunked` field of heads, when a Transfer-Encoding line of the input '
      + 'holds a control byte or is folded; the framing itself is still checked by the body events and verdicts that follow.',
    explains(text, oracle, ours) {
      if (!/(^|\n)transfer-encoding[ \t]*:[^\n]*(?:[\x00-\x08\x0a-\x1f\x7f][^\n]*)?(\r?\n[ \t]|[\x00-\x08\x0b-\x0c\x0e-\x1f\x7f])/i.test(text)) return false;
      const strip = (t: Trace): Trace => ({
        ...t,
        events: t.events.map((e) => {
          if (!e.startsWith('H ')) return e;
          const h = JSON.parse(e.slice(2)) as unknown[];
          h[6] = null;
          return 'H ' + JSON.stringify(h);
        }),
      });
      return diffTraces(strip(oracle), strip(ours), 'differential') === null;
    },
  },
];

/**
 * The name(s) of the rule(s) that explain why these traces differ, or null. Variants are tried
 * one at a time and then all together (a case may hold, say, both a TAB and an empty
 * Transfer-Encoding); the direct checks run on the original traces and on the combined variant's.
 */
export function explainedBy(
  text: string, oracle: Trace, ours: Trace, rerun: (variant: string) => [Trace, Trace],
): string | null {
  for (const rule of KNOWN_RULES) if (rule.explains?.(text, oracle, ours)) return rule.name;
  let combined = text;
  const applied: string[] = [];
  for (const rule of KNOWN_RULES) {
    const v = rule.variant?.(text);
    if (v == null) continue;
    const [a, b] = rerun(v);
    if (diffTraces(a, b, 'differential') === null) return rule.name;
    const vc = rule.variant!(combined);
    if (vc != null) {
      combined = vc;
      applied.push(rule.name);
    }
  }
  if (applied.length === 0) return null;
  const [a, b] = rerun(combined);
  if (diffTraces(a, b, 'differential') === null) return applied.join(' + ');
  for (const rule of KNOWN_RULES) if (rule.explains?.(combined, a, b)) return [...applied, rule.name].join(' + ');
  return null;
}
