/** Keeps `src/errors.ts` and the error table in `docs/gateway.md` in step (CONVENTIONS.md). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { gatewayErrorCodes } from '../src/errors.ts';

test('docs/gateway.md lists exactly the gateway error registry', () => {
  const doc = readFileSync(path.resolve(import.meta.dirname, '../../../docs/gateway.md'), 'utf8');
  const section =
    doc.split('<!-- error-codes:start -->')[1]?.split('<!-- error-codes:end -->')[0] ?? '';
  // Cells are trimmed: the formatter pads Markdown tables.
  const rows = section
    .split('\n')
    .filter((line) => line.startsWith('| `'))
    .map((line) =>
      line
        .split('|')
        .slice(1, -1)
        .map((cell) => cell.trim()),
    )
    .map(([code, status, description]) => [code?.replaceAll('`', ''), Number(status), description]);
  const registry = Object.entries(gatewayErrorCodes).map(([code, spec]) => [
    code,
    spec.status,
    spec.description,
  ]);
  assert.deepEqual(rows, registry);
});

test('every code is stable lowercase snake case', () => {
  for (const code of Object.keys(gatewayErrorCodes)) assert.match(code, /^[a-z][a-z_]*$/);
});
