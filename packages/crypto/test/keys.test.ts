import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import {
  algorithmOf,
  createSigningKey,
  createVerificationKey,
  exportPublicJwk,
  generateSigningKey,
  importPrivateKey,
  importPublicJwk,
  importPublicKey,
  keyFingerprint,
  verifySignature,
} from '../src/index.ts';
import type { SigningAlgorithm } from '../src/index.ts';

const bytes = (text: string) => new TextEncoder().encode(text);

for (const alg of ['EdDSA', 'ES256'] as SigningAlgorithm[]) {
  test(`${alg}: PEM and JWK import round-trip to the same fingerprint and verify`, async () => {
    const { privateKey, publicKey } = generateSigningKey(alg);
    const pkcs8 = bytes(privateKey.export({ format: 'pem', type: 'pkcs8' }).toString());
    const spki = bytes(publicKey.export({ format: 'pem', type: 'spki' }).toString());
    const privateJwk = bytes(JSON.stringify(privateKey.export({ format: 'jwk' })));
    const publicJwk = bytes(JSON.stringify(exportPublicJwk(publicKey)));
    const fingerprint = keyFingerprint(publicKey);
    assert.match(fingerprint, /^[0-9a-f]{64}$/);
    assert.equal(
      fingerprint,
      createHash('sha256')
        .update(publicKey.export({ format: 'der', type: 'spki' }))
        .digest('hex'),
    );
    for (const material of [pkcs8, privateJwk]) {
      assert.equal(keyFingerprint(importPrivateKey(material)), fingerprint);
    }
    for (const material of [spki, publicJwk]) {
      assert.equal(keyFingerprint(importPublicKey(material)), fingerprint);
    }
    const signer = createSigningKey(importPrivateKey(pkcs8));
    assert.equal(signer.keyid, fingerprint);
    assert.equal(signer.alg, alg);
    assert.equal(algorithmOf(publicKey), alg);
    const sig = await signer.sign(bytes('hello'));
    const verifier = createVerificationKey(importPublicKey(spki));
    assert.ok(verifySignature(verifier, bytes('hello'), sig));
    assert.ok(!verifySignature(verifier, bytes('hellO'), sig));
    if (alg === 'ES256') assert.equal(sig[0], 0x30, 'ECDSA signatures are DER sequences');
    else assert.equal(sig.length, 64);
  });
}

test('threadPool signing: the same Ed25519 bytes, a valid ES256 signature, keyid kept', async () => {
  const ed = generateSigningKey('EdDSA').privateKey;
  const message = bytes('in-toto statement bytes');
  const onThread = createSigningKey(ed);
  const onPool = createSigningKey(ed, { threadPool: true });
  const pooled = onPool.sign(message);
  assert.ok(pooled instanceof Promise, 'signs asynchronously');
  assert.deepEqual(await pooled, await onThread.sign(message), 'Ed25519 is deterministic');
  assert.equal(onPool.keyid, onThread.keyid);
  assert.equal(createSigningKey(ed, { keyid: 'k1', threadPool: true }).keyid, 'k1');
  const ec = generateSigningKey('ES256');
  const sig = await createSigningKey(ec.privateKey, { threadPool: true }).sign(message);
  assert.ok(verifySignature(createVerificationKey(ec.publicKey), message, sig));
  assert.equal(sig[0], 0x30, 'DER, as on the calling thread');
});

test('wrong algorithm: an Ed25519 signature never verifies under a P-256 key', () => {
  const ed = createSigningKey(generateSigningKey('EdDSA').privateKey);
  const ec = createVerificationKey(generateSigningKey('ES256').publicKey);
  const sig = ed.sign(bytes('x')) as Uint8Array;
  assert.equal(verifySignature(ec, bytes('x'), sig), false);
  assert.equal(verifySignature({ ...ec, alg: 'EdDSA' }, bytes('x'), sig), false);
});

test('refuses unsupported or malformed key material without echoing it', async (t) => {
  const { generateKeyPairSync } = await import('node:crypto');
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' });
  const cases: [string, () => unknown, string][] = [
    [
      'rsa',
      () =>
        importPrivateKey(bytes(rsa.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString())),
      'unsupported_algorithm',
    ],
    [
      'p384',
      () =>
        importPublicKey(bytes(p384.publicKey.export({ format: 'pem', type: 'spki' }).toString())),
      'unsupported_algorithm',
    ],
    ['garbage', () => importPrivateKey(bytes('not a key SECRETVALUE')), 'invalid_key'],
    ['empty', () => importPrivateKey(new Uint8Array()), 'invalid_key'],
    [
      'sec1-pem',
      () =>
        importPrivateKey(bytes(p384.privateKey.export({ format: 'pem', type: 'sec1' }).toString())),
      'invalid_key',
    ],
    [
      'public-jwk-as-private',
      () =>
        importPrivateKey(bytes(JSON.stringify(exportPublicJwk(generateSigningKey().publicKey)))),
      'invalid_key',
    ],
    [
      'private-jwk-as-public',
      () =>
        importPublicKey(
          bytes(JSON.stringify(generateSigningKey().privateKey.export({ format: 'jwk' }))),
        ),
      'jwk_has_private_members',
    ],
    [
      'point-not-on-curve',
      () => importPublicJwk({ kty: 'EC', crv: 'P-256', x: 'A'.repeat(43), y: 'A'.repeat(43) }),
      'invalid_jwk',
    ],
    ['signing-with-public', () => createSigningKey(generateSigningKey().publicKey), 'invalid_key'],
  ];
  for (const [name, run, code] of cases) {
    await t.test(name, () =>
      assert.throws(run, (error: Error & { code?: string; detail?: string }) => {
        assert.equal(error.code, code);
        assert.ok(!`${error.message}${error.detail ?? ''}`.includes('SECRETVALUE'));
        return true;
      }),
    );
  }
});
