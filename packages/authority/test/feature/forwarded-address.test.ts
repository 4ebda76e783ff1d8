import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { FORM, form } from '../support.ts';
import { clientUri, serviceUri } from '@stella/testkit';
import type { TestCertificate as Pem } from '@stella/testkit';
import { TRUST_DOMAIN, startHttpsAuthority } from '../https-harness.ts';
import type { HttpsHarness } from '../https-harness.ts';
import { httpsClient } from '../https-client.ts';

describe('per-address /token limit behind the gateway counts the client address', () => {
  let h: HttpsHarness;
  let gateway: Pem;
  let stranger: Pem;
  const clients: ReturnType<typeof httpsClient>[] = [];
  const send = (identity: Pem | undefined, forwardedFor?: string) => {
    const c = httpsClient(h.baseUrl, h.ca.cert, identity);
    clients.push(c);
    return c.send('POST', '/token', {
      headers: {
        'content-type': FORM,
        ...(forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor }),
      },
      body: form({ grant_type: 'client_credentials', client_id: 'nobody' }),
    });
  };

  before(async () => {
    h = await startHttpsAuthority({ tokenAddressLimit: { limit: 2, windowMs: 60_000 } });
    gateway = await h.ca.issue('gateway', { uris: [serviceUri('gateway', TRUST_DOMAIN)] });
    stranger = await h.ca.issue('stranger', { uris: [clientUri('stranger')] });
  });
  after(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await h.close();
  });

  test('from the gateway: X-Forwarded-For (rightmost entry) is the limited address', async () => {
    // Unauthenticated requests still count: the limit runs before the body is parsed.
    assert.equal((await send(gateway, '198.51.100.1, 203.0.113.7')).status, 401);
    assert.equal((await send(gateway, '203.0.113.7')).status, 401);
    const limited = await send(gateway, '203.0.113.7');
    assert.equal(limited.status, 429);
    assert.deepEqual(limited.json(), {
      error: 'rate_limited',
      error_description: 'too many requests',
    });
    assert.match(String(limited.headers['retry-after']), /^[1-9][0-9]*$/);
    const event = h.audit.events.find((e) => e.type === 'authority.token.rate_limited');
    assert.equal(event?.network?.address, '203.0.113.7');
    assert.equal(event?.properties?.['step'], 'limitAddress');
    // Another client behind the same gateway has its own budget.
    assert.equal((await send(gateway, '203.0.113.8')).status, 401);
  });

  test('from any other peer: X-Forwarded-For is ignored and the socket address counts', async () => {
    assert.equal((await send(stranger, '192.0.2.1')).status, 401);
    assert.equal((await send(undefined, '192.0.2.2')).status, 401);
    const limited = await send(stranger, '192.0.2.3');
    assert.equal(limited.status, 429);
    const events = h.audit.events.filter((e) => e.type === 'authority.token.rate_limited');
    assert.equal(events.at(-1)?.network?.address, '127.0.0.1');
  });

  test('from the gateway without a usable X-Forwarded-For the socket address counts', async () => {
    // 127.0.0.1 is already over its budget from the previous test.
    assert.equal((await send(gateway)).status, 429);
    assert.equal((await send(gateway, 'not-an-ip')).status, 429);
  });
});
