import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { isStellaError } from '../src/errors.ts';
import { parseJsonStrict } from '../src/json-strict.ts';

function rejectReason(text: string, options = {}): string {
  try {
    parseJsonStrict(text, options);
  } catch (error) {
    assert.ok(isStellaError(error), 'only StellaError may escape');
    assert.equal(error.code, 'invalid_json');
    return (error.detail ?? '').replace(/ at offset \d+$/, '');
  }
  assert.fail(`accepted ${JSON.stringify(text)}`);
}

describe('parseJsonStrict', () => {
  it('parses every JSON type', () => {
    assert.deepEqual(parseJsonStrict(' {"a":[1,-2.5e3,true,false,null,"x\\u00e9\\n"],"b":{}} '), {
      a: [1, -2500, true, false, null, 'xé\n'],
      b: {},
    });
    assert.equal(parseJsonStrict('"\\ud83d\\ude02"'), '😂');
    assert.equal(parseJsonStrict('"😂"'), '😂');
    assert.equal(parseJsonStrict('1e-400'), 0);
    assert.equal(parseJsonStrict('1.7976931348623157e308'), Number.MAX_VALUE);
  });

  it('returns ordinary objects and never lets "__proto__" pollute', () => {
    const value = parseJsonStrict('{"__proto__":{"polluted":true},"constructor":1}') as Record<
      string,
      unknown
    >;
    assert.equal(Object.getPrototypeOf(value), Object.prototype);
    assert.ok(Object.hasOwn(value, '__proto__'));
    assert.deepEqual(Object.keys(value), ['__proto__', 'constructor']);
    assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
    assert.equal((value as { polluted?: unknown }).polluted, undefined);
  });

  const negatives: [string, string, object?][] = [
    ['{"a":1,"a":2}', 'duplicate_key'],
    ['{"__proto__":1,"__proto__":2}', 'duplicate_key'],
    ['{"a":1,"\\u0061":2}', 'duplicate_key'],
    ['"\\ud800"', 'lone_surrogate'],
    ['"\\udc00\\ud800"', 'lone_surrogate'],
    ['"\ud800"', 'lone_surrogate'],
    ['{"\\udfff":1}', 'lone_surrogate'],
    ['1e400', 'number_out_of_range'],
    ['-1e400', 'number_out_of_range'],
    ['\ufeff{}', 'bom'],
    ['{} x', 'trailing_data'],
    ['1 2', 'trailing_data'],
    ['[[[1]]]', 'max_depth_exceeded', { maxDepth: 2 }],
    ['"abc"', 'input exceeds maxBytes', { maxBytes: 4 }],
    ['', 'unexpected_end'],
    ['[1,]', 'unexpected_character'],
    ['{"a":1,}', 'expected_key'],
    ['{a:1}', 'expected_key'],
    ["{'a':1}", 'expected_key'],
    ['{"a" 1}', 'expected_colon'],
    ['[1 2]', 'expected_comma_or_bracket'],
    ['{"a":1 "b":2}', 'expected_comma_or_brace'],
    ['01', 'trailing_data'],
    ['+1', 'unexpected_character'],
    ['.5', 'unexpected_character'],
    ['1.', 'trailing_data'],
    ['-', 'invalid_number'],
    ['NaN', 'unexpected_character'],
    ['Infinity', 'unexpected_character'],
    ['tru', 'invalid_literal'],
    ['nul', 'invalid_literal'],
    ['"abc', 'unterminated_string'],
    ['"a\tb"', 'control_character'],
    ['"\\x41"', 'invalid_escape'],
    ['"\\u12G4"', 'invalid_unicode_escape'],
    ['"\\u12"', 'invalid_unicode_escape'],
    ['\u00a0{}', 'unexpected_character'],
    ['/*c*/{}', 'unexpected_character'],
  ];
  for (const [text, reason, options] of negatives) {
    it(`refuses ${JSON.stringify(text)} (${reason})`, () => {
      assert.equal(rejectReason(text, options), reason);
    });
  }

  it('defaults maxDepth to 64', () => {
    assert.doesNotThrow(() => parseJsonStrict('['.repeat(64) + ']'.repeat(64)));
    assert.equal(rejectReason('['.repeat(65) + ']'.repeat(65)), 'max_depth_exceeded');
    assert.equal(rejectReason('{"a":'.repeat(65) + '1' + '}'.repeat(65)), 'max_depth_exceeded');
  });

  it('measures maxBytes in UTF-8', () => {
    assert.equal(parseJsonStrict('"é"', { maxBytes: 4 }), 'é');
    assert.equal(rejectReason('"éé"', { maxBytes: 5 }), 'input exceeds maxBytes');
  });

  it('refuses non-string input with a StellaError', () => {
    assert.equal(rejectReason(Buffer.from('{}') as unknown as string), 'not a string');
  });

  it('never puts input text in the error', () => {
    try {
      parseJsonStrict('{"password":"hunter2","password":1}');
      assert.fail('accepted');
    } catch (error) {
      assert.ok(isStellaError(error));
      assert.doesNotMatch(`${error.message} ${error.detail}`, /hunter2|password/);
    }
  });

  it('property: agrees with JSON.parse on JSON.stringify output', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 8 }), (value) => {
        const text = JSON.stringify(value);
        assert.deepEqual(parseJsonStrict(text), JSON.parse(text));
      }),
    );
  });

  const anyUnit = fc.integer({ min: 0, max: 0xffff }).map((n) => String.fromCharCode(n));
  const jsonish = fc.constantFrom(...'{}[]",:\\0123456789-+.eEtrufalsn \t\n\ud800\udc00u');
  it('property: arbitrary strings are parsed or refused with StellaError only', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ unit: anyUnit }),
          fc.string({ unit: jsonish, maxLength: 40 }),
          fc.string({ unit: 'binary' }),
        ),
        (text) => {
          try {
            parseJsonStrict(text);
          } catch (error) {
            assert.ok(isStellaError(error) && error.code === 'invalid_json');
          }
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('property: any single-character mutation of valid JSON is parsed or refused cleanly', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), fc.nat(), anyUnit, (value, at, ch) => {
        const text = JSON.stringify(value);
        const i = at % (text.length + 1);
        const mutated = text.slice(0, i) + ch + text.slice(i + 1);
        try {
          const parsed = parseJsonStrict(mutated);
          // Whatever is accepted must also be valid for the platform's own JSON.parse.
          assert.deepEqual(parsed, JSON.parse(mutated));
        } catch (error) {
          assert.ok(isStellaError(error) && error.code === 'invalid_json');
        }
      }),
    );
  });
});

// The string scanner jumps between quotes and backslashes with indexOf and caches those
// positions across strings: these pin its behaviour against JSON.parse, the reference grammar.
describe('parseJsonStrict string scanning', () => {
  const units = fc.constantFrom(
    ...'ab"\\/u0fF \u0001\u001f\u007f\ud800\udc00é'.split(''),
    '\\"',
    '\\\\',
    '\\u00',
    '\\ud83d',
    '\\ude00',
    '\\n',
  );
  it('property: a quoted string is accepted exactly when JSON.parse accepts it well formed', () => {
    fc.assert(
      fc.property(fc.array(units, { maxLength: 30 }), (parts) => {
        const text = `["${parts.join('')}", "x\\"y", "${parts.join('')}"]`;
        let expected: unknown;
        try {
          expected = JSON.parse(text);
        } catch {
          expected = undefined;
        }
        const wellFormed =
          Array.isArray(expected) &&
          expected.every(
            (s: string) =>
              !/[\ud800-\udfff]/.test(s.replace(/[\ud800-\udbff][\udc00-\udfff]/g, '')),
          );
        if (expected === undefined || !wellFormed) {
          assert.ok(rejectReason(text).length > 0);
        } else {
          assert.deepEqual(parseJsonStrict(text), expected);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('handles escaped quotes, escapes at chunk edges and strings after escapes', () => {
    assert.deepEqual(parseJsonStrict('{"a\\"b":"\\\\","c":"\\"\\"","d":"x\\u0041y"}'), {
      'a"b': '\\',
      c: '""',
      d: 'xAy',
    });
  });

  it('refuses a control character after an escape and an unterminated escaped string', () => {
    assert.equal(rejectReason('"a\\n\u0001"'), 'control_character');
    assert.equal(rejectReason('"a\\"'), 'unterminated_string');
    assert.equal(rejectReason('"a\\'), 'invalid_escape');
  });

  it('parses a long run of escapes and many short strings', () => {
    const escapes = '\\n'.repeat(100_000);
    assert.equal(parseJsonStrict(`"${escapes}"`), '\n'.repeat(100_000));
    const many = `[${Array.from({ length: 50_000 }, (_, i) => `"s${i}"`).join(',')}]`;
    assert.equal((parseJsonStrict(many) as string[]).length, 50_000);
  });
});
