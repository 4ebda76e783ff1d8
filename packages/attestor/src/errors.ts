import { defineErrorCodes } from '@stella/core';
import type { ErrorCodeTable } from '@stella/core';

/**
 * The attestor's closed error-code table (CONVENTIONS.md "Errors"). Every refusal on the wire is
 * `{"error":{"code","message","correlationId"}}` with one of these codes; `detail` (ids and
 * digests only) reaches server logs, never the client.
 */
export const attestorErrorCodes = {
  invalid_digest: {
    status: 400,
    description: 'malformed digest; expected sha256:<64 lowercase hex>',
  },
  digest_mismatch: {
    status: 422,
    description: 'the bytes do not hash to the expected digest',
  },
  payload_too_large: { status: 413, description: 'the request body exceeds the size limit' },
  not_found: { status: 404, description: 'not found' },
  invalid_request: { status: 400, description: 'the request is malformed' },
  invalid_envelope: { status: 400, description: 'the DSSE envelope is malformed' },
  invalid_signature: {
    status: 422,
    description: 'the DSSE signature does not verify with a signer key valid at signing time',
  },
  unknown_key: { status: 422, description: 'the envelope is signed by an unknown signer key' },
  key_not_valid: {
    status: 422,
    description: 'the signer key was not valid (expired, not yet valid or revoked) at signing time',
  },
  invalid_statement: { status: 422, description: 'the payload is not an in-toto v1 statement' },
  proof_out_of_range: {
    status: 400,
    description: 'the requested proof lies outside the published tree',
  },
  peer_not_allowed: {
    status: 403,
    description: 'the peer identity is not allowed on this route',
  },
  signer_keys_unavailable: {
    status: 503,
    description: 'the signer key set could not be fetched',
  },
  log_unavailable: { status: 503, description: 'the transparency log is unavailable' },
  service_closed: { status: 503, description: 'the attestor is shutting down' },
} as const satisfies ErrorCodeTable;

export type AttestorErrorCode = keyof typeof attestorErrorCodes;

export const attestorError = defineErrorCodes(attestorErrorCodes);
