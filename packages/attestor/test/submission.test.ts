// The submission parser (attacker-controlled bytes) and the signer key-set sources.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { isStellaError, manualClock } from '@stella/core';
import { attestorErrorCodes } from '../src/errors.ts';
import { prepareEntry } from '../src/submission/prepare-entry.ts';
import {
  createHttpSignerKeySource,
  createStaticSignerKeySource,
  parseSignerKeySet,
} from '../src/submission/signer-keys.ts';
import { envelopeFor, signerKey } from './helpers/fixtures.ts';

const clock = manualClock(Date.UTC(2025, 0, 1));
const published = {
  keyid: signerKey.keyid,
  alg: signerKey.alg,
  publicKey: { ...signerKey.publicJwk },
  notBefore: '2024-01-01T00:00:00Z',
};
const deps = {
  keys: createStaticSignerKeySource([published]),
  clock,
  evidenceBytes: () => Promise.resolve(undefined),
  maxEnvelopeBytes: 64 * 1024,
};

test('prepareEntry: a valid envelope becomes a prepared entry', async () => {
  const artifact = Buffer.from('a');
  const envelope = await envelopeFor([artifact]);
  const entry = await prepareEntry(Buffer.from(JSON.stringify({ envelope })), deps);
  assert.equal(entry.subjects.length, 1);
  assert.match(entry.envelopeSha256, /^[0-9a-f]{64}$/);
});

test('prepareEntry: key not yet valid and extra body fields are refused', async () => {
  const envelope = await envelopeFor([Buffer.from('b')]);
  const future = createStaticSignerKeySource([{ ...published, notBefore: '2030-01-01T00:00:00Z' }]);
  await assert.rejects(
    prepareEntry(Buffer.from(JSON.stringify({ envelope })), { ...deps, keys: future }),
    (e) => isStellaError(e) && e.code === 'key_not_valid',
  );
  await assert.rejects(
    prepareEntry(Buffer.from(JSON.stringify({ envelope, x: 1 })), deps),
    (e) => isStellaError(e) && e.code === 'invalid_request',
  );
});

test('prepareEntry property: arbitrary bodies are refused with an attestor code, never a crash', async () => {
  const envelope = await envelopeFor([Buffer.from('c')]);
  const good = Buffer.from(JSON.stringify({ envelope }));
  await fc.assert(
    fc.asyncProperty(
      fc.oneof(
        fc.uint8Array({ maxLength: 512 }),
        fc.json().map((j) => Buffer.from(j)),
        // single-byte corruption of a valid body
        fc.tuple(fc.nat(good.length - 1), fc.integer({ min: 1, max: 255 })).map(([i, x]) => {
          const copy = Buffer.from(good);
          copy[i] = copy[i]! ^ x;
          return copy;
        }),
      ),
      async (body) => {
        try {
          await prepareEntry(body, deps);
          // A flip inside e.g. whitespace-free JSON can only succeed if it left the body equal.
          return Buffer.compare(Buffer.from(body), good) === 0;
        } catch (error) {
          return isStellaError(error) && error.code in attestorErrorCodes;
        }
      },
    ),
    { numRuns: 300 },
  );
});

test('parseSignerKeySet refuses malformed key sets', () => {
  for (const bad of [
    null,
    {},
    { keys: {} },
    { keys: [{ keyid: 1 }] },
    { keys: [{ ...published, notBefore: 'x' }] },
  ]) {
    assert.throws(() => parseSignerKeySet(bad));
  }
  assert.equal(parseSignerKeySet({ keys: [published] })[0]!.keyid, published.keyid);
});

test('http signer key source: caches, refreshes an unknown keyid at most once per interval', async () => {
  let fetches = 0;
  const server = createServer((_req, res) => {
    fetches += 1;
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ keys: fetches === 1 ? [] : [published] }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = server.address() as AddressInfo;
    const t = manualClock(0);
    const source = createHttpSignerKeySource({
      url: `http://127.0.0.1:${port}/api/v1/signer/keys`,
      clock: t,
      maxAgeMs: 60_000,
      minRefreshIntervalMs: 1_000,
      timeoutMs: 5_000,
    });
    assert.equal(await source.lookup('nope'), undefined); // first fetch: empty set
    assert.equal(fetches, 1);
    assert.equal(await source.lookup(published.keyid), undefined); // throttled
    assert.equal(fetches, 1);
    t.advance(1_000);
    assert.equal((await source.lookup(published.keyid))?.keyid, published.keyid);
    assert.equal(fetches, 2);
    assert.equal((await source.lookup(published.keyid))?.keyid, published.keyid); // cached
    assert.equal(fetches, 2);
  } finally {
    server.close();
  }
});
