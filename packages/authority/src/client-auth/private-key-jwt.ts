/**
 * `private_key_jwt` client authentication (RFC 7523 §2.2, §3; OpenID Connect Core §9). The
 * assertion is attacker-controlled: it is size-capped, verified against the client's registered
 * JWKS with an algorithm allow-list (ES256, EdDSA — never `none` or HMAC), and its `jti` is
 * remembered in the shared KV store until `exp` so a replayed assertion is refused on every
 * replica (RFC 7523 §3 (7)).
 */
import type { Clock, KeyValueStore } from '@stella/core';
import { epochSeconds, sha256Hex } from '@stella/core';
import { authorityError } from '../errors.ts';
import type { ClientRecord } from '../client-registry.ts';
import {
  AssertionFormatError,
  createClientKeyCache,
  parseAssertionJws,
  verifyAssertionSignatureOffThread,
} from './assertion-jws.ts';
import type { ParsedAssertion } from './assertion-jws.ts';

export const JWT_BEARER_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
const MAX_ASSERTION_LENGTH = 8192;

export interface PrivateKeyJwtOptions {
  readonly issuer: string;
  readonly clock: Clock;
  readonly kv: KeyValueStore;
  readonly maxAssertionLifetimeSeconds: number;
  readonly clockSkewSeconds: number;
}

function fail(detail: string): never {
  throw authorityError('invalid_client', { detail: `private_key_jwt: ${detail}` });
}

function parse(assertion: string): ParsedAssertion {
  try {
    return parseAssertionJws(assertion, MAX_ASSERTION_LENGTH);
  } catch (error) {
    if (error instanceof AssertionFormatError) return fail(error.message);
    throw error;
  }
}

/**
 * Parses an assertion once and names its client by the unverified `iss`/`sub` — only to look
 * the client up (never trusted: the verifier checks the signature and both claims again).
 */
export function parseClientAssertion(assertion: string): {
  clientId: string;
  parsed: ParsedAssertion;
} {
  const parsed = parse(assertion);
  const { claims } = parsed;
  if (typeof claims['iss'] !== 'string' || claims['iss'] !== claims['sub']) {
    fail('iss and sub differ');
  }
  return { clientId: claims['iss'], parsed };
}

const isTime = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

export function createPrivateKeyJwtVerifier(options: PrivateKeyJwtOptions) {
  const keysFor = createClientKeyCache();
  const skew = options.clockSkewSeconds;

  return async function verifyClientAssertion(
    client: ClientRecord,
    parsed: ParsedAssertion,
  ): Promise<{ jti: string }> {
    if (client.authMethod !== 'private_key_jwt' || client.jwks === undefined) {
      fail('client is not registered for private_key_jwt');
    }
    if (!(await verifyAssertionSignatureOffThread(parsed, keysFor(client))))
      fail('signature does not verify');
    const { claims } = parsed;
    const now = epochSeconds(options.clock);
    // RFC 7523 §3 (1), (2): iss and sub are the client id.
    if (claims['iss'] !== client.id || claims['sub'] !== client.id) fail('iss/sub');
    // RFC 7523 §3 (3): the audience is (or contains) the authorization server's issuer.
    const aud = claims['aud'];
    if (!(aud === options.issuer || (Array.isArray(aud) && aud.includes(options.issuer)))) {
      fail('aud');
    }
    // RFC 7523 §3 (4): exp required, not passed (RFC 7519 §4.1.4, with skew).
    const exp = claims['exp'];
    if (!isTime(exp)) fail('exp missing');
    if (exp <= now - skew) fail('expired');
    // RFC 7519 §4.1.5 / §4.1.6: nbf not in the future; iat, when present, a NumericDate.
    const nbf = claims['nbf'];
    if (nbf !== undefined && (!isTime(nbf) || nbf > now + skew)) fail('nbf');
    const iat = claims['iat'];
    if (iat !== undefined && !isTime(iat)) fail('iat');
    const jti = claims['jti'];
    if (typeof jti !== 'string' || jti.length === 0 || jti.length > 256) fail('bad jti');
    // RFC 7523 §3 (4) plus PLATFORM.md §2: exp at most 5 minutes ahead, so a stolen assertion is
    // short-lived and the replay entry below is bounded.
    if (exp > now + options.maxAssertionLifetimeSeconds) fail('exp too far ahead');
    const ttlMs = (exp - now + skew) * 1000;
    const key = `authority:assertion-jti:${sha256Hex(`${client.id}\n${jti}`)}`;
    // RFC 7523 §3 (7): single use on every replica (shared KV).
    if (!(await options.kv.setIfAbsent(key, '1', Math.max(ttlMs, 1000)))) fail('jti replayed');
    return { jti };
  };
}

export type ClientAssertionVerifier = ReturnType<typeof createPrivateKeyJwtVerifier>;
