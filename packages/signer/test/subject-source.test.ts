import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { formatSubjectSource, parseSubjectSource } from '../src/subject-source.ts';

const HEX = '0123456789abcdef'.repeat(4);

describe('parseSubjectSource', () => {
  it('parses evidence and oci references', () => {
    assert.deepEqual(parseSubjectSource(`evidence:sha256:${HEX}`), { kind: 'evidence', hex: HEX });
    assert.deepEqual(parseSubjectSource(`oci://127.0.0.1:5000/team/app-1@sha256:${HEX}`), {
      kind: 'oci',
      host: '127.0.0.1:5000',
      repository: 'team/app-1',
      hex: HEX,
    });
  });

  const bad = [
    `evidence:sha256:${HEX.toUpperCase()}`,
    `evidence:sha256:${HEX.slice(1)}`,
    `evidence:sha512:${HEX}`,
    `oci://reg.example/app:latest`,
    `oci://reg.example/app@sha256:${HEX}x`,
    `oci://user:pw@reg.example/app@sha256:${HEX}`,
    `oci://REG.example/app@sha256:${HEX}`,
    `oci://reg.example/App@sha256:${HEX}`,
    `oci://reg.example/../x@sha256:${HEX}`,
    `oci://reg.example:99999/app@sha256:${HEX}`,
    `oci://reg.example@sha256:${HEX}`,
    `oci:///app@sha256:${HEX}`,
    `oci://reg.example/app?x=1@sha256:${HEX}`,
    `OCI://reg.example/app@sha256:${HEX}`,
  ];
  for (const text of bad)
    it(`refuses ${JSON.stringify(text.slice(0, 60))}`, () => {
      assert.equal(parseSubjectSource(text), undefined);
    });

  it('property: format(parse(x)) === x for every accepted input (one spelling per source)', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.stringMatching(/^oci:\/\/[a-z0-9.:-]{1,12}\/[a-z0-9/._-]{1,12}@sha256:[0-9a-f]{64}$/),
          fc.stringMatching(/^evidence:sha256:[0-9a-fA-F]{60,66}$/),
        ),
        (text) => {
          const parsed = parseSubjectSource(text);
          if (parsed !== undefined) assert.equal(formatSubjectSource(parsed), text);
        },
      ),
      { numRuns: 1000 },
    );
  });
});
