import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { manualClock } from '@stella/core';
import { createNonceIssuer, createReplayCache } from '../src/index.ts';
import { memoryKv } from './helpers.ts';

const secret = new Uint8Array(32).fill(7);

test('nonce is b64url(HMAC-SHA256(secret, window as 8-byte BE))', () => {
  const clock = manualClock(1_700_000_000_000);
  const issuer = createNonceIssuer({ secret, clock });
  const window = Buffer.alloc(8);
  window.writeBigUInt64BE(BigInt(Math.floor(1_700_000_000_000 / 60_000)));
  assert.equal(issuer.current(), createHmac('sha256', secret).update(window).digest('base64url'));
});

test('nonce: current and previous windows accepted, older and foreign refused', () => {
  const clock = manualClock(1_700_000_000_000);
  const issuer = createNonceIssuer({ secret, clock });
  const other = createNonceIssuer({ secret: new Uint8Array(32).fill(8), clock });
  const nonce = issuer.current();
  assert.equal(issuer.isValid(nonce), true);
  assert.equal(other.isValid(nonce), false);
  clock.advance(60_000);
  assert.equal(issuer.isValid(nonce), true);
  clock.advance(60_000);
  assert.equal(issuer.isValid(nonce), false);
  // Replica-safe: a second issuer with the same secret agrees.
  assert.equal(createNonceIssuer({ secret, clock }).current(), issuer.current());
});

test('nonce: short secret refused; arbitrary strings never valid and never throw', () => {
  assert.throws(
    () => createNonceIssuer({ secret: new Uint8Array(31), clock: manualClock(0) }),
    TypeError,
  );
  const issuer = createNonceIssuer({ secret, clock: manualClock(5_000_000) });
  fc.assert(fc.property(fc.string(), (s) => s === issuer.current() || issuer.isValid(s) === false));
  // A non-canonical base64url spelling of the same MAC is refused (string comparison).
  const n = issuer.current();
  const last = n.at(-1) ?? 'A';
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  const sibling =
    alphabet[(alphabet.indexOf(last) & ~3) | ((alphabet.indexOf(last) + 1) & 3)] ?? 'A';
  assert.equal(issuer.isValid(n.slice(0, -1) + sibling), false);
});

test('replay cache: a (jti, htu) pair is accepted once per window', async () => {
  let now = 1_000;
  const kv = memoryKv(() => now);
  const cache = createReplayCache(kv, { prefix: `t-${process.pid}:`, windowMs: 60_000 });
  assert.equal(await cache.checkAndRemember('j1', 'https://a/x'), true);
  assert.equal(await cache.checkAndRemember('j1', 'https://a/x'), false);
  assert.equal(await cache.checkAndRemember('j1', 'https://a/y'), true);
  // Length-prefixed pairs: concatenation ambiguity does not collide.
  assert.equal(await cache.checkAndRemember('a', 'https://h/https://h/'), true);
  assert.equal(await cache.checkAndRemember('ahttps://h/', 'https://h/'), true);
  now += 60_001;
  assert.equal(await cache.checkAndRemember('j1', 'https://a/x'), true);
});

test('replay cache: concurrent presentations — exactly one wins', async () => {
  const cache = createReplayCache(memoryKv(), { prefix: 'c:', windowMs: 60_000 });
  const results = await Promise.all(
    Array.from({ length: 20 }, () => cache.checkAndRemember('j', 'https://a/')),
  );
  assert.equal(results.filter(Boolean).length, 1);
});

test('replay cache: a KV failure rejects (fail closed)', async () => {
  const kv = memoryKv();
  kv.failing = true;
  const cache = createReplayCache(kv, { prefix: 'f:', windowMs: 60_000 });
  await assert.rejects(cache.checkAndRemember('j', 'https://a/'), /kv down/);
  assert.throws(() => createReplayCache(kv, { prefix: 'f:', windowMs: 0 }), TypeError);
});
