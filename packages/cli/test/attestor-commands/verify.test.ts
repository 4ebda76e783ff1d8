// `stella verify` offline (issue 6): exit 0 only when every step passes; otherwise exit 1 and
// the failing step is printed (human and --json); unreadable inputs are usage errors (exit 2).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import fc from 'fast-check';
import { VERIFY_STEPS } from '@stella/attestor';
import type { Receipt, TrustFile } from '@stella/attestor';
import type { DsseEnvelope } from '@stella/crypto';
import {
  newLogKey,
  newSignerKey,
  openTestLog,
  publishedKey,
  signedEntry,
  trustFor,
  workDir,
} from './log-fixture.ts';
import type { TestLog } from './log-fixture.ts';
import { stella } from './run-cli.ts';

const signerKey = newSignerKey();
const artifact = Buffer.from('the artifact under test');
let log: TestLog;
let dir: string;
let bundle: { envelope: DsseEnvelope; receipt: Receipt };
let neighbour: Receipt;
let trust: TrustFile;
const files = { artifact: '', bundle: '', trust: '' };
let counter = 0;

before(async () => {
  log = await openTestLog('acme', newLogKey());
  await log.append(6); // a non-trivial proof
  const { envelope, entry } = await signedEntry(signerKey, artifact);
  const receipt = await log.sequencer.submit(log.tenant, entry);
  [neighbour] = (await log.append(3)) as [Receipt];
  bundle = { envelope, receipt };
  trust = trustFor(log, [publishedKey(signerKey)]);
  dir = await workDir();
  files.artifact = await put('artifact.bin', artifact);
  files.bundle = await put('bundle.json', JSON.stringify(bundle));
  files.trust = await put('trust.json', JSON.stringify(trust));
});
after(() => log.close());

async function put(name: string, content: string | Uint8Array): Promise<string> {
  const file = path.join(dir, `${(counter += 1)}-${name}`);
  await writeFile(file, content);
  return file;
}

const verify = (artifactFile: string, bundleFile: string, trustFile: string, ...extra: string[]) =>
  stella('verify', artifactFile, '--bundle', bundleFile, '--trust', trustFile, ...extra);

function flipBit(b64: string, bit = 0): string {
  const bytes = Buffer.from(b64, 'base64');
  bytes[bit >> 3]! ^= 1 << (bit & 7);
  return bytes.toString('base64');
}

type Mutable = { envelope: Record<string, unknown>; receipt: Record<string, unknown> };
const clone = (): Mutable => JSON.parse(JSON.stringify(bundle)) as Mutable;

test('a genuine bundle verifies: exit 0, every step printed ok', async () => {
  const run = await verify(files.artifact, files.bundle, files.trust);
  assert.equal(run.code, 0, run.err.join('\n'));
  assert.deepEqual(run.out, [...VERIFY_STEPS.map((s) => `ok   ${s}`), 'verified']);
  assert.deepEqual(run.err, []);
  const json = await verify(files.artifact, files.bundle, files.trust, '--json');
  assert.equal(json.code, 0);
  const result = JSON.parse(json.out.join('\n')) as { ok: boolean; steps: { ok: boolean }[] };
  assert.equal(result.ok, true);
  assert.equal(result.steps.length, VERIFY_STEPS.length);
  assert.ok(result.steps.every((s) => s.ok));
});

test('each tampering fails at its own step with exit 1 (human and --json)', async () => {
  const other = await put('other.bin', 'not the artifact');
  const sig = clone();
  (sig.envelope['signatures'] as { sig: string }[])[0]!.sig = flipBit(
    bundle.envelope.signatures[0]!.sig,
  );
  const proof = clone();
  const hashes = [...bundle.receipt.inclusionProof.hashes];
  hashes[0] = flipBit(hashes[0]!, 7);
  proof.receipt['inclusionProof'] = { ...bundle.receipt.inclusionProof, hashes };
  const leaf = clone();
  // A well-formed leaf of another entry: parses, but is not this envelope's leaf.
  leaf.receipt['leafData'] = neighbour.leafData;
  const index = clone();
  index.receipt['index'] = bundle.receipt.index + 1;
  const note = clone();
  const lines = bundle.receipt.checkpoint.split('\n');
  const sigLine = lines.findIndex((l) => l.startsWith('\u2014 '));
  const parts = lines[sigLine]!.split(' ');
  parts[2] = flipBit(parts[2]!, 60);
  lines[sigLine] = parts.join(' ');
  note.receipt['checkpoint'] = lines.join('\n');
  const expired = await put(
    'expired-trust.json',
    JSON.stringify(trustFor(log, [publishedKey(signerKey, { notAfter: '2021-01-01T00:00:00Z' })])),
  );

  const cases: [string, string, string, string][] = [
    ['other artifact', other, files.bundle, 'subject'],
    ['envelope signature', files.artifact, await put('b.json', JSON.stringify(sig)), 'signature'],
    ['key expired at integration', files.artifact, files.bundle, 'signature'],
    ['leaf data', files.artifact, await put('b.json', JSON.stringify(leaf)), 'leaf_data'],
    ['proof hash', files.artifact, await put('b.json', JSON.stringify(proof)), 'inclusion'],
    ['index', files.artifact, await put('b.json', JSON.stringify(index)), 'inclusion'],
    [
      'checkpoint signature',
      files.artifact,
      await put('b.json', JSON.stringify(note)),
      'checkpoint',
    ],
  ];
  for (const [name, artifactFile, bundleFile, step] of cases) {
    const trustFile = name.startsWith('key expired') ? expired : files.trust;
    const run = await verify(artifactFile, bundleFile, trustFile);
    assert.equal(run.code, 1, `${name}: exit code`);
    assert.equal(run.out.at(-1), `verification failed at step ${step}`, name);
    assert.ok(
      run.out.some((l) => l.startsWith(`FAIL ${step}`)),
      `${name}: ${run.out.join('|')}`,
    );
    assert.match(run.err.join('\n'), /verification_failed/, name);
    const json = await verify(artifactFile, bundleFile, trustFile, '--json');
    assert.equal(json.code, 1, `${name}: --json exit code`);
    const result = JSON.parse(json.out.join('\n')) as { ok: boolean; failedStep: string };
    assert.equal(result.ok, false);
    assert.equal(result.failedStep, step, name);
  }
});

test('a trust file without the tenant log, or another log key, fails at checkpoint', async () => {
  const otherLog = await openTestLog('acme', newLogKey());
  try {
    const foreign = await put(
      'foreign-trust.json',
      JSON.stringify(trustFor(otherLog, [publishedKey(signerKey)])),
    );
    const run = await verify(files.artifact, files.bundle, foreign);
    assert.equal(run.code, 1);
    assert.equal(run.out.at(-1), 'verification failed at step checkpoint');
  } finally {
    await otherLog.close();
  }
});

test('unreadable or malformed inputs are usage errors (exit 2), never a pass', async () => {
  const missing = path.join(dir, 'does-not-exist.json');
  const notJson = await put('not.json', '{"envelope":');
  const dupKeys = await put('dup.json', '{"signerKeys":[],"signerKeys":[],"logs":[]}');
  const badTrust = await put('bad-trust.json', '{"signerKeys":"x","logs":[]}');
  for (const [name, args] of [
    ['missing artifact', [missing, files.bundle, files.trust]],
    ['missing bundle', [files.artifact, missing, files.trust]],
    ['bundle not JSON', [files.artifact, notJson, files.trust]],
    ['trust duplicate keys', [files.artifact, files.bundle, dupKeys]],
    ['trust wrong shape', [files.artifact, files.bundle, badTrust]],
  ] as const) {
    const run = await verify(args[0], args[1], args[2]);
    assert.equal(run.code, 2, `${name}: ${run.err.join('\n')}`);
    assert.ok(!run.out.includes('verified'), name);
  }
  const noTrust = await stella('verify', files.artifact, '--bundle', files.bundle);
  assert.equal(noTrust.code, 2, 'missing --trust is a usage error');
});

test('property: arbitrary JSON as the bundle (or in place of its parts) never passes', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.oneof(
        fc.jsonValue(),
        fc.jsonValue().map((v) => ({ envelope: v, receipt: bundle.receipt })),
        fc.jsonValue().map((v) => ({ envelope: bundle.envelope, receipt: v })),
      ),
      async (value) => {
        const run = await verify(
          files.artifact,
          await put('p.json', JSON.stringify(value)),
          files.trust,
        );
        assert.notEqual(run.code, 0);
        assert.ok(!run.out.includes('verified'));
      },
    ),
    { numRuns: 40 },
  );
});
