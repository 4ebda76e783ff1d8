import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { validateSchema } from '@stella/core';
import { assertSignerConfig, signerConfigSchema } from '../src/config-schema.ts';
import { signerDefaults } from '../src/defaults.ts';

const base = {
  trustDomain: 'stella.local',
  attestorUrl: 'https://attestor.internal:8443',
  authorityTokenUrl: 'https://authority.internal:8440/token',
  keyStatePath: '/var/lib/stella/signer/keys.json',
  tls: { key: 'file:/run/signer.key', cert: 'file:/run/signer.crt', ca: 'file:/run/ca.crt' },
};

describe('signer config', () => {
  it('applies documented defaults; the registry allow-list is empty (fail closed)', () => {
    const r = validateSchema(signerConfigSchema, base);
    assert.ok(r.ok);
    assert.deepEqual(r.value.registries, []);
    assert.deepEqual(r.value.allowedPredicateTypes, [...signerDefaults.allowedPredicateTypes]);
    assert.equal(r.value.maxInlineBytes, signerDefaults.maxInlineBytes);
  });

  it('refuses unknown keys, inline secrets and plain-http attestor URLs', () => {
    for (const bad of [
      { ...base, extra: true },
      { ...base, tls: { ...base.tls, key: '-----BEGIN PRIVATE KEY-----' } },
      { ...base, attestorUrl: 'http://attestor.internal' },
      { ...base, registries: [{ host: 'REG.example' }] },
    ]) {
      assert.equal(validateSchema(signerConfigSchema, bad).ok, false);
    }
  });

  it('allows http registries only on loopback', () => {
    const ok = validateSchema(signerConfigSchema, {
      ...base,
      registries: [{ host: '127.0.0.1:5000', scheme: 'http' }],
    });
    assert.ok(ok.ok);
    assertSignerConfig(ok.value);
    const bad = validateSchema(signerConfigSchema, {
      ...base,
      registries: [{ host: 'reg.example', scheme: 'http' }],
    });
    assert.ok(bad.ok);
    assert.throws(() => assertSignerConfig(bad.value), TypeError);
  });
});
