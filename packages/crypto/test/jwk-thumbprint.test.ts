import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  assertPublicJwk,
  calculateJwkThumbprint,
  exportPublicJwk,
  generateSigningKey,
} from '../src/index.ts';

// RFC 7638 §3.1 example RSA key.
const RFC7638_RSA = {
  kty: 'RSA',
  n: '0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw',
  e: 'AQAB',
  alg: 'RS256',
  kid: '2011-04-29',
};
// RFC 9449 §4.1 example proof key; thumbprint from RFC 9449 §6.1.
const RFC9449_EC = {
  kty: 'EC',
  x: 'l8tFrhx-34tV3hRICRDY9zCkDlpBhF42UQUfWVAWBFs',
  y: '9VE4jf_Ok_o64zbTTlcuNJajHmt6v9TDVrU0CdvGRDA',
  crv: 'P-256',
};

test('RFC 7638 §3.1 RSA example thumbprint', () => {
  assert.equal(calculateJwkThumbprint(RFC7638_RSA), 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs');
});

test('RFC 9449 §6.1 EC P-256 example thumbprint (member order and extras do not matter)', () => {
  assert.equal(calculateJwkThumbprint(RFC9449_EC), '0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I');
  const reordered = { crv: 'P-256', y: RFC9449_EC.y, use: 'sig', x: RFC9449_EC.x, kty: 'EC' };
  assert.equal(calculateJwkThumbprint(reordered), '0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I');
});

test('Ed25519 thumbprints hash {"crv","kty","x"} only', () => {
  const jwk = exportPublicJwk(generateSigningKey('EdDSA').publicKey);
  assert.equal(jwk.kty, 'OKP');
  assert.match(calculateJwkThumbprint({ ...jwk, kid: 'ignored' }), /^[A-Za-z0-9_-]{43}$/);
});

test('negative JWKs', async (t) => {
  const cases: [string, unknown, string][] = [
    ['jwk-has-d', { ...RFC9449_EC, d: 'AAAA' }, 'jwk_has_private_members'],
    ['rsa-has-p', { ...RFC7638_RSA, p: 'AAAA' }, 'jwk_has_private_members'],
    ['oct-key', { kty: 'oct', k: 'AAAA' }, 'jwk_has_private_members'],
    ['kty-unknown', { kty: 'XYZ' }, 'unsupported_algorithm'],
    ['crv-p384', { ...RFC9449_EC, crv: 'P-384' }, 'unsupported_algorithm'],
    ['crv-x25519', { kty: 'OKP', crv: 'X25519', x: RFC9449_EC.x }, 'unsupported_algorithm'],
    ['x-missing', { kty: 'EC', crv: 'P-256', y: RFC9449_EC.y }, 'invalid_jwk'],
    ['x-short', { ...RFC9449_EC, x: 'AAAA' }, 'invalid_jwk'],
    ['x-padded', { ...RFC9449_EC, x: `${RFC9449_EC.x}=` }, 'invalid_jwk'],
    ['x-std-alphabet', { ...RFC9449_EC, x: RFC9449_EC.x.replace('-', '+') }, 'invalid_jwk'],
    ['x-number', { ...RFC9449_EC, x: 5 }, 'invalid_jwk'],
    ['array', [RFC9449_EC], 'invalid_jwk'],
    ['null', null, 'invalid_jwk'],
  ];
  for (const [name, jwk, code] of cases) {
    await t.test(name, () => assert.throws(() => calculateJwkThumbprint(jwk), { code }));
  }
});

test('property: arbitrary objects are either a public JWK or refused with a StellaError', () => {
  fc.assert(
    fc.property(
      fc.record(
        {
          kty: fc.constantFrom('EC', 'OKP', 'RSA', 'oct'),
          crv: fc.string(),
          x: fc.string(),
          y: fc.string(),
          n: fc.string(),
          e: fc.string(),
          d: fc.string(),
        },
        { requiredKeys: [] },
      ),
      (jwk) => {
        try {
          assertPublicJwk(jwk);
          assert.ok(!('d' in jwk));
        } catch (error) {
          assert.equal((error as Error).name, 'StellaError');
        }
      },
    ),
  );
});
