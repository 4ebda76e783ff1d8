/**
 * Admin API access (PLATFORM.md §2 `/internal/*`): the connection must be mutual TLS terminated by
 * the Authority itself (never a forwarded `Client-Cert`: the gateway never routes `/internal`),
 * and the request must carry an `authority:admin` access token for audience `authority` whose
 * `cnf.x5t#S256` is this connection's certificate (RFC 8705 §3: certificate-bound token).
 */
import type { FastifyRequest } from 'fastify';
import type { AccessTokenClaims } from '@stella/auth';
import { digestsEqual } from '@stella/core';
import { authorityError } from '../errors.ts';
import { certificateThumbprint } from '../client-auth/client-certificate.ts';
import { singleHeader, tlsPeerOf } from '../http-support.ts';
import type { LocalTokenVerifier } from '../token/local-token-verifier.ts';

const BEARER = /^Bearer ([A-Za-z0-9._~+/-]+=*)$/;

export async function authenticateAdmin(
  request: FastifyRequest,
  verifier: LocalTokenVerifier,
): Promise<AccessTokenClaims> {
  const peer = tlsPeerOf(request);
  if (peer.certificate === undefined) {
    throw authorityError('access_denied', { detail: 'admin: no mTLS client certificate' });
  }
  const match = BEARER.exec(singleHeader(request, 'authorization') ?? '');
  if (match === null) {
    throw authorityError('invalid_token', {
      extra: { 'www-authenticate': 'Bearer realm="authority-admin"' },
      detail: 'admin: no bearer token',
    });
  }
  const claims = await verifier.verify(match[1]!, 'authority');
  const challenge = 'Bearer realm="authority-admin", error="invalid_token"';
  if (claims === undefined) {
    throw authorityError('invalid_token', {
      extra: { 'www-authenticate': challenge },
      detail: 'admin: token',
    });
  }
  const bound = claims.cnf?.['x5t#S256'];
  if (bound === undefined || !digestsEqual(bound, certificateThumbprint(peer.certificate))) {
    throw authorityError('invalid_token', {
      extra: { 'www-authenticate': challenge },
      detail: 'admin: token not bound to this connection certificate',
    });
  }
  if (!claims.scope.includes('authority:admin')) {
    throw authorityError('insufficient_scope', {
      extra: {
        'www-authenticate':
          'Bearer realm="authority-admin", error="insufficient_scope", scope="authority:admin"',
      },
    });
  }
  return claims;
}
