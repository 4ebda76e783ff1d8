import { defineErrorCodes } from '@stella/core';
import type { ErrorCodeTable } from '@stella/core';

/**
 * The signer's closed error-code registry (PLATFORM.md §5). Every refusal of
 * `POST /api/v1/signer/sign/dsse` maps to exactly one of these codes; `docs/signer.md` lists the
 * same table and `test/errors.test.ts` keeps the two in step.
 *
 * `predicate_not_allowed` is 403, not 400: the request is well formed, the caller is simply not
 * permitted to have that predicate type signed by this deployment (a policy decision).
 */
export const signerErrorCodes = {
  invalid_request: { status: 400, description: 'the request body does not match the schema' },
  unsupported_media_type: { status: 415, description: 'the request body must be application/json' },
  payload_too_large: { status: 413, description: 'the request body is too large' },
  invalid_token: { status: 401, description: 'the access token is not valid for the signer' },
  insufficient_scope: { status: 403, description: 'the token lacks the scope signer:sign' },
  tenant_required: { status: 403, description: 'a tenant-scoped token is required' },
  predicate_not_allowed: {
    status: 403,
    description: 'the predicate type is not on the signer allow-list',
  },
  quota_exceeded: { status: 429, description: 'the tenant signing quota is exhausted' },
  artifact_unverified: { status: 422, description: 'a subject has no verifiable source' },
  artifact_unavailable: {
    status: 422,
    description: 'a subject artifact could not be fetched or is too large',
  },
  digest_mismatch: {
    status: 422,
    description: 'a subject digest does not match the artifact bytes',
  },
  key_unavailable: { status: 503, description: 'no signing key is valid at this time' },
  attestor_unavailable: { status: 502, description: 'the attestor did not accept the envelope' },
  not_found: { status: 404, description: 'no such route' },
  server_error: { status: 500, description: 'internal error' },
} as const satisfies ErrorCodeTable;

export type SignerErrorCode = keyof typeof signerErrorCodes;

export const signerError = defineErrorCodes(signerErrorCodes);
