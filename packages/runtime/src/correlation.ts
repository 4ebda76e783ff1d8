import { isValidCorrelationId, parseTraceparent } from '@stella/core';
import type { IdGenerator, Logger } from '@stella/core';

/** Incoming headers as Node and fastify expose them (lower-case names). */
export type IncomingHeaders = Readonly<Record<string, string | readonly string[] | undefined>>;

/**
 * The correlation id for a request (PLATFORM.md §7): a valid `x-correlation-id`, else the trace id
 * of a valid `traceparent`, else a new UUIDv7. Headers are ATTACKER-CONTROLLED; a repeated header
 * (array value) is ambiguous and ignored.
 */
export function resolveCorrelationId(headers: IncomingHeaders, ids: IdGenerator): string {
  const given = single(headers['x-correlation-id']);
  if (isValidCorrelationId(given)) return given;
  const trace = parseTraceparent(single(headers['traceparent']));
  if (trace !== undefined) return trace.traceId;
  return ids.uuid();
}

/** A child logger whose every line carries `correlationId`. */
export function withCorrelation(logger: Logger, correlationId: string): Logger {
  return logger.child({ correlationId });
}

function single(value: string | readonly string[] | undefined): string | undefined {
  return typeof value === 'string' ? value : undefined;
}
