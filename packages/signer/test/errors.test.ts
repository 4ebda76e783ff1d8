import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { signerErrorCodes } from '../src/errors.ts';

describe('signer error registry', () => {
  it('codes are stable lowercase identifiers with 4xx/5xx statuses', () => {
    for (const [code, spec] of Object.entries(signerErrorCodes)) {
      assert.match(code, /^[a-z][a-z0-9_]*$/);
      assert.ok(spec.status >= 400 && spec.status < 600);
    }
  });

  it('docs/signer.md lists exactly the registry (code and status)', () => {
    const doc = readFileSync(path.join(import.meta.dirname, '../../../docs/signer.md'), 'utf8');
    const table = doc.slice(
      doc.indexOf('<!-- error-codes:start -->'),
      doc.indexOf('<!-- error-codes:end -->'),
    );
    const rows = [...table.matchAll(/^\| `([a-z_]+)` +\| (\d{3}) +\|/gm)].map((m) => [
      m[1],
      Number(m[2]),
    ]);
    const registry = Object.entries(signerErrorCodes).map(([code, spec]) => [code, spec.status]);
    assert.deepEqual(rows.sort(), registry.sort());
  });
});
