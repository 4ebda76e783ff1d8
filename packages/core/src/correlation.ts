import { decodeBase64url } from './base64url.ts';
import type { IdGenerator } from './ids.ts';

/**
 * Pure correlation helpers (PLATFORM.md §7 "Correlation"). Header values parsed here are
 * ATTACKER-CONTROLLED; anything malformed is ignored by callers and replaced with a fresh id.
 */

const CORRELATION_ID = /^[A-Za-z0-9._-]{8,64}$/;

export function isValidCorrelationId(value: unknown): value is string {
  return typeof value === 'string' && CORRELATION_ID.test(value);
}

export interface Traceparent {
  /** 32 lowercase hex characters, not all zero. */
  readonly traceId: string;
  /** 16 lowercase hex characters, not all zero. */
  readonly parentId: string;
  /** The 8-bit trace-flags field (bit 0 = sampled). */
  readonly flags: number;
}

// W3C Trace Context Level 1 §3.2.2: version "-" trace-id "-" parent-id "-" trace-flags, all
// lowercase hex (§3.2.2.1: uppercase is invalid).
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})/;
const ZERO_TRACE_ID = '0'.repeat(32);
const ZERO_PARENT_ID = '0'.repeat(16);

/** Parses a `traceparent` header; `undefined` when it is not valid (the caller starts a trace). */
export function parseTraceparent(header: unknown): Traceparent | undefined {
  if (typeof header !== 'string' || header.length < 55) return undefined;
  const match = TRACEPARENT.exec(header);
  if (match === null) return undefined;
  const [, version, traceId, parentId, flags] = match as unknown as [
    string,
    string,
    string,
    string,
    string,
  ];
  // §3.2.2.1: version ff is forbidden.
  if (version === 'ff') return undefined;
  // §3.2.2.1 / §3.2.4: version 00 has exactly this length; a later version may append fields,
  // but only after a "-" separator.
  if (version === '00' ? header.length !== 55 : header.length > 55 && header[55] !== '-') {
    return undefined;
  }
  // §3.2.2.3 / §3.2.2.4: all-zero ids are invalid.
  if (traceId === ZERO_TRACE_ID || parentId === ZERO_PARENT_ID) return undefined;
  return { traceId, parentId, flags: parseInt(flags, 16) };
}

export function formatTraceparent(value: Traceparent): string {
  const flags = (value.flags & 0xff).toString(16).padStart(2, '0');
  return `00-${value.traceId}-${value.parentId}-${flags}`;
}

/**
 * A `traceparent` for the next hop: a new parent (span) id, keeping the trace id and flags of
 * `parent` when there is one, else a new trace id with flags 00 (not sampled: no tracer records
 * it). Randomness comes from the injected id generator.
 */
export function createTraceparent(ids: IdGenerator, parent?: Traceparent): string {
  const traceId = parent?.traceId ?? randomHex(ids, 16);
  const parentId = randomHex(ids, 8);
  return formatTraceparent({ traceId, parentId, flags: parent?.flags ?? 0 });
}

function randomHex(ids: IdGenerator, bytes: number): string {
  const raw = Buffer.from(decodeBase64url(ids.random(bytes))).subarray(0, bytes);
  const padded = Buffer.alloc(bytes);
  raw.copy(padded);
  // All-zero ids are invalid (§3.2.2.3); vanishingly unlikely, but never emit one.
  if (padded.every((b) => b === 0)) padded[bytes - 1] = 1;
  return padded.toString('hex');
}
