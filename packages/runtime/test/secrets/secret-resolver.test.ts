import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { isStellaError, sha256Digest, toErrorBody } from '@stella/core';
import { dockerSecretProvider } from '../../src/secrets/docker-provider.ts';
import { envSecretProvider } from '../../src/secrets/env-provider.ts';
import { fileSecretProvider } from '../../src/secrets/file-provider.ts';
import { createSecretResolver } from '../../src/secrets/index.ts';
import { k8sSecretProvider } from '../../src/secrets/k8s-provider.ts';
import { Secret } from '../../src/secrets/secret.ts';

const VALUE = 'correct-horse-battery-staple';
let dir = '';
let resolver: ReturnType<typeof createSecretResolver>;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'stella-secrets-'));
  await writeFile(join(dir, 'plain'), `${VALUE}\n`);
  await writeFile(join(dir, 'empty'), '');
  await mkdir(join(dir, 'docker'));
  await writeFile(join(dir, 'docker', 'db-password'), VALUE);
  // Kubernetes secret volume layout: <name>/<key> → ..data/<key> symlinks.
  await mkdir(join(dir, 'k8s', 'signer', '..data'), { recursive: true });
  await writeFile(join(dir, 'k8s', 'signer', '..data', 'key.pem'), VALUE);
  await symlink(
    join(dir, 'k8s', 'signer', '..data', 'key.pem'),
    join(dir, 'k8s', 'signer', 'key.pem'),
  );
  resolver = createSecretResolver({
    providers: [
      fileSecretProvider(),
      envSecretProvider({ STELLA_KEY: VALUE, EMPTY: '' }),
      dockerSecretProvider({ baseDir: join(dir, 'docker') }),
      k8sSecretProvider({ baseDir: join(dir, 'k8s') }),
    ],
  });
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function unavailable(ref: string): Promise<string> {
  try {
    await resolver.resolveSecret(ref);
  } catch (error) {
    assert.ok(isStellaError(error));
    assert.equal(error.code, 'secret_unavailable');
    assert.ok(!`${error.message} ${error.detail} ${error.description}`.includes(VALUE));
    // The public side stays generic even if the error escapes into a response.
    assert.equal(
      toErrorBody(error, 'c').body.error.message,
      'a referenced secret could not be resolved',
    );
    return error.message;
  }
  assert.fail(`resolved ${ref}`);
}

describe('Secret', () => {
  it('redacts every textual form and exposes bytes only on purpose', () => {
    const secret = new Secret(new TextEncoder().encode(VALUE), 'env:X');
    for (const text of [
      String(secret),
      `${secret}`,
      JSON.stringify({ secret }),
      inspect(secret),
      inspect({ secret }),
    ]) {
      assert.ok(!text.includes(VALUE), text);
      assert.match(text, /\[redacted\]/);
    }
    assert.equal(secret.revealText(), VALUE);
    assert.equal(secret.digest, sha256Digest(VALUE));
    secret.reveal()[0] = 0;
    assert.equal(secret.revealText(), VALUE, 'reveal returns a copy');
  });
});

describe('createSecretResolver', () => {
  it('resolves file, env, docker and k8s references byte-exactly', async () => {
    assert.equal(
      (await resolver.resolveSecret(`file:${join(dir, 'plain')}`)).revealText(),
      `${VALUE}\n`,
    );
    assert.equal((await resolver.resolveSecret('env:STELLA_KEY')).revealText(), VALUE);
    assert.equal((await resolver.resolveSecret('docker:db-password')).revealText(), VALUE);
    assert.equal((await resolver.resolveSecret('k8s:signer/key.pem')).revealText(), VALUE);
  });

  it('names the reference and a reason code when a secret is missing', async () => {
    const missing = join(dir, 'missing');
    assert.equal(
      await unavailable(`file:${missing}`),
      `secret unavailable: file:${missing} (ENOENT)`,
    );
    assert.equal(await unavailable('env:NOPE'), 'secret unavailable: env:NOPE (variable not set)');
    assert.equal(
      await unavailable('env:EMPTY'),
      'secret unavailable: env:EMPTY (variable not set)',
    );
    assert.match(await unavailable(`file:${join(dir, 'empty')}`), /\(empty secret\)$/);
    assert.match(await unavailable('docker:nope'), /\(ENOENT\)$/);
    assert.match(await unavailable('k8s:signer/nope'), /\(ENOENT\)$/);
  });

  it('refuses path tricks and malformed references', async () => {
    const refused = [
      'file:relative/path',
      `file:${dir}/../${dir.split('/').pop()}/plain`,
      'file:/etc/../etc/passwd',
      `file:${dir}`,
      'docker:../plain',
      'docker:..',
      'docker:a/b',
      'k8s:signer',
      'k8s:../signer/key.pem',
      'k8s:signer/..',
      'k8s:signer/key.pem/x',
      'env:1BAD',
      'env:__proto__x-',
      'vault:kv/app#f',
      'http://example',
      'plain value',
    ];
    for (const ref of refused) await unavailable(ref);
  });

  it('never echoes a value that was put where a reference belongs', async () => {
    assert.equal(
      await unavailable(VALUE),
      'secret unavailable: (invalid reference) (invalid reference)',
    );
  });

  it('refuses non-regular files', async () => {
    const fifoDir = join(dir, 'dir-as-secret');
    await mkdir(fifoDir);
    await chmod(fifoDir, 0o700);
    assert.match(await unavailable(`file:${fifoDir}`), /not a regular file|EISDIR/);
  });

  it('refuses duplicate provider registration', () => {
    assert.throws(
      () => createSecretResolver({ providers: [fileSecretProvider(), fileSecretProvider()] }),
      TypeError,
    );
  });

  it('property: any reference either resolves or fails with secret_unavailable', async () => {
    const scheme = fc.constantFrom('file:', 'env:', 'docker:', 'k8s:', 'vault:', 'x:', '');
    await fc.assert(
      fc.asyncProperty(
        scheme,
        fc.string({ unit: fc.constantFrom(...'ab./#_-~\\\0') }),
        async (s, rest) => {
          try {
            await resolver.resolveSecret(s + rest);
          } catch (error) {
            assert.ok(isStellaError(error) && error.code === 'secret_unavailable');
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
