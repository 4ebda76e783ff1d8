import { test } from 'node:test';
import assert from 'node:assert/strict';
import { verify } from 'node:crypto';
import fc from 'fast-check';
import {
  createSigningKey,
  createVerificationKey,
  generateSigningKey,
  pae,
  parseEnvelope,
  signEnvelope,
  verifyEnvelope,
} from '../src/index.ts';
import type { DsseEnvelope, SigningAlgorithm, VerificationKey } from '../src/index.ts';

const TYPE = 'http://example.com/HelloWorld';
const PAYLOAD = new TextEncoder().encode('hello world');

function keyPair(alg: SigningAlgorithm) {
  const { privateKey, publicKey } = generateSigningKey(alg);
  const signer = createSigningKey(privateKey);
  const verifier = createVerificationKey(publicKey);
  return { signer, verifier, publicKey };
}
const resolver =
  (...keys: VerificationKey[]) =>
  (keyid: string) =>
    keys.find((k) => k.keyid === keyid);

test('PAE matches the DSSE spec test vector byte for byte', () => {
  assert.equal(
    Buffer.from(pae(TYPE, PAYLOAD)).toString('latin1'),
    'DSSEv1 29 http://example.com/HelloWorld 11 hello world',
  );
  // LEN counts UTF-8 bytes, not UTF-16 code units.
  assert.equal(Buffer.from(pae('t/é', new Uint8Array(0))).toString('utf8'), 'DSSEv1 4 t/é 0 ');
});

for (const alg of ['EdDSA', 'ES256'] as SigningAlgorithm[]) {
  test(`${alg}: sign, independent node:crypto check over the PAE, verify`, async () => {
    const { signer, verifier, publicKey } = keyPair(alg);
    const envelope = await signEnvelope(TYPE, PAYLOAD, [signer]);
    assert.deepEqual(Object.keys(envelope), ['payload', 'payloadType', 'signatures']);
    assert.equal(envelope.payload, 'aGVsbG8gd29ybGQ=');
    const sig = Buffer.from(envelope.signatures[0]!.sig, 'base64');
    const message = Buffer.from(`DSSEv1 29 ${TYPE} 11 hello world`);
    const ok =
      alg === 'EdDSA'
        ? verify(null, message, publicKey, sig)
        : verify('sha256', message, publicKey, sig);
    assert.ok(ok, 'signature is over the PAE');
    const result = verifyEnvelope(envelope, resolver(verifier));
    assert.deepEqual(Buffer.from(result.payload).toString(), 'hello world');
    assert.equal(result.payloadType, TYPE);
    assert.deepEqual(result.keyids, [signer.keyid]);
  });
}

test('Ed25519 envelopes are deterministic', async () => {
  const { signer } = keyPair('EdDSA');
  assert.deepEqual(
    await signEnvelope(TYPE, PAYLOAD, [signer]),
    await signEnvelope(TYPE, PAYLOAD, [signer]),
  );
});

test('URL-safe base64 (padded or not) is accepted', async () => {
  const { signer, verifier } = keyPair('EdDSA');
  const env = await signEnvelope(TYPE, new Uint8Array([0xfb, 0xff, 0xfe]), [signer]);
  const urlSafe = (s: string) => Buffer.from(s, 'base64').toString('base64url');
  const variant = {
    ...env,
    payload: urlSafe(env.payload),
    signatures: [{ keyid: signer.keyid, sig: `${urlSafe(env.signatures[0]!.sig)}==` }],
  };
  assert.ok(variant.payload.includes('-') || variant.payload.includes('_'));
  assert.deepEqual(verifyEnvelope(variant, resolver(verifier)).keyids, [signer.keyid]);
});

test('negative envelopes', async (t) => {
  const { signer, verifier } = keyPair('EdDSA');
  const ec = keyPair('ES256');
  const good = await signEnvelope(TYPE, PAYLOAD, [signer]);
  const sig0 = good.signatures[0]!;
  const wrongAlg: VerificationKey = { ...ec.verifier, keyid: signer.keyid };
  const cases: [string, unknown, VerificationKey[], string][] = [
    ['payload-tampered', { ...good, payload: 'aGVsbG8gd29ybGQh' }, [verifier], 'invalid_signature'],
    [
      'type-tampered',
      { ...good, payloadType: 'http://example.com/Other' },
      [verifier],
      'invalid_signature',
    ],
    [
      'sig-tampered',
      // A different first character (the key is random: the signature may start with 'A').
      {
        ...good,
        signatures: [
          { ...sig0, sig: `${sig0.sig.startsWith('A') ? 'B' : 'A'}${sig0.sig.slice(1)}` },
        ],
      },
      [verifier],
      'invalid_signature',
    ],
    ['keyid-unknown', good, [ec.verifier], 'unknown_key'],
    ['alg-wrong', good, [wrongAlg], 'invalid_signature'],
    [
      'payload-bad-base64',
      { ...good, payload: 'aGVsbG8*d29ybGQ=' },
      [verifier],
      'invalid_envelope',
    ],
    [
      'payload-bad-padding',
      { ...good, payload: 'aGVsbG8gd29ybGQ' + '==' },
      [verifier],
      'invalid_envelope',
    ],
    [
      'payload-noncanonical',
      { ...good, payload: 'aGVsbG8gd29ybGR=' },
      [verifier],
      'invalid_envelope',
    ],
    [
      'sig-mixed-alphabets',
      { ...good, signatures: [{ ...sig0, sig: 'ab+c-d/_' }] },
      [verifier],
      'invalid_envelope',
    ],
    [
      'sig-whitespace',
      { ...good, signatures: [{ ...sig0, sig: ` ${sig0.sig}` }] },
      [verifier],
      'invalid_envelope',
    ],
    ['sig-empty', { ...good, signatures: [{ ...sig0, sig: '' }] }, [verifier], 'invalid_envelope'],
    ['signatures-empty', { ...good, signatures: [] }, [verifier], 'invalid_envelope'],
    [
      'signatures-missing',
      { payload: good.payload, payloadType: TYPE },
      [verifier],
      'invalid_envelope',
    ],
    [
      'signatures-too-many',
      {
        ...good,
        signatures: Array.from({ length: 17 }, (_, i) => ({ keyid: `${i}`, sig: sig0.sig })),
      },
      [verifier],
      'invalid_envelope',
    ],
    ['keyid-repeated', { ...good, signatures: [sig0, sig0] }, [verifier], 'invalid_envelope'],
    [
      'keyid-number',
      { ...good, signatures: [{ ...sig0, keyid: 1 }] },
      [verifier],
      'invalid_envelope',
    ],
    ['extra-field', { ...good, extra: 1 }, [verifier], 'invalid_envelope'],
    [
      'extra-signature-field',
      { ...good, signatures: [{ ...sig0, cert: 'x' }] },
      [verifier],
      'invalid_envelope',
    ],
    ['payloadType-empty', { ...good, payloadType: '' }, [verifier], 'invalid_envelope'],
    ['payloadType-control', { ...good, payloadType: 'a\nb' }, [verifier], 'invalid_envelope'],
    ['not-object', 'envelope', [verifier], 'invalid_envelope'],
  ];
  for (const [name, envelope, keys, code] of cases) {
    await t.test(name, () =>
      assert.throws(() => verifyEnvelope(envelope, resolver(...keys)), { code }),
    );
  }
});

test('payload size is bounded', async () => {
  const { signer, verifier } = keyPair('EdDSA');
  const env = await signEnvelope(TYPE, new Uint8Array(2000), [signer]);
  assert.throws(() => verifyEnvelope(env, resolver(verifier), { maxPayloadBytes: 1000 }), {
    code: 'invalid_envelope',
  });
});

test('an unknown co-signer is ignored; a known co-signer must verify', async () => {
  const a = keyPair('EdDSA');
  const b = keyPair('ES256');
  const env: DsseEnvelope = await signEnvelope(TYPE, PAYLOAD, [a.signer, b.signer]);
  assert.deepEqual(verifyEnvelope(env, resolver(a.verifier)).keyids, [a.signer.keyid]);
  assert.deepEqual(verifyEnvelope(env, resolver(a.verifier, b.verifier)).keyids, [
    a.signer.keyid,
    b.signer.keyid,
  ]);
});

test('property: parseEnvelope refuses garbage with a StellaError only', () => {
  fc.assert(
    fc.property(
      fc.record(
        {
          payload: fc.oneof(fc.base64String(), fc.string()),
          payloadType: fc.string(),
          signatures: fc.array(
            fc.record({ keyid: fc.string(), sig: fc.oneof(fc.base64String(), fc.string()) }),
            { maxLength: 3 },
          ),
          x: fc.anything(),
        },
        { requiredKeys: [] },
      ),
      (value) => {
        try {
          parseEnvelope(value);
        } catch (error) {
          assert.equal((error as Error).name, 'StellaError');
        }
      },
    ),
  );
});

test('property: a single-bit flip of payload or signature never verifies', async () => {
  const { signer, verifier } = keyPair('EdDSA');
  const env = await signEnvelope(TYPE, PAYLOAD, [signer]);
  const payload = Buffer.from(env.payload, 'base64');
  const sig = Buffer.from(env.signatures[0]!.sig, 'base64');
  fc.assert(
    fc.property(fc.boolean(), fc.nat(), (inPayload, bit) => {
      const target = Buffer.from(inPayload ? payload : sig);
      target[(bit >> 3) % target.length]! ^= 1 << (bit & 7);
      const mutated = inPayload
        ? { ...env, payload: target.toString('base64') }
        : { ...env, signatures: [{ keyid: signer.keyid, sig: target.toString('base64') }] };
      assert.throws(() => verifyEnvelope(mutated, resolver(verifier)), {
        code: 'invalid_signature',
      });
    }),
  );
});
