import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { manualClock } from '@stella/core';
import { AuthError } from '@stella/auth';
import type { AccessTokenClaims, AccessTokenVerifier, RevocationChecker } from '@stella/auth';
import { createCachedAccessTokenVerifier } from '../src/token-cache.ts';

const claims = (exp: number): AccessTokenClaims => ({
  iss: 'i',
  sub: 'c',
  client_id: 'c',
  aud: 'signer',
  iat: exp - 120,
  exp,
  jti: 'j',
  scope: ['signer:sign'],
  tid: 't',
});

function counting(
  result: (token: string) => AccessTokenClaims,
): AccessTokenVerifier & { calls: number } {
  const v = {
    calls: 0,
    verify: async (token: string) => {
      v.calls += 1;
      return result(token);
    },
  };
  return v;
}

describe('verified-token cache', () => {
  test('a repeated token is verified once within maxAge', async () => {
    const clock = manualClock(1_000_000_000);
    const inner = counting(() => claims(1_000_000 + 120));
    const cached = createCachedAccessTokenVerifier(inner, { clock, maxAgeMs: 30_000 });
    await cached.verify('a');
    await cached.verify('a');
    assert.equal(inner.calls, 1);
    await cached.verify('b');
    assert.equal(inner.calls, 2);
    clock.advance(30_001);
    await cached.verify('a');
    assert.equal(inner.calls, 3, 'maxAge bounds trust in a cached entry');
  });

  test('an entry never outlives the token exp: the inner verifier decides again', async () => {
    const clock = manualClock(1_000_000_000);
    let expired = false;
    const inner = counting(() => {
      if (expired) throw new AuthError('invalid_token', { detail: 'exp' });
      return claims(1_000_000 + 5);
    });
    const cached = createCachedAccessTokenVerifier(inner, { clock });
    await cached.verify('a');
    clock.advance(5_000);
    expired = true;
    await assert.rejects(
      cached.verify('a'),
      (e: unknown) => e instanceof AuthError && e.code === 'invalid_token',
    );
  });

  test('revocation and staleness are checked on every hit (fail closed)', async () => {
    const clock = manualClock(1_000_000_000);
    let revoked = false;
    let stale = false;
    const revocations: RevocationChecker = {
      assertFresh: () => {
        if (stale) throw new AuthError('revocations_stale');
      },
      isRevoked: () => revoked,
    };
    const cached = createCachedAccessTokenVerifier(
      counting(() => claims(1_000_000 + 120)),
      { clock, revocations },
    );
    await cached.verify('a');
    stale = true;
    await assert.rejects(
      cached.verify('a'),
      (e: unknown) => e instanceof AuthError && e.code === 'revocations_stale',
    );
    stale = false;
    revoked = true;
    await assert.rejects(
      cached.verify('a'),
      (e: unknown) => e instanceof AuthError && e.code === 'invalid_token',
    );
  });

  test('failures are never cached; maxAge 0 disables the cache', async () => {
    const clock = manualClock(1_000_000_000);
    const inner = counting(() => {
      throw new AuthError('invalid_token');
    });
    const cached = createCachedAccessTokenVerifier(inner, { clock });
    await assert.rejects(cached.verify('a'));
    await assert.rejects(cached.verify('a'));
    assert.equal(inner.calls, 2);
    const ok = counting(() => claims(1_000_000 + 120));
    const off = createCachedAccessTokenVerifier(ok, { clock, maxAgeMs: 0 });
    await off.verify('a');
    await off.verify('a');
    assert.equal(ok.calls, 2);
  });

  test('the cache is bounded', async () => {
    const clock = manualClock(1_000_000_000);
    const inner = counting(() => claims(1_000_000 + 120));
    const cached = createCachedAccessTokenVerifier(inner, { clock, maxEntries: 2 });
    for (const t of ['a', 'b', 'c', 'a']) await cached.verify(t);
    assert.equal(inner.calls, 4, 'a was evicted when c arrived');
  });
});
