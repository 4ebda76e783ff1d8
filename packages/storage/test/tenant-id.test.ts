/**
 * Tenant ids reach `set_config('stella.tenant', …)` from tokens (attacker-influenced), so the
 * validator gets negative cases and a property test against a naive reference.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { PLATFORM_TENANT, assertTenantId, isTenantId } from '../src/index.ts';

/** Naive reference: the PLATFORM.md §2 rule spelled out character by character. */
function referenceIsTenantId(value: string): boolean {
  if (value === '_platform') return true;
  if (value.length < 1 || value.length > 63) return false;
  const alnum = (c: string) => (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
  return [...value].every((c, i) => alnum(c) || (i > 0 && c === '-'));
}

describe('tenant ids', () => {
  it('accepts well-formed ids and the reserved platform tenant', () => {
    for (const ok of ['acme', 'a', '0', 'acme-eu-1', 'a'.repeat(63), PLATFORM_TENANT]) {
      assert.equal(isTenantId(ok), true, ok);
    }
  });

  it('refuses malformed ids', () => {
    const bad = [
      '',
      'Acme',
      '-acme',
      'a'.repeat(64),
      'acme_eu',
      'acme eu',
      "acme'--",
      'acme\n',
      '_platformx',
      '_other',
      'ａcme',
      'acme/..',
    ];
    for (const value of bad) {
      assert.equal(isTenantId(value), false, JSON.stringify(value));
      assert.throws(() => assertTenantId(value), { code: 'invalid_tenant' });
    }
    for (const value of [undefined, null, 42, {}, ['acme']]) assert.equal(isTenantId(value), false);
  });

  it('property: agrees with the naive reference on arbitrary strings', () => {
    const alphabet = fc.constantFrom(..."abcz09-_A. '\u0000é".split(''));
    fc.assert(
      fc.property(
        fc.oneof(fc.string({ maxLength: 70 }), fc.string({ unit: alphabet, maxLength: 70 })),
        (value) => {
          assert.equal(isTenantId(value), referenceIsTenantId(value));
        },
      ),
      { numRuns: 2000 },
    );
  });
});
