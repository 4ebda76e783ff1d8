import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  createTraceparent,
  formatTraceparent,
  isValidCorrelationId,
  parseTraceparent,
} from '../src/correlation.ts';
import { manualClock } from '../src/clock.ts';
import { createIdGenerator, sequentialIds } from '../src/ids.ts';

const VALID = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

describe('isValidCorrelationId', () => {
  it('accepts 8..64 of [A-Za-z0-9._-]', () => {
    for (const ok of [
      'abcdefgh',
      'A.b_c-d9',
      'x'.repeat(64),
      '0195f0c4-7b1e-7000-8000-000000000001',
    ]) {
      assert.ok(isValidCorrelationId(ok), ok);
    }
  });
  it('refuses everything else', () => {
    for (const bad of [
      '',
      'short',
      'x'.repeat(65),
      'abc defgh',
      'abcdefgh\n',
      'abcdefgh/',
      'é'.repeat(10),
      42,
    ]) {
      assert.ok(!isValidCorrelationId(bad), String(bad));
    }
  });
  it('property: never accepts a string with a character outside the alphabet', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', minLength: 8, maxLength: 64 }), (text) => {
        assert.equal(isValidCorrelationId(text), /^[A-Za-z0-9._-]*$/.test(text));
      }),
    );
  });
});

describe('parseTraceparent (W3C Trace Context Level 1)', () => {
  it('parses the specification example', () => {
    assert.deepEqual(parseTraceparent(VALID), {
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      parentId: '00f067aa0ba902b7',
      flags: 1,
    });
  });

  it('accepts a future version with extra fields after a dash', () => {
    assert.equal(parseTraceparent(`cc${VALID.slice(2)}-what-ever`)?.flags, 1);
    assert.equal(parseTraceparent(`cc${VALID.slice(2)}`)?.parentId, '00f067aa0ba902b7');
  });

  const negatives: [string, unknown][] = [
    ['version ff', `ff${VALID.slice(2)}`],
    ['uppercase hex', VALID.toUpperCase()],
    ['uppercase trace id', VALID.replace('4bf92f', '4BF92F')],
    ['all-zero trace id', `00-${'0'.repeat(32)}-00f067aa0ba902b7-01`],
    ['all-zero parent id', `00-4bf92f3577b34da6a3ce929d0e0e4736-${'0'.repeat(16)}-01`],
    ['version 00 with trailing data', `${VALID}-extra`],
    ['version 00 with trailing space', `${VALID} `],
    ['future version without dash', `cc${VALID.slice(2)}x`],
    ['short trace id', '00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01'],
    ['wrong separator', VALID.replace(/-/g, '_')],
    ['non-hex flags', `${VALID.slice(0, 53)}zz`],
    ['empty', ''],
    ['not a string', 12],
    ['array (duplicate header)', [VALID, VALID]],
  ];
  for (const [name, value] of negatives) {
    it(`refuses ${name}`, () => assert.equal(parseTraceparent(value), undefined));
  }

  it('property: format(parse(x)) round-trips every valid version-00 header', () => {
    const hex = (n: number) =>
      fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: n, maxLength: n });
    fc.assert(
      fc.property(hex(32), hex(16), fc.integer({ min: 0, max: 255 }), (t, p, f) => {
        const header = `00-${t}-${p}-${f.toString(16).padStart(2, '0')}`;
        const parsed = parseTraceparent(header);
        if (/^0+$/.test(t) || /^0+$/.test(p)) assert.equal(parsed, undefined);
        else assert.equal(formatTraceparent(parsed!), header);
      }),
    );
  });

  it('property: arbitrary strings never throw', () => {
    fc.assert(fc.property(fc.string({ maxLength: 80 }), (text) => void parseTraceparent(text)));
  });
});

describe('createTraceparent', () => {
  it('keeps the trace id and flags and makes a new span id', () => {
    const parent = parseTraceparent(VALID)!;
    const next = parseTraceparent(createTraceparent(createIdGenerator(manualClock(0)), parent))!;
    assert.equal(next.traceId, parent.traceId);
    assert.equal(next.flags, 1);
    assert.notEqual(next.parentId, parent.parentId);
  });

  it('starts a new valid trace without a parent', () => {
    const ids = sequentialIds('t');
    const a = parseTraceparent(createTraceparent(ids));
    const b = parseTraceparent(createTraceparent(ids));
    assert.ok(a !== undefined && b !== undefined);
    assert.notEqual(a.traceId, b.traceId);
    assert.equal(a.flags, 0);
  });

  it('never emits an all-zero id', () => {
    const zeros = { uuid: () => '', random: (n = 16) => Buffer.alloc(n).toString('base64url') };
    assert.ok(parseTraceparent(createTraceparent(zeros)) !== undefined);
  });
});
