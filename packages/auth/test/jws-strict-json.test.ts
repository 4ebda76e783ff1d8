import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sign } from 'node:crypto';
import fc from 'fast-check';
import { manualClock } from '@stella/core';
import { AuthError, createAccessTokenVerifier, createStaticJwks } from '../src/index.ts';
import { NOW, NOW_MS, b64u, testKey } from './helpers.ts';

// JOSE header and claims JSON go through core's strict I-JSON parser: duplicate member names
// (RFC 7515 §4, RFC 7519 §4), lone surrogates and out-of-range numbers are refused, where
// JSON.parse would silently keep the last duplicate (e.g. a second `aud` or `alg`).
const key = testKey('ES256');
const verifier = createAccessTokenVerifier({
  issuer: 'https://authority.example',
  audience: 'signer',
  jwks: createStaticJwks({ keys: [{ ...key.jwk, kid: 'k1' }] }),
  clock: manualClock(NOW_MS),
});
const header = '{"typ":"at+jwt","alg":"ES256","kid":"k1"}';
const body = (extra = '') =>
  `{"iss":"https://authority.example","sub":"ci","client_id":"ci","aud":"signer","iat":${NOW},` +
  `"exp":${NOW + 60},"jti":"j1","scope":"signer:sign","cnf":{"jkt":"${'A'.repeat(43)}"}${extra}}`;

/** Signs raw header/payload text, so duplicate members survive into the token. */
function rawToken(headerText: string, payloadText: string): string {
  const input = `${b64u(headerText)}.${b64u(payloadText)}`;
  const sig = sign('sha256', Buffer.from(input), {
    key: key.privateKey,
    dsaEncoding: 'ieee-p1363',
  });
  return `${input}.${b64u(sig)}`;
}

const malformed = (e: unknown) =>
  e instanceof AuthError && e.code === 'invalid_token' && /malformed/.test(e.detail ?? '');

test('the raw-text token is accepted when its JSON is well formed', async () => {
  assert.equal((await verifier.verify(rawToken(header, body()))).jti, 'j1');
});

test('duplicate member names in the claims or the header are refused', async () => {
  await assert.rejects(verifier.verify(rawToken(header, body(',"aud":"attestor"'))), malformed);
  await assert.rejects(verifier.verify(rawToken(header, body(',"jti":"j2"'))), malformed);
  await assert.rejects(
    verifier.verify(rawToken('{"typ":"at+jwt","alg":"ES256","kid":"k1","kid":"k2"}', body())),
    malformed,
  );
  const nested = body().replace('"cnf":{"jkt"', '"cnf":{"jkt":"x","jkt"');
  await assert.rejects(verifier.verify(rawToken(header, nested)), malformed);
});

test('lone surrogates and numbers outside the double range are refused', async () => {
  await assert.rejects(verifier.verify(rawToken(header, body(',"x":"\\ud800"'))), malformed);
  await assert.rejects(verifier.verify(rawToken(header, body(',"x":1e400'))), malformed);
});

test('property: any claims object with a repeated member name is refused', async () => {
  const name = fc.constantFrom('iss', 'aud', 'jti', 'scope', 'tid', 'sub', 'zz');
  const value = fc.oneof(fc.string(), fc.integer());
  await fc.assert(
    fc.asyncProperty(name, value, async (n, v) => {
      try {
        const member = `,"${n}":${JSON.stringify(v)}`;
        await verifier.verify(rawToken(header, body(`${member}${member}`)));
        return false;
      } catch (e) {
        return malformed(e);
      }
    }),
    { numRuns: 100 },
  );
});
