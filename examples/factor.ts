// WAFer's example, kept: a form asking for N, then the divisors of N. N is bounded so one
// request cannot burn the CPU: up to 10^10, trial division stops at sqrt(N) ≤ 10^5 (about
// 33,000 candidates), a millisecond or two at worst (a prime near the bound; measured in
// docs/helpers.md). Anything else — 0, a sign, a fraction, an exponent, a bigger number — is a 400
// with the form again.
//
// Alone: `npx wafer examples/factor` (GET / redirects to /factor).
import { router, type Router } from '../lib/app/router.js';
import { query } from '../lib/app/query.js';
import { parseDecimal } from '../lib/core/limits.js';
import type { WaferRequest, WaferResponse } from '../lib/core/types.js';
import { escapeHtml, page } from './html.js';

export const MAX_N = 1e10;

/** Prime factors of n (1 ≤ n ≤ 2^53 - 1) with multiplicity, by trial division up to sqrt. */
export function primeFactors(n: number): [prime: number, power: number][] {
  const out: [number, number][] = [];
  let rest = n;
  const take = (p: number) => {
    let k = 0;
    while (rest % p === 0) {
      rest /= p;
      k++;
    }
    if (k > 0) out.push([p, k]);
  };
  take(2);
  take(3);
  // Past 2 and 3 every prime is 6k ± 1: a third of the candidates of plain trial division.
  for (let p = 5; p * p <= rest; p += 6) {
    take(p);
    take(p + 2);
  }
  if (rest > 1) out.push([rest, 1]);
  return out;
}

/** Every divisor of n, ascending, built from its prime factors. */
export function divisors(n: number): number[] {
  let divs = [1];
  for (const [p, k] of primeFactors(n)) {
    const next: number[] = [];
    for (const d of divs) for (let i = 0, m = d; i <= k; i++, m *= p) next.push(m);
    divs = next;
  }
  return divs.sort((a, b) => a - b);
}

const FORM = (value: string) => `<form action="/factor" method="get">
  <label>N (1 … ${MAX_N.toLocaleString('en')}): <input name="q" value="${escapeHtml(value)}" inputmode="numeric" autofocus></label>
  <button>Divisors</button>
</form>`;

function factorPage(req: WaferRequest, res: WaferResponse): void {
  const q = query(req).q;
  if (q === undefined) return page(res, 200, 'Divisors', FORM(''));
  const text = Array.isArray(q) ? '' : q;
  // Digits only: no sign, exponent, fraction or spaces; parseDecimal refuses values past MAX_N.
  const n = parseDecimal(text, MAX_N);
  if (n < 1) {
    const why = Array.isArray(q) ? 'Give q once.' : `“${escapeHtml(text)}” is not a whole number from 1 to ${MAX_N.toLocaleString('en')}.`;
    return page(res, 400, 'Divisors', `<p class="error">${why}</p>${FORM(text)}`);
  }
  const divs = divisors(n);
  const factors = primeFactors(n).map(([p, k]) => (k > 1 ? `${p}<sup>${k}</sup>` : `${p}`)).join(' × ') || '1';
  page(res, 200, `Divisors of ${n}`,
    `${FORM(String(n))}<p>${n} = ${factors}</p><p>${divs.length} divisors:</p><p class="divisors">${divs.join(', ')}</p>`);
}

/** Add the factor routes to `app`. */
export function routes(app: Router): Router {
  return app.get('/factor', factorPage);
}

export default routes(router()).get('/', (_req, res) => res.redirect('/factor'));
