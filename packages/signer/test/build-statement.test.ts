import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { buildStatement, statementBytes } from '@stella/crypto';
import { buildStatementPayload } from '../src/build-statement.ts';
import { validateSignRequest } from '../src/sign-request.ts';

const hex = fc.stringMatching(/^[0-9a-f]{64}$/);
const name = fc.string({ minLength: 1, maxLength: 20 }).filter((s) => !/\p{Cc}/u.test(s));

// The payload is canonicalised once from the validated statement (no second validation pass):
// it must stay byte-identical to crypto's own validating `statementBytes`.
describe('buildStatementPayload', () => {
  it('property: equals statementBytes(buildStatement(...)) for valid requests', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.record({ name, sha256: hex }), {
          minLength: 1,
          maxLength: 5,
          selector: (s) => s.sha256,
        }),
        fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), {
          maxKeys: 4,
        }),
        (subjects, predicate) => {
          const request = validateSignRequest(
            {
              subject: subjects.map((s) => ({
                name: s.name,
                digest: { sha256: s.sha256 },
                content: 'YQ==',
              })),
              predicateType: 'https://slsa.dev/provenance/v1',
              predicate: JSON.parse(JSON.stringify(predicate)) as unknown,
              attest: false,
            },
            { maxSubjects: 64 },
          );
          const expected = statementBytes(
            buildStatement({
              subject: request.subjects.map((s) => ({
                name: s.name,
                digest: { sha256: s.sha256 },
              })),
              predicateType: request.predicateType,
              predicate: request.predicate,
            }),
          );
          assert.deepEqual(Buffer.from(buildStatementPayload(request)), Buffer.from(expected));
        },
      ),
      { numRuns: 200 },
    );
  });
});
