import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import fc from 'fast-check';
import { CompactSign } from 'jose';
import type { JWK } from 'jose';
import { AUDIT_GENESIS, auditChainHash, canonicalizeToString } from '@stella/core';
import type { AuditEvent } from '@stella/core';
import { verifyAuditExport, parseAuditRecordLine } from '../../src/client/audit-verify.ts';
import { exportAudit } from '../../src/client/audit-export.ts';
import { tempDir } from './helpers.ts';

const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const jwks = {
  keys: [{ ...(publicKey.export({ format: 'jwk' }) as JWK), kid: 'k1', alg: 'ES256', use: 'sig' }],
};
const other = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const otherJwks = {
  keys: [{ ...(other.publicKey.export({ format: 'jwk' }) as JWK), kid: 'k1', alg: 'ES256' }],
};

function chain(n: number, tenant = 'acme') {
  const records = [];
  let prev = AUDIT_GENESIS;
  for (let seq = 1; seq <= n; seq += 1) {
    const event: AuditEvent = {
      type: 'authority.token.issued',
      occurredAt: new Date(Date.UTC(2025, 0, 1, 0, 0, seq)).toISOString(),
      correlationId: `c-${seq}`,
      outcome: 'success',
      tenant,
    };
    const hash = auditChainHash(prev, event);
    records.push({ seq, hash, prevHash: prev, event });
    prev = hash;
  }
  return records;
}

async function attest(claims: object, typ = 'stella-audit-head+jwt', key = privateKey) {
  return new CompactSign(new TextEncoder().encode(JSON.stringify(claims)))
    .setProtectedHeader({ alg: 'ES256', kid: 'k1', typ })
    .sign(key);
}

async function exportOf(
  n: number,
  from = 1,
  mutate: (m: Record<string, unknown>) => void = () => {},
) {
  const all = chain(n);
  const records = all.slice(from - 1);
  const events = records.map((r) => `${canonicalizeToString(r)}\n`).join('');
  const head = all.at(-1)!;
  const manifest: Record<string, unknown> = {
    tenant: 'acme',
    count: records.length,
    firstSeq: from,
    lastSeq: head.seq,
    headHash: head.hash,
    eventsSha256: `sha256:${createHash('sha256').update(events).digest('hex')}`,
    attestation: await attest({ tenant: 'acme', headSeq: head.seq, headHash: head.hash, count: n }),
    jwks,
  };
  mutate(manifest);
  return { manifestText: JSON.stringify(manifest), eventsBytes: Buffer.from(events) };
}

test('a full export verifies: chain from genesis, digest, signed head', async () => {
  const result = await verifyAuditExport(await exportOf(5));
  assert.equal(result.ok, true, JSON.stringify(result.steps));
  assert.deepEqual(
    result.steps.map((s) => s.step),
    ['manifest', 'events-digest', 'records', 'chain', 'attestation'],
  );
  assert.equal(result.headSeq, 5);
});

test('a --since export verifies its internal linkage from the first record', async () => {
  const result = await verifyAuditExport(await exportOf(6, 3));
  assert.equal(result.ok, true, JSON.stringify(result.steps));
  assert.match(result.steps.find((s) => s.step === 'chain')?.detail ?? '', /seq 3/);
});

test('each tampered field fails at the right step', async () => {
  const cases: [string, Promise<Parameters<typeof verifyAuditExport>[0]>, string][] = [
    [
      'eventsSha256',
      exportOf(3, 1, (m) => (m['eventsSha256'] = `sha256:${'0'.repeat(64)}`)),
      'events-digest',
    ],
    ['headHash', exportOf(3, 1, (m) => (m['headHash'] = 'a'.repeat(64))), 'chain'],
    [
      'count',
      exportOf(3, 1, (m) => {
        m['count'] = 2;
        m['lastSeq'] = 2;
      }),
      'records',
    ],
    ['tenant', exportOf(3, 1, (m) => (m['tenant'] = 'other')), 'records'],
    ['unknown key', exportOf(3, 1, (m) => (m['extra'] = 1)), 'manifest'],
    [
      'typ',
      exportOf(3, 1, async () => {}).then(async (x) => {
        const m = JSON.parse(x.manifestText) as Record<string, unknown>;
        const head = chain(3).at(-1)!;
        m['attestation'] = await attest(
          { tenant: 'acme', headSeq: 3, headHash: head.hash, count: 3 },
          'at+jwt',
        );
        return { ...x, manifestText: JSON.stringify(m) };
      }),
      'attestation',
    ],
    [
      'attested count',
      exportOf(3).then(async (x) => {
        const m = JSON.parse(x.manifestText) as Record<string, unknown>;
        m['attestation'] = await attest({
          tenant: 'acme',
          headSeq: 3,
          headHash: chain(3).at(-1)!.hash,
          count: 4,
        });
        return { ...x, manifestText: JSON.stringify(m) };
      }),
      'attestation',
    ],
    [
      'foreign signer',
      exportOf(3).then(async (x) => {
        const m = JSON.parse(x.manifestText) as Record<string, unknown>;
        m['attestation'] = await attest(
          { tenant: 'acme', headSeq: 3, headHash: chain(3).at(-1)!.hash, count: 3 },
          undefined,
          other.privateKey,
        );
        return { ...x, manifestText: JSON.stringify(m) };
      }),
      'attestation',
    ],
  ];
  for (const [name, input, step] of cases) {
    const result = await verifyAuditExport(await input);
    assert.equal(result.ok, false, name);
    assert.equal(result.failedStep, step, name);
  }
  // --trust pins the key: a manifest whose embedded JWKS is the attacker's fails
  const pinned = await verifyAuditExport({ ...(await exportOf(3)), trustedJwks: otherJwks });
  assert.equal(pinned.failedStep, 'attestation');
});

test('a changed event, hash, prevHash or seq fails the chain (digest recomputed by the attacker)', async () => {
  const base = chain(4);
  const mutations: ((r: (typeof base)[number][]) => void)[] = [
    (r) => (r[1]!.event = { ...r[1]!.event, outcome: 'failure' }),
    (r) => (r[2]!.hash = 'f'.repeat(64)),
    (r) => (r[2]!.prevHash = AUDIT_GENESIS),
    (r) => (r[3]!.seq = 5),
    (r) => r.splice(1, 1),
  ];
  for (const mutate of mutations) {
    const records = structuredClone(base);
    mutate(records);
    const events = records.map((r) => `${canonicalizeToString(r)}\n`).join('');
    const x = await exportOf(4, 1, (m) => {
      m['eventsSha256'] = `sha256:${createHash('sha256').update(events).digest('hex')}`;
      m['count'] = records.length;
      m['lastSeq'] = records.length;
    });
    const result = await verifyAuditExport({ ...x, eventsBytes: Buffer.from(events) });
    assert.equal(result.ok, false);
    assert.ok(
      result.failedStep === 'chain' || result.failedStep === 'attestation',
      result.failedStep,
    );
  }
});

test('property: a single-byte change of events.ndjson or of any signed or key field is refused', async () => {
  const good = await exportOf(4);
  await fc.assert(
    fc.asyncProperty(
      fc.boolean(),
      fc.nat(),
      fc.integer({ min: 1, max: 255 }),
      async (inEvents, at, xor) => {
        const bytes = Buffer.from(inEvents ? good.eventsBytes : Buffer.from(good.manifestText));
        const i = at % bytes.length;
        bytes[i] = bytes[i]! ^ xor;
        const input = inEvents
          ? { ...good, eventsBytes: bytes }
          : { ...good, manifestText: bytes.toString('latin1') };
        const result = await verifyAuditExport(input);
        // Changing insignificant JSON whitespace of the manifest is the only harmless change.
        if (!result.ok) return;
        // The only accepted changes are to advisory JWK members (RFC 7517 §4.2 `use`, §4.4 `alg`):
        // the events, the signed head and the key material itself are all fixed.
        assert.equal(inEvents, false);
        const m = JSON.parse(bytes.toString('latin1')) as {
          jwks: { keys: Record<string, unknown>[] };
        };
        const { kty, crv, x, y, kid } = m.jwks.keys[0]!;
        assert.deepEqual(
          { kty, crv, x, y, kid },
          { kty: 'EC', crv: 'P-256', x: jwks.keys[0]!.x, y: jwks.keys[0]!.y, kid: 'k1' },
        );
      },
    ),
    { numRuns: 150 },
  );
});

test('record lines: non-canonical, extra fields, other tenant and garbage are refused', () => {
  const r = chain(1)[0]!;
  const line = canonicalizeToString(r);
  assert.equal(typeof parseAuditRecordLine(line, 'acme'), 'object');
  assert.equal(typeof parseAuditRecordLine(line, 'other'), 'string');
  assert.equal(typeof parseAuditRecordLine(JSON.stringify(r, null, 1), 'acme'), 'string');
  assert.equal(typeof parseAuditRecordLine(canonicalizeToString({ ...r, x: 1 }), 'acme'), 'string');
  fc.assert(
    fc.property(fc.string(), (text) => {
      const out = parseAuditRecordLine(text, 'acme');
      assert.ok(typeof out === 'string' || out.seq >= 1);
    }),
  );
});

test('exportAudit pages, catches up with the head and writes an export that verifies', async () => {
  const all = chain(7);
  const dir = path.join(await tempDir(), 'export');
  let visible = 5; // two more events are appended while exporting
  const calls: number[] = [];
  const manifest = await exportAudit({
    tenant: 'acme',
    outDir: dir,
    progress: () => {},
    now: () => new Date(0),
    fetchJwks: async () => jwks,
    fetchPage: async (afterSeq) => {
      calls.push(afterSeq);
      const records = all.slice(afterSeq, Math.min(afterSeq + 2, visible));
      const last = records.at(-1)?.seq ?? afterSeq;
      if (last === visible) visible = 7; // appended after this page's records were read
      const head = all[visible - 1]!;
      return {
        status: 200,
        body: {
          tenant: 'acme',
          records,
          nextAfterSeq: records.length === 2 && last < 5 ? last : null,
          head: { seq: head.seq, hash: head.hash },
          attestation: await attest({
            tenant: 'acme',
            headSeq: head.seq,
            headHash: head.hash,
            count: head.seq,
          }),
        },
      };
    },
  });
  assert.equal(manifest.count, 7);
  assert.ok(calls.length >= 4);
  const result = await verifyAuditExport({
    manifestText: await readFile(path.join(dir, 'manifest.json'), 'utf8'),
    eventsBytes: await readFile(path.join(dir, 'events.ndjson')),
  });
  assert.equal(result.ok, true, JSON.stringify(result.steps));

  const since = await exportAudit({
    tenant: 'acme',
    since: all[3]!.event.occurredAt!,
    outDir: path.join(dir, '..', 'since'),
    progress: () => {},
    now: () => new Date(0),
    fetchJwks: async () => jwks,
    fetchPage: async (afterSeq) => ({
      status: 200,
      body: {
        tenant: 'acme',
        records: all.slice(afterSeq),
        nextAfterSeq: null,
        head: { seq: 7, hash: all[6]!.hash },
        attestation: await attest({ tenant: 'acme', headSeq: 7, headHash: all[6]!.hash, count: 7 }),
      },
    }),
  });
  assert.equal(since.firstSeq, 4);
  assert.equal(since.count, 4);
});
