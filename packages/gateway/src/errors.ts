/**
 * The gateway's closed error registry (CONVENTIONS.md "Errors"). Every refusal the front door
 * makes itself has one of these codes; token / DPoP refusals come from `@stella/auth`
 * (`AuthError` → RFC 6750 / RFC 9449 challenge). `docs/gateway.md` lists the same table and a
 * test keeps them in step.
 */
import { defineErrorCodes } from '@stella/core';
import type { ErrorCodeTable } from '@stella/core';

export const gatewayErrorCodes = {
  bad_request: { status: 400, description: 'the request is malformed' },
  request_smuggling: {
    status: 400,
    description: 'ambiguous message framing (Content-Length / Transfer-Encoding)',
  },
  invalid_header: { status: 400, description: 'a header contains invalid characters' },
  path_traversal: { status: 400, description: 'the request path is not allowed' },
  not_found: { status: 404, description: 'no such route' },
  method_not_allowed: { status: 405, description: 'the method is not allowed for this route' },
  request_timeout: { status: 408, description: 'the request was not received in time' },
  body_too_large: { status: 413, description: 'the request body is too large for this route' },
  unsupported_media_type: {
    status: 415,
    description: 'the content type is not allowed for this route',
  },
  misdirected_request: { status: 421, description: 'unknown host' },
  headers_too_large: { status: 431, description: 'too many or too large request headers' },
  tenant_required: { status: 403, description: 'this route requires a tenant' },
  tenant_mismatch: { status: 403, description: 'the requested tenant does not match the token' },
  rate_limited: { status: 429, description: 'too many requests' },
  bad_gateway: { status: 502, description: 'the upstream service failed' },
  rate_limit_unavailable: { status: 503, description: 'rate limiting is unavailable' },
  gateway_timeout: { status: 504, description: 'the upstream service did not answer in time' },
} as const satisfies ErrorCodeTable;

export type GatewayErrorCode = keyof typeof gatewayErrorCodes;

/** `throw gatewayError('path_traversal', { detail: 'encoded-slash' })`. */
export const gatewayError = defineErrorCodes(gatewayErrorCodes);
