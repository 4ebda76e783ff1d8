import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HOST, createFixture } from './helpers/fixture.ts';

test('readyz: an unreachable upstream → 503 not_ready without internals', async () => {
  const f = await createFixture();
  try {
    await f.upstream.app.close();
    const res = await f.service.app.inject({
      method: 'GET',
      url: '/readyz',
      headers: { host: HOST },
    });
    assert.equal(res.statusCode, 503);
    assert.deepEqual(res.json(), { status: 'not_ready' });
  } finally {
    await f.service.close();
  }
});

test('an unroutable upstream answers 502 bad_gateway without internals', async () => {
  const f = await createFixture();
  try {
    await f.upstream.app.close();
    const res = await f.service.app.inject({
      method: 'GET',
      url: '/jwks',
      headers: { host: HOST },
    });
    assert.equal(res.statusCode, 502);
    assert.deepEqual(res.json(), {
      error: {
        code: 'bad_gateway',
        message: 'the upstream service failed',
        correlationId: res.headers['x-correlation-id'],
      },
    });
  } finally {
    await f.service.close();
  }
});

for (const method of ['TRACE', 'PROPFIND', 'CONNECT']) {
  test(`${method} is never routed`, async () => {
    const f = await createFixture();
    try {
      const res = await f.service.app.inject({
        method: method as 'GET',
        url: '/jwks',
        headers: { host: HOST },
      });
      assert.ok([404, 405].includes(res.statusCode), String(res.statusCode));
      assert.ok(['not_found', 'method_not_allowed'].includes(res.json().error.code));
    } finally {
      await f.close();
    }
  });
}
