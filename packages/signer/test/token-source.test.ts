import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fastify from 'fastify';
import { Agent } from 'undici';
import { manualClock } from '@stella/core';
import { createAuthorityTokenSource } from '../src/token-source.ts';

describe('Authority token source', () => {
  const app = fastify();
  const forms: Record<string, string>[] = [];
  let url = '';
  before(async () => {
    app.addContentTypeParser(
      'application/x-www-form-urlencoded',
      { parseAs: 'string' },
      (_r, body, done) => {
        done(null, Object.fromEntries(new URLSearchParams(String(body))));
      },
    );
    app.post('/token', async (request, reply) => {
      const form = request.body as Record<string, string>;
      forms.push(form);
      if (form['tenant'] === 'broken') return reply.code(400).send({ error: 'invalid_request' });
      return { access_token: `tok-${forms.length}`, token_type: 'Bearer', expires_in: 120 };
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const address = app.server.address();
    if (typeof address === 'object' && address !== null)
      url = `http://127.0.0.1:${address.port}/token`;
  });
  after(() => app.close());

  it('asks with client_credentials per tenant/audience/scope, caches, refreshes before expiry', async () => {
    const clock = manualClock(1_000_000);
    const source = createAuthorityTokenSource({
      tokenUrl: url,
      clientId: 'signer',
      dispatcher: new Agent(),
      clock,
      refreshBeforeMs: 30_000,
      timeoutMs: 5000,
    });
    const req = { tenant: 'acme', audience: 'attestor', scope: 'evidence:read' };
    const [a, b] = await Promise.all([source.getToken(req), source.getToken(req)]);
    assert.equal(a, b);
    assert.equal(forms.length, 1);
    assert.deepEqual(forms[0], {
      grant_type: 'client_credentials',
      client_id: 'signer',
      scope: 'evidence:read',
      audience: 'attestor',
      tenant: 'acme',
    });
    clock.advance(89_999);
    assert.equal(await source.getToken(req), a);
    clock.advance(1);
    assert.notEqual(await source.getToken(req), a);
    await source.getToken({ ...req, tenant: 'other' });
    assert.equal(forms.length, 3);
    await assert.rejects(source.getToken({ ...req, tenant: 'broken' }));
  });
});
