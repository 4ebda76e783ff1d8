import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { isStellaError } from '@stella/core';
import { registerToken } from '../../src/commands/token.ts';
import { registerEvidence } from '../../src/commands/evidence.ts';
import { registerSign } from '../../src/commands/sign.ts';
import { startFakePlatform } from './fake-platform.ts';
import { captureEnv, tempDir, testDeps, testProgram, writeProfile } from './helpers.ts';

async function run(args: string[], register: typeof registerToken, env = captureEnv()) {
  const program = testProgram();
  register(program, env, testDeps());
  await program.parseAsync(args, { from: 'user' });
  return env;
}

test('stella token: retries once on use_dpop_nonce with a fresh assertion and proof, prints the token only with --json', async (t) => {
  const platform = await startFakePlatform();
  t.after(() => platform.close());
  const dir = await tempDir();
  const profile = await writeProfile(dir, platform.base, platform.clientJwk);

  const env = await run(
    ['token', '--profile', profile, '--audience', 'attestor', '--scope', 'evidence:read', '--json'],
    registerToken,
  );
  assert.equal(platform.seen.tokenAttempts, 2);
  assert.equal(
    new Set(platform.seen.assertionJtis).size,
    2,
    'the retry needs a new client assertion jti',
  );
  const out = JSON.parse(env.stdout.join('\n')) as Record<string, unknown>;
  assert.equal(out['token_type'], 'DPoP');
  assert.equal(out['expires_in'], 120);
  assert.equal(out['scope'], 'evidence:read');
  assert.equal(typeof out['access_token'], 'string');
  assert.equal(typeof out['dpop_nonce'], 'string');
  const jwk = out['dpop_jwk'] as Record<string, unknown>;
  assert.equal(jwk['kty'], 'EC');
  assert.equal(typeof jwk['d'], 'string', 'scripts need the private DPoP key');

  const human = await run(
    ['token', '--profile', profile, '--audience', 'attestor', '--scope', 'evidence:read'],
    registerToken,
  );
  const text = human.stdout.join('\n');
  assert.match(text, /token type: DPoP/);
  assert.match(text, /expires in: 120 s/);
  assert.doesNotMatch(text, /"d"|access_token":/);
});

test('stella token: a second nonce demand is an error, never a loop', async (t) => {
  const platform = await startFakePlatform({ tokenNonceDemands: 2 });
  t.after(() => platform.close());
  const profile = await writeProfile(await tempDir(), platform.base, platform.clientJwk);
  await assert.rejects(
    run(
      ['token', '--profile', profile, '--audience', 'attestor', '--scope', 'evidence:read'],
      registerToken,
    ),
    (error) => isStellaError(error) && error.code === 'nonce_retry_exhausted',
  );
  assert.equal(platform.seen.tokenAttempts, 2);
});

test('stella token: refusals name the OAuth error and a hint', async (t) => {
  const platform = await startFakePlatform({ tokenNonceDemands: 0 });
  t.after(() => platform.close());
  const profile = await writeProfile(await tempDir(), platform.base, platform.clientJwk);
  await assert.rejects(
    run(
      ['token', '--profile', profile, '--audience', 'nope', '--scope', 'evidence:read'],
      registerToken,
    ),
    (error) =>
      isStellaError(error) &&
      error.code === 'token_refused' &&
      /invalid_target/.test(error.description),
  );
});

test('stella evidence put/get: nonce challenge retried, digest sent first, download re-hashed', async (t) => {
  const platform = await startFakePlatform();
  t.after(() => platform.close());
  const dir = await tempDir();
  const profile = await writeProfile(dir, platform.base, platform.clientJwk);
  const file = path.join(dir, 'sbom.json');
  const bytes = Buffer.from('{"bomFormat":"CycloneDX"}\n');
  await writeFile(file, bytes);
  const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

  const put = await run(
    ['evidence', 'put', file, '--profile', profile, '--json'],
    registerEvidence,
  );
  assert.deepEqual(JSON.parse(put.stdout[0] ?? ''), { digest, size: bytes.length });
  assert.deepEqual(platform.seen.uploads, [{ digest, bytes: bytes.length }]);
  // first proof without nonce was challenged, the retry carried it; htu is the URL without query
  const putProofs = platform.seen.proofs.filter((p) => p.htu.endsWith('/api/v1/evidence'));
  assert.equal(putProofs.length, 2);
  assert.equal(typeof putProofs[1]?.nonce, 'string');

  const target = path.join(dir, 'copy.json');
  const get = await run(
    ['evidence', 'get', digest, '-o', target, '--profile', profile, '--json'],
    registerEvidence,
  );
  assert.equal((JSON.parse(get.stdout[0] ?? '') as { size: number }).size, bytes.length);
  assert.deepEqual(await readFile(target), bytes);

  platform.tamper(digest, Buffer.from('not the evidence'));
  const bad = path.join(dir, 'bad.json');
  await assert.rejects(
    run(['evidence', 'get', digest, '-o', bad, '--profile', profile], registerEvidence),
    (error) => isStellaError(error) && error.code === 'digest_mismatch',
  );
  await assert.rejects(
    readFile(bad),
    { code: 'ENOENT' },
    'nothing is written for bytes that do not match',
  );
});

test('stella evidence get: malformed digests are operator errors before any request', async (t) => {
  const platform = await startFakePlatform();
  t.after(() => platform.close());
  const dir = await tempDir();
  const profile = await writeProfile(dir, platform.base, platform.clientJwk);
  for (const digest of ['sha256:abc', 'md5:00', `sha256:${'A'.repeat(64)}`, '../../etc/passwd']) {
    await assert.rejects(
      run(
        ['evidence', 'get', digest, '-o', path.join(dir, 'x'), '--profile', profile],
        registerEvidence,
      ),
      { name: 'UsageError' },
    );
  }
  assert.equal(platform.seen.resourceAttempts, 0);
});

test('stella sign: uploads each file, asks the signer with evidence sources, writes the bundle', async (t) => {
  const platform = await startFakePlatform();
  t.after(() => platform.close());
  const dir = await tempDir();
  const profile = await writeProfile(dir, platform.base, platform.clientJwk);
  const a = path.join(dir, 'a.tgz');
  const b = path.join(dir, 'b.tgz');
  await writeFile(a, 'artifact a');
  await writeFile(b, 'artifact b');
  const predicate = path.join(dir, 'pred.json');
  await writeFile(predicate, '{"builder":{"id":"ci"}}');
  const bundleFile = path.join(dir, 'bundle.json');
  const env = captureEnv(true);
  await run(
    [
      'sign',
      a,
      b,
      '--predicate-type',
      'https://slsa.dev/provenance/v1',
      '--predicate',
      predicate,
      '-o',
      bundleFile,
      '--profile',
      profile,
    ],
    registerSign,
    env,
  );
  const hex = (s: string) => createHash('sha256').update(s).digest('hex');
  assert.deepEqual(platform.seen.signRequests, [
    {
      subject: [
        {
          name: 'a.tgz',
          digest: { sha256: hex('artifact a') },
          source: `evidence:sha256:${hex('artifact a')}`,
        },
        {
          name: 'b.tgz',
          digest: { sha256: hex('artifact b') },
          source: `evidence:sha256:${hex('artifact b')}`,
        },
      ],
      predicateType: 'https://slsa.dev/provenance/v1',
      predicate: { builder: { id: 'ci' } },
      attest: true,
    },
  ]);
  const bundle = JSON.parse(await readFile(bundleFile, 'utf8')) as Record<string, unknown>;
  assert.deepEqual(Object.keys(bundle), ['envelope', 'receipt']);
  assert.ok(
    env.stderr.some((l) => l.startsWith('uploading')),
    'progress on a TTY',
  );

  const quiet = captureEnv(true);
  await run(
    [
      'sign',
      a,
      '--predicate-type',
      'https://example.com/p',
      '-o',
      path.join(dir, 'b2.json'),
      '--profile',
      profile,
      '--json',
    ],
    registerSign,
    quiet,
  );
  assert.deepEqual(quiet.stderr, [], '--json stays quiet');
  assert.equal((JSON.parse(quiet.stdout[0] ?? '') as { uuid: string }).uuid, 'u-1');
  await assert.rejects(
    run(['sign', a, '--predicate-type', 'not a uri', '--profile', profile], registerSign),
    { name: 'UsageError' },
  );
});
