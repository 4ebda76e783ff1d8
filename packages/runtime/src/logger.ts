import type { Logger as CoreLogger } from '@stella/core';
import { pino } from 'pino';
import type { DestinationStream, Level, Logger as PinoLogger } from 'pino';
import { REDACTED, scrubSensitive } from './scrub.ts';

/**
 * JSON-lines logging (PLATFORM.md §7) with two layers of secret redaction:
 * 1. pino `redact` for the well-known header paths (fast, exact);
 * 2. a formatter that scrubs, at any depth, every key naming a credential (see scrub.ts) in both
 *    the log object and child bindings.
 * Messages (`msg`) are not scrubbed: never interpolate values into them.
 */
export interface CreateLoggerOptions {
  readonly level?: Level | 'silent';
  /** Where lines go; default stdout. */
  readonly destination?: DestinationStream;
  /** Fields on every line, e.g. `{ service: 'gateway' }`. */
  readonly base?: Record<string, unknown>;
}

const HEADER_NAMES = [
  'authorization',
  'dpop',
  'cookie',
  'set-cookie',
  'client-cert',
  'x-stellaops-identity',
  'proxy-authorization',
];

export const REDACT_PATHS: readonly string[] = [
  ...HEADER_NAMES.map((h) => `["${h}"]`),
  ...HEADER_NAMES.map((h) => `headers["${h}"]`),
  ...HEADER_NAMES.map((h) => `req.headers["${h}"]`),
  ...HEADER_NAMES.map((h) => `request.headers["${h}"]`),
  ...HEADER_NAMES.map((h) => `res.headers["${h}"]`),
];

/** A pino instance (for fastify's `loggerInstance`) with the platform's redaction. */
export function createPinoLogger(options: CreateLoggerOptions = {}): PinoLogger {
  const root = pino(
    {
      level: options.level ?? 'info',
      base: scrubSensitive(options.base ?? {}) as Record<string, unknown>,
      redact: { paths: [...REDACT_PATHS], censor: REDACTED },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: {
        level: (label) => ({ level: label }),
        bindings: (bindings) => scrubSensitive(bindings) as Record<string, unknown>,
        log: (object) => scrubSensitive(object) as Record<string, unknown>,
      },
    },
    options.destination ?? pino.destination({ dest: 1, sync: false }),
  );
  return scrubChildBindings(root);
}

/**
 * pino resets the bindings formatter for children, so child bindings would bypass the scrubber.
 * Every logger handed out gets a `child` that scrubs its bindings first and wraps its result.
 */
function scrubChildBindings(logger: PinoLogger): PinoLogger {
  const original = logger.child;
  const child = function (this: PinoLogger, bindings: Record<string, unknown>, options?: object) {
    const scrubbed = scrubSensitive(bindings) as Record<string, unknown>;
    return scrubChildBindings(original.call(this, scrubbed, options) as unknown as PinoLogger);
  };
  Object.defineProperty(logger, 'child', { value: child, writable: true, configurable: true });
  return logger;
}

/** The core `Logger` port backed by pino. */
export function createLogger(options: CreateLoggerOptions = {}): CoreLogger {
  return createPinoLogger(options);
}
