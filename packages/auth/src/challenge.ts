/**
 * Wire shapes of an `AuthError`:
 * - at a resource server, an RFC 6750 §3 / RFC 9449 §7.1 challenge in `WWW-Authenticate` plus the
 *   platform error body `{"error":{"code","message","correlationId"}}` (PLATFORM.md §7);
 * - at the token endpoint, the RFC 6749 §5.2 / RFC 9449 §5 OAuth error body (400 for DPoP errors).
 */
import type { AuthError } from './errors.ts';

/** RFC 9449 §7.1 `algs`: the proof algorithms this platform accepts (PLATFORM.md §3). */
export const DPOP_ALGS = 'ES256 EdDSA';

export interface ChallengeOptions {
  readonly realm?: string;
  readonly correlationId?: string;
  /** Overrides the nonce carried by the error (the plugin passes a fresh one). */
  readonly dpopNonce?: string;
}

export interface Challenge {
  status: number;
  headers: { 'www-authenticate': string; 'dpop-nonce'?: string };
  body: { error: { code: string; message: string; correlationId: string } };
}

// RFC 6750 §3: error_description / scope chars are %x20-21 / %x23-5B / %x5D-7E; anything else is
// dropped, and `"`/`\` are escaped as RFC 9110 §5.6.4 quoted-pair so the header cannot be split.
function quote(value: string): string {
  const printable = value.replace(/[^\x20-\x7e]/g, '');
  return `"${printable.replace(/["\\]/g, (c) => `\\${c}`)}"`;
}

// Codes that are RFC 6750 / RFC 9449 challenge error values; others map onto the nearest one.
function challengeErrorValue(error: AuthError): string | undefined {
  switch (error.code) {
    case 'authentication_required':
      return undefined; // RFC 6750 §3.1: no error code when no credentials were sent
    case 'invalid_request':
    case 'invalid_token':
    case 'insufficient_scope':
    case 'invalid_dpop_proof':
    case 'use_dpop_nonce':
      return error.code;
    default:
      return 'invalid_token';
  }
}

function schemeParams(scheme: 'Bearer' | 'DPoP', error: AuthError, realm?: string): string {
  const params: string[] = [];
  if (realm !== undefined) params.push(`realm=${quote(realm)}`);
  const value = challengeErrorValue(error);
  if (value !== undefined) {
    params.push(`error=${quote(value)}`, `error_description=${quote(error.description)}`);
    const scope = error.extra['scope'];
    if (error.code === 'insufficient_scope' && scope !== undefined) {
      params.push(`scope=${quote(scope)}`);
    }
  }
  if (scheme === 'DPoP') params.push(`algs=${quote(DPOP_ALGS)}`);
  return params.length === 0 ? scheme : `${scheme} ${params.join(', ')}`;
}

/** The resource-server response for `error` (RFC 6750 §3, RFC 9449 §7.1). */
export function toChallenge(error: AuthError, options: ChallengeOptions = {}): Challenge {
  const schemes: ('Bearer' | 'DPoP')[] =
    error.scheme === 'DPoP Bearer' ? ['DPoP', 'Bearer'] : [error.scheme];
  // RFC 9110 §11.6.1: several challenges are comma-separated in one field value.
  const header = schemes.map((s) => schemeParams(s, error, options.realm)).join(', ');
  const nonce = options.dpopNonce ?? error.dpopNonce;
  const headers: Challenge['headers'] = { 'www-authenticate': header };
  if (nonce !== undefined) headers['dpop-nonce'] = nonce;
  return {
    status: error.status,
    headers,
    body: {
      error: {
        code: error.code,
        message: error.description,
        correlationId: options.correlationId ?? '',
      },
    },
  };
}

export interface TokenEndpointError {
  status: number;
  headers: { 'dpop-nonce'?: string };
  body: { error: string; error_description: string };
}

/** The token-endpoint (authorization server) response: RFC 6749 §5.2, RFC 9449 §5 and §8. */
export function toTokenEndpointError(error: AuthError, dpopNonce?: string): TokenEndpointError {
  const dpop = error.code === 'invalid_dpop_proof' || error.code === 'use_dpop_nonce';
  const nonce = dpopNonce ?? error.dpopNonce;
  const headers: TokenEndpointError['headers'] = {};
  if (nonce !== undefined) headers['dpop-nonce'] = nonce;
  return {
    status: dpop ? 400 : error.status,
    headers,
    body: { error: error.code, error_description: error.description },
  };
}
