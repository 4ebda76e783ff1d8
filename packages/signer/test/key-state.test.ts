import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, writeFile, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { manualClock } from '@stella/core';
import type { Logger } from '@stella/core';
import { createSigningKey, generateSigningKey } from '@stella/crypto';
import { isKeyValidAt, publishSignerKeys, selectSigningKey } from '../src/key-ring.ts';
import type { SignerKeyEntry } from '../src/key-ring.ts';
import { formatKeyState, parseKeyState, revokeKeyState, rotateKeyState } from '../src/key-state.ts';
import { createKeyStateSource } from '../src/key-state-source.ts';

const T0 = Date.parse('2026-01-01T00:00:00.000Z');
const silent: Logger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
  child: () => silent,
};

function entry(notBefore: number, extra: Partial<SignerKeyEntry> = {}): SignerKeyEntry {
  return { key: createSigningKey(generateSigningKey().privateKey), notBefore, ...extra };
}

describe('key ring', () => {
  it('selects the newest key valid now; none valid → undefined (fail closed)', () => {
    const old = entry(T0, { notAfter: T0 + 1000 });
    const next = entry(T0 + 1000);
    assert.equal(selectSigningKey([old, next], T0 + 999), old);
    assert.equal(selectSigningKey([old, next], T0 + 1000), next);
    assert.equal(selectSigningKey([old, next], T0 - 1), undefined);
    const revoked = entry(T0, { revokedAt: T0 + 5 });
    assert.equal(selectSigningKey([revoked], T0 + 5), undefined);
    assert.equal(isKeyValidAt(revoked, T0 + 4), true);
  });

  it('publishes every key with RFC 3339 windows and public JWKs only', () => {
    const a = entry(T0, { notAfter: T0 + 1000, revokedAt: T0 + 2000 });
    const { keys } = publishSignerKeys([a]);
    assert.deepEqual(keys, [
      {
        keyid: a.key.keyid,
        alg: 'EdDSA',
        publicKey: a.key.publicJwk,
        notBefore: '2026-01-01T00:00:00.000Z',
        notAfter: '2026-01-01T00:00:01.000Z',
        revokedAt: '2026-01-01T00:00:02.000Z',
      },
    ]);
    assert.equal(JSON.stringify(keys).includes('"d"'), false);
  });
});

describe('key state', () => {
  const base = { version: 1 as const, keys: [] };

  it('rotation closes the open key at activation and adds the new one', () => {
    const s1 = rotateKeyState(base, {
      keyid: 'a'.repeat(64),
      alg: 'EdDSA',
      privateKey: 'file:/k/a.pem',
      activateAt: T0,
    });
    const s2 = rotateKeyState(s1, {
      keyid: 'b'.repeat(64),
      alg: 'EdDSA',
      privateKey: 'file:/k/b.pem',
      activateAt: T0 + 60_000,
    });
    assert.deepEqual(
      s2.keys.map((k) => [k.keyid[0], k.notBefore, k.notAfter]),
      [
        ['a', '2026-01-01T00:00:00.000Z', '2026-01-01T00:01:00.000Z'],
        ['b', '2026-01-01T00:01:00.000Z', undefined],
      ],
    );
    assert.deepEqual(parseKeyState(formatKeyState(s2)), s2);
    // Boundaries round up to whole seconds (integratedTime resolution).
    const s3 = revokeKeyState(s2, 'a'.repeat(64), T0 + 1);
    assert.equal(s3.keys[0]?.revokedAt, '2026-01-01T00:00:01.000Z');
    const s4 = rotateKeyState(s2, {
      keyid: 'c'.repeat(64),
      alg: 'EdDSA',
      privateKey: 'file:/keys/c.pem',
      activateAt: T0 + 120_500,
    });
    assert.equal(s4.keys.at(-1)?.notBefore, '2026-01-01T00:02:01.000Z');
    assert.equal(s4.keys[1]?.notAfter, '2026-01-01T00:02:01.000Z');
  });

  it('refuses key material in the file, duplicates, unknown fields and bad times', () => {
    const good = {
      keyid: 'a'.repeat(64),
      alg: 'EdDSA',
      privateKey: 'file:/k',
      notBefore: '2026-01-01T00:00:00Z',
    };
    for (const bad of [
      { version: 1, keys: [{ ...good, privateKey: '-----BEGIN PRIVATE KEY-----' }] },
      { version: 1, keys: [good, good] },
      { version: 1, keys: [{ ...good, d: 'x' }] },
      { version: 1, keys: [{ ...good, notBefore: 'yesterday' }] },
      { version: 1, keys: [{ ...good, alg: 'RS256' }] },
      { version: 2, keys: [] },
    ]) {
      assert.throws(() => parseKeyState(JSON.stringify(bad)), TypeError);
    }
    assert.throws(() => parseKeyState('{"version":1,"version":1,"keys":[]}'));
  });

  it('a file-backed source picks up a rotation without restart and keeps keys on a broken rewrite', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'signer-keys-'));
    const secrets = new Map<string, Uint8Array>();
    const addKey = (name: string) => {
      const { privateKey } = generateSigningKey();
      const pem = privateKey.export({ format: 'pem', type: 'pkcs8' });
      secrets.set(`file:${name}`, new TextEncoder().encode(String(pem)));
      return createSigningKey(privateKey);
    };
    const k1 = addKey('k1');
    const statePath = path.join(dir, 'keys.json');
    let state = rotateKeyState(base, {
      keyid: k1.keyid,
      alg: 'EdDSA',
      privateKey: 'file:k1',
      activateAt: T0,
    });
    await writeFile(statePath, formatKeyState(state));
    const clock = manualClock(T0);
    const source = await createKeyStateSource({
      statePath,
      resolveSecret: async (ref) => secrets.get(ref) ?? Promise.reject(new Error('no secret')),
      clock,
      logger: silent,
      reloadIntervalMs: 1000,
    });
    assert.deepEqual(
      (await source.current()).map((e) => e.key.keyid),
      [k1.keyid],
    );
    const k2 = addKey('k2');
    state = rotateKeyState(state, {
      keyid: k2.keyid,
      alg: 'EdDSA',
      privateKey: 'file:k2',
      activateAt: T0 + 5000,
    });
    await writeFile(statePath, formatKeyState(state));
    await utimes(statePath, new Date(T0 + 10_000), new Date(T0 + 10_000));
    clock.advance(1000);
    const entries = await source.current();
    assert.deepEqual(
      entries.map((e) => e.key.keyid),
      [k1.keyid, k2.keyid],
    );
    assert.equal(selectSigningKey(entries, clock.now())?.key.keyid, k1.keyid);
    assert.equal(selectSigningKey(entries, T0 + 5000)?.key.keyid, k2.keyid);
    await writeFile(statePath, '{broken');
    await utimes(statePath, new Date(T0 + 20_000), new Date(T0 + 20_000));
    clock.advance(1000);
    assert.equal((await source.current()).length, 2);
  });

  it('refuses a state entry whose key material does not match its keyid', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'signer-keys-'));
    const statePath = path.join(dir, 'keys.json');
    const { privateKey } = generateSigningKey();
    const pem = new TextEncoder().encode(
      String(privateKey.export({ format: 'pem', type: 'pkcs8' })),
    );
    const state = rotateKeyState(base, {
      keyid: 'f'.repeat(64),
      alg: 'EdDSA',
      privateKey: 'file:x',
      activateAt: T0,
    });
    await writeFile(statePath, formatKeyState(state));
    await assert.rejects(
      createKeyStateSource({
        statePath,
        resolveSecret: async () => pem,
        clock: manualClock(T0),
        logger: silent,
        reloadIntervalMs: 1,
      }),
      TypeError,
    );
  });
});
