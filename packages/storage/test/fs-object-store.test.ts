/**
 * ObjectStore contract for the filesystem adapter: content addressing, write-once, verified
 * reads, size and digest limits on streamed (attacker-supplied) bodies, file permissions.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { sha256Digest } from '@stella/core';
import type { ObjectStore } from '@stella/core';
import { createFsObjectStore } from '../src/index.ts';

const enc = new TextEncoder();

async function* chunks(...parts: string[]): AsyncIterable<Uint8Array> {
  for (const p of parts) yield enc.encode(p);
}

describe('fs object store', () => {
  let dir: string;
  let store: ObjectStore;
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'stella-objects-'));
    store = createFsObjectStore({ dir });
  });
  after(async () => rm(dir, { recursive: true, force: true }));

  const tmpEntries = async () => readdir(path.join(dir, 'tmp')).catch(() => []);

  it('round-trips bytes under sha256/<ab>/<hex>', async () => {
    const bytes = enc.encode('hello evidence');
    const result = await store.put(bytes);
    assert.deepEqual(result, { digest: sha256Digest(bytes), size: bytes.length, created: true });
    const hex = result.digest.slice(7);
    const file = path.join(dir, 'sha256', hex.slice(0, 2), hex);
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    assert.equal((await stat(path.dirname(file))).mode & 0o777, 0o700);
    assert.deepEqual(await store.get(result.digest), bytes);
    assert.equal(await store.has(result.digest), true);
  });

  it('is idempotent and never overwrites: a re-put reports created:false', async () => {
    const bytes = enc.encode('same bytes');
    const first = await store.put(bytes);
    const again = await Promise.all([
      store.put(bytes),
      store.put(bytes),
      store.putStream(chunks('same ', 'bytes'), { maxBytes: 100 }),
    ]);
    assert.equal(first.created, true);
    assert.deepEqual(
      again.map((r) => [r.digest, r.created]),
      [
        [first.digest, false],
        [first.digest, false],
        [first.digest, false],
      ],
    );
    assert.deepEqual(await tmpEntries(), []);
  });

  it('concurrent first puts of the same bytes create exactly once', async () => {
    const bytes = enc.encode(`race ${Date.now()}`);
    const results = await Promise.all(Array.from({ length: 10 }, () => store.put(bytes)));
    assert.equal(results.filter((r) => r.created).length, 1);
  });

  it('returns undefined / false for an absent object', async () => {
    const absent = sha256Digest('never stored');
    assert.equal(await store.get(absent), undefined);
    assert.equal(await store.has(absent), false);
  });

  it('detects a corrupted file and never returns its bytes', async () => {
    const { digest } = await store.put(enc.encode('original'));
    const hex = digest.slice(7);
    await writeFile(path.join(dir, 'sha256', hex.slice(0, 2), hex), 'tampered');
    await assert.rejects(store.get(digest), { code: 'object_corrupted' });
  });

  it('refuses a stream beyond maxBytes and stores nothing', async () => {
    await assert.rejects(store.putStream(chunks('12345', '67890', 'x'), { maxBytes: 10 }), {
      code: 'object_too_large',
    });
    assert.equal(await store.has(sha256Digest('1234567890x')), false);
    assert.deepEqual(await tmpEntries(), []);
    const exact = await store.putStream(chunks('12345', '67890'), { maxBytes: 10 });
    assert.equal(exact.size, 10);
  });

  it('refuses an expectedDigest mismatch and stores nothing', async () => {
    await assert.rejects(
      store.putStream(chunks('actual body'), {
        maxBytes: 100,
        expectedDigest: sha256Digest('other body'),
      }),
      { code: 'digest_mismatch' },
    );
    assert.equal(await store.has(sha256Digest('actual body')), false);
    assert.deepEqual(await tmpEntries(), []);
    const ok = await store.putStream(chunks('actual body'), {
      maxBytes: 100,
      expectedDigest: sha256Digest('actual body'),
    });
    assert.equal(ok.created, true);
  });

  it('refuses malformed digests (path traversal included) on every entry point', async () => {
    const bad = [
      'sha256:../../etc/passwd',
      'sha256:' + 'A'.repeat(64),
      'md5:abc',
      '',
      'sha256:' + '0'.repeat(63),
    ];
    for (const digest of bad) {
      await assert.rejects(store.get(digest), { code: 'invalid_digest' });
      await assert.rejects(store.has(digest), { code: 'invalid_digest' });
      await assert.rejects(store.putStream(chunks('x'), { maxBytes: 10, expectedDigest: digest }), {
        code: 'invalid_digest',
      });
    }
  });

  it('property: any bytes round-trip to their SHA-256 digest', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 2048 }), async (bytes) => {
        const r = await store.put(bytes);
        assert.equal(r.digest, sha256Digest(bytes));
        assert.deepEqual(await store.get(r.digest), bytes);
      }),
      { numRuns: 50 },
    );
  });

  it('property: any string that is not sha256:<64 lowercase hex> is refused by get', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.string({ maxLength: 80 }).filter((s) => !/^sha256:[0-9a-f]{64}$/.test(s)),
        async (text) => {
          await assert.rejects(store.get(text), { code: 'invalid_digest' });
        },
      ),
      { numRuns: 200 },
    );
  });
});
