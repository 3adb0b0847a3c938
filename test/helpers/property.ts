// A fast-check property as one tap assertion: it passes when no counterexample was found, and a
// failure carries fast-check's report (seed, path and counterexample: enough to replay it).
import type { Test } from 'tap';
import fc from 'fast-check';

export async function holds<Ts>(t: Test, what: string, property: fc.IRawProperty<Ts>, params: fc.Parameters<Ts>): Promise<void> {
  const details = await fc.check(property, params);
  t.notOk(details.failed, what, details.failed ? { report: fc.defaultReportMessage(details) } : {});
}
