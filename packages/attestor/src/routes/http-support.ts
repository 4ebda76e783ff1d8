/** Small request helpers shared by the attestor routes (all inputs attacker-controlled). */
import type { FastifyRequest } from 'fastify';
import { isSha256Digest } from '@stella/core';
import type { AuditEvent, AuditSink, Logger } from '@stella/core';
import { attestorError } from '../errors.ts';

/** The tenant the auth plugin resolved (every attestor route is tenant-scoped). */
export function tenantOf(request: FastifyRequest): string {
  const tenant = request.principal?.tenant;
  if (tenant === undefined) throw new TypeError('route reached without a tenant principal');
  return tenant;
}

/** `sha256:<64 lowercase hex>` or `invalid_digest`. */
export function parseDigestText(value: unknown): `sha256:${string}` {
  if (!isSha256Digest(value)) throw attestorError('invalid_digest');
  return value;
}

const DECIMAL = /^(0|[1-9][0-9]{0,15})$/;

/** A non-negative decimal integer without leading zeros, within the safe range. */
export function parseCount(value: unknown, name: string): number {
  if (typeof value !== 'string' || !DECIMAL.test(value)) {
    throw attestorError('invalid_request', { detail: `${name} is not a decimal integer` });
  }
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw attestorError('invalid_request', { detail: `${name} range` });
  return n;
}

/** Query object with string values only (a repeated parameter is refused, not guessed). */
export function queryOf(
  request: FastifyRequest,
  allowed: readonly string[],
): Record<string, string> {
  const query = (request.query ?? {}) as Record<string, unknown>;
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(query)) {
    if (!allowed.includes(key) || typeof value !== 'string') {
      throw attestorError('invalid_request', { detail: `query parameter ${key}` });
    }
    out[key] = value;
  }
  return out;
}

/** Audit event for the request's tenant; an audit failure is logged and never leaks to clients. */
export async function audit(
  sink: AuditSink,
  logger: Logger,
  request: FastifyRequest,
  event: Omit<AuditEvent, 'correlationId' | 'tenant' | 'actor' | 'network'> & { tenant?: string },
): Promise<void> {
  const principal = request.principal;
  try {
    await sink.append({
      ...event,
      tenant: event.tenant ?? principal?.tenant ?? '_platform',
      correlationId: request.correlationId,
      ...(principal === undefined
        ? {}
        : { actor: { clientId: principal.clientId, subject: principal.subject } }),
      network: { address: request.ip },
    });
  } catch (error) {
    logger.error(
      { err: String(error), correlationId: request.correlationId },
      'audit append failed',
    );
  }
}
