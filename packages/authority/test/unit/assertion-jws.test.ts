/**
 * `assertion-jws.ts`: the strict parser of attacker-controlled client assertions and signature
 * verification against the registered keys (assertions signed here with `jose`, an independent
 * implementation). Negative cases by name, plus fast-check properties: arbitrary text only ever
 * fails with `AssertionFormatError`, any tampered signature or signing input never verifies, and
 * the thread-pool verifier answers exactly as the synchronous one.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import fc from 'fast-check';
import { SignJWT, exportJWK } from 'jose';
import {
  AssertionFormatError,
  createClientKeyCache,
  importClientKeys,
  parseAssertionJws,
  verifyAssertionSignature,
  verifyAssertionSignatureOffThread,
} from '../../src/client-auth/assertion-jws.ts';
import type { ClientRecord } from '../../src/client-registry.ts';

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
const es = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const ed = generateKeyPairSync('ed25519');
const other = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const esJwk = { ...(await exportJWK(es.publicKey)), kid: 'es', alg: 'ES256', use: 'sig' };
const edJwk = { ...(await exportJWK(ed.publicKey)), kid: 'ed' };
const keys = importClientKeys({ keys: [esJwk, edJwk] });

const claims = { iss: 'c', sub: 'c', aud: 'https://as', jti: 'j', exp: 2_000_000_000 };
const signEs = (header: Record<string, unknown> = {}) =>
  new SignJWT(claims)
    .setProtectedHeader({ alg: 'ES256', kid: 'es', ...header })
    .sign(es.privateKey);
const good = await signEs();
const goodEd = await new SignJWT(claims).setProtectedHeader({ alg: 'EdDSA' }).sign(ed.privateKey);

const parse = (text: string) => parseAssertionJws(text, 8192);
const refused = (text: string) =>
  assert.throws(() => parse(text), AssertionFormatError, `should refuse ${text.slice(0, 40)}`);

describe('client assertion JWS', () => {
  test('a registered ES256 key (by kid) and an EdDSA key (no kid) verify', () => {
    assert.equal(verifyAssertionSignature(parse(good), keys), true);
    assert.equal(verifyAssertionSignature(parse(goodEd), keys), true);
    assert.deepEqual(parse(good).claims, claims);
  });

  test('named negatives are refused before any verification', () => {
    const [h, p, s] = good.split('.') as [string, string, string];
    refused(`${b64({ alg: 'none' })}.${p}.`);
    refused(`${b64({ alg: 'none' })}.${p}.${s}`);
    refused(`${b64({ alg: 'HS256' })}.${p}.${s}`);
    refused(`${b64({ alg: 'ES256', crit: ['b64'], b64: false })}.${p}.${s}`);
    refused(`${b64({ alg: 'ES256', kid: 7 })}.${p}.${s}`);
    refused(`${h}.${p}`); // two segments
    refused(`${h}.${p}.${s}.${s}`); // JWE-like / extra segment
    refused(`${h}.${Buffer.from('{"iss":"a","iss":"b"}').toString('base64url')}.${s}`); // dup
    refused(`${h}.${Buffer.from('[1]').toString('base64url')}.${s}`);
    refused(`${h}.${Buffer.from([0xff, 0xfe]).toString('base64url')}.${s}`); // not UTF-8
    refused(`${h}.${p}.${s}`.padEnd(9000, 'A')); // oversized
  });

  test('wrong key, unknown kid, DER signature and alg/key mismatch do not verify', async () => {
    const byOther = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'ES256', kid: 'es' })
      .sign(other.privateKey);
    assert.equal(verifyAssertionSignature(parse(byOther), keys), false);
    assert.equal(verifyAssertionSignature(parse(await signEs({ kid: 'nope' })), keys), false);
    const [h, p] = good.split('.') as [string, string];
    const der = Buffer.alloc(70, 1).toString('base64url');
    assert.equal(verifyAssertionSignature(parse(`${h}.${p}.${der}`), keys), false);
    // EdDSA header over the ES256 signature: the Ed25519 key never verifies it.
    const edHeader = b64({ alg: 'EdDSA', kid: 'es' });
    assert.equal(
      verifyAssertionSignature(parse(`${edHeader}.${p}.${good.split('.')[2]}`), keys),
      false,
    );
  });

  test('registered members that are private, off-use or off-alg are never used', () => {
    const imported = importClientKeys({
      keys: [
        { ...esJwk, d: 'AAAA' },
        { ...esJwk, use: 'enc' },
        { ...esJwk, alg: 'EdDSA' },
        { ...esJwk, key_ops: ['sign'] },
        { kty: 'oct', k: 'AAAA' },
      ],
    });
    assert.deepEqual(imported, []);
  });

  test('the key cache follows the registered JWKS (a rotated key set is imported anew)', async () => {
    const keysFor = createClientKeyCache();
    const record = (jwks: { keys: Record<string, unknown>[] }) =>
      ({ id: 'c', authMethod: 'private_key_jwt', jwks }) as unknown as ClientRecord;
    const before = record({ keys: [esJwk] });
    assert.equal(verifyAssertionSignature(parse(good), keysFor(before)), true);
    assert.equal(keysFor(record({ keys: [esJwk] })), keysFor(before), 'same text, same import');
    const rotatedJwk = { ...(await exportJWK(other.publicKey)), kid: 'es2', alg: 'ES256' };
    const rotated = record({ keys: [rotatedJwk] });
    const byRotated = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'ES256', kid: 'es2' })
      .sign(other.privateKey);
    assert.equal(verifyAssertionSignature(parse(byRotated), keysFor(rotated)), true);
    assert.equal(verifyAssertionSignature(parse(good), keysFor(rotated)), false);
  });

  test('property: arbitrary text either parses or fails with AssertionFormatError', () => {
    const segment = fc.string({ unit: fc.constantFrom(...'AZaz09-_.=+/ {}"'.split('')) });
    fc.assert(
      fc.property(fc.oneof(fc.string(), segment), (text) => {
        try {
          parse(text);
        } catch (error) {
          assert.ok(error instanceof AssertionFormatError);
        }
      }),
      { numRuns: 2000 },
    );
  });

  test('property: any single-character change to a valid assertion never verifies', () => {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    fc.assert(
      fc.property(
        fc.nat({ max: good.length - 1 }),
        fc.constantFrom(...alphabet.split('')),
        (index, char) => {
          if (good[index] === '.' || good[index] === char) return;
          const tampered = `${good.slice(0, index)}${char}${good.slice(index + 1)}`;
          let parsed;
          try {
            parsed = parse(tampered);
          } catch {
            return; // refused by the parser: fine
          }
          // Same signing input and same decoded signature bytes (only unused padding bits of
          // the last character changed) is the same JWS; everything else must fail.
          const sameInput = Buffer.compare(parsed.signingInput, parse(good).signingInput) === 0;
          if (sameInput && Buffer.compare(parsed.signature, parse(good).signature) === 0) return;
          assert.equal(verifyAssertionSignature(parsed, keys), false);
        },
      ),
      { numRuns: 500 },
    );
  });

  test('property: the thread-pool verifier gives the synchronous answer on every mutation', async () => {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const unknownKid = await signEs({ kid: 'nope' });
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(good, goodEd, unknownKid),
        fc.nat({ max: 400 }),
        fc.constantFrom(...alphabet.split('')),
        fc.boolean(),
        async (base, at, char, mutate) => {
          const index = at % base.length;
          const text =
            mutate && base[index] !== '.'
              ? `${base.slice(0, index)}${char}${base.slice(index + 1)}`
              : base;
          let parsed;
          try {
            parsed = parse(text);
          } catch {
            return;
          }
          assert.equal(
            await verifyAssertionSignatureOffThread(parsed, keys),
            verifyAssertionSignature(parsed, keys),
          );
        },
      ),
      { numRuns: 300 },
    );
    // Both verifiers accept the untouched assertions (the property is not vacuous).
    assert.equal(await verifyAssertionSignatureOffThread(parse(good), keys), true);
    assert.equal(await verifyAssertionSignatureOffThread(parse(goodEd), keys), true);
  });
});
