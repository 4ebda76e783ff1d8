// A naive reference implementation straight from RFC 6962 §2.1 (MTH, PATH, PROOF/SUBPROOF),
// used only to cross-check the fast builders and verifiers. Recursive on purpose.
import { createHash } from 'node:crypto';

const sha256 = (...parts: Uint8Array[]) => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
};

export class ReferenceTree {
  readonly #leaves: Uint8Array[];
  readonly #memo = new Map<string, Uint8Array>();

  constructor(leaves: Uint8Array[]) {
    this.#leaves = leaves;
  }

  /** MTH(D[lo:hi]) — memoized so exhaustive tests stay fast. */
  mth(lo = 0, hi = this.#leaves.length): Uint8Array {
    const key = `${lo}:${hi}`;
    const cached = this.#memo.get(key);
    if (cached) return cached;
    let out: Uint8Array;
    const n = hi - lo;
    if (n === 0) out = sha256();
    else if (n === 1) out = sha256(Uint8Array.of(0), this.#leaves[lo]!);
    else {
      let k = 1;
      while (k * 2 < n) k *= 2;
      out = sha256(Uint8Array.of(1), this.mth(lo, lo + k), this.mth(lo + k, hi));
    }
    this.#memo.set(key, out);
    return out;
  }

  /** PATH(m, D[lo:hi]) */
  path(m: number, lo = 0, hi = this.#leaves.length): Uint8Array[] {
    const n = hi - lo;
    if (n <= 1) return [];
    let k = 1;
    while (k * 2 < n) k *= 2;
    return m < k
      ? [...this.path(m, lo, lo + k), this.mth(lo + k, hi)]
      : [...this.path(m - k, lo + k, hi), this.mth(lo, lo + k)];
  }

  /** PROOF(m, D[0:n]) = SUBPROOF(m, D[0:n], true) */
  proof(m: number, n: number): Uint8Array[] {
    return this.#subproof(m, 0, n, true);
  }

  #subproof(m: number, lo: number, hi: number, b: boolean): Uint8Array[] {
    const n = hi - lo;
    if (m === n) return b ? [] : [this.mth(lo, hi)];
    let k = 1;
    while (k * 2 < n) k *= 2;
    return m <= k
      ? [...this.#subproof(m, lo, lo + k, b), this.mth(lo + k, hi)]
      : [...this.#subproof(m - k, lo + k, hi, false), this.mth(lo, lo + k)];
  }
}

/** Leaves 0..n-1 as distinct byte strings. */
export function syntheticLeaves(n: number): Uint8Array[] {
  return Array.from({ length: n }, (_, i) => new TextEncoder().encode(`leaf-${i}`));
}
