import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Agent } from 'undici';
import { isStellaError, manualClock, sequentialIds } from '@stella/core';
import { createSigningKey, generateSigningKey } from '@stella/crypto';
import { createMemoryKv } from '@stella/storage';
import { createHttpAttestorClient } from '../src/attestor-client.ts';
import { staticKeySource } from '../src/key-ring.ts';
import { sign } from '../src/sign-steps.ts';
import type { SignDeps } from '../src/sign-steps.ts';
import { hashStream } from '../src/stream-hash.ts';

const T0 = Date.parse('2026-03-01T00:00:00Z');

function deps(overrides: Partial<SignDeps>): SignDeps {
  const never = () => Promise.reject(new Error('not used'));
  return {
    kv: createMemoryKv(),
    quota: {
      defaults: { requestsPerMinute: 1, maxRequestBytes: 1, maxConcurrent: 1 },
      tenants: {},
      leaseMs: 1,
    },
    keys: staticKeySource([]),
    artifacts: {
      evidence: { read: never },
      registries: { fetchManifest: never },
      limits: { maxInlineBytes: 1, maxEvidenceBytes: 1, maxManifestBytes: 1 },
    },
    attestor: undefined,
    audit: { append: async () => {} },
    clock: manualClock(T0),
    ids: sequentialIds(),
    allowedPredicateTypes: new Set(),
    maxSubjects: 1,
    ...overrides,
  };
}

describe('sign step', () => {
  it('fails closed with key_unavailable when no key is valid now (expired or revoked)', async () => {
    const key = createSigningKey(generateSigningKey().privateKey);
    for (const entry of [
      { key, notBefore: T0 - 10, notAfter: T0 },
      { key, notBefore: T0 - 10, revokedAt: T0 - 1 },
      { key, notBefore: T0 + 1 },
    ]) {
      const ctx = { correlationId: 'c-00000001', payload: new Uint8Array([1]) };
      await assert.rejects(
        sign.run(ctx, deps({ keys: staticKeySource([entry]) })),
        (e) => isStellaError(e) && e.code === 'key_unavailable' && e.status === 503,
      );
      assert.equal((ctx as { envelope?: unknown }).envelope, undefined);
    }
  });
});

describe('attestor client', () => {
  it('maps an unreachable attestor to attestor_unavailable (502)', async () => {
    const client = createHttpAttestorClient({
      attestorUrl: 'https://127.0.0.1:1',
      dispatcher: new Agent(),
      tokens: { getToken: async () => 'token' },
      timeoutMs: 1000,
    });
    await assert.rejects(
      client.submit({
        tenant: 'acme',
        envelope: { payload: '', payloadType: 'x', signatures: [] },
        correlationId: 'c-00000001',
      }),
      (e) => isStellaError(e) && e.code === 'attestor_unavailable' && e.status === 502,
    );
  });

  it('maps a token failure to attestor_unavailable without calling out', async () => {
    const client = createHttpAttestorClient({
      attestorUrl: 'https://127.0.0.1:1',
      dispatcher: new Agent(),
      tokens: { getToken: () => Promise.reject(new Error('authority down')) },
      timeoutMs: 1000,
    });
    await assert.rejects(
      client.submit({
        tenant: 'acme',
        envelope: { payload: '', payloadType: 'x', signatures: [] },
        correlationId: 'c-00000001',
      }),
      (e) => isStellaError(e) && e.code === 'attestor_unavailable',
    );
  });
});

describe('hashStream', () => {
  async function* chunks(sizes: number[]) {
    for (const n of sizes) yield new Uint8Array(n).fill(0x61);
  }
  it('hashes across chunks and stops at the cap', async () => {
    const whole = await hashStream(chunks([3, 4]), 7);
    const one = await hashStream(chunks([7]), 7);
    assert.deepEqual(whole, one);
    assert.deepEqual(await hashStream(chunks([3, 4, 1]), 7), { ok: false, reason: 'too_large' });
  });
});
