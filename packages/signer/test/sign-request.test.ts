import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isStellaError, parseJsonStrict } from '@stella/core';
import { validateSignRequest } from '../src/sign-request.ts';

const HEX = 'a'.repeat(64);
const limits = { maxSubjects: 8 };

function body(overrides: Record<string, unknown> = {}, subject?: unknown): Record<string, unknown> {
  return {
    subject: subject ?? [{ name: 'a.txt', digest: { sha256: HEX }, content: 'aGk=' }],
    predicateType: 'https://slsa.dev/provenance/v1',
    predicate: { buildType: 'x' },
    ...overrides,
  };
}

function refused(value: unknown): void {
  assert.throws(
    () => validateSignRequest(value, limits),
    (e: unknown) => isStellaError(e) && e.code === 'invalid_request' && e.status === 400,
  );
}

describe('validateSignRequest', () => {
  it('accepts a well-formed request, defaults attest to true, keeps the predicate as is', () => {
    const r = validateSignRequest(body(), limits);
    assert.equal(r.attest, true);
    assert.deepEqual(r.subjects, [
      { name: 'a.txt', sha256: HEX, source: { kind: 'inline', base64: 'aGk=' } },
    ]);
    assert.deepEqual(r.predicate, { buildType: 'x' });
  });

  it('parses evidence and oci sources; a subject with neither is kept for the verification gate', () => {
    const r = validateSignRequest(
      body({ attest: false }, [
        { name: 'sbom', digest: { sha256: HEX }, source: `evidence:sha256:${HEX}` },
        {
          name: 'img',
          digest: { sha256: 'b'.repeat(64) },
          source: `oci://reg.example:5000/team/app@sha256:${'b'.repeat(64)}`,
        },
        { name: 'none', digest: { sha256: 'c'.repeat(64) } },
      ]),
      limits,
    );
    assert.equal(r.attest, false);
    assert.deepEqual(
      r.subjects.map((s) => s.source.kind),
      ['evidence', 'oci', 'none'],
    );
  });

  const cases: [string, unknown][] = [
    ['not-an-object', []],
    ['unknown-top-field', body({ extra: 1 })],
    [
      'unknown-subject-field',
      body({}, [{ name: 'a', digest: { sha256: HEX }, content: 'aGk=', uri: 'x' }]),
    ],
    [
      'unknown-digest-alg',
      body({}, [{ name: 'a', digest: { sha256: HEX, sha512: 'ab' }, content: 'aGk=' }]),
    ],
    ['subject-without-digest', body({}, [{ name: 'a', content: 'aGk=' }])],
    [
      'uppercase-hex',
      body({}, [{ name: 'a', digest: { sha256: 'A'.repeat(64) }, content: 'aGk=' }]),
    ],
    ['short-hex', body({}, [{ name: 'a', digest: { sha256: 'a'.repeat(63) }, content: 'aGk=' }])],
    ['empty-subjects', body({}, [])],
    [
      'too-many-subjects',
      body(
        {},
        Array.from({ length: 9 }, (_, i) => ({
          name: `s${i}`,
          digest: { sha256: i.toString(16).padStart(64, '0') },
        })),
      ),
    ],
    [
      'duplicate-subject-name',
      body({}, [
        { name: 'a', digest: { sha256: HEX } },
        { name: 'a', digest: { sha256: 'b'.repeat(64) } },
      ]),
    ],
    [
      'duplicate-subject-digest',
      body({}, [
        { name: 'a', digest: { sha256: HEX } },
        { name: 'b', digest: { sha256: HEX } },
      ]),
    ],
    [
      'content-and-source',
      body({}, [
        { name: 'a', digest: { sha256: HEX }, content: 'aGk=', source: `evidence:sha256:${HEX}` },
      ]),
    ],
    ['content-not-base64', body({}, [{ name: 'a', digest: { sha256: HEX }, content: 'a$b=' }])],
    ['content-url-safe', body({}, [{ name: 'a', digest: { sha256: HEX }, content: '-_8=' }])],
    [
      'content-non-canonical-bits',
      body({}, [{ name: 'a', digest: { sha256: HEX }, content: 'aGl=' }]),
    ],
    [
      'content-inner-padding',
      body({}, [{ name: 'a', digest: { sha256: HEX }, content: 'aG==aGk=' }]),
    ],
    ['content-whitespace', body({}, [{ name: 'a', digest: { sha256: HEX }, content: 'aGk= ' }])],
    ['content-missing-padding', body({}, [{ name: 'a', digest: { sha256: HEX }, content: 'aGk' }])],
    [
      'source-tag-not-digest',
      body({}, [{ name: 'a', digest: { sha256: HEX }, source: 'oci://reg/app:latest' }]),
    ],
    [
      'source-other-scheme',
      body({}, [{ name: 'a', digest: { sha256: HEX }, source: `https://x/y@sha256:${HEX}` }]),
    ],
    ['name-empty', body({}, [{ name: '', digest: { sha256: HEX }, content: 'aGk=' }])],
    ['name-control-char', body({}, [{ name: 'a\nb', digest: { sha256: HEX }, content: 'aGk=' }])],
    ['predicate-type-not-uri', body({ predicateType: 'not a uri' })],
    ['predicate-string', body({ predicate: 'not json object' })],
    ['predicate-array', body({ predicate: [1, 2] })],
    [
      'predicate-missing',
      (() => {
        const b = body();
        delete b['predicate'];
        return b;
      })(),
    ],
    ['attest-string', body({ attest: 'yes' })],
  ];
  for (const [name, value] of cases) it(`refuses ${name}`, () => refused(value));

  it('duplicate JSON keys never reach the validator (core strict parser)', () => {
    assert.throws(() => parseJsonStrict('{"predicate":{},"predicate":{}}'));
  });

  it('property: content is accepted exactly when it is canonical RFC 4648 §4 base64', () => {
    const alphabet = fc.constantFrom(
      ...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=-_ '.split(''),
    );
    fc.assert(
      fc.property(
        fc.oneof(fc.base64String(), fc.string({ unit: alphabet, maxLength: 24 })),
        (content) => {
          const canonical = Buffer.from(content, 'base64').toString('base64') === content;
          let accepted = true;
          try {
            validateSignRequest(
              body({}, [{ name: 'a', digest: { sha256: HEX }, content }]),
              limits,
            );
          } catch {
            accepted = false;
          }
          assert.equal(accepted, canonical);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('property: arbitrary JSON is either a valid request or invalid_request, never another error', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        try {
          const r = validateSignRequest(value, limits);
          assert.ok(r.subjects.length > 0);
        } catch (e) {
          assert.ok(isStellaError(e) && e.code === 'invalid_request');
        }
      }),
      { numRuns: 500 },
    );
  });

  it('property: mutated valid requests are refused or still satisfy every invariant', () => {
    const subject = fc.record({
      name: fc.string({ minLength: 1, maxLength: 20 }),
      digest: fc.record({ sha256: fc.oneof(fc.stringMatching(/^[0-9a-f]{64}$/), fc.string()) }),
      content: fc.oneof(fc.base64String(), fc.string()),
    });
    fc.assert(
      fc.property(fc.array(subject, { minLength: 0, maxLength: 4 }), (subjects) => {
        try {
          const r = validateSignRequest(body({}, subjects), limits);
          for (const s of r.subjects) assert.match(s.sha256, /^[0-9a-f]{64}$/);
          assert.equal(new Set(r.subjects.map((s) => s.name)).size, r.subjects.length);
        } catch (e) {
          assert.ok(isStellaError(e) && e.code === 'invalid_request');
        }
      }),
      { numRuns: 300 },
    );
  });
});
