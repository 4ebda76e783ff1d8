import { isValidCorrelationId, parseTraceparent } from '@stella/core';
import type { IdGenerator, Logger, Traceparent } from '@stella/core';

/** Incoming headers as Node and fastify expose them (lower-case names). */
export type IncomingHeaders = Readonly<Record<string, string | readonly string[] | undefined>>;

/**
 * The correlation id for a request (PLATFORM.md §7): a valid `x-correlation-id`, else the trace id
 * of a valid `traceparent`, else a new UUIDv7. Headers are ATTACKER-CONTROLLED; a repeated header
 * (array value) is ambiguous and ignored.
 */
export function resolveCorrelationId(headers: IncomingHeaders, ids: IdGenerator): string {
  return correlationIdOf(headers, parseTraceparent(single(headers['traceparent'])), ids);
}

/**
 * `resolveCorrelationId` for a caller that has already parsed the request's `traceparent` (the
 * gateway, which also forwards it): one parse per request.
 */
export function correlationIdOf(
  headers: IncomingHeaders,
  trace: Traceparent | undefined,
  ids: IdGenerator,
): string {
  const given = single(headers['x-correlation-id']);
  if (isValidCorrelationId(given)) return given;
  return trace?.traceId ?? ids.uuid();
}

/** A child logger whose every line carries `correlationId`. */
export function withCorrelation(logger: Logger, correlationId: string): Logger {
  return logger.child({ correlationId });
}

function single(value: string | readonly string[] | undefined): string | undefined {
  return typeof value === 'string' ? value : undefined;
}
