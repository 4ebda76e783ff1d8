/**
 * Typed errors (CONVENTIONS.md "Errors"). Every refusal in the platform is a `StellaError` with a
 * stable lowercase `code`, an HTTP `status`, a public `description` safe to send to a client, and a
 * `detail` that only ever reaches server logs. Secrets, tokens and proofs never go into either.
 *
 * Packages extend the registry with their own codes through `defineErrorCodes`; the registry is an
 * explicit value (no import-time side effects) so a test can keep it, the docs table and the
 * types in step.
 */
export interface ErrorCodeSpec {
  /** HTTP status the code maps to on the wire. */
  readonly status: number;
  /** Public, stable, human-readable description (never contains request data). */
  readonly description: string;
}

export type ErrorCodeTable = Readonly<Record<string, ErrorCodeSpec>>;

export interface StellaErrorOptions {
  /** Server-log-only detail (ids and digests only — never secret material). */
  readonly detail?: string;
  /** Overrides the public description for this instance (still must be public-safe). */
  readonly description?: string;
  /** Overrides the status for this instance. */
  readonly status?: number;
  readonly cause?: unknown;
  /** Extra public fields some protocols need (e.g. `scope` in an insufficient_scope challenge). */
  readonly extra?: Readonly<Record<string, string>>;
}

export class StellaError extends Error {
  override readonly name: string = 'StellaError';
  readonly code: string;
  readonly status: number;
  readonly description: string;
  readonly detail: string | undefined;
  readonly extra: Readonly<Record<string, string>>;

  constructor(code: string, spec: ErrorCodeSpec, options: StellaErrorOptions = {}) {
    super(
      options.description ?? spec.description,
      options.cause === undefined ? undefined : { cause: options.cause },
    );
    this.code = code;
    this.status = options.status ?? spec.status;
    this.description = options.description ?? spec.description;
    this.detail = options.detail;
    this.extra = options.extra ?? {};
  }
}

/** Core's own codes; other packages define theirs with `defineErrorCodes`. */
export const coreErrorCodes = {
  server_error: { status: 500, description: 'internal error' },
  invalid_json: { status: 400, description: 'the input is not valid JSON' },
  invalid_digest: {
    status: 400,
    description: 'malformed digest; expected sha256:<64 lowercase hex>',
  },
  invalid_encoding: { status: 400, description: 'malformed base64url' },
  invalid_config: { status: 500, description: 'the configuration is invalid' },
  secret_unavailable: { status: 500, description: 'a referenced secret could not be resolved' },
} as const satisfies ErrorCodeTable;

export type CoreErrorCode = keyof typeof coreErrorCodes;

/**
 * Binds an error-code table to a factory: `const fail = defineErrorCodes(table)` then
 * `throw fail('invalid_digest', { detail })`. The code argument is a closed union.
 */
export function defineErrorCodes<T extends ErrorCodeTable>(table: T) {
  return function createError(code: keyof T & string, options?: StellaErrorOptions): StellaError {
    const spec = table[code];
    if (spec === undefined) throw new TypeError(`unknown error code ${code}`);
    return new StellaError(code, spec, options);
  };
}

export const coreError = defineErrorCodes(coreErrorCodes);

export function isStellaError(value: unknown): value is StellaError {
  return value instanceof StellaError;
}

/** Wire shape for non-OAuth services (PLATFORM.md §7). Unexpected errors become `server_error`. */
export function toErrorBody(
  error: unknown,
  correlationId: string,
): {
  status: number;
  body: { error: { code: string; message: string; correlationId: string } };
} {
  if (isStellaError(error) && error.status < 500) {
    return {
      status: error.status,
      body: { error: { code: error.code, message: error.description, correlationId } },
    };
  }
  const status = isStellaError(error) ? error.status : 500;
  const code = isStellaError(error) ? error.code : 'server_error';
  const message = isStellaError(error) ? error.description : 'internal error';
  return { status, body: { error: { code, message, correlationId } } };
}
