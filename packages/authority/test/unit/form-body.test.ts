import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseFormBody, resolveAuthorityConfig } from '@stella/authority';
import { isStellaError } from '@stella/core';

const enc = (s: string) => new TextEncoder().encode(s);

test('round-trips URLSearchParams output for unique names', () => {
  fc.assert(
    fc.property(
      fc.dictionary(
        fc.stringMatching(/^[a-z_]{1,12}$/),
        fc
          .string({ maxLength: 40 })
          .filter((v) => ![...v].some((c) => c.charCodeAt(0) < 0x20 || c === '\x7f')),
        { maxKeys: 10 },
      ),
      (params) => {
        const parsed = parseFormBody(enc(new URLSearchParams(params).toString()));
        assert.deepEqual(Object.entries(parsed).sort(), Object.entries(params).sort());
      },
    ),
  );
});

test('arbitrary bytes either parse or fail with invalid_request, never anything else', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
      try {
        parseFormBody(bytes);
      } catch (error) {
        assert.ok(isStellaError(error) && error.code === 'invalid_request');
      }
    }),
  );
});

test('decoding matches the WHATWG URLSearchParams reference for any value (fast path included)', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'grapheme', maxLength: 60 }), fc.boolean(), (value, raw) => {
      // Either the value as-is (no `%`: the fast path, `+` still a space) or fully encoded.
      const body = raw
        ? `v=${value.replace(/[%&=]/g, '')}`
        : new URLSearchParams({ v: value }).toString();
      // eslint-disable-next-line no-control-regex -- the parser refuses control characters
      fc.pre(!/[\x00-\x1f\x7f]/.test(new URLSearchParams(body).get('v') ?? ''));
      assert.equal(parseFormBody(enc(body))['v'], new URLSearchParams(body).get('v'));
    }),
  );
  assert.equal(parseFormBody(enc('a=x+y%2Bz&b=eyJ.ab-_'))['a'], 'x y+z');
  assert.equal(parseFormBody(enc('a=x+y%2Bz&b=eyJ.ab-_'))['b'], 'eyJ.ab-_');
});

test('named negatives: repeated, non-UTF-8, bad escape, control char, bad name', () => {
  for (const body of ['a=1&a=2', 'x=%zz', 'x=%0A', '%3C%3E=1', 'x=%E0%A4%A']) {
    assert.throws(() => parseFormBody(enc(body)), { code: 'invalid_request' });
  }
  assert.throws(() => parseFormBody(new Uint8Array([0x61, 0x3d, 0xff])), {
    code: 'invalid_request',
  });
});

test('config: lifetime above the 300 s cap and unknown keys refuse to load', () => {
  assert.equal(resolveAuthorityConfig().accessTokenLifetimeSeconds, 120);
  assert.throws(() => resolveAuthorityConfig({ accessTokenLifetimeSeconds: 301 }), {
    code: 'invalid_config',
  });
  assert.throws(() => resolveAuthorityConfig({ nope: 1 } as never), { code: 'invalid_config' });
  assert.throws(() => resolveAuthorityConfig({ issuer: 'http://example.com' }), {
    code: 'invalid_config',
  });
  assert.ok(Object.isFrozen(resolveAuthorityConfig().tokenClientLimit));
});
