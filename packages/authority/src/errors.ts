/**
 * The Authority's closed error-code table. OAuth endpoints answer with RFC 6749 §5.2 bodies
 * `{"error","error_description"}`; codes come from RFC 6749 §5.2, RFC 8707 §2 (`invalid_target`),
 * RFC 9449 §7/§8 (`invalid_dpop_proof`, `use_dpop_nonce`) and RFC 6750 §3.1 for the admin API.
 * `detail` (server logs only) never carries token, assertion, proof or secret material.
 */
import { defineErrorCodes, isStellaError } from '@stella/core';
import type { StellaError } from '@stella/core';

export const authorityErrorCodes = {
  invalid_request: { status: 400, description: 'the request is malformed' },
  // RFC 6749 §5.2: 401 for failed client authentication. One description for every cause so an
  // unknown client and a wrong credential are indistinguishable on the wire.
  invalid_client: { status: 401, description: 'client authentication failed' },
  invalid_grant: { status: 400, description: 'the grant is invalid' },
  unauthorized_client: {
    status: 400,
    description: 'the client is not authorized to use this grant',
  },
  unsupported_grant_type: { status: 400, description: 'the grant type is not supported' },
  invalid_scope: { status: 400, description: 'the requested scope is invalid' },
  invalid_target: { status: 400, description: 'the requested audience is invalid' },
  invalid_dpop_proof: { status: 400, description: 'the DPoP proof is invalid' },
  use_dpop_nonce: { status: 400, description: 'a DPoP nonce is required' },
  invalid_token: { status: 401, description: 'the access token is invalid' },
  insufficient_scope: { status: 403, description: 'the access token lacks the required scope' },
  access_denied: { status: 403, description: 'the connection is not allowed to use this API' },
  not_found: { status: 404, description: 'no such resource' },
  conflict: { status: 409, description: 'the resource already exists' },
  rate_limited: { status: 429, description: 'too many requests' },
  server_error: { status: 500, description: 'internal error' },
} as const;

export type AuthorityErrorCode = keyof typeof authorityErrorCodes;

export const authorityError = defineErrorCodes(authorityErrorCodes);

export interface OAuthErrorResponse {
  status: number;
  body: { error: string; error_description: string };
  headers: Record<string, string>;
}

/**
 * The one function that turns any error into the OAuth wire shape. Errors from other packages
 * (e.g. `@stella/auth` DPoP failures) keep their RFC code; anything unexpected becomes
 * `server_error` without internals.
 */
export function toOAuthError(error: unknown): OAuthErrorResponse {
  const headers: Record<string, string> = {};
  if (isStellaError(error)) {
    // Only these two extras are response headers; every other extra stays server-side.
    for (const name of ['retry-after', 'www-authenticate']) {
      const value = error.extra[name];
      if (value !== undefined) headers[name] = value;
    }
  }
  if (isStellaError(error) && error.status < 500) {
    return {
      status: error.status,
      body: { error: error.code, error_description: error.description },
      headers,
    };
  }
  return {
    status: 500,
    body: { error: 'server_error', error_description: 'internal error' },
    headers: {},
  };
}

export function isAuthorityError(error: unknown, code: AuthorityErrorCode): error is StellaError {
  return isStellaError(error) && error.code === code;
}
