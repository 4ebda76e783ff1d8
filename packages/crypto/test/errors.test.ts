import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cryptoError, cryptoErrorCodes } from '../src/index.ts';
import type { CryptoErrorCode } from '../src/index.ts';

test('every crypto error code is stable lowercase snake_case with a public description', () => {
  for (const [code, spec] of Object.entries(cryptoErrorCodes)) {
    assert.match(code, /^[a-z][a-z0-9_]*$/);
    assert.ok(spec.status >= 400 && spec.status < 600);
    assert.ok(spec.description.length > 0);
    const error = cryptoError(code as CryptoErrorCode, { detail: 'd' });
    assert.equal(error.code, code);
    assert.equal(error.status, spec.status);
  }
});
