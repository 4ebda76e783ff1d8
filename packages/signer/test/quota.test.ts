import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isStellaError, manualClock } from '@stella/core';
import type { KeyValueStore } from '@stella/core';
import { createMemoryKv, createValkeyKv } from '@stella/storage';
import { acquireQuota } from '../src/quota.ts';
import type { QuotaPolicy } from '../src/quota.ts';

const policy: QuotaPolicy = {
  defaults: { requestsPerMinute: 3, maxRequestBytes: 100, maxConcurrent: 2 },
  tenants: { big: { requestsPerMinute: 100 } },
  leaseMs: 60_000,
};

function quotaError(e: unknown, retryAfter: string | undefined): boolean {
  return (
    isStellaError(e) &&
    e.code === 'quota_exceeded' &&
    e.status === 429 &&
    e.extra['retryAfter'] === retryAfter
  );
}

function suite(name: string, makeKv: () => KeyValueStore, prefix: string) {
  describe(`quotas (${name})`, () => {
    const T = Date.parse('2026-01-01T00:00:10Z');
    it('bytes per request (no Retry-After), requests per minute and concurrency', async () => {
      const kv = makeKv();
      const t = `${prefix}-a`;
      await assert.rejects(acquireQuota(kv, policy, t, 101, T, 'l0'), (e) =>
        quotaError(e, undefined),
      );
      const l1 = await acquireQuota(kv, policy, t, 10, T, 'l1');
      const l2 = await acquireQuota(kv, policy, t, 10, T, 'l2');
      await assert.rejects(acquireQuota(kv, policy, t, 10, T, 'l3'), (e) => quotaError(e, '1'));
      await l1.release();
      await l2.release();
      // 4th request in the same minute window → rate limited with Retry-After ≤ 60 s.
      await assert.rejects(acquireQuota(kv, policy, t, 10, T, 'l4'), (e) => {
        const ra = isStellaError(e) ? Number(e.extra['retryAfter']) : NaN;
        return isStellaError(e) && e.code === 'quota_exceeded' && ra >= 1 && ra <= 60;
      });
      // Per-tenant overrides apply to that tenant only.
      const lb = await acquireQuota(kv, policy, `big`, 10, T, 'lb');
      await lb.release();
      await kv.close();
    });
  });
}

suite(
  'memory',
  () => createMemoryKv({ clock: manualClock(Date.parse('2026-01-01T00:00:10Z')) }),
  'm',
);
const valkeyUrl = process.env['STELLA_TEST_VALKEY_URL'];
if (valkeyUrl === undefined) {
  it('quotas (valkey)', { skip: 'set STELLA_TEST_VALKEY_URL' }, () => {});
} else {
  const run = `signer-test-${process.pid}-${Date.now()}`;
  suite('valkey', () => createValkeyKv({ url: valkeyUrl, keyPrefix: `${run}:` }), run);
}
