/**
 * `key-state-file.ts`: the operators' read-modify-write of the key state file — one writer at a
 * time (a concurrent rotation never undoes a revocation), atomic replacement, nothing written
 * when the update fails, the lock always released.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  KeyStateLockedError,
  readKeyStateFile,
  updateKeyStateFile,
} from '../src/key-state-file.ts';
import { formatKeyState, revokeKeyState, rotateKeyState } from '../src/key-state.ts';
import type { KeyState } from '../src/key-state.ts';

const T0 = Date.parse('2026-01-01T00:00:00.000Z');
const keyid = (n: number) => n.toString(16).padStart(64, '0');
const rotate = (n: number) => (state: KeyState) =>
  rotateKeyState(state, {
    keyid: keyid(n),
    alg: 'EdDSA',
    privateKey: `file:/keys/${n}.pem`,
    activateAt: T0 + n * 1000,
  });

async function stateFile(): Promise<{ dir: string; file: string }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'key-state-file-'));
  return { dir, file: path.join(dir, 'signer-keys.json') };
}

describe('key state file', () => {
  it('starts from an empty history and writes a 0600 file, leaving no temp or lock file', async () => {
    const { dir, file } = await stateFile();
    assert.deepEqual(await readKeyStateFile(file), { version: 1, keys: [] });
    const written = await updateKeyStateFile(file, rotate(1));
    assert.deepEqual(await readKeyStateFile(file), written);
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    assert.deepEqual(await readdir(dir), ['signer-keys.json']);
  });

  it('refuses while another command holds the lock, naming it; the state is untouched', async () => {
    const { file } = await stateFile();
    await updateKeyStateFile(file, rotate(1));
    const before = await readFile(file, 'utf8');
    await writeFile(`${file}.lock`, 'pid 4242 since 2026-01-01T00:00:00.000Z\n');
    await assert.rejects(
      updateKeyStateFile(file, rotate(2)),
      (e: unknown) =>
        e instanceof KeyStateLockedError &&
        e.message.includes('pid 4242') &&
        e.message.includes(`remove ${file}.lock`),
    );
    assert.equal(await readFile(file, 'utf8'), before);
    // The refused command did not remove somebody else's lock.
    assert.ok((await readdir(path.dirname(file))).includes('signer-keys.json.lock'));
  });

  it('concurrent commands: every one that succeeds is in the final state (no lost update)', async () => {
    const { dir, file } = await stateFile();
    await updateKeyStateFile(file, rotate(1));
    // A revocation racing nine rotations: each either lands or is refused as locked.
    const attempts = [
      ...Array.from({ length: 9 }, (_, i) => updateKeyStateFile(file, rotate(i + 2))),
      updateKeyStateFile(file, (s) => revokeKeyState(s, keyid(1), T0 + 500)),
    ];
    const results = await Promise.allSettled(attempts);
    for (const r of results) {
      if (r.status === 'rejected') assert.ok(r.reason instanceof KeyStateLockedError);
    }
    const final = await readKeyStateFile(file);
    results.forEach((r, i) => {
      if (r.status !== 'fulfilled') return;
      if (i < 9)
        assert.ok(
          final.keys.some((k) => k.keyid === keyid(i + 2)),
          `rotation ${i + 2}`,
        );
      else assert.ok(final.keys.find((k) => k.keyid === keyid(1))?.revokedAt, 'revocation');
    });
    assert.ok(results.some((r) => r.status === 'fulfilled'));
    assert.deepEqual(await readdir(dir), ['signer-keys.json']);
  });

  it('writes nothing when the update throws or yields a state the signers could not load', async () => {
    const { dir, file } = await stateFile();
    await updateKeyStateFile(file, rotate(1));
    const before = await readFile(file, 'utf8');
    await assert.rejects(
      updateKeyStateFile(file, () => {
        throw new Error('operator typo');
      }),
      /operator typo/,
    );
    const broken = { version: 1, keys: [{ keyid: 'nope' }] } as unknown as KeyState;
    await assert.rejects(
      updateKeyStateFile(file, () => broken),
      /invalid signer key state/,
    );
    assert.equal(await readFile(file, 'utf8'), before);
    assert.deepEqual(await readdir(dir), ['signer-keys.json'], 'lock released, no temp file');
    // A corrupt file on disk is refused too, not overwritten.
    await writeFile(file, '{"version":1,"keys":[{"keyid":');
    await assert.rejects(updateKeyStateFile(file, rotate(2)));
    assert.deepEqual(await readdir(dir), ['signer-keys.json']);
  });

  it('round-trips exactly what formatKeyState writes', async () => {
    const { file } = await stateFile();
    const state = rotate(2)(rotate(1)({ version: 1, keys: [] }));
    await updateKeyStateFile(file, () => state);
    assert.equal(await readFile(file, 'utf8'), formatKeyState(state));
  });
});
