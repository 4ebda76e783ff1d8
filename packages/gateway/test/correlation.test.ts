import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { createIdGenerator, systemClock } from '@stella/core';
import { resolveCorrelation } from '../src/correlation.ts';
import { parseMediaType } from '../src/body-policy.ts';
import { classifyParserError } from '../src/client-error.ts';
import { formatClientCertHeader } from '../src/client-cert.ts';

const ids = createIdGenerator(systemClock);
const TP = /^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;

describe('correlation', () => {
  test('a valid X-Correlation-Id is kept; a malformed one is replaced', () => {
    assert.equal(
      resolveCorrelation({ 'x-correlation-id': 'req-12345678' }, ids).correlationId,
      'req-12345678',
    );
    assert.notEqual(
      resolveCorrelation({ 'x-correlation-id': 'bad id!' }, ids).correlationId,
      'bad id!',
    );
  });
  test('keeps the trace of a valid traceparent with a new parent span', () => {
    const inbound = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const c = resolveCorrelation({ traceparent: inbound }, ids);
    assert.equal(c.correlationId, '4bf92f3577b34da6a3ce929d0e0e4736');
    assert.match(c.traceparent, /^00-4bf92f3577b34da6a3ce929d0e0e4736-[0-9a-f]{16}-01$/);
    assert.notEqual(c.traceparent, inbound);
  });
  for (const [name, tp] of [
    ['version-ff', 'ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'],
    ['zero-trace', '00-00000000000000000000000000000000-00f067aa0ba902b7-01'],
    ['zero-parent', '00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01'],
    ['uppercase', '00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01'],
    ['short', '00-4bf92f35-00f067aa0ba902b7-01'],
  ] as const) {
    test(`refuses traceparent ${name}: a new trace is started`, () => {
      const c = resolveCorrelation({ traceparent: tp }, ids);
      assert.doesNotMatch(c.traceparent, new RegExp(tp.split('-')[1] ?? ''));
      assert.match(c.traceparent, TP);
    });
  }
  test('property: output is always well-formed whatever the input', () => {
    fc.assert(
      fc.property(
        fc.option(fc.string({ maxLength: 200 })),
        fc.option(fc.string({ maxLength: 80 })),
        (cid, tp) => {
          const headers = {
            ...(cid === null ? {} : { 'x-correlation-id': cid }),
            ...(tp === null ? {} : { traceparent: tp }),
          };
          const c = resolveCorrelation(headers, ids);
          assert.match(c.correlationId, /^[A-Za-z0-9._-]{8,64}$/);
          assert.match(c.traceparent, TP);
        },
      ),
    );
  });
});

describe('parseMediaType', () => {
  test('bare lowercase type, parameters dropped', () => {
    assert.equal(parseMediaType('Application/JSON; charset=utf-8'), 'application/json');
    assert.equal(parseMediaType('application/json'), 'application/json');
  });
  for (const bad of [
    '',
    'json',
    'application/',
    '/json',
    'application/json x',
    'a/b/c',
    'applic ation/json',
  ]) {
    test(`refuses ${JSON.stringify(bad)}`, () => assert.equal(parseMediaType(bad), undefined));
  }
  test('property: a result is always type/subtype of token characters', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (s) => {
        const t = parseMediaType(s);
        if (t !== undefined)
          assert.match(t, /^[!#$%&'*+.^_`|~0-9a-z-]+\/[!#$%&'*+.^_`|~0-9a-z-]+$/);
      }),
    );
  });
});

describe('parser error mapping and Client-Cert', () => {
  test('llhttp codes map to stable codes', () => {
    assert.equal(classifyParserError('HPE_HEADER_OVERFLOW'), 'headers_too_large');
    assert.equal(classifyParserError('HPE_UNEXPECTED_CONTENT_LENGTH'), 'request_smuggling');
    assert.equal(classifyParserError('HPE_INVALID_HEADER_TOKEN'), 'invalid_header');
    assert.equal(classifyParserError('ERR_HTTP_REQUEST_TIMEOUT'), 'request_timeout');
    assert.equal(classifyParserError(undefined), 'bad_request');
  });
  test('RFC 9440 Client-Cert is an sf-binary of the DER', () => {
    assert.equal(formatClientCertHeader({ der: new Uint8Array([1, 2, 3]) }), ':AQID:');
  });
});
