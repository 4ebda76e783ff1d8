import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { isValidCorrelationId, sequentialIds } from '@stella/core';
import { resolveCorrelationId, withCorrelation } from '../src/correlation.ts';
import { createLogger } from '../src/logger.ts';

const TRACEPARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

describe('resolveCorrelationId', () => {
  it('prefers a valid x-correlation-id', () => {
    const id = resolveCorrelationId(
      { 'x-correlation-id': 'req-abcdef12', traceparent: TRACEPARENT },
      sequentialIds(),
    );
    assert.equal(id, 'req-abcdef12');
  });
  it('falls back to the trace id of a valid traceparent', () => {
    const id = resolveCorrelationId(
      { 'x-correlation-id': 'bad id!', traceparent: TRACEPARENT },
      sequentialIds(),
    );
    assert.equal(id, '4bf92f3577b34da6a3ce929d0e0e4736');
  });
  it('makes a new id otherwise, including for repeated headers', () => {
    const ids = sequentialIds();
    assert.equal(resolveCorrelationId({}, ids), '00000000-0000-7000-8000-000000000001');
    assert.equal(
      resolveCorrelationId(
        {
          'x-correlation-id': ['req-abcdef12', 'req-abcdef13'],
          traceparent: TRACEPARENT.toUpperCase(),
        },
        ids,
      ),
      '00000000-0000-7000-8000-000000000002',
    );
  });
  it('property: the result is always a valid correlation id', () => {
    fc.assert(
      fc.property(fc.option(fc.string()), fc.option(fc.string()), (cid, tp) => {
        const headers: Record<string, string> = {};
        if (cid !== null) headers['x-correlation-id'] = cid;
        if (tp !== null) headers['traceparent'] = tp;
        assert.ok(isValidCorrelationId(resolveCorrelationId(headers, sequentialIds())));
      }),
    );
  });
});

describe('withCorrelation', () => {
  it('adds correlationId to every line', () => {
    const lines: string[] = [];
    const logger = withCorrelation(
      createLogger({ destination: { write: (l: string) => void lines.push(l) } }),
      'corr-12345678',
    );
    logger.info({ step: 'authenticate' });
    assert.equal(
      (JSON.parse(lines[0]!) as Record<string, unknown>)['correlationId'],
      'corr-12345678',
    );
  });
});
