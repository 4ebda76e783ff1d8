// Feature tests over a real mTLS listener: evidence store, submission gate, read/proof API,
// verify API, and every bad input of issue 6 with its stable code.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createPublicKey } from 'node:crypto';
import { readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { sha256Hex } from '@stella/core';
import {
  IN_TOTO_PAYLOAD_TYPE,
  createNoteVerifier,
  createSigningKey,
  decodeBase64Standard,
  generateSigningKey,
  openCheckpoint,
  rfc6962Hasher,
  signEnvelope,
  verifyConsistency,
} from '@stella/crypto';
import type { SigningKey } from '@stella/crypto';
import { buildTrustFile } from '../src/trust-file.ts';
import type { TrustedSignerKey } from '../src/trust-file.ts';
import { verifyBundle } from '../src/verify-bundle.ts';
import type { Receipt } from '../src/receipt.ts';
import { uniqueTenant } from './helpers/databases.ts';
import { envelopeFor, signerKey } from './helpers/fixtures.ts';
import { startHarness } from './helpers/service-harness.ts';
import type { Harness } from './helpers/service-harness.ts';

const published = (key: SigningKey, window: Partial<TrustedSignerKey> = {}): TrustedSignerKey => ({
  keyid: key.keyid,
  alg: key.alg,
  publicKey: { ...key.publicJwk },
  notBefore: '2020-01-01T00:00:00Z',
  ...window,
});

let h: Harness;
let expiredKey: SigningKey;
let unknownKey: SigningKey;
const tenant = uniqueTenant('a');
const other = uniqueTenant('b');
const W = { as: 'gateway', tenant, scope: 'evidence:write' } as const;
const R = { as: 'gateway', tenant, scope: 'evidence:read' } as const;
const A = { as: 'gateway', tenant, scope: 'attestor:read' } as const;

before(async () => {
  expiredKey = createSigningKey(generateSigningKey('EdDSA').privateKey);
  unknownKey = createSigningKey(generateSigningKey('EdDSA').privateKey);
  h = await startHarness({
    signerKeys: [published(signerKey), published(expiredKey, { notAfter: '2021-01-01T00:00:00Z' })],
    maxEnvelopeBytes: 64 * 1024,
    maxEvidenceBytes: 4096,
    pageSize: 2,
  });
});
after(() => h.close());

const code = (text: string) => (JSON.parse(text) as { error: { code: string } }).error.code;

async function submit(
  envelope: unknown,
  as: 'signer' | 'gateway' | 'stranger' = 'signer',
  scope = 'attestor:write',
) {
  return h.call('/api/v1/attestor/entries', {
    as,
    tenant,
    scope,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ envelope }),
  });
}

test('evidence: put streams and answers 201 then 200; get/head return verified bytes', async () => {
  const bytes = Buffer.from(`evidence ${tenant}`);
  const digest = `sha256:${sha256Hex(bytes)}`;
  const first = await h.call('/api/v1/evidence', { ...W, method: 'PUT', body: bytes });
  assert.equal(first.status, 201);
  assert.deepEqual(JSON.parse(first.text), { digest, size: bytes.length });
  assert.ok(first.headers['x-correlation-id']);
  const again = await h.call('/api/v1/evidence', { ...W, method: 'PUT', body: bytes });
  assert.equal(again.status, 200);
  const got = await h.call(`/api/v1/evidence/${digest}`, R);
  assert.equal(got.status, 200);
  assert.equal(got.text, bytes.toString());
  const head = await h.call(`/api/v1/evidence/${digest}`, { ...R, method: 'HEAD' });
  assert.equal(head.status, 200);
  assert.equal(head.headers['content-length'], String(bytes.length));
  assert.ok(h.audit.some((e) => e.type === 'attestor.evidence.stored' && e.tenant === tenant));
});

test('evidence: expected digest mismatch is 422 and stores nothing', async () => {
  const bytes = Buffer.from(`mismatch ${tenant}`);
  const wrong = `sha256:${sha256Hex(Buffer.from('something else'))}`;
  const res = await h.call('/api/v1/evidence', {
    ...W,
    method: 'PUT',
    body: bytes,
    headers: { 'x-content-digest': wrong },
  });
  assert.equal(res.status, 422);
  assert.equal(code(res.text), 'digest_mismatch');
  const get = await h.call(`/api/v1/evidence/sha256:${sha256Hex(bytes)}`, R);
  assert.equal(get.status, 404);
});

test('evidence: oversized body 413, malformed digests 400, other tenant 404', async () => {
  const big = await h.call('/api/v1/evidence', { ...W, method: 'PUT', body: Buffer.alloc(5000) });
  assert.equal(big.status, 413);
  assert.equal(code(big.text), 'payload_too_large');
  for (const bad of [
    'sha256:ABC',
    'sha256:' + 'a'.repeat(63),
    'md5:' + 'a'.repeat(64),
    'sha256:' + 'g'.repeat(64),
  ]) {
    const res = await h.call(`/api/v1/evidence/${bad}`, R);
    assert.equal(res.status, 400, bad);
    assert.equal(code(res.text), 'invalid_digest');
  }
  const badExpect = await h.call('/api/v1/evidence', {
    ...W,
    method: 'PUT',
    body: 'x',
    headers: { 'x-content-digest': 'sha256:nope' },
  });
  assert.equal(code(badExpect.text), 'invalid_digest');
  const bytes = Buffer.from(`private to ${tenant}`);
  await h.call('/api/v1/evidence', { ...W, method: 'PUT', body: bytes });
  const cross = await h.call(`/api/v1/evidence/sha256:${sha256Hex(bytes)}`, {
    ...R,
    tenant: other,
  });
  const absent = await h.call(`/api/v1/evidence/sha256:${'0'.repeat(64)}`, { ...R, tenant: other });
  assert.equal(cross.status, 404);
  assert.equal(code(cross.text), code(absent.text));
});

test('submission: signer gets a receipt that verifies offline; duplicate returns the same entry', async () => {
  const artifact = Buffer.from(`artifact ${tenant}`);
  await h.call('/api/v1/evidence', { ...W, method: 'PUT', body: artifact });
  const envelope = await envelopeFor([artifact]);
  const res = await submit(envelope);
  assert.equal(res.status, 201, res.text);
  const receipt = JSON.parse(res.text) as Receipt;
  const dup = await submit(envelope);
  assert.equal(dup.status, 200);
  assert.equal((JSON.parse(dup.text) as Receipt).uuid, receipt.uuid);
  const vkey = JSON.parse((await h.call('/api/v1/attestor/log/vkey', A)).text) as {
    origin: string;
    vkey: string;
  };
  const trust = buildTrustFile({
    signerKeys: [published(signerKey)],
    logs: [{ tenant, origin: vkey.origin, vkey: vkey.vkey }],
  });
  const verdict = verifyBundle({ artifactBytes: artifact, bundle: { envelope, receipt }, trust });
  assert.equal(verdict.ok, true, JSON.stringify(verdict));
  const tampered = verifyBundle({
    artifactBytes: Buffer.from('other'),
    bundle: { envelope, receipt },
    trust,
  });
  assert.equal(tampered.failedStep, 'subject');

  const entry = await h.call(`/api/v1/attestor/entries/${receipt.uuid}`, A);
  assert.equal(entry.status, 200);
  assert.deepEqual((JSON.parse(entry.text) as { envelope: unknown }).envelope, envelope);
  const cross = await h.call(`/api/v1/attestor/entries/${receipt.uuid}`, { ...A, tenant: other });
  assert.equal(cross.status, 404);

  const check = await h.call('/api/v1/attestor/verify', {
    as: 'gateway',
    tenant,
    scope: 'attestor:verify',
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ artifactDigest: `sha256:${sha256Hex(artifact)}` }),
  });
  assert.equal(check.status, 200, check.text);
  assert.equal((JSON.parse(check.text) as { verdict: string }).verdict, 'valid');
  const byUuid = await h.call('/api/v1/attestor/verify', {
    as: 'gateway',
    tenant: other,
    scope: 'attestor:verify',
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ uuid: receipt.uuid }),
  });
  assert.equal((JSON.parse(byUuid.text) as { verdict: string }).verdict, 'not_logged');
  assert.ok(h.audit.some((e) => e.type === 'attestor.entry.logged'));
});

test('entry by index: same entry as by uuid; beyond the log, other tenant, malformed → refused', async () => {
  const artifact = Buffer.from(`by index ${tenant}`);
  const res = await submit(await envelopeFor([artifact]));
  assert.equal(res.status, 201, res.text);
  const receipt = JSON.parse(res.text) as Receipt;
  const byIndex = await h.call(`/api/v1/attestor/entries/by-index/${receipt.index}`, A);
  assert.equal(byIndex.status, 200, byIndex.text);
  const byUuid = await h.call(`/api/v1/attestor/entries/${receipt.uuid}`, A);
  assert.deepEqual(JSON.parse(byIndex.text), JSON.parse(byUuid.text));
  const body = JSON.parse(byIndex.text) as { uuid: string; index: number; receipt: Receipt };
  assert.equal(body.uuid, receipt.uuid);
  assert.equal(body.receipt.index, receipt.index);

  const size = body.receipt.inclusionProof.treeSize;
  const beyond = await h.call(`/api/v1/attestor/entries/by-index/${size}`, A);
  assert.equal(beyond.status, 404);
  assert.equal(code(beyond.text), 'not_found');
  const cross = await h.call(`/api/v1/attestor/entries/by-index/${receipt.index}`, {
    ...A,
    tenant: other,
  });
  assert.equal(cross.status, 404);
  assert.equal(code(cross.text), 'not_found');
  const noScope = await h.call(`/api/v1/attestor/entries/by-index/${receipt.index}`, {
    ...A,
    scope: 'evidence:read',
  });
  assert.equal(noScope.status, 403);
  for (const bad of ['-1', '01', '1e3', '0x1', '1.0', ' 1', 'abc', '99999999999999999']) {
    const r = await h.call(`/api/v1/attestor/entries/by-index/${encodeURIComponent(bad)}`, A);
    assert.equal(r.status, 400, `${bad}: ${r.text}`);
    assert.equal(code(r.text), 'invalid_request');
  }
  // Property: any path segment is answered 200 (a real index), 400 or 404 — never a 5xx.
  await fc.assert(
    // ('.' and '..' are dot segments the URL parser resolves away: not this route's input.)
    fc.asyncProperty(
      fc.string({ minLength: 1, maxLength: 24 }).filter((s) => s !== '.' && s !== '..'),
      async (segment) => {
        const r = await h.call(
          `/api/v1/attestor/entries/by-index/${encodeURIComponent(segment)}`,
          A,
        );
        const ok = /^(0|[1-9][0-9]*)$/.test(segment) && Number(segment) < size;
        assert.equal(r.status, ok ? 200 : /^(0|[1-9][0-9]{0,15})$/.test(segment) ? 404 : 400);
      },
    ),
    { numRuns: 60 },
  );
});

test('submission: bad signature, unknown key, expired key, non in-toto, oversized → stable codes', async () => {
  const artifact = Buffer.from(`bad inputs ${tenant}`);
  const good = await envelopeFor([artifact]);
  const sig = Buffer.from(good.signatures[0]!.sig, 'base64');
  sig[0] = sig[0]! ^ 1;
  const badSig = {
    ...good,
    signatures: [{ keyid: good.signatures[0]!.keyid, sig: sig.toString('base64') }],
  };
  const cases: [string, unknown, number, string][] = [
    ['bad signature', badSig, 422, 'invalid_signature'],
    ['unknown key', await envelopeFor([artifact], {}, unknownKey), 422, 'unknown_key'],
    ['expired key', await envelopeFor([artifact], {}, expiredKey), 422, 'key_not_valid'],
    [
      'not in-toto',
      await signEnvelope(IN_TOTO_PAYLOAD_TYPE, Buffer.from('{"hello":"world"}'), [signerKey]),
      422,
      'invalid_statement',
    ],
    [
      'wrong payload type',
      await signEnvelope('text/plain', Buffer.from('hi'), [signerKey]),
      422,
      'invalid_statement',
    ],
    ['not an envelope', { payload: 'x' }, 400, 'invalid_envelope'],
    [
      'oversized',
      await envelopeFor([artifact], { pad: 'x'.repeat(70 * 1024) }),
      413,
      'payload_too_large',
    ],
  ];
  for (const [name, envelope, status, expected] of cases) {
    const res = await submit(envelope);
    assert.equal(res.status, status, `${name}: ${res.text}`);
    assert.equal(code(res.text), expected, name);
  }
  const notJson = await h.call('/api/v1/attestor/entries', {
    as: 'signer',
    tenant,
    scope: 'attestor:write',
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{"envelope":1,"envelope":2}',
  });
  assert.equal(code(notJson.text), 'invalid_request');
});

test('submission: a subject whose stored evidence hashes differently is digest_mismatch', async () => {
  const artifact = Buffer.from(`tampered store ${tenant}`);
  await h.call('/api/v1/evidence', { ...W, method: 'PUT', body: artifact });
  const hex = sha256Hex(artifact);
  const file = path.join(h.objectDir, 'sha256', hex.slice(0, 2), hex);
  assert.ok(readdirSync(path.dirname(file)).includes(hex));
  writeFileSync(file, 'not the original bytes');
  const res = await submit(await envelopeFor([artifact]));
  assert.equal(res.status, 422, res.text);
  assert.equal(code(res.text), 'digest_mismatch');
});

test('submission: only the signer peer with attestor:write may append', async () => {
  const envelope = await envelopeFor([Buffer.from(`caller ${tenant}`)]);
  const viaGateway = await submit(envelope, 'gateway');
  assert.equal(viaGateway.status, 403);
  assert.equal(code(viaGateway.text), 'peer_not_allowed');
  const stranger = await submit(envelope, 'stranger');
  assert.equal(stranger.status, 403);
  const noScope = await submit(envelope, 'signer', 'attestor:read');
  assert.equal(noScope.status, 403);
  assert.match(String(noScope.headers['www-authenticate']), /insufficient_scope/);
  assert.ok(
    h.audit.some((e) => e.type === 'attestor.request.denied' && e.reason === 'peer_not_allowed'),
  );
  assert.ok(
    h.audit.some((e) => e.type === 'attestor.request.denied' && e.reason === 'insufficient_scope'),
  );
  // The signer may read evidence directly (its evidence reader) but not the gateway-only API.
  const read = await h.call('/api/v1/attestor/log/checkpoint', {
    as: 'signer',
    tenant,
    scope: 'attestor:read',
  });
  assert.equal(read.status, 403);
});

test('log: checkpoint, proofs, pagination and out-of-range requests', async () => {
  const t = uniqueTenant('log');
  const artifact = Buffer.from(`paged ${t}`);
  const receipts: Receipt[] = [];
  for (let i = 0; i < 5; i += 1) {
    const res = await h.call('/api/v1/attestor/entries', {
      as: 'signer',
      tenant: t,
      scope: 'attestor:write',
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ envelope: await envelopeFor([artifact], { i }) }),
    });
    assert.equal(res.status, 201, res.text);
    receipts.push(JSON.parse(res.text) as Receipt);
  }
  const read = { as: 'gateway', tenant: t, scope: 'attestor:read' } as const;
  const note = await h.call('/api/v1/attestor/log/checkpoint', read);
  assert.match(String(note.headers['content-type']), /^text\/plain/);
  const origin = `stella.test/tlog/${t}`;
  const { checkpoint } = openCheckpoint(
    note.text,
    [createNoteVerifier(origin, createPublicKey(h.logKey))],
    {
      expectedOrigin: origin,
    },
  );
  assert.equal(checkpoint.size, 5);
  const first = openCheckpoint(
    receipts[0]!.checkpoint,
    [createNoteVerifier(origin, createPublicKey(h.logKey))],
    {
      expectedOrigin: origin,
    },
  ).checkpoint;
  const cons = JSON.parse(
    (await h.call(`/api/v1/attestor/log/proof/consistency?from=${first.size}&to=5`, read)).text,
  ) as {
    hashes: string[];
  };
  verifyConsistency(
    rfc6962Hasher,
    first.size,
    5,
    cons.hashes.map((x) => decodeBase64Standard(x, 'invalid_proof')),
    first.rootHash,
    checkpoint.rootHash,
  );
  const inc = await h.call('/api/v1/attestor/log/proof/inclusion?index=2&size=5', read);
  assert.equal(inc.status, 200);
  assert.equal((JSON.parse(inc.text) as { treeSize: number }).treeSize, 5);
  for (const q of [
    'inclusion?index=5&size=5',
    'inclusion?index=0&size=6',
    'consistency?from=3&to=2',
    'consistency?from=0&to=3',
    'consistency?from=1&to=9',
  ]) {
    const res = await h.call(`/api/v1/attestor/log/proof/${q}`, read);
    assert.equal(res.status, 400, q);
    assert.equal(code(res.text), 'proof_out_of_range', q);
  }
  for (const q of [
    'inclusion?index=-1&size=5',
    'inclusion?index=01&size=5',
    'inclusion?index=1',
    'consistency?from=1&to=2&x=1',
  ]) {
    const res = await h.call(`/api/v1/attestor/log/proof/${q}`, read);
    assert.equal(code(res.text), 'invalid_request', q);
  }
  const subject = `sha256:${sha256Hex(artifact)}`;
  const page1 = JSON.parse(
    (await h.call(`/api/v1/attestor/entries?subject=${subject}`, read)).text,
  ) as {
    entries: { index: number }[];
    nextCursor?: string;
  };
  assert.deepEqual(
    page1.entries.map((e) => e.index),
    [4, 3],
  );
  const page2 = JSON.parse(
    (await h.call(`/api/v1/attestor/entries?subject=${subject}&cursor=${page1.nextCursor}`, read))
      .text,
  ) as { entries: { index: number }[] };
  assert.deepEqual(
    page2.entries.map((e) => e.index),
    [2, 1],
  );
  const bad = await h.call('/api/v1/attestor/entries?subject=sha256:xyz', read);
  assert.equal(code(bad.text), 'invalid_digest');
  const empty = await h.call('/api/v1/attestor/log/checkpoint', {
    ...read,
    tenant: uniqueTenant('e'),
  });
  assert.equal(empty.status, 200);
  assert.match(empty.text, /\n0\n/);
});
