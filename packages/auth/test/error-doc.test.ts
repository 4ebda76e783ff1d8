import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { AuthError, authErrorCodes } from '../src/index.ts';
import type { AuthErrorCode } from '../src/index.ts';

// docs/auth-errors.md is the operator-facing table of every auth error code; it must list
// exactly the codes of `authErrorCodes`, with their status and the challenge `error=` value.
const doc = readFileSync(new URL('../../../docs/auth-errors.md', import.meta.url), 'utf8');
const ROW = /^\|\s*`([a-z_]+)`\s*\|\s*(\d{3})\s*\|[^|]+\|\s*(.+?)\s*\|$/;

interface DocRow {
  status: number;
  challenge: string;
}

function documentedRows(): Map<string, DocRow> {
  const rows = new Map<string, DocRow>();
  for (const line of doc.split('\n')) {
    const match = ROW.exec(line);
    if (match === null) continue;
    const [, code = '', status = '', challenge = ''] = match;
    assert.ok(!rows.has(code), `${code} documented twice`);
    rows.set(code, { status: Number(status), challenge });
  }
  return rows;
}

/** The `error=` value the real challenge carries, or `none` when no 4xx challenge is sent. */
function actualChallenge(code: AuthErrorCode): string {
  const challenge = new AuthError(code).toChallenge();
  if (challenge.status >= 500) return 'none (5xx)';
  const value = /error="([a-z_]+)"/.exec(challenge.headers['www-authenticate'])?.[1];
  return value === undefined ? 'none (RFC 6750 §3.1)' : `\`${value}\``;
}

test('every auth error code is documented with its status and challenge, and nothing else', () => {
  const rows = documentedRows();
  const codes = Object.keys(authErrorCodes) as AuthErrorCode[];
  assert.deepEqual([...rows.keys()].sort(), [...codes].sort());
  for (const code of codes) {
    const row = rows.get(code);
    assert.equal(row?.status, authErrorCodes[code].status, `${code} status`);
    assert.equal(row?.challenge, actualChallenge(code), `${code} challenge`);
  }
});
