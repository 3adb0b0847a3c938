// The fuzz properties, by name. Each is a fast-check property over latin1 strings (one char =
// one byte) so a counterexample prints as a replayable JSON string. The runner (run.ts) and the
// CI subset (test/fuzz.test.ts) run the same table with different budgets.
import fc from 'fast-check';
import { Lenient, type ParserOptions, type RequestSink } from '../parser/types.js';
import { diffTraces } from './compare.js';
import { explainedBy } from './known-rules.js';
import { pipeline } from './gen-valid.js';
import { malformed } from './gen-malformed.js';
import { mutated, noise, repeated } from './gen-mutate.js';
import { join, toBuffer } from './segments.js';
import { cutsFor, splitPlan } from './splits.js';
import { llhttp, ours, type Subject } from './subjects.js';
import { trace } from './trace.js';
import { flood, FLOOD_VERDICT, type Flood } from './robust.js';

export const validText = pipeline.map(join);
export const malformedText = malformed.map(join);
export const anyText: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: validText },
  { weight: 4, arbitrary: malformedText },
  { weight: 3, arbitrary: mutated },
  { weight: 1, arbitrary: noise },
);

/**
 * Lenient flags worth fuzzing: all of llhttp's except HEADER_VALUE_RELAXED, which llhttp 9.4
 * added and Node 20's llhttp 9.3.1 does not know (the oracle would silently ignore it).
 */
const LENIENT_BITS = Object.values(Lenient).filter((b) => b !== 0 && b !== Lenient.HEADER_VALUE_RELAXED);
const lenientMask = fc.subarray(LENIENT_BITS, { minLength: 1 }).map((bits) => bits.reduce((a, b) => a | b, 0));

/**
 * What lib/core/server.ts gives its parsers besides limits: BWS before a chunk extension only, and
 * empty Transfer-Encoding elements ignored (the llhttp adapter follows the first itself; the
 * second is a known rule).
 */
const SERVER_PARSER_OPTIONS: ParserOptions = {
  lenient: Lenient.SPACES_AFTER_CHUNK_SIZE, chunkSpacesOnlyBeforeExtension: true, teEmptyListElements: true,
};

/**
 * Small limits, one at a time: with several exceeded at once llhttp's adapter and ours may
 * legitimately name a different one first. (maxChunkExtensionSize is not here: Node's
 * binding fixes it at 16 KiB and the adapter cannot pass it on.)
 */
const smallLimits: fc.Arbitrary<ParserOptions> = fc.oneof(
  fc.integer({ min: 8, max: 1024 }).map((maxHeaderSize) => ({ maxHeaderSize })),
  fc.integer({ min: 1, max: 12 }).map((maxHeaderCount) => ({ maxHeaderCount })),
  fc.integer({ min: 1, max: 64 }).map((maxUrlLength) => ({ maxUrlLength })),
);

/** Cases whose difference a known rule (known-rules.ts) explains, by rule, counted for the report. */
export const forgiven: Record<string, number> = {};

/** A failed check, with everything needed to see why in one message. */
export class Divergence extends Error {}

/** Budget for one case of our parser: an infinite loop or quadratic blow-up shows up here. */
const MAX_CASE_MS = 1000;

function differential(text: string, options?: ParserOptions, oracle: Subject = llhttp, subject: Subject = ours): void {
  const input = toBuffer(text);
  const a = trace(oracle.factory, input, [], { parser: options });
  const t0 = performance.now();
  const b = trace(subject.factory, input, [], { parser: options, zeroCopy: subject.zeroCopy });
  const ms = performance.now() - t0;
  let d = diffTraces(a, b, 'differential', [oracle.name, subject.name]);
  if (d !== null) {
    const rule = explainedBy(text, a, b, (variant) => {
      const v = toBuffer(variant);
      return [trace(oracle.factory, v, [], { parser: options }), trace(subject.factory, v, [], { parser: options, zeroCopy: subject.zeroCopy })];
    });
    if (rule !== null) {
      forgiven[rule] = (forgiven[rule] ?? 0) + 1;
      d = null;
    }
  }
  if (d !== null) throw new Divergence(d + (options ? `\n  options: ${JSON.stringify(options)}` : ''));
  if (ms > MAX_CASE_MS) throw new Divergence(`${subject.name} took ${ms.toFixed(0)} ms for ${input.length} bytes`);
}

function splitInvariant(text: string, plan: Parameters<typeof cutsFor>[0], options?: ParserOptions, subject: Subject = ours): void {
  const input = toBuffer(text);
  const whole = trace(subject.factory, input, [], { parser: options, zeroCopy: subject.zeroCopy });
  const cuts = cutsFor(plan, input.length);
  const split = trace(subject.factory, input, cuts, { parser: options, zeroCopy: subject.zeroCopy });
  const d = diffTraces(whole, split, 'split', ['whole', 'split']);
  if (d !== null) throw new Divergence(`${d}\n  cuts: ${JSON.stringify(cuts)}` + (options ? `\n  options: ${JSON.stringify(options)}` : ''));
}

/** After reset(), a parser that has seen anything parses the next stream like a fresh one. */
function resetClean(first: string, second: string, subject: Subject = ours): void {
  const fresh = trace(subject.factory, toBuffer(second));
  // The parser keeps the sink it was made with: forward to whichever recorder is current.
  let target: RequestSink = { onHead() {}, onBody() {}, onMessageComplete() {} };
  const forward: RequestSink = {
    onHead: (h) => target.onHead(h),
    onBody: (b) => target.onBody(b),
    onMessageComplete: () => target.onMessageComplete(),
  };
  const p = subject.factory(forward);
  p.execute(toBuffer(first));
  p.reset();
  const again = trace((sink) => {
    target = sink;
    return p;
  }, toBuffer(second));
  const d = diffTraces(fresh, again, 'exact', ['fresh', 'after reset']);
  if (d !== null) throw new Divergence(d);
}

/** Any options at all, absurd ones included: the parser may refuse input, never throw. */
const anyOptions: fc.Arbitrary<ParserOptions> = fc.record(
  {
    lenient: fc.nat(2047),
    maxHeaderSize: fc.integer({ min: 1, max: 100_000 }),
    maxHeaderCount: fc.integer({ min: 1, max: 200 }),
    maxUrlLength: fc.integer({ min: 1, max: 20_000 }),
    maxChunkExtensionSize: fc.integer({ min: 1, max: 20_000 }),
  },
  { requiredKeys: [] },
);

function robustAnyOptions(text: string, options: ParserOptions, plan: Parameters<typeof cutsFor>[0], subject: Subject = ours): void {
  const input = toBuffer(text);
  const t0 = performance.now();
  const tr = trace(subject.factory, input, cutsFor(plan, input.length), { parser: options, zeroCopy: subject.zeroCopy });
  const ms = performance.now() - t0;
  if (tr.faults.length > 0) throw new Divergence(`contract faults: ${JSON.stringify(tr.faults)}\n  options: ${JSON.stringify(options)}`);
  if (ms > MAX_CASE_MS) throw new Divergence(`${subject.name} took ${ms.toFixed(0)} ms for ${input.length} bytes`);
}

const FLOODS = Object.keys(FLOOD_VERDICT) as Flood[];
/** Bytes a flood may run past its limit: the line being parsed when the limit is noticed. */
const FLOOD_SLACK = 1024;

function robustFlood(kind: Flood, piece: number, subject: Subject = ours): void {
  const r = flood(kind, piece, 256 * 1024, undefined, subject);
  const want = FLOOD_VERDICT[kind];
  if (r.code !== want.code && (want.or === undefined || r.code !== want.or)) throw new Divergence(`${kind} flood in ${piece}-byte pieces ended in ${r.code} after ${r.fed} bytes, expected ${want.code}`);
  if (want.code !== null && r.at > want.within + piece + FLOOD_SLACK) {
    throw new Divergence(`${kind} flood in ${piece}-byte pieces stopped only at byte ${r.at} (limit ${want.within})`);
  }
  if (r.ms > 5 * MAX_CASE_MS) throw new Divergence(`${kind} flood in ${piece}-byte pieces took ${r.ms.toFixed(0)} ms`);
}

export interface PropertyEntry {
  name: string;
  what: string;
  /** Share of the full run (`npm run fuzz`) this property gets. */
  runs: number;
  property: () => fc.IPropertyWithHooks<any>;
}

export const PROPERTIES: PropertyEntry[] = [
  {
    name: 'diff-valid', what: 'well-formed requests and pipelines: same events and verdicts as llhttp', runs: 200_000,
    property: () => fc.property(validText, (t) => differential(t)),
  },
  {
    name: 'diff-malformed', what: 'structured malformed requests: same events and verdicts as llhttp', runs: 300_000,
    property: () => fc.property(malformedText, (t) => differential(t)),
  },
  {
    name: 'diff-mutated', what: 'byte-mutated requests: same events and verdicts as llhttp', runs: 250_000,
    property: () => fc.property(mutated, (t) => differential(t)),
  },
  {
    name: 'diff-repeated', what: 'a request repeated, one copy maybe mutated, in any pieces: same events and verdicts as llhttp', runs: 60_000,
    property: () => fc.property(repeated, splitPlan, (t, plan) => {
      differential(t);
      splitInvariant(t, plan);
    }),
  },
  {
    name: 'diff-noise', what: 'noise behind plausible prefixes: same verdicts as llhttp', runs: 60_000,
    property: () => fc.property(noise, (t) => differential(t)),
  },
  {
    name: 'diff-lenient', what: 'any input with a random set of lenient flags: same as llhttp with those flags', runs: 60_000,
    property: () => fc.property(anyText, lenientMask, (t, lenient) => differential(t, { lenient })),
  },
  {
    name: 'diff-server', what: "any input with the server's parser options (its lenient flag and RFC rules): same as llhttp with them", runs: 60_000,
    property: () => fc.property(anyText, (t) => differential(t, SERVER_PARSER_OPTIONS)),
  },
  {
    name: 'diff-limits', what: 'well-formed requests under small header-size, header-count and URL limits: same verdicts as llhttp', runs: 40_000,
    property: () => fc.property(validText, smallLimits, (t, limits) => differential(t, limits)),
  },
  {
    name: 'split', what: 'any input cut at any points (incl. 1-byte feeding): same events as one buffer', runs: 100_000,
    property: () => fc.property(anyText, splitPlan, (t, plan) => splitInvariant(t, plan)),
  },
  {
    name: 'split-lenient', what: 'split invariance with random lenient flags', runs: 20_000,
    property: () => fc.property(anyText, splitPlan, lenientMask, (t, plan, lenient) => splitInvariant(t, plan, { lenient })),
  },
  {
    name: 'robust-options', what: 'any input, any options (absurd limits, every lenient bit), any split: no exception, no broken contract, bounded time', runs: 40_000,
    property: () => fc.property(anyText, anyOptions, splitPlan, (t, o, plan) => robustAnyOptions(t, o, plan)),
  },
  {
    name: 'robust-flood', what: 'endless header/URL/trailer/extension/CRLF/method floods in any piece size: stop at the limit with the right code, in linear time', runs: 2_000,
    property: () => fc.property(fc.constantFrom(...FLOODS), fc.oneof(fc.integer({ min: 1, max: 16 }), fc.integer({ min: 1, max: 20_000 })), (k, piece) => robustFlood(k, piece)),
  },
  {
    name: 'reset', what: 'reset() after any input leaves no state behind', runs: 20_000,
    property: () => fc.property(anyText, validText, (a, b) => resetClean(a, b)),
  },
];
