/**
 * The auth package's closed error registry (CONVENTIONS.md "Errors"). Every refusal is an
 * `AuthError`: a `StellaError` whose `code` is one of `authErrorCodes`, plus what a resource
 * server needs to build an exact RFC 6750 §3 / RFC 9449 §7.1 challenge (see `challenge.ts`).
 *
 * `detail` names the failed check for server logs only; it never carries a token, proof or key.
 */
import { StellaError } from '@stella/core';
import type { ErrorCodeTable, StellaErrorOptions } from '@stella/core';
import { toChallenge } from './challenge.ts';
import type { Challenge, ChallengeOptions } from './challenge.ts';

export const authErrorCodes = {
  invalid_request: { status: 400, description: 'the request is malformed' },
  authentication_required: { status: 401, description: 'authentication is required' },
  invalid_token: { status: 401, description: 'the access token is invalid' },
  insufficient_scope: {
    status: 403,
    description: 'the access token does not carry the required scope',
  },
  // RFC 9449 §5: 400 at the token endpoint; §7.1: 401 at a resource server (challenge.ts).
  invalid_dpop_proof: { status: 401, description: 'the DPoP proof is invalid' },
  use_dpop_nonce: { status: 401, description: 'a DPoP nonce is required' },
  tenant_required: { status: 403, description: 'this route requires a tenant' },
  tenant_mismatch: { status: 403, description: 'the requested tenant does not match the token' },
  invalid_identity_envelope: { status: 401, description: 'the identity envelope is invalid' },
  untrusted_peer: { status: 403, description: 'the calling peer is not allowed' },
  revocations_stale: { status: 503, description: 'revocation data is not current' },
  invalid_revocation_bundle: { status: 502, description: 'the revocation bundle is invalid' },
  jwks_unavailable: { status: 503, description: 'signing keys are unavailable' },
} as const satisfies ErrorCodeTable;

export type AuthErrorCode = keyof typeof authErrorCodes;

/** Which `WWW-Authenticate` scheme(s) a 401/403 challenge names (RFC 9449 §7.1, §7.2). */
export type ChallengeScheme = 'Bearer' | 'DPoP' | 'DPoP Bearer';

export interface AuthErrorOptions extends StellaErrorOptions {
  /** Scheme of the challenge; `DPoP` when the token is DPoP-bound or DPoP is expected. */
  readonly scheme?: ChallengeScheme;
  /** A fresh nonce to send in `DPoP-Nonce` (RFC 9449 §8, §9). */
  readonly dpopNonce?: string;
}

export class AuthError extends StellaError {
  override readonly name = 'AuthError';
  declare readonly code: AuthErrorCode;
  readonly scheme: ChallengeScheme;
  readonly dpopNonce: string | undefined;

  constructor(code: AuthErrorCode, options: AuthErrorOptions = {}) {
    super(code, authErrorCodes[code], options);
    this.scheme = options.scheme ?? 'Bearer';
    this.dpopNonce = options.dpopNonce;
  }

  /** The resource-server response: RFC 6750 §3 / RFC 9449 §7.1 challenge + error body. */
  toChallenge(options: ChallengeOptions = {}): Challenge {
    return toChallenge(this, options);
  }

  /** A copy with a different challenge scheme / nonce (the verifier learns them late). */
  withChallenge(scheme: ChallengeScheme, dpopNonce?: string): AuthError {
    const nonce = dpopNonce ?? this.dpopNonce;
    return new AuthError(this.code, {
      ...(this.detail === undefined ? {} : { detail: this.detail }),
      description: this.description,
      status: this.status,
      extra: this.extra,
      cause: this,
      scheme,
      ...(nonce === undefined ? {} : { dpopNonce: nonce }),
    });
  }
}

/** `throw authError('invalid_token', { detail: 'exp' })`. */
export function authError(code: AuthErrorCode, options?: AuthErrorOptions): AuthError {
  return new AuthError(code, options);
}

export function isAuthError(value: unknown): value is AuthError {
  return value instanceof AuthError;
}
