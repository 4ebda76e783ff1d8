/**
 * Checks and completes an audit event before it joins a batch, so one malformed event is refused
 * on its own instead of failing the whole group commit. `occurredAt` defaults to the injected
 * clock; the canonical text (RFC 8785) computed here is exactly what is hashed and stored.
 */
import { canonicalizeToString, isStellaError } from '@stella/core';
import type { AuditEvent, Clock } from '@stella/core';
import { storageError } from '../errors.ts';
import { isTenantId } from '../tenant-id.ts';

// `<service>.<surface>.<action>` (PLATFORM.md §7), lowercase segments.
const EVENT_TYPE = /^[a-z0-9_-]+(\.[a-z0-9_-]+){2,}$/;
// RFC 3339 in UTC with a `Z`, as `Date.prototype.toISOString` produces.
const UTC_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/;

export interface PreparedAuditEvent {
  readonly event: AuditEvent & { occurredAt: string };
  readonly canonical: string;
}

export function prepareAuditEvent(input: AuditEvent, clock: Clock): PreparedAuditEvent {
  if (!isTenantId(input.tenant)) throw storageError('invalid_audit_event', { detail: 'tenant' });
  if (typeof input.type !== 'string' || !EVENT_TYPE.test(input.type)) {
    throw storageError('invalid_audit_event', { detail: 'type' });
  }
  const occurredAt = input.occurredAt ?? new Date(clock.now()).toISOString();
  if (!UTC_TIMESTAMP.test(occurredAt) || !Number.isFinite(Date.parse(occurredAt))) {
    throw storageError('invalid_audit_event', { detail: 'occurredAt' });
  }
  const event = { ...input, occurredAt };
  try {
    return { event, canonical: canonicalizeToString(event) };
  } catch (error) {
    if (!isStellaError(error)) throw error;
    throw storageError('invalid_audit_event', {
      detail: `canonicalize: ${error.code}`,
      cause: error,
    });
  }
}
