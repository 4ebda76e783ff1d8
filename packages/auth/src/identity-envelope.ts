/**
 * The gateway → upstream identity envelope, header `X-StellaOps-Identity` (PLATFORM.md §4): a
 * compact JWS, `typ: stella-identity+jwt`, signed by the gateway key (ES256 or EdDSA), valid for
 * at most 30 s, addressed to one upstream, and tied to the access token by its `jti`. Upstreams
 * still verify the access token itself, so a compromised gateway cannot mint authority.
 */
import type { KeyObject } from 'node:crypto';
import type { Clock } from '@stella/core';
import { AuthError } from './errors.ts';
import { TENANT_ID } from './access-token.ts';
import type { Confirmation } from './access-token.ts';
import {
  JwsFormatError,
  parseCompactJws,
  signCompactJws,
  verifyJwsSignature,
  verifyJwsSignatureOffThread,
} from './jws.ts';
import type { VerificationKey } from './jwks.ts';

export const IDENTITY_ENVELOPE_TYP = 'stella-identity+jwt';
export const IDENTITY_ENVELOPE_MAX_LIFETIME_SECONDS = 30;

export interface IdentityEnvelopeClaims {
  readonly iss: 'gateway';
  /** The upstream service name (its access-token audience). */
  readonly aud: string;
  readonly iat: number;
  readonly exp: number;
  readonly tid?: string;
  readonly client_id: string;
  /** Space-separated scopes of the access token. */
  readonly scope: string;
  /** The access token's `jti`. */
  readonly jti: string;
  readonly cnf: Confirmation;
  /** Correlation id. */
  readonly cid: string;
}

/** Signs an envelope with the gateway's P-256 or Ed25519 private key. */
export function signIdentityEnvelope(
  claims: IdentityEnvelopeClaims,
  key: KeyObject,
  kid: string,
): string {
  if (
    claims.exp - claims.iat > IDENTITY_ENVELOPE_MAX_LIFETIME_SECONDS ||
    claims.exp <= claims.iat
  ) {
    throw new TypeError('identity envelope lifetime must be within (0, 30] seconds');
  }
  return signCompactJws({ typ: IDENTITY_ENVELOPE_TYP, kid }, { ...claims }, key);
}

export interface VerifyIdentityEnvelopeOptions {
  /** Gateway verification keys by kid. */
  readonly keys: ReadonlyMap<string, VerificationKey>;
  /** This service's name. */
  readonly audience: string;
  readonly clock: Clock;
  /** The `jti` of the access token on the same request. */
  readonly expectedTokenJti: string;
  readonly skewSeconds?: number;
}

function refuse(detail: string): AuthError {
  return new AuthError('invalid_identity_envelope', { detail });
}

/** Parses the envelope and resolves its key; the signature is checked by the caller next. */
function parseEnvelope(jws: string, options: VerifyIdentityEnvelopeOptions) {
  let parsed;
  try {
    parsed = parseCompactJws(jws, 8192);
  } catch (error) {
    throw refuse(`malformed: ${error instanceof JwsFormatError ? error.message : 'parse'}`);
  }
  const { header } = parsed;
  if (header['typ'] !== IDENTITY_ENVELOPE_TYP) throw refuse('typ');
  const kid = header['kid'];
  const key = typeof kid === 'string' ? options.keys.get(kid) : undefined;
  if (key === undefined || header['alg'] !== key.alg) throw refuse('unknown kid or alg');
  return { parsed, key };
}

/** The claim checks, run only on a signature-verified payload. */
function checkClaims(
  c: Readonly<Record<string, unknown>>,
  options: VerifyIdentityEnvelopeOptions,
): IdentityEnvelopeClaims {
  if (c['iss'] !== 'gateway') throw refuse('iss');
  if (c['aud'] !== options.audience) throw refuse('aud');
  const { iat, exp } = c;
  if (!Number.isSafeInteger(iat) || !Number.isSafeInteger(exp)) throw refuse('iat/exp');
  const skew = options.skewSeconds ?? 5;
  const now = options.clock.now() / 1000;
  if ((exp as number) - (iat as number) > IDENTITY_ENVELOPE_MAX_LIFETIME_SECONDS) {
    throw refuse('lifetime above 30 s');
  }
  if (now >= (exp as number) + skew) throw refuse('expired');
  if ((iat as number) > now + skew) throw refuse('iat in the future');
  if (typeof c['jti'] !== 'string' || c['jti'] !== options.expectedTokenJti) throw refuse('jti');
  const tid = c['tid'];
  if (tid !== undefined && (typeof tid !== 'string' || !TENANT_ID.test(tid))) throw refuse('tid');
  for (const name of ['client_id', 'scope', 'cid']) {
    if (typeof c[name] !== 'string') throw refuse(name);
  }
  const cnf = c['cnf'];
  if (typeof cnf !== 'object' || cnf === null || Array.isArray(cnf)) throw refuse('cnf');
  return c as unknown as IdentityEnvelopeClaims;
}

/** Verifies an attacker-controlled envelope (a request may arrive with a forged header). */
export function verifyIdentityEnvelope(
  jws: string,
  options: VerifyIdentityEnvelopeOptions,
): IdentityEnvelopeClaims {
  const { parsed, key } = parseEnvelope(jws, options);
  if (!verifyJwsSignature(key.alg, key.key, parsed.signingInput, parsed.signature)) {
    throw refuse('signature');
  }
  return checkClaims(parsed.payload, options);
}

/**
 * `verifyIdentityEnvelope` with the signature checked on libuv's thread pool: the same checks in
 * the same order (nothing in the payload is looked at before the signature verifies), for the
 * request path of upstream services, whose event loop then never waits on the curve arithmetic.
 */
export async function verifyIdentityEnvelopeOffThread(
  jws: string,
  options: VerifyIdentityEnvelopeOptions,
): Promise<IdentityEnvelopeClaims> {
  const { parsed, key } = parseEnvelope(jws, options);
  if (
    !(await verifyJwsSignatureOffThread(key.alg, key.key, parsed.signingInput, parsed.signature))
  ) {
    throw refuse('signature');
  }
  return checkClaims(parsed.payload, options);
}
