/**
 * Feature tests: every hygiene / WAF rule through the real gateway (`inject`), asserting exact
 * status, body, protocol headers and the audit event. Parser-level refusals (CL+TE at the socket,
 * obs-fold, oversized heads) are in `http-parser.feature.test.ts`.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { HOST, createFixture } from './helpers/fixture.ts';
import type { Fixture } from './helpers/fixture.ts';

let f: Fixture;
before(async () => {
  f = await createFixture();
});
after(() => f.close());

async function send(options: {
  method?: string;
  url: string;
  headers?: Record<string, string | string[]>;
  payload?: string | Buffer;
}) {
  return f.service.app.inject({
    method: (options.method ?? 'GET') as 'GET',
    url: options.url,
    headers: { host: HOST, ...options.headers },
    ...(options.payload === undefined ? {} : { payload: options.payload }),
  });
}

function expectRefusal(
  res: Awaited<ReturnType<typeof send>>,
  status: number,
  code: string,
  message: string,
) {
  assert.equal(res.statusCode, status);
  const correlationId = res.headers['x-correlation-id'];
  assert.equal(typeof correlationId, 'string');
  assert.deepEqual(res.json(), { error: { code, message, correlationId } });
  const event = f.audit.events.find((e) => e.correlationId === correlationId);
  assert.ok(event, 'refusal is audited');
  assert.equal(event.type, 'gateway.request.denied');
  assert.equal(event.reason, code);
  assert.equal(event.tenant, '_platform');
  assert.equal(event.network?.address, '127.0.0.1');
}

describe('request hygiene', () => {
  test('body over the route cap by Content-Length → 413 body_too_large, nothing forwarded', async () => {
    const before = f.upstream.seen.length;
    const res = await send({
      method: 'POST',
      url: '/token',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: Buffer.alloc(64 * 1024 + 1, 0x61),
    });
    expectRefusal(res, 413, 'body_too_large', 'the request body is too large for this route');
    assert.equal(f.upstream.seen.length, before);
  });

  test('a body on a bodyless route → 413', async () => {
    const res = await send({
      method: 'GET',
      url: '/jwks',
      headers: { 'content-type': 'application/json' },
      payload: '{}',
    });
    expectRefusal(res, 413, 'body_too_large', 'the request body is too large for this route');
  });

  test('too many header fields → 431 headers_too_large', async () => {
    const headers: Record<string, string> = {};
    for (let i = 0; i < 70; i += 1) headers[`x-h${i}`] = 'v';
    const res = await send({ url: '/jwks', headers });
    expectRefusal(res, 431, 'headers_too_large', 'too many or too large request headers');
  });

  test('an oversized header value → 431', async () => {
    const res = await send({ url: '/jwks', headers: { 'x-big': 'a'.repeat(8 * 1024 + 1) } });
    expectRefusal(res, 431, 'headers_too_large', 'too many or too large request headers');
  });

  test('Content-Length together with Transfer-Encoding → 400 request_smuggling', async () => {
    const res = await send({
      method: 'POST',
      url: '/token',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'transfer-encoding': 'chunked',
        'content-length': '3',
      },
      payload: 'a=b',
    });
    expectRefusal(
      res,
      400,
      'request_smuggling',
      'ambiguous message framing (Content-Length / Transfer-Encoding)',
    );
  });

  test('a control character in a header value → 400 invalid_header', async () => {
    const res = await send({ url: '/jwks', headers: { 'x-evil': 'a\u0001b' } });
    expectRefusal(res, 400, 'invalid_header', 'a header contains invalid characters');
  });

  // inject() resolves `..`, `%2e%2e` and `.` itself (WHATWG URL); those are sent raw over a
  // socket in http-parser.feature.test.ts.
  for (const url of [
    '/api/v1/evidence/a%2fb',
    '/api/v1/evidence/a%5Cb',
    '/api/v1/evidence/a%00',
    '/jwks?x=%00',
    '/api/v1/evidence/%252e%252e/x',
    '/api/v1//evidence/x',
    '/api/v1/%65vidence/x',
  ]) {
    test(`path traversal ${url} → 400 path_traversal`, async () => {
      const res = await send({ url });
      expectRefusal(res, 400, 'path_traversal', 'the request path is not allowed');
    });
  }

  test('a method not declared for the route → 405 with Allow', async () => {
    const res = await send({ method: 'DELETE', url: '/api/v1/evidence/sha256:00' });
    expectRefusal(res, 405, 'method_not_allowed', 'the method is not allowed for this route');
    assert.equal(res.headers['allow'], 'GET, HEAD');
  });

  test('POST /api/v1/attestor/entries (private append) is not routed → 405', async () => {
    const res = await send({
      method: 'POST',
      url: '/api/v1/attestor/entries',
      headers: { 'content-type': 'application/json' },
      payload: '{}',
    });
    expectRefusal(res, 405, 'method_not_allowed', 'the method is not allowed for this route');
    assert.equal(res.headers['allow'], 'GET, HEAD');
  });

  test('a content type not declared for the route → 415', async () => {
    const res = await send({
      method: 'POST',
      url: '/token',
      headers: { 'content-type': 'application/json' },
      payload: '{}',
    });
    expectRefusal(
      res,
      415,
      'unsupported_media_type',
      'the content type is not allowed for this route',
    );
  });

  test('a body without a content type → 415', async () => {
    const res = await send({ method: 'POST', url: '/token', payload: 'a=b' });
    expectRefusal(
      res,
      415,
      'unsupported_media_type',
      'the content type is not allowed for this route',
    );
  });

  test('an unknown Host → 421 misdirected_request', async () => {
    const res = await send({ url: '/jwks', headers: { host: 'evil.example' } });
    expectRefusal(res, 421, 'misdirected_request', 'unknown host');
  });

  for (const url of ['/nope', '/internal/keys/rotate', '/Internal/x', '/api/v1/signer/sign']) {
    test(`undeclared ${url} → 404 not_found`, async () => {
      const res = await send({ url });
      expectRefusal(res, 404, 'not_found', 'no such route');
    });
  }

  test('a public route passes hygiene and is forwarded without identity headers', async () => {
    const res = await send({ url: '/.well-known/openid-configuration' });
    assert.equal(res.statusCode, 200);
    const seen = f.upstream.seen.at(-1);
    assert.equal(seen?.url, '/.well-known/openid-configuration');
    assert.equal(seen?.headers['x-stellaops-identity'], undefined);
    assert.equal(seen?.headers['x-correlation-id'], res.headers['x-correlation-id']);
  });

  test('a well-formed inbound correlation id is kept and echoed; a malformed one replaced', async () => {
    const ok = await send({ url: '/jwks', headers: { 'x-correlation-id': 'client-corr-1234' } });
    assert.equal(ok.headers['x-correlation-id'], 'client-corr-1234');
    assert.equal(f.upstream.seen.at(-1)?.headers['x-correlation-id'], 'client-corr-1234');
    const bad = await send({ url: '/jwks', headers: { 'x-correlation-id': 'bad id\twith space' } });
    assert.notEqual(bad.headers['x-correlation-id'], 'bad id\twith space');
  });

  test('healthz answers without internals', async () => {
    const res = await send({ url: '/healthz' });
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.json(), { status: 'ok' });
  });

  test('readyz: JWKS loaded and upstream reachable → ready', async () => {
    const res = await send({ url: '/readyz' });
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.json(), { status: 'ready' });
  });
});
