import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { audiencesOf } from '../src/commands/clients.ts';
import { UsageError } from '../src/cli-env.ts';

test('clients add derives the least audiences from the scopes', () => {
  assert.deepEqual(audiencesOf(['evidence:write', 'signer:sign']), ['attestor', 'signer']);
  assert.deepEqual(audiencesOf(['attestor:read', 'evidence:read']), ['attestor']);
  assert.deepEqual(audiencesOf(['authority:admin']), ['authority']);
  assert.throws(() => audiencesOf(['gateway:everything']), UsageError);
});

test('property: every derived audience is one a scope of the client names', () => {
  const scope = fc.constantFrom(
    'signer:sign',
    'attestor:write',
    'attestor:read',
    'attestor:verify',
    'evidence:read',
    'evidence:write',
    'authority:admin',
    'authority:introspect',
  );
  fc.assert(
    fc.property(fc.array(scope, { minLength: 1, maxLength: 8 }), (scopes) => {
      const audiences = audiencesOf(scopes);
      assert.deepEqual(audiences, [...new Set(audiences)].sort());
      for (const a of audiences) {
        assert.ok(
          scopes.some(
            (s) => s.startsWith(`${a}:`) || (a === 'attestor' && s.startsWith('evidence:')),
          ),
        );
      }
    }),
  );
});
