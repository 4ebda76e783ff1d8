import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { manualClock } from '@stella/core';
import { createNonceIssuer } from '../src/index.ts';
import { equalFixedLengthText } from '../src/equal-text.ts';

test('equalFixedLengthText: equal only for identical strings', () => {
  const a = 'A'.repeat(43);
  assert.equal(equalFixedLengthText(a, a), true);
  assert.equal(equalFixedLengthText(a, `${'A'.repeat(42)}B`), false);
  assert.equal(equalFixedLengthText(a, 'A'.repeat(42)), false, 'shorter');
  assert.equal(equalFixedLengthText(a, 'A'.repeat(44)), false, 'longer');
  assert.equal(equalFixedLengthText('', ''), true);
  // Same UTF-16 length, different UTF-8 byte length: never throws, never equal.
  assert.equal(equalFixedLengthText('é', 'e'), false);
  fc.assert(
    fc.property(fc.string(), fc.string(), (x, y) => {
      assert.equal(equalFixedLengthText(x, y), x === y);
    }),
  );
});

test('nonce memo: every window, forward and back, matches the HMAC definition', () => {
  const secret = new Uint8Array(32).fill(9);
  const clock = manualClock(1_700_000_000_000);
  const issuer = createNonceIssuer({ secret, clock });
  const expected = (ms: number) => {
    const w = Buffer.alloc(8);
    w.writeBigUInt64BE(BigInt(Math.floor(ms / 60_000)));
    return createHmac('sha256', secret).update(w).digest('base64url');
  };
  const seen: string[] = [];
  for (const step of [0, 60_000, 60_000, 60_000, -180_000, 600_000]) {
    clock.advance(step);
    const now = clock.now();
    assert.equal(issuer.current(), expected(now));
    assert.equal(issuer.isValid(expected(now - 60_000)), true, 'previous window');
    assert.equal(issuer.isValid(expected(now - 120_000)), false, 'two windows back');
    assert.equal(issuer.isValid(expected(now + 60_000)), false, 'next window');
    seen.push(issuer.current());
  }
  assert.equal(new Set(seen).size, 5, 'the window repeated after going back gives the same nonce');
});
