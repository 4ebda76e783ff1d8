/**
 * Closed-loop load: `concurrency` workers each run `op` back to back until `durationMs` elapses
 * (after an unmeasured warm-up), recording every latency with `performance.now()`. Reports
 * throughput and nearest-rank p50/p99. Errors are counted, not timed, and reported so a bench
 * that mostly fails cannot pass off as fast.
 */
export interface MeasureOptions {
  readonly durationMs: number;
  readonly concurrency: number;
  /** Unmeasured warm-up before the timed run. Default `benchWarmupMs()`. */
  readonly warmupMs?: number;
  /**
   * Runs between the warm-up and the timed run (e.g. snapshot a server's CPU counter), so
   * per-request figures cover exactly the timed window.
   */
  readonly afterWarmup?: () => Promise<void>;
}

export interface MeasureResult {
  readonly ops: number;
  readonly errors: number;
  readonly opsPerSec: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly durationMs: number;
}

export type Op = (i: number) => Promise<unknown>;

export function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] ?? Number.NaN;
}

async function loop(
  op: Op,
  concurrency: number,
  durationMs: number,
  counter: { next: number },
  record: (ms: number, ok: boolean) => void,
) {
  const end = performance.now() + durationMs;
  const worker = async () => {
    while (performance.now() < end) {
      const i = counter.next++;
      const t0 = performance.now();
      let ok = true;
      try {
        await op(i);
      } catch {
        ok = false;
      }
      record(performance.now() - t0, ok);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

export async function measureOps(op: Op, options: MeasureOptions): Promise<MeasureResult> {
  const counter = { next: 0 };
  await loop(
    op,
    options.concurrency,
    options.warmupMs ?? benchWarmupMs(),
    counter,
    () => undefined,
  );
  await options.afterWarmup?.();
  let latencies = new Float64Array(1 << 16);
  let ops = 0;
  let errors = 0;
  const started = performance.now();
  await loop(op, options.concurrency, options.durationMs, counter, (ms, ok) => {
    if (!ok) {
      errors += 1;
      return;
    }
    if (ops === latencies.length) {
      const grown = new Float64Array(latencies.length * 2);
      grown.set(latencies);
      latencies = grown;
    }
    latencies[ops] = ms;
    ops += 1;
  });
  const elapsed = performance.now() - started;
  const sorted = latencies.subarray(0, ops).sort();
  return {
    ops,
    errors,
    opsPerSec: Math.round((ops / elapsed) * 1000),
    p50Ms: round3(percentile(sorted, 50)),
    p99Ms: round3(percentile(sorted, 99)),
    durationMs: Math.round(elapsed),
  };
}

export function round3(n: number): number {
  return Math.round(n * 1000) / 1000;
}

/** Bench figure duration, overridable for quick runs: BENCH_DURATION_MS (default 2000). */
export function benchDurationMs(): number {
  const raw = Number(process.env.BENCH_DURATION_MS ?? '2000');
  return Number.isFinite(raw) && raw > 0 ? raw : 2000;
}

/**
 * Unmeasured warm-up before each timed run, overridable: BENCH_WARMUP_MS (default 3000). Long
 * enough for V8 to finish optimising a service's hot path: with 0.3–0.5 s, profiles showed
 * TurboFan still compiling on the helper threads inside the timed window, charging the JIT's
 * start-up to the service's steady-state CPU per request.
 */
export function benchWarmupMs(): number {
  const raw = Number(process.env.BENCH_WARMUP_MS ?? '3000');
  return Number.isFinite(raw) && raw >= 0 ? raw : 3000;
}
