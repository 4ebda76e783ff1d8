/**
 * autocannon wrapper for HTTP benches: runs a fixed-duration load against a URL and returns the
 * figures in the same shape as `measureOps`, so HTTP and in-process benches report alike.
 */
import autocannon from 'autocannon';
import type { MeasureResult } from './measure.ts';

export interface HttpLoadOptions {
  readonly url: string;
  readonly method?: string;
  readonly headers?: Record<string, string>;
  readonly body?: string;
  /** Concurrent connections. Default 32. */
  readonly connections?: number;
  readonly durationMs: number;
}

export interface HttpLoadResult extends MeasureResult {
  readonly non2xx: number;
}

export async function measureHttp(options: HttpLoadOptions): Promise<HttpLoadResult> {
  const result = await autocannon({
    url: options.url,
    method: options.method ?? 'GET',
    headers: options.headers ?? {},
    ...(options.body === undefined ? {} : { body: options.body }),
    connections: options.connections ?? 32,
    duration: Math.max(1, Math.round(options.durationMs / 1000)),
  });
  return {
    ops: result.requests.total,
    errors: result.errors + result.timeouts,
    opsPerSec: Math.round(result.requests.average),
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    durationMs: Math.round(result.duration * 1000),
    non2xx: result.non2xx,
  };
}
