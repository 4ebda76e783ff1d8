import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseWwwAuthenticate } from '../src/www-authenticate.ts';

describe('parseWwwAuthenticate', () => {
  it('parses a distribution token challenge (RFC 6750 §3)', () => {
    const c = parseWwwAuthenticate(
      'Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull"',
    );
    assert.equal(c?.scheme, 'bearer');
    assert.equal(c?.params['realm'], 'https://auth.example/token');
    assert.equal(c?.params['service'], 'registry.example');
    assert.equal(c?.params['scope'], 'repository:a/b:pull');
  });

  it('handles quoted-pairs, token values and OWS around "=" and ","', () => {
    const c = parseWwwAuthenticate('Bearer realm = "a\\"b" ,  error=invalid_token');
    assert.equal(c?.params['realm'], 'a"b');
    assert.equal(c?.params['error'], 'invalid_token');
  });

  for (const bad of [
    '',
    ' Bearer realm="x"',
    'Bearer realm="x',
    'Bearer realm="x" service="y"',
    'Bearer realm="x",realm="y"',
    'Bearer realm=',
    'Bearer ,',
    `Bearer realm="${'x'.repeat(5000)}"`,
    'Bearer realm="a\u0001b"',
  ]) {
    it(`refuses ${JSON.stringify(bad.slice(0, 40))}`, () => {
      assert.equal(parseWwwAuthenticate(bad), undefined);
    });
  }

  it('property: never throws; formatted challenges round-trip', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (text) => {
        parseWwwAuthenticate(text);
      }),
      { numRuns: 1000 },
    );
    const name = fc.stringMatching(/^[a-z][a-z0-9_]{0,10}$/);
    const value = fc.string({ maxLength: 30 }).filter((v) => !/\p{Cc}/u.test(v));
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.tuple(name, value), { selector: (t) => t[0], maxLength: 5 }),
        (params) => {
          const header =
            params.length === 0
              ? 'Bearer'
              : `Bearer ${params.map(([k, v]) => `${k}="${v.replace(/["\\]/g, (c) => `\\${c}`)}"`).join(', ')}`;
          const parsed = parseWwwAuthenticate(header);
          assert.ok(parsed !== undefined);
          assert.deepEqual({ ...parsed.params }, Object.fromEntries(params));
        },
      ),
      { numRuns: 500 },
    );
  });
});
