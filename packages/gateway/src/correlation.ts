/**
 * Correlation (PLATFORM.md §7): the gateway uses the platform's one implementation — a valid
 * `X-Correlation-Id`, else the trace id of a valid W3C `traceparent`, else a new id
 * (`correlationIdOf`, ATTACKER-CONTROLLED headers validated there) — and forwards a
 * `traceparent` for the upstream hop: same trace, this hop as the new parent span
 * (W3C Trace Context §3.2, `createTraceparent`). Echoed in every response.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { createTraceparent, parseTraceparent } from '@stella/core';
import type { IdGenerator } from '@stella/core';
import { correlationIdOf } from '@stella/runtime';

export interface Correlation {
  readonly correlationId: string;
  /** `traceparent` for the upstream hop: same trace, this hop as the parent span. */
  readonly traceparent: string;
}

export function resolveCorrelation(headers: IncomingHttpHeaders, ids: IdGenerator): Correlation {
  // Parsed once for both uses. A repeated `traceparent` is ambiguous (node joins it with ", "):
  // it fails the parse.
  const parent = parseTraceparent(headers['traceparent']);
  return {
    correlationId: correlationIdOf(headers, parent, ids),
    traceparent: createTraceparent(ids, parent),
  };
}
