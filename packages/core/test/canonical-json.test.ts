import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { canonicalize, canonicalizeToString } from '../src/canonical-json.ts';
import { isStellaError } from '../src/errors.ts';
import { parseJsonStrict } from '../src/json-strict.ts';

interface JcsCase {
  name: string;
  input: string;
  outputHex: string;
}
const jcs = JSON.parse(readFileSync(new URL('./testdata/jcs.json', import.meta.url), 'utf8')) as {
  cases: JcsCase[];
};
const numbers = JSON.parse(
  readFileSync(new URL('./testdata/numbers.json', import.meta.url), 'utf8'),
) as { rfc8785: [string, string][]; ecmascript: [string, string][] };

function doubleFromHex(hex: string): number {
  return Buffer.from(hex, 'hex').readDoubleBE(0);
}

function assertInvalidJson(fn: () => unknown): void {
  assert.throws(fn, (error: unknown) => isStellaError(error) && error.code === 'invalid_json');
}

describe('canonicalize (RFC 8785)', () => {
  for (const vector of jcs.cases) {
    it(`matches the cyberphone vector "${vector.name}"`, () => {
      const bytes = canonicalize(parseJsonStrict(vector.input));
      assert.equal(Buffer.from(bytes).toString('hex'), vector.outputHex);
    });
  }

  it('serializes the RFC 8785 Appendix B numbers', () => {
    assert.equal(numbers.rfc8785.length, 24);
    for (const [hex, expected] of numbers.rfc8785) {
      assert.equal(canonicalizeToString(doubleFromHex(hex)), expected, hex);
    }
  });

  it('serializes the ECMAScript oracle doubles', () => {
    assert.ok(numbers.ecmascript.length > 1000);
    for (const [hex, expected] of numbers.ecmascript) {
      assert.equal(canonicalizeToString(doubleFromHex(hex)), expected, hex);
    }
  });

  it('sorts keys by UTF-16 code units, not code points or locale', () => {
    // U+1F602 is D83D DE02 in UTF-16, which sorts before U+FB33 although its code point is larger.
    const value = { '\ufb33': 1, '\u{1F602}': 2, '\u20ac': 3, a: 4, B: 5, '': 6 };
    assert.equal(canonicalizeToString(value), '{"":6,"B":5,"a":4,"€":3,"😂":2,"דּ":1}');
  });

  it('writes -0 as 0 and keeps array order', () => {
    assert.equal(canonicalizeToString([-0, 3, 1]), '[0,3,1]');
  });

  it('accepts null-prototype objects', () => {
    const value = Object.assign(Object.create(null) as object, { b: 1, a: [true, null] });
    assert.equal(canonicalizeToString(value), '{"a":[true,null],"b":1}');
  });

  it('escapes control characters the JCS way', () => {
    assert.equal(canonicalizeToString('\u000f\n"\\/'), '"\\u000f\\n\\"\\\\/"');
  });

  const refused: [string, unknown][] = [
    ['NaN', Number.NaN],
    ['Infinity', Number.POSITIVE_INFINITY],
    ['-Infinity', [Number.NEGATIVE_INFINITY]],
    ['undefined', undefined],
    ['undefined member', { a: undefined }],
    ['bigint', { a: 1n }],
    ['symbol', Symbol('x')],
    ['function', { f: () => 1 }],
    ['Date', new Date(0)],
    ['Map', new Map()],
    ['class instance', new (class Thing {})()],
    ['typed array', new Uint8Array(2)],
    // eslint-disable-next-line no-sparse-arrays -- the hole is the point of the case
    ['sparse array', [1, , 3]],
    ['lone high surrogate value', '\ud800'],
    ['lone low surrogate key', { '\udc00': 1 }],
    ['reversed pair', '\udc00\ud800'],
    ['symbol key', { [Symbol('k')]: 1 }],
  ];
  for (const [name, value] of refused) {
    it(`refuses ${name}`, () => assertInvalidJson(() => canonicalize(value)));
  }

  it('refuses cycles but allows shared (acyclic) references', () => {
    const shared = { x: 1 };
    assert.equal(canonicalizeToString({ a: shared, b: shared }), '{"a":{"x":1},"b":{"x":1}}');
    const cyclic: Record<string, unknown> = {};
    cyclic['self'] = cyclic;
    assertInvalidJson(() => canonicalize(cyclic));
  });

  it('refuses absurd nesting with invalid_json, not a RangeError', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 5000; i += 1) deep = [deep];
    assertInvalidJson(() => canonicalize(deep));
  });

  it('property: canonical form is a fixed point of strict parsing', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const text = canonicalizeToString(value);
        const reparsed = parseJsonStrict(text, { maxDepth: 1000 });
        assert.deepEqual(canonicalize(reparsed), canonicalize(value));
        assert.equal(canonicalizeToString(reparsed), text);
      }),
    );
  });

  it('property: equals JSON.stringify of sorted data for well-formed values', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        // Parsing canonical text with JSON.parse must give the same canonical text back.
        const text = canonicalizeToString(value);
        assert.equal(canonicalizeToString(JSON.parse(text)), text);
      }),
    );
  });
});
