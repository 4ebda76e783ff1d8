/**
 * `stella signer keys rotate | list | revoke` on a key state file, driven through `main`: the
 * operator's rotation, listing and revocation; bad input refused with exit 2; a held lock
 * refused with exit 1, a message that says what to do, and no orphan private key left behind.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createPrivateKey } from 'node:crypto';
import { keyFingerprint } from '@stella/crypto';
import { readKeyStateFile } from '@stella/signer';
import { stella } from '../attestor-commands/run-cli.ts';

const rotate = (state: string, keyDir: string, ...extra: string[]) =>
  stella('signer', 'keys', 'rotate', '--state', state, '--key-dir', keyDir, ...extra);

async function dirs() {
  const root = await mkdtemp(path.join(tmpdir(), 'signer-keys-cli-'));
  return { state: path.join(root, 'signer-keys.json'), keyDir: path.join(root, 'keys') };
}

test('rotate twice, list, revoke: the history an operator expects', async () => {
  const { state, keyDir } = await dirs();
  const first = await rotate(state, keyDir, '--activate-in', '0', '--json');
  assert.equal(first.code, 0, first.err.join('\n'));
  const { keyid: k1 } = JSON.parse(first.out[0] ?? '{}') as { keyid: string };
  const second = await rotate(state, keyDir, '--alg', 'ES256', '--activate-in', '120');
  assert.equal(second.code, 0, second.err.join('\n'));
  assert.match(second.out[0] ?? '', /^new signing key [0-9a-f]{64} activates at \d{4}-\d\d-\d\dT/);

  // The key file is the key the state names, private to the operator.
  const listed = await stella('signer', 'keys', 'list', '--state', state, '--json');
  const keys = (
    JSON.parse(listed.out[0] ?? '{}') as {
      keys: { keyid: string; privateKey: string; notAfter?: string; alg: string }[];
    }
  ).keys;
  assert.deepEqual(
    keys.map((k) => k.alg),
    ['EdDSA', 'ES256'],
  );
  assert.equal(keys[0]?.keyid, k1);
  assert.ok(keys[0]?.notAfter, 'the first key ends when the second activates');
  for (const k of keys) {
    const file = k.privateKey.replace(/^file:/, '');
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    const pem = await readFile(file, 'utf8');
    assert.equal(keyFingerprint(createPrivateKey(pem)), k.keyid);
  }

  const revoked = await stella('signer', 'keys', 'revoke', '--state', state, '--keyid', k1);
  assert.equal(revoked.code, 0, revoked.err.join('\n'));
  assert.ok((await readKeyStateFile(state)).keys[0]?.revokedAt);
  assert.ok(
    !(await readdir(path.dirname(state))).some((f) => f.endsWith('.lock') || f.endsWith('.tmp')),
  );
});

test('bad input: exit 2 with a message, and the state unchanged', async () => {
  const { state, keyDir } = await dirs();
  const alg = await rotate(state, keyDir, '--alg', 'RS256');
  assert.equal(alg.code, 2);
  assert.deepEqual(alg.err, ['stella: --alg must be EdDSA or ES256']);
  const delay = await rotate(state, keyDir, '--activate-in', '1.5');
  assert.equal(delay.code, 2);
  const unknown = await stella(
    'signer',
    'keys',
    'revoke',
    '--state',
    state,
    '--keyid',
    'f'.repeat(64),
  );
  assert.equal(unknown.code, 2);
  assert.deepEqual(unknown.err, ['stella: unknown keyid']);
  assert.deepEqual(await readKeyStateFile(state), { version: 1, keys: [] });
});

test('a held lock: exit 1 saying what to do, and no orphan private key', async () => {
  const { state, keyDir } = await dirs();
  await writeFile(`${state}.lock`, 'pid 4242 since 2026-01-01T00:00:00.000Z\n');
  const run = await rotate(state, keyDir);
  assert.equal(run.code, 1);
  assert.match(
    run.err[0] ?? '',
    /locked by another command \(pid 4242 .*remove .*signer-keys\.json\.lock/,
  );
  assert.deepEqual(await readdir(keyDir).catch(() => []), []);
});
