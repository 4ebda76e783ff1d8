/** TTLs are programmer input (replay window, rate-limit window): a bad one is a TypeError. */
export function assertTtlMs(ttlMs: number): void {
  if (!Number.isSafeInteger(ttlMs) || ttlMs <= 0) {
    throw new TypeError('ttlMs must be a positive integer number of milliseconds');
  }
}
