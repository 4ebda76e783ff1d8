/**
 * Correlation (PLATFORM.md §7): accept a well-formed `X-Correlation-Id` or W3C `traceparent`
 * (ATTACKER-CONTROLLED, so both are validated and otherwise replaced), make one otherwise,
 * forward it on the upstream hop with a new parent span, echo it in every response.
 */
import { decodeBase64url } from '@stella/core';
import type { IdGenerator } from '@stella/core';

export interface Correlation {
  readonly correlationId: string;
  /** `traceparent` for the upstream hop: same trace, this hop as the parent span. */
  readonly traceparent: string;
}

const CORRELATION_ID = /^[A-Za-z0-9._:-]{8,128}$/;
// W3C Trace Context §3.2: version-traceid-parentid-flags, lowercase hex; ff version is invalid.
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

function randomHex(ids: IdGenerator, bytes: number): string {
  return Buffer.from(decodeBase64url(ids.random(bytes)))
    .toString('hex')
    .slice(0, bytes * 2);
}

/** Validates an inbound `traceparent`; `undefined` when absent or malformed. */
export function parseTraceparent(
  value: string | undefined,
): { traceId: string; flags: string } | undefined {
  if (value === undefined) return undefined;
  const match = TRACEPARENT.exec(value.trim());
  if (match === null) return undefined;
  const [, version, traceId, parentId, flags] = match as unknown as [
    string,
    string,
    string,
    string,
    string,
  ];
  if (version === 'ff' || /^0+$/.test(traceId) || /^0+$/.test(parentId)) return undefined;
  return { traceId, flags };
}

export function isCorrelationId(value: string | undefined): value is string {
  return value !== undefined && CORRELATION_ID.test(value);
}

export function resolveCorrelation(
  correlationHeader: string | undefined,
  traceparentHeader: string | undefined,
  ids: IdGenerator,
): Correlation {
  const parent = parseTraceparent(traceparentHeader);
  const traceId = parent?.traceId ?? randomHex(ids, 16);
  const flags = parent?.flags ?? '01';
  const correlationId = isCorrelationId(correlationHeader)
    ? correlationHeader
    : parent !== undefined
      ? parent.traceId
      : ids.uuid();
  return { correlationId, traceparent: `00-${traceId}-${randomHex(ids, 8)}-${flags}` };
}
