// Comparing two traces. The differential property compares llhttp's trace (the oracle) with
// ours after the few normalisations listed in NORMALISATIONS; the split property compares our
// parser with itself and normalises nothing.
import type { Trace } from './trace.js';

/** Limit errors: codes compared, offsets not (see NORMALISATIONS). */
export const LIMIT_CODES = new Set(['HPE_HEADER_OVERFLOW', 'HPE_URL_OVERFLOW', 'HPE_CHUNK_EXTENSIONS_OVERFLOW']);

/** What the differential comparison forgives, and why. Printed by `npm run fuzz -- --help`. */
export const NORMALISATIONS = [
  'limit errors (HPE_HEADER_OVERFLOW, HPE_URL_OVERFLOW, HPE_CHUNK_EXTENSIONS_OVERFLOW): the code is compared, the offset is not — '
    + 'the llhttp adapter checks URL length and header count after llhttp has parsed the whole head and reports offset 0, and '
    + "Node's header-size check fires from span callbacks whose position depends on buffer boundaries",
  'the known rules of known-rules.ts (llhttp 9.4 TABs, llhttp 9.4.3 empty Transfer-Encoding, lengths past 2^53-1): a case '
    + 'whose traces differ passes when a rule explains the difference; each such pass is counted and printed',
];

/**
 * How two traces are compared: `differential` applies NORMALISATIONS; `split` only lets
 * limit-error offsets differ (our parser, like Node's binding, counts header and extension
 * bytes per span, so the byte where a limit is noticed depends on where the current buffer
 * ends — the code does not); `exact` forgives nothing.
 */
export type Mode = 'differential' | 'split' | 'exact';

function eventsEqual(oracle: string, ours: string): boolean {
  return oracle === ours;
}

function clip(s: string | undefined): string {
  if (s === undefined) return '(none)';
  return s.length > 300 ? JSON.stringify(s.slice(0, 300)) + `… (${s.length} chars)` : JSON.stringify(s);
}

/**
 * The first difference between two traces, in words, or null when they agree.
 * `mode` says what is forgiven (see Mode).
 */
export function diffTraces(oracle: Trace, ours: Trace, mode: Mode, names = ['llhttp', 'wafer']): string | null {
  const [na, nb] = names;
  if (oracle.faults.length > 0 || ours.faults.length > 0) {
    return `contract faults: ${na}=${JSON.stringify(oracle.faults)} ${nb}=${JSON.stringify(ours.faults)}`;
  }
  const n = Math.max(oracle.events.length, ours.events.length);
  for (let i = 0; i < n; i++) {
    if (!eventsEqual(oracle.events[i] ?? '', ours.events[i] ?? '') || (oracle.events[i] === undefined) !== (ours.events[i] === undefined)) {
      return `event #${i} differs:\n  ${na}: ${clip(oracle.events[i])}\n  ${nb}: ${clip(ours.events[i])}`;
    }
  }
  const ea = oracle.error;
  const eb = ours.error;
  if ((ea === null) !== (eb === null) || (ea && eb && ea.code !== eb.code)) {
    return `verdict differs: ${na}=${JSON.stringify(ea)} ${nb}=${JSON.stringify(eb)}`;
  }
  if (ea && eb && ea.offset !== eb.offset && !(mode !== 'exact' && LIMIT_CODES.has(ea.code))) {
    return `error offset differs for ${ea.code}: ${na}=${ea.offset} ${nb}=${eb.offset}`;
  }
  if (oracle.upgradeAt !== ours.upgradeAt) return `upgrade offset differs: ${na}=${oracle.upgradeAt} ${nb}=${ours.upgradeAt}`;
  if (oracle.finish !== ours.finish) return `finish() verdict differs: ${na}=${oracle.finish} ${nb}=${ours.finish}`;
  return null;
}
