/**
 * A bounded cache of access tokens whose signature and static claims were already verified
 * (the gateway sees the same token on every request a client makes during its ≤ 300 s life).
 * The bytes of a token cannot change, so a hit skips only the signature and claim-syntax work;
 * what can change is re-checked on every hit: expiry (an entry never outlives `exp`) and
 * revocation (fail closed on stale data, as the inner verifier does). An entry lives at most
 * `maxAgeMs`, so a signing key withdrawn from the JWKS stops being honoured within that time.
 * Keys are SHA-256 digests of the token; the token itself is never stored.
 */
import { createHash } from 'node:crypto';
import type { Clock } from '@stella/core';
import { AuthError } from '@stella/auth';
import type { AccessTokenClaims, AccessTokenVerifier, RevocationChecker } from '@stella/auth';

export interface TokenCacheOptions {
  readonly clock: Clock;
  readonly revocations?: RevocationChecker;
  /** Longest time an entry is trusted, ms (default 30 000; 0 disables the cache). */
  readonly maxAgeMs?: number;
  /** Bound on entries (default 10 000); the oldest is dropped first. */
  readonly maxEntries?: number;
}

export function createCachedAccessTokenVerifier(
  inner: AccessTokenVerifier,
  options: TokenCacheOptions,
): AccessTokenVerifier {
  const maxAgeMs = options.maxAgeMs ?? 30_000;
  const maxEntries = options.maxEntries ?? 10_000;
  if (maxAgeMs === 0) return inner;
  const entries = new Map<string, { claims: AccessTokenClaims; expiresAt: number }>();
  return {
    async verify(token) {
      const key = createHash('sha256').update(token).digest('base64url');
      const now = options.clock.now();
      const hit = entries.get(key);
      if (hit !== undefined && hit.expiresAt > now) {
        if (options.revocations !== undefined) {
          options.revocations.assertFresh();
          if (options.revocations.isRevoked(hit.claims)) {
            entries.delete(key);
            throw new AuthError('invalid_token', { detail: 'revoked' });
          }
        }
        return hit.claims;
      }
      entries.delete(key);
      const claims = await inner.verify(token);
      entries.set(key, { claims, expiresAt: Math.min(now + maxAgeMs, claims.exp * 1000) });
      if (entries.size > maxEntries) {
        const oldest = entries.keys().next().value;
        if (oldest !== undefined) entries.delete(oldest);
      }
      return claims;
    },
  };
}
