/**
 * Socket-level hygiene: requests written byte-for-byte to a listening gateway, so Node's own
 * parser (llhttp) and the gateway's `clientError` handler are exercised, not just `inject()`.
 * Each refusal must still be a clean, coded response (or a closed connection) and audited.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { HOST, createFixture } from './helpers/fixture.ts';
import type { Fixture } from './helpers/fixture.ts';
import { rawRequest } from './helpers/raw-http.ts';

let f: Fixture;
let port: number;
before(async () => {
  f = await createFixture({ limits: { maxHeaderBytes: 4096 } });
  await f.service.app.listen({ host: '127.0.0.1', port: 0 });
  port = (f.service.app.server.address() as AddressInfo).port;
});
after(() => f.close());

function head(lines: string[]): string {
  return `${lines.join('\r\n')}\r\n\r\n`;
}

function assertCoded(
  res: { status: number; body: string; headers: Record<string, string> },
  status: number,
  code: string,
) {
  assert.equal(res.status, status, res.body);
  const body = JSON.parse(res.body) as { error: { code: string; correlationId: string } };
  assert.equal(body.error.code, code);
  assert.equal(res.headers['x-correlation-id'], body.error.correlationId);
  const event = f.audit.events.find((e) => e.correlationId === body.error.correlationId);
  assert.equal(event?.reason, code, 'refusal audited');
}

describe('refusals at the HTTP parser', () => {
  test('Content-Length + Transfer-Encoding → 400 request_smuggling', async () => {
    const res = await rawRequest(
      port,
      head([
        'POST /token HTTP/1.1',
        `Host: ${HOST}`,
        'Content-Type: application/x-www-form-urlencoded',
        'Content-Length: 4',
        'Transfer-Encoding: chunked',
        'Connection: close',
      ]) + '0\r\n\r\n',
    );
    assertCoded(res, 400, 'request_smuggling');
  });

  test('duplicate, conflicting Content-Length → 400 request_smuggling', async () => {
    const res = await rawRequest(
      port,
      head([
        'POST /token HTTP/1.1',
        `Host: ${HOST}`,
        'Content-Type: application/x-www-form-urlencoded',
        'Content-Length: 3',
        'Content-Length: 5',
        'Connection: close',
      ]) + 'a=bcd',
    );
    assertCoded(res, 400, 'request_smuggling');
  });

  test('duplicate identical Content-Length → 400 request_smuggling', async () => {
    const res = await rawRequest(
      port,
      head([
        'POST /token HTTP/1.1',
        `Host: ${HOST}`,
        'Content-Type: application/x-www-form-urlencoded',
        'Content-Length: 3',
        'Content-Length: 3',
        'Connection: close',
      ]) + 'a=b',
    );
    assertCoded(res, 400, 'request_smuggling');
  });

  test('obs-fold (continuation line) → 400', async () => {
    const res = await rawRequest(
      port,
      head(['GET /jwks HTTP/1.1', `Host: ${HOST}`, 'X-Folded: a', ' b', 'Connection: close']),
    );
    assert.equal(res.status, 400);
    assert.match(JSON.parse(res.body).error.code, /^(invalid_header|bad_request)$/);
  });

  test('a control character in a header value → 400', async () => {
    const res = await rawRequest(
      port,
      head(['GET /jwks HTTP/1.1', `Host: ${HOST}`, 'X-Evil: a\u0001b', 'Connection: close']),
    );
    assert.equal(res.status, 400);
    assert.match(JSON.parse(res.body).error.code, /^(invalid_header|bad_request)$/);
  });

  test('a head larger than maxHeaderBytes → 431 headers_too_large', async () => {
    const res = await rawRequest(
      port,
      head([
        'GET /jwks HTTP/1.1',
        `Host: ${HOST}`,
        `X-Big: ${'a'.repeat(5000)}`,
        'Connection: close',
      ]),
    );
    assertCoded(res, 431, 'headers_too_large');
  });

  for (const target of [
    '/api/v1/evidence/../attestor/log/checkpoint',
    '/api/v1/evidence/%2e%2e/attestor/log/checkpoint',
    '/api/v1/evidence/%2E%2E/x',
    '/api/v1/evidence/./x',
    '/api/v1/evidence/a\\b',
  ]) {
    test(`raw path ${target} → 400 path_traversal`, async () => {
      const res = await rawRequest(
        port,
        head([`GET ${target} HTTP/1.1`, `Host: ${HOST}`, 'Connection: close']),
      );
      assertCoded(res, 400, 'path_traversal');
    });
  }

  test('slowloris: a head that never completes is answered 408 and closed', async () => {
    const slow = await createFixture({ limits: { headersTimeoutMs: 500, requestTimeoutMs: 1000 } });
    try {
      await slow.service.app.listen({ host: '127.0.0.1', port: 0 });
      const slowPort = (slow.service.app.server.address() as AddressInfo).port;
      // The head is never terminated by an empty line: the server must give up, not wait.
      const res = await rawRequest(
        slowPort,
        `GET /jwks HTTP/1.1\r\nHost: ${HOST}\r\nX-Slow: 1\r\n`,
      );
      assert.equal(res.status, 408, res.raw);
      assert.equal(JSON.parse(res.body).error.code, 'request_timeout');
    } finally {
      await slow.close();
    }
  });

  test('absolute-form request-target → 400 bad_request', async () => {
    const res = await rawRequest(
      port,
      head(['GET http://evil.example/jwks HTTP/1.1', `Host: ${HOST}`, 'Connection: close']),
    );
    assertCoded(res, 400, 'bad_request');
  });

  test('a chunked body over the route cap is cut off with 413 while streaming', async () => {
    const chunk = 'a'.repeat(16 * 1024);
    const chunks = Array.from(
      { length: 5 },
      () => `${chunk.length.toString(16)}\r\n${chunk}\r\n`,
    ).join('');
    const res = await rawRequest(
      port,
      head([
        'POST /token HTTP/1.1',
        `Host: ${HOST}`,
        'Content-Type: application/x-www-form-urlencoded',
        'Transfer-Encoding: chunked',
        'Connection: close',
      ]) + `${chunks}0\r\n\r\n`,
    );
    assertCoded(res, 413, 'body_too_large');
  });

  test('a chunked body within the cap is streamed to the upstream', async () => {
    const res = await rawRequest(
      port,
      head([
        'POST /token HTTP/1.1',
        `Host: ${HOST}`,
        'Content-Type: application/x-www-form-urlencoded',
        'Transfer-Encoding: chunked',
        'Connection: close',
      ]) + '3\r\na=b\r\n0\r\n\r\n',
    );
    assert.equal(res.status, 200, res.body);
    assert.equal(f.upstream.seen.at(-1)?.bodyBytes, 3);
  });
});
