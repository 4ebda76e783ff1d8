import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  AUDIT_GENESIS,
  auditChainHash,
  auditChainHashOfCanonical,
  verifyAuditChain,
} from '../src/audit-chain.ts';
import type { AuditChainRecord } from '../src/audit-chain.ts';
import { canonicalize, canonicalizeToString } from '../src/canonical-json.ts';
import { isStellaError } from '../src/errors.ts';
import type { AuditEvent } from '../src/ports.ts';

function event(n: number): AuditEvent {
  return {
    type: 'authority.token.issued',
    occurredAt: `2025-01-01T00:00:0${n % 10}Z`,
    correlationId: `corr-${n}-abcdef`,
    outcome: 'success',
    tenant: 'acme',
    actor: { clientId: 'ci-runner' },
    scopes: ['signer:sign'],
    properties: { n, ok: true, none: null },
  };
}

function chain(length: number): AuditChainRecord[] {
  const out: AuditChainRecord[] = [];
  let prev = AUDIT_GENESIS;
  for (let seq = 1; seq <= length; seq += 1) {
    const e = event(seq);
    const hash = auditChainHash(prev, e);
    out.push({ seq, hash, prevHash: prev, event: e });
    prev = hash;
  }
  return out;
}

describe('audit chain (PLATFORM.md §7)', () => {
  it('has a 64-zero genesis', () => assert.equal(AUDIT_GENESIS, '0'.repeat(64)));

  it('hashes SHA-256(raw prevHash ‖ JCS(event)) as lowercase hex', () => {
    const e = event(1);
    const expected = createHash('sha256')
      .update(Buffer.alloc(32))
      .update(canonicalize(e))
      .digest('hex');
    assert.equal(auditChainHash(AUDIT_GENESIS, e), expected);
    // Key order of the event object does not matter (JCS).
    const reordered = Object.fromEntries(Object.entries(e).reverse()) as unknown as AuditEvent;
    assert.equal(auditChainHash(AUDIT_GENESIS, reordered), expected);
  });

  it('refuses a malformed prevHash', () => {
    for (const bad of ['', 'AB'.repeat(32), '0'.repeat(63), `sha256:${'0'.repeat(64)}`]) {
      assert.throws(
        () => auditChainHash(bad, event(1)),
        (error: unknown) => isStellaError(error) && error.code === 'invalid_digest',
      );
    }
  });

  it('verifies an intact chain and reports its head', () => {
    const records = chain(5);
    assert.deepEqual(verifyAuditChain(records), { ok: true, count: 5, head: records[4]!.hash });
    assert.deepEqual(verifyAuditChain([]), { ok: true, count: 0, head: AUDIT_GENESIS });
  });

  it('detects a gap, a reorder and a restart', () => {
    const records = chain(4);
    assert.deepEqual(verifyAuditChain([records[0]!, records[2]!]), {
      ok: false,
      seq: 2,
      reason: 'seq_gap',
    });
    assert.deepEqual(verifyAuditChain(records.slice(1)), { ok: false, seq: 1, reason: 'seq_gap' });
    const dropped = [records[0]!, { ...records[2]!, seq: 2 }];
    assert.deepEqual(verifyAuditChain(dropped), {
      ok: false,
      seq: 2,
      reason: 'prev_hash_mismatch',
    });
  });

  it('detects tampering with any event field', () => {
    const mutations: ((e: AuditEvent) => AuditEvent)[] = [
      (e) => ({ ...e, type: 'authority.token.revoked' }),
      (e) => ({ ...e, occurredAt: '2030-01-01T00:00:00Z' }),
      (e) => ({ ...e, correlationId: 'other-correlation' }),
      (e) => ({ ...e, outcome: 'failure' }),
      (e) => ({ ...e, reason: 'added' }),
      (e) => ({ ...e, tenant: 'evil' }),
      (e) => ({ ...e, actor: { clientId: 'someone-else' } }),
      (e) => ({ ...e, scopes: ['authority:admin'] }),
      (e) => ({ ...e, network: { address: '10.0.0.1' } }),
      (e) => ({ ...e, properties: { n: 999, ok: true, none: null } }),
    ];
    for (const mutate of mutations) {
      const records = chain(3);
      records[1] = { ...records[1]!, event: mutate(records[1]!.event) };
      assert.deepEqual(verifyAuditChain(records), { ok: false, seq: 2, reason: 'hash_mismatch' });
    }
  });

  it('detects tampering with hash, prevHash and seq', () => {
    const records = chain(3);
    const flipped = records[1]!.hash.replace(/^./, (c) => (c === '0' ? '1' : '0'));
    const withHash = [records[0]!, { ...records[1]!, hash: flipped }, records[2]!];
    assert.deepEqual(verifyAuditChain(withHash), { ok: false, seq: 2, reason: 'hash_mismatch' });
    const withPrev = [records[0]!, { ...records[1]!, prevHash: AUDIT_GENESIS }, records[2]!];
    assert.deepEqual(verifyAuditChain(withPrev), {
      ok: false,
      seq: 2,
      reason: 'prev_hash_mismatch',
    });
    const upper = [{ ...records[0]!, hash: records[0]!.hash.toUpperCase() }];
    assert.deepEqual(verifyAuditChain(upper), { ok: false, seq: 1, reason: 'invalid_hash' });
    const unhashable = [{ ...records[0]!, event: { ...event(1), reason: undefined } }];
    assert.deepEqual(verifyAuditChain(unhashable as unknown as AuditChainRecord[]), {
      ok: false,
      seq: 1,
      reason: 'invalid_event',
    });
  });

  it('property: flipping any hex digit of any hash breaks the chain at that record', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 6 }), fc.nat(), fc.nat(63), (n, which, at) => {
        const records = chain(n);
        const index = which % n;
        const target = records[index]!;
        const digit = target.hash[at] === 'a' ? 'b' : 'a';
        const hash = target.hash.slice(0, at) + digit + target.hash.slice(at + 1);
        records[index] = { ...target, hash };
        const verdict = verifyAuditChain(records);
        assert.equal(verdict.ok, false);
        assert.ok(!verdict.ok && verdict.seq === index + 1 && verdict.reason === 'hash_mismatch');
      }),
    );
  });
});

describe('auditChainHashOfCanonical', () => {
  it('is auditChainHash over the stored canonical bytes or text (what the SQL sink writes)', () => {
    const event = {
      type: 'authority.token.issued',
      tenant: 'acme',
      correlationId: 'c-1',
      outcome: 'success',
      properties: { note: 'ünïcødé', n: 1 },
    } as AuditEvent;
    const expected = auditChainHash(AUDIT_GENESIS, event);
    assert.equal(auditChainHashOfCanonical(AUDIT_GENESIS, canonicalizeToString(event)), expected);
    assert.equal(auditChainHashOfCanonical(AUDIT_GENESIS, canonicalize(event)), expected);
    assert.throws(
      () => auditChainHashOfCanonical('not-hex', canonicalizeToString(event)),
      (e: unknown) => isStellaError(e) && e.code === 'invalid_digest',
    );
  });
});
