import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  IN_TOTO_PAYLOAD_TYPE,
  IN_TOTO_STATEMENT_TYPE,
  buildStatement,
  parseStatement,
  statementBytes,
} from '../src/index.ts';

const D1 = 'a'.repeat(64);
const D2 = 'b'.repeat(64);
// Shape of the in-toto attestation spec's example statement (spec/v1/statement.md).
const EXAMPLE = {
  _type: 'https://in-toto.io/Statement/v1',
  subject: [
    { name: 'curl-7.72.0.tar.bz2', digest: { sha256: D2, sha512: 'c'.repeat(128) } },
    { name: 'curl-7.72.0.tar.gz', digest: { sha256: D1 } },
  ],
  predicateType: 'https://slsa.dev/provenance/v1',
  predicate: { buildDefinition: { buildType: 'https://example.com/build' } },
};

test('constants', () => {
  assert.equal(IN_TOTO_STATEMENT_TYPE, 'https://in-toto.io/Statement/v1');
  assert.equal(IN_TOTO_PAYLOAD_TYPE, 'application/vnd.in-toto+json');
});

test('parses the example, preserving other digest algorithms and unknown top-level fields', () => {
  const parsed = parseStatement({ ...EXAMPLE, futureField: { x: 1 } });
  assert.equal(parsed.subject[0]!.digest['sha512'], 'c'.repeat(128));
  assert.deepEqual(parsed['futureField'], { x: 1 });
});

test('builder sorts subjects and statementBytes are RFC 8785 canonical', () => {
  const built = buildStatement(EXAMPLE);
  assert.deepEqual(
    built.subject.map((s) => s.digest.sha256),
    [D1, D2],
  );
  const text = new TextDecoder().decode(statementBytes(built));
  assert.ok(text.startsWith('{"_type":"https://in-toto.io/Statement/v1","predicate":{'));
  assert.ok(!text.includes(' '));
  assert.deepEqual(JSON.parse(text), built);
  assert.deepEqual(
    statementBytes(buildStatement({ ...EXAMPLE, subject: [...EXAMPLE.subject].reverse() })),
    statementBytes(built),
  );
});

test('negative statements', async (t) => {
  const s0 = EXAMPLE.subject[0]!;
  const cases: [string, unknown, string][] = [
    ['type-v0.1', { ...EXAMPLE, _type: 'https://in-toto.io/Statement/v0.1' }, 'invalid_statement'],
    ['subject-empty', { ...EXAMPLE, subject: [] }, 'invalid_statement'],
    ['subject-not-array', { ...EXAMPLE, subject: s0 }, 'invalid_statement'],
    [
      'sha256-missing',
      { ...EXAMPLE, subject: [{ name: 'x', digest: { sha512: 'c'.repeat(128) } }] },
      'invalid_statement',
    ],
    [
      'sha256-uppercase',
      { ...EXAMPLE, subject: [{ name: 'x', digest: { sha256: D1.toUpperCase() } }] },
      'invalid_statement',
    ],
    [
      'sha256-short',
      { ...EXAMPLE, subject: [{ name: 'x', digest: { sha256: 'ab' } }] },
      'invalid_statement',
    ],
    [
      'digest-value-number',
      { ...EXAMPLE, subject: [{ name: 'x', digest: { sha256: D1, md5: 5 } }] },
      'invalid_statement',
    ],
    [
      'subject-has-content',
      { ...EXAMPLE, subject: [{ ...s0, content: 'aGk=' }] },
      'invalid_statement',
    ],
    ['name-missing', { ...EXAMPLE, subject: [{ digest: { sha256: D1 } }] }, 'invalid_statement'],
    [
      'duplicate-digest',
      { ...EXAMPLE, subject: [s0, { name: 'other', digest: { sha256: D2 } }] },
      'duplicate_subject',
    ],
    [
      'predicateType-relative',
      { ...EXAMPLE, predicateType: 'slsa/provenance' },
      'invalid_statement',
    ],
    ['predicateType-space', { ...EXAMPLE, predicateType: 'https://x y' }, 'invalid_statement'],
    ['predicate-array', { ...EXAMPLE, predicate: [] }, 'invalid_statement'],
    ['predicate-missing', { ...EXAMPLE, predicate: undefined }, 'invalid_statement'],
    ['not-object', 'statement', 'invalid_statement'],
  ];
  for (const [name, value, code] of cases) {
    await t.test(name, () => assert.throws(() => parseStatement(value), { code }));
  }
});

test('property: parseStatement accepts or refuses with a StellaError; accepted ones canonicalize', () => {
  const hex = fc.stringMatching(/^[0-9a-f]{64}$/);
  fc.assert(
    fc.property(
      fc.record(
        {
          _type: fc.oneof(fc.constant(IN_TOTO_STATEMENT_TYPE), fc.string()),
          subject: fc.array(
            fc.record({
              name: fc.string(),
              digest: fc.record({ sha256: fc.oneof(hex, fc.string()) }),
            }),
            { maxLength: 4 },
          ),
          predicateType: fc.oneof(fc.webUrl(), fc.string()),
          predicate: fc.oneof(fc.dictionary(fc.string(), fc.jsonValue()), fc.anything()),
        },
        { requiredKeys: [] },
      ),
      (value) => {
        try {
          const parsed = parseStatement(value);
          assert.ok(statementBytes(parsed).length > 0);
        } catch (error) {
          assert.equal((error as Error).name, 'StellaError');
        }
      },
    ),
  );
});
