/**
 * Measures an adapter and a raw client doing the same work in the same run, and emits both with
 * the adapter's ratio to raw (1.0 = no overhead), so a figure is read against its baseline on
 * the same machine and moment rather than against a number from elsewhere.
 */
import { emit, log } from './emit.ts';
import { benchDurationMs, measureOps, round3 } from './measure.ts';
import type { MeasureResult, Op } from './measure.ts';

export interface CompareOptions {
  readonly bench: string;
  readonly metric: string;
  readonly unit: string;
  readonly concurrency: number;
  readonly adapter: Op;
  readonly raw: Op;
}

function fields(r: MeasureResult) {
  return {
    p50_ms: r.p50Ms,
    p99_ms: r.p99Ms,
    ops: r.ops,
    errors: r.errors,
    duration_ms: r.durationMs,
  };
}

export async function compareToRaw(options: CompareOptions): Promise<void> {
  const durationMs = benchDurationMs();
  log(`${options.bench}: ${options.metric} (raw baseline) …`);
  const raw = await measureOps(options.raw, { durationMs, concurrency: options.concurrency });
  log(`${options.bench}: ${options.metric} (adapter) …`);
  const adapter = await measureOps(options.adapter, {
    durationMs,
    concurrency: options.concurrency,
  });
  emit({
    bench: options.bench,
    metric: `${options.metric}_raw`,
    value: raw.opsPerSec,
    unit: options.unit,
    concurrency: options.concurrency,
    ...fields(raw),
  });
  emit({
    bench: options.bench,
    metric: options.metric,
    value: adapter.opsPerSec,
    unit: options.unit,
    concurrency: options.concurrency,
    ratio_to_raw: raw.opsPerSec > 0 ? round3(adapter.opsPerSec / raw.opsPerSec) : null,
    ...fields(adapter),
  });
}

export function emitSkipped(bench: string, metric: string, unit: string, reason: string): void {
  log(`${bench}: ${metric} skipped: ${reason}`);
  emit({ bench, metric, value: null, unit, skipped: reason });
}
