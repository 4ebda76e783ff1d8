/**
 * Rate limits through the gateway: per source address before authentication, per client and per
 * tenant after; 429 + Retry-After + RateLimit-* headers; KV outage fails closed by default.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { HOST, createFixture } from './helpers/fixture.ts';
import { createBrokenKv } from './helpers/fakes.ts';

const READ = '/api/v1/attestor/log/checkpoint';

describe('rate limiting', () => {
  test('per address: the (limit+1)th request → 429 with Retry-After and RateLimit-*', async () => {
    const f = await createFixture({ limits: { perAddress: { limit: 2, windowMs: 60_000 } } });
    try {
      const get = () =>
        f.service.app.inject({ method: 'GET', url: '/jwks', headers: { host: HOST } });
      const first = await get();
      assert.equal(first.statusCode, 200);
      assert.equal(first.headers['ratelimit-limit'], '2');
      assert.equal(first.headers['ratelimit-remaining'], '1');
      assert.equal(first.headers['ratelimit-reset'], '60');
      assert.equal((await get()).statusCode, 200);
      const limited = await get();
      assert.equal(limited.statusCode, 429);
      assert.deepEqual(limited.json(), {
        error: {
          code: 'rate_limited',
          message: 'too many requests',
          correlationId: limited.headers['x-correlation-id'],
        },
      });
      assert.equal(limited.headers['retry-after'], '60');
      assert.equal(limited.headers['ratelimit-remaining'], '0');
      const event = f.audit.events.find(
        (e) => e.correlationId === limited.headers['x-correlation-id'],
      );
      assert.equal(event?.outcome, 'rate_limited');
      f.clock.advance(60_001); // the memory KV shares the clock: the window expires
      assert.equal((await get()).statusCode, 200);
    } finally {
      await f.close();
    }
  });

  test('per address behind a trusted front door: X-Forwarded-For names the client; from anyone else it is ignored', async () => {
    const limits = { perAddress: { limit: 1, windowMs: 60_000 } };
    const get = (f: Awaited<ReturnType<typeof createFixture>>, xff?: string) =>
      f.service.app.inject({
        method: 'GET',
        url: '/jwks',
        headers: { host: HOST, ...(xff === undefined ? {} : { 'x-forwarded-for': xff }) },
      });
    // inject() connects from 127.0.0.1: trusted here, so each forwarded client has its own bucket.
    const behind = await createFixture({ limits, trustedProxies: ['127.0.0.1'] });
    try {
      assert.equal((await get(behind, '203.0.113.7')).statusCode, 200);
      assert.equal((await get(behind, '203.0.113.8')).statusCode, 200);
      assert.equal((await get(behind, '203.0.113.7')).statusCode, 429);
      // A list, garbage or no header: the peer's own bucket (a client never picks its bucket).
      assert.equal((await get(behind, '198.51.100.1, 203.0.113.9')).statusCode, 200);
      assert.equal((await get(behind, 'not-an-ip')).statusCode, 429);
      assert.equal((await get(behind)).statusCode, 429);
    } finally {
      await behind.close();
    }
    const direct = await createFixture({ limits });
    try {
      assert.equal((await get(direct, '203.0.113.7')).statusCode, 200);
      assert.equal((await get(direct, '203.0.113.8')).statusCode, 429);
    } finally {
      await direct.close();
    }
  });

  test('per client and per tenant after authentication (route override)', async () => {
    const f = await createFixture({
      limits: {
        perClient: { limit: 1, windowMs: 60_000 },
        perTenant: { limit: 100, windowMs: 60_000 },
      },
    });
    try {
      const read = async () =>
        f.service.app.inject({
          method: 'GET',
          url: READ,
          headers: {
            host: HOST,
            ...(await f.dpopHeaders('GET', READ, { aud: 'attestor', scope: 'attestor:read' })),
          },
        });
      const ok = await read();
      assert.equal(ok.statusCode, 200);
      assert.equal(ok.headers['ratelimit-remaining'], '0');
      const limited = await read();
      assert.equal(limited.statusCode, 429);
      assert.equal(limited.json().error.code, 'rate_limited');
      const event = f.audit.events.find(
        (e) => e.correlationId === limited.headers['x-correlation-id'],
      );
      assert.equal(event?.tenant, 'tenant-a');
      assert.equal(event?.actor?.clientId, 'ci-client');
    } finally {
      await f.close();
    }
  });

  test('KV down: authenticated and public routes fail closed with 503 rate_limit_unavailable', async () => {
    const f = await createFixture({ kv: createBrokenKv() });
    try {
      for (const url of [READ, '/jwks']) {
        const res = await f.service.app.inject({ method: 'GET', url, headers: { host: HOST } });
        assert.equal(res.statusCode, 503);
        assert.deepEqual(res.json(), {
          error: {
            code: 'rate_limit_unavailable',
            message: 'rate limiting is unavailable',
            correlationId: res.headers['x-correlation-id'],
          },
        });
      }
    } finally {
      await f.close();
    }
  });

  test('KV down with fail-open configured for public routes: public passes, token routes still closed', async () => {
    const f = await createFixture({
      kv: createBrokenKv(),
      limits: { rateLimitFailModePublic: 'open' },
    });
    try {
      const pub = await f.service.app.inject({
        method: 'GET',
        url: '/jwks',
        headers: { host: HOST },
      });
      assert.equal(pub.statusCode, 200);
      const auth = await f.service.app.inject({
        method: 'GET',
        url: READ,
        headers: { host: HOST },
      });
      assert.equal(auth.statusCode, 503);
    } finally {
      await f.close();
    }
  });
});
