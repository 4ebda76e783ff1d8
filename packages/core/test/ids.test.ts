import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { manualClock } from '../src/clock.ts';
import { createIdGenerator, createRandomPool, uuidv7 } from '../src/ids.ts';

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

test('pooled generator: RFC 9562 v7 layout, timestamp prefix, unique across several pool refills', () => {
  const clock = manualClock(0x0123456789ab);
  const ids = createIdGenerator(clock);
  const seen = new Set<string>();
  // 4 KiB pool / 10 bytes per uuid: 2,000 ids cross the refill boundary four times.
  for (let i = 0; i < 2000; i += 1) {
    const id = ids.uuid();
    assert.match(id, UUID_V7);
    assert.ok(id.startsWith('01234567-89ab-'));
    seen.add(id);
  }
  assert.equal(seen.size, 2000);
});

test('pooled generator: random() yields the requested length and never repeats', () => {
  const ids = createIdGenerator(manualClock(0));
  const seen = new Set<string>();
  for (let i = 0; i < 1000; i += 1) {
    const value = ids.random();
    assert.equal(Buffer.from(value, 'base64url').length, 16);
    seen.add(value);
  }
  assert.equal(seen.size, 1000);
  assert.equal(Buffer.from(ids.random(32), 'base64url').length, 32);
  // Larger than the pool: drawn directly, still the requested length.
  assert.equal(Buffer.from(ids.random(5000), 'base64url').length, 5000);
});

test('random pool: returned arrays are copies (mutating one leaves later draws alone)', () => {
  const rand = createRandomPool(16);
  const a = rand(8);
  const b = rand(8);
  a.fill(0);
  assert.notDeepEqual(b, new Uint8Array(8).fill(0));
  assert.equal(a.buffer === b.buffer, false);
});

test('random pool: rejects invalid sizes and counts', () => {
  assert.throws(() => createRandomPool(8), TypeError);
  assert.throws(() => createRandomPool(Number.NaN), TypeError);
  const rand = createRandomPool(64);
  assert.throws(() => rand(-1), TypeError);
  assert.throws(() => rand(1.5), TypeError);
  assert.equal(rand(0).length, 0);
});

test('random pool: any sequence of draws returns exactly the requested lengths (property)', () => {
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 0, max: 200 }), { maxLength: 100 }), (sizes) => {
      const rand = createRandomPool(128);
      for (const n of sizes) assert.equal(rand(n).length, n);
    }),
  );
});

test('uuidv7 with an injected source uses exactly its bytes (version and variant forced)', () => {
  const id = uuidv7(manualClock(0), (n) => new Uint8Array(n).fill(0xff));
  assert.equal(id, '00000000-0000-7fff-bfff-ffffffffffff');
});
