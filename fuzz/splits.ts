// Where to cut an input into the pieces a socket might deliver.
import fc from 'fast-check';

/** A recipe for cuts, resolved against the input length when the property runs. */
export type SplitPlan =
  | { mode: 'bytes' } // 1-byte feeding
  | { mode: 'fixed'; size: number } // pieces of `size` bytes
  | { mode: 'random'; points: number[] } // arbitrary cut points (taken modulo the length)
  | { mode: 'one'; point: number }; // a single cut

export const splitPlan: fc.Arbitrary<SplitPlan> = fc.oneof(
  { weight: 2, arbitrary: fc.constant({ mode: 'bytes' as const }) },
  { weight: 2, arbitrary: fc.integer({ min: 2, max: 64 }).map((size) => ({ mode: 'fixed' as const, size })) },
  { weight: 4, arbitrary: fc.array(fc.nat(), { minLength: 1, maxLength: 12 }).map((points) => ({ mode: 'random' as const, points })) },
  { weight: 3, arbitrary: fc.nat().map((point) => ({ mode: 'one' as const, point })) },
);

export function cutsFor(plan: SplitPlan, length: number): number[] {
  if (length < 2) return [];
  switch (plan.mode) {
    case 'bytes':
      return Array.from({ length: length - 1 }, (_, i) => i + 1);
    case 'fixed': {
      const out: number[] = [];
      for (let at = plan.size; at < length; at += plan.size) out.push(at);
      return out;
    }
    case 'random':
      return [...new Set(plan.points.map((p) => 1 + (p % (length - 1))))].sort((a, b) => a - b);
    case 'one':
      return [1 + (plan.point % (length - 1))];
  }
}
