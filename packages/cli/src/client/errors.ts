import { defineErrorCodes } from '@stella/core';
import type { ErrorCodeTable } from '@stella/core';

/**
 * Closed error codes of the CLI's client workflows (token, evidence, sign, audit, doctor).
 * `main.ts` prints `stella: <code>: <description> (<detail>)`, so descriptions say what to do
 * next. They never carry a token, proof, key or secret value (ids and digests only).
 */
export const cliClientErrorCodes = {
  invalid_profile: {
    status: 400,
    description: 'the client profile is not valid; see `stella token --help` for its fields',
  },
  token_refused: { status: 401, description: 'the Authority refused the token request' },
  request_refused: { status: 400, description: 'the platform refused the request' },
  nonce_retry_exhausted: {
    status: 401,
    description: 'the server demanded a new DPoP nonce twice; check the clock of this machine',
  },
  unreachable: { status: 503, description: 'the platform could not be reached' },
  unexpected_response: {
    status: 502,
    description: 'the platform answered with an unexpected body',
  },
  digest_mismatch: {
    status: 422,
    description: 'the bytes do not hash to the expected digest; nothing was written',
  },
  audit_export_incomplete: {
    status: 502,
    description: 'the audit export did not reach the attested head; run the export again',
  },
  verification_failed: {
    status: 422,
    description: 'verification failed; see the failing step above',
  },
  checks_failed: { status: 503, description: 'at least one check failed; see the table above' },
} as const satisfies ErrorCodeTable;

export type CliClientErrorCode = keyof typeof cliClientErrorCodes;

export const cliClientError = defineErrorCodes(cliClientErrorCodes);
