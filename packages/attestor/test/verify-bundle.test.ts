import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPublicKey } from 'node:crypto';
import fc from 'fast-check';
import { createIdGenerator, manualClock } from '@stella/core';
import { createSigningKey, generateSigningKey } from '@stella/crypto';
import { createSequencer } from '../src/tlog/sequencer.ts';
import { buildTrustFile } from '../src/trust-file.ts';
import type { TrustFile } from '../src/trust-file.ts';
import { verifyBundle } from '../src/verify-bundle.ts';
import type { Receipt } from '../src/receipt.ts';
import { databaseKinds, uniqueTenant } from './helpers/databases.ts';
import { envelopeFor, logKey, logSigner, prepared, signerKey } from './helpers/fixtures.ts';

const clock = manualClock(Date.UTC(2025, 5, 1));
const tenant = uniqueTenant();
const artifact = Buffer.from('the artifact bytes');

function trustWith(notAfter?: string, revokedAt?: string): TrustFile {
  return buildTrustFile({
    signerKeys: [
      {
        keyid: signerKey.keyid,
        alg: signerKey.alg,
        publicKey: { ...signerKey.publicJwk },
        notBefore: '2024-01-01T00:00:00Z',
        ...(notAfter === undefined ? {} : { notAfter }),
        ...(revokedAt === undefined ? {} : { revokedAt }),
      },
    ],
    logs: [{ tenant, origin: logSigner.origin(tenant), vkey: logSigner.vkey(tenant) }],
  });
}
const trust = trustWith();

async function makeBundle(): Promise<{ envelope: unknown; receipt: Receipt }> {
  const db = await databaseKinds[0]!.open();
  try {
    const seq = createSequencer({
      db,
      clock,
      ids: createIdGenerator(clock),
      signer: logSigner,
      maxBatch: 8,
      batchDelayMs: 1,
    });
    // A few other entries first so the proof is non-trivial.
    for (let i = 0; i < 5; i += 1) {
      const other = Buffer.from(`other ${i}`);
      await seq.submit(tenant, prepared(await envelopeFor([other]), [other]));
    }
    const envelope = await envelopeFor([artifact, Buffer.from('second subject')]);
    const receipt = await seq.submit(
      tenant,
      prepared(envelope, [artifact, Buffer.from('second subject')]),
    );
    await seq.close();
    return { envelope: JSON.parse(JSON.stringify(envelope)), receipt };
  } finally {
    await db.close();
  }
}

const bundle = await makeBundle();
const clone = () =>
  JSON.parse(JSON.stringify(bundle)) as {
    envelope: Record<string, unknown>;
    receipt: Record<string, unknown>;
  };

function flipBit(b64: string, bit: number): string {
  const bytes = Buffer.from(b64, 'base64');
  bytes[bit >> 3]! ^= 1 << (bit & 7);
  return bytes.toString('base64');
}

test('a genuine bundle verifies at every step', () => {
  const result = verifyBundle({ artifactBytes: artifact, bundle, trust });
  assert.deepEqual(result, {
    ok: true,
    steps: ['artifact_digest', 'subject', 'signature', 'leaf_data', 'inclusion', 'checkpoint'].map(
      (step) => ({ step, ok: true }),
    ),
  });
  assert.equal(
    verifyBundle({
      artifactDigest: `sha256:${Buffer.from(bundle.receipt.envelopeDigest).length ? '' : ''}`,
      bundle,
      trust,
    }).failedStep,
    'artifact_digest',
  );
});

test('tampered artifact, envelope or receipt fails at the right step', async () => {
  assert.equal(
    verifyBundle({ artifactBytes: Buffer.from('other bytes'), bundle, trust }).failedStep,
    'subject',
  );
  const sig = clone();
  const sigs = sig.envelope['signatures'] as { sig: string }[];
  sigs[0]!.sig = flipBit(sigs[0]!.sig, 5);
  assert.equal(
    verifyBundle({ artifactBytes: artifact, bundle: sig, trust }).failedStep,
    'signature',
  );
  const stranger = await envelopeFor(
    [artifact],
    {},
    createSigningKey(generateSigningKey().privateKey),
  );
  assert.equal(
    verifyBundle({ artifactBytes: artifact, bundle: { ...clone(), envelope: stranger }, trust })
      .failedStep,
    'signature',
  );
  // Key validity is judged at integratedTime: expired before, or revoked before, that instant.
  assert.equal(
    verifyBundle({
      artifactBytes: artifact,
      bundle,
      trust: trustWith('2025-01-01T00:00:00Z'),
    }).steps.at(-1)?.code,
    'key_not_valid',
  );
  assert.equal(
    verifyBundle({
      artifactBytes: artifact,
      bundle,
      trust: trustWith(undefined, '2025-06-01T00:00:00Z'),
    }).failedStep,
    'signature',
  );
  assert.equal(
    verifyBundle({
      artifactBytes: artifact,
      bundle,
      trust: trustWith(undefined, '2025-06-01T00:00:01Z'),
    }).ok,
    true,
  );
  const otherTrust = buildTrustFile({
    signerKeys: trust.signerKeys,
    logs: [{ tenant, origin: logSigner.origin(tenant), vkey: logSigner.vkey('other') }],
  });
  assert.equal(
    verifyBundle({ artifactBytes: artifact, bundle, trust: otherTrust }).failedStep,
    'checkpoint',
  );
  assert.ok(createPublicKey(logKey));
});

test('every single-bit change of proof hashes, leaf data, root, checkpoint signature, index or tree size fails', () => {
  const r = bundle.receipt;
  const mutations: Array<[string, (b: ReturnType<typeof clone>) => void]> = [];
  r.inclusionProof.hashes.forEach((_, h) => {
    for (let bit = 0; bit < 256; bit += 1) {
      mutations.push([
        `hash ${h} bit ${bit}`,
        (b) => {
          const p = b.receipt['inclusionProof'] as { hashes: string[] };
          p.hashes[h] = flipBit(p.hashes[h]!, bit);
        },
      ]);
    }
  });
  const leafBits = Buffer.from(r.leafData, 'base64').length * 8;
  for (let bit = 0; bit < leafBits; bit += 1) {
    mutations.push([
      `leaf bit ${bit}`,
      (b) => {
        b.receipt['leafData'] = flipBit(r.leafData, bit);
      },
    ]);
  }
  const lines = r.checkpoint.split('\n');
  const sigLine = lines.findIndex((l) => l.startsWith('\u2014 '));
  for (let bit = 0; bit < 256; bit += 1) {
    mutations.push([
      `root bit ${bit}`,
      (b) => {
        const l = [...lines];
        l[2] = flipBit(l[2]!, bit);
        b.receipt['checkpoint'] = l.join('\n');
      },
    ]);
  }
  const sigB64 = lines[sigLine]!.split(' ')[2]!;
  for (let bit = 0; bit < Buffer.from(sigB64, 'base64').length * 8; bit += 1) {
    mutations.push([
      `checkpoint signature bit ${bit}`,
      (b) => {
        const l = [...lines];
        l[sigLine] = lines[sigLine]!.replace(sigB64, flipBit(sigB64, bit));
        b.receipt['checkpoint'] = l.join('\n');
      },
    ]);
  }
  for (let bit = 0; bit < 53; bit += 1) {
    mutations.push([
      `index bit ${bit}`,
      (b) => {
        b.receipt['index'] = Number(BigInt(r.index) ^ (1n << BigInt(bit)));
      },
    ]);
    mutations.push([
      `treeSize bit ${bit}`,
      (b) => {
        const p = b.receipt['inclusionProof'] as { treeSize: number };
        p.treeSize = Number(BigInt(p.treeSize) ^ (1n << BigInt(bit)));
      },
    ]);
  }
  assert.ok(mutations.length > 1000);
  for (const [name, mutate] of mutations) {
    const b = clone();
    mutate(b);
    assert.equal(verifyBundle({ artifactBytes: artifact, bundle: b, trust }).ok, false, name);
  }
});

test('property: arbitrary JSON in place of the bundle or its parts never verifies and never throws', () => {
  fc.assert(
    fc.property(
      fc.jsonValue(),
      fc.constantFrom('bundle', 'envelope', 'receipt', 'checkpoint', 'hashes', 'leafData'),
      (junk, where) => {
        const b = clone() as Record<string, unknown> & ReturnType<typeof clone>;
        const target: unknown =
          where === 'bundle'
            ? junk
            : (() => {
                if (where === 'envelope') b.envelope = junk as Record<string, unknown>;
                else if (where === 'receipt') b.receipt = junk as Record<string, unknown>;
                else if (where === 'hashes')
                  (b.receipt['inclusionProof'] as Record<string, unknown>)['hashes'] = junk;
                else b.receipt[where] = junk;
                return b;
              })();
        const result = verifyBundle({ artifactBytes: artifact, bundle: target, trust });
        assert.equal(result.ok, false);
      },
    ),
    { numRuns: 300 },
  );
});
