/** Keeps the error registry honest: stable lowercase codes, sane statuses, public descriptions. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { storageError, storageErrorCodes } from '../src/index.ts';

describe('storage error codes', () => {
  it('are lowercase snake_case with 4xx/5xx statuses and build StellaErrors', () => {
    for (const [code, spec] of Object.entries(storageErrorCodes)) {
      assert.match(code, /^[a-z][a-z0-9_]*$/);
      assert.ok(spec.status >= 400 && spec.status < 600, code);
      assert.ok(spec.description.length > 0);
      const error = storageError(code as keyof typeof storageErrorCodes);
      assert.equal(error.code, code);
      assert.equal(error.status, spec.status);
    }
  });
});
