/**
 * The `authenticateClient` step shared by `/token`, `/introspect` and `/revoke`. Exactly one
 * method per request (RFC 6749 §2.3: "MUST NOT use more than one authentication method"), and the
 * method must be the one the client registered. Every failure is the same 401 `invalid_client`,
 * so an unknown client and a wrong credential look identical on the wire (PLATFORM.md §2).
 */
import type { Clock } from '@stella/core';
import { authorityError } from '../errors.ts';
import type { ClientRecord, ClientRegistry } from '../client-registry.ts';
import type { FormParams } from '../form-body.ts';
import { optionalParam } from '../form-body.ts';
import { parseBasicAuthorization, verifyClientSecret } from './client-secret.ts';
import { JWT_BEARER_ASSERTION_TYPE, parseClientAssertion } from './private-key-jwt.ts';
import type { ClientAssertionVerifier } from './private-key-jwt.ts';
import { certificateThumbprint, verifyClientCertificate } from './client-certificate.ts';

export interface ClientAuthInput {
  readonly params: FormParams;
  readonly authorization: string | undefined;
  /** The certificate this request presents (see `presentedClientCertificate`). */
  readonly clientCertificate: Uint8Array | undefined;
}

export interface AuthenticatedClient {
  readonly client: ClientRecord;
  readonly method: ClientRecord['authMethod'];
  /** RFC 8705 §3: set for `tls_client_auth`, the thumbprint a bound token's `cnf` carries. */
  readonly x5tS256: string | undefined;
}

export interface ClientAuthenticatorDeps {
  readonly clients: ClientRegistry;
  readonly verifyAssertion: ClientAssertionVerifier;
  readonly clock: Clock;
}

function fail(detail: string): never {
  throw authorityError('invalid_client', { detail });
}

export function createClientAuthenticator(deps: ClientAuthenticatorDeps) {
  return async function authenticateClient(input: ClientAuthInput): Promise<AuthenticatedClient> {
    const assertion = optionalParam(input.params, 'client_assertion');
    const assertionType = optionalParam(input.params, 'client_assertion_type');
    const basic = parseBasicAuthorization(input.authorization);
    const paramClientId = optionalParam(input.params, 'client_id');
    if (optionalParam(input.params, 'client_secret') !== undefined) {
      // client_secret_post is not offered (discovery lists only the three methods).
      fail('client_secret_post is not supported');
    }
    if (input.authorization !== undefined && basic === undefined && assertion !== undefined) {
      throw authorityError('invalid_request', { detail: 'authorization header with assertion' });
    }
    if (basic !== undefined && assertion !== undefined) {
      throw authorityError('invalid_request', {
        description: 'more than one client authentication method',
      });
    }

    if (assertion !== undefined || assertionType !== undefined) {
      if (assertionType !== JWT_BEARER_ASSERTION_TYPE || assertion === undefined) {
        fail('unsupported client_assertion_type');
      }
      const { clientId, parsed } = parseClientAssertion(assertion);
      if (paramClientId !== undefined && paramClientId !== clientId) fail('client_id mismatch');
      const client = await deps.clients.getActiveClient(clientId);
      if (client === undefined) fail('unknown or disabled client');
      await deps.verifyAssertion(client, parsed);
      return { client, method: 'private_key_jwt', x5tS256: undefined };
    }

    if (basic !== undefined) {
      if (paramClientId !== undefined && paramClientId !== basic.clientId) {
        fail('client_id mismatch');
      }
      const client = await deps.clients.getActiveClient(basic.clientId);
      const hash = client?.authMethod === 'client_secret_basic' ? client.secretHash : undefined;
      // Always run scrypt (against a dummy hash when needed) so timing does not reveal the client.
      const ok = await verifyClientSecret(basic.secret, hash);
      if (!ok || client === undefined) fail('client_secret_basic: bad credentials');
      return { client, method: 'client_secret_basic', x5tS256: undefined };
    }

    if (input.authorization !== undefined && /^basic /i.test(input.authorization)) {
      fail('malformed basic credentials');
    }

    // RFC 8705 §2: tls_client_auth names the client with the client_id parameter.
    if (paramClientId !== undefined && input.clientCertificate !== undefined) {
      const client = await deps.clients.getActiveClient(paramClientId);
      if (client?.authMethod !== 'tls_client_auth' || client.trustRoots === undefined) {
        fail('tls_client_auth: unknown client or method');
      }
      verifyClientCertificate(input.clientCertificate, client.trustRoots, client.id, deps.clock);
      return {
        client,
        method: 'tls_client_auth',
        x5tS256: certificateThumbprint(input.clientCertificate),
      };
    }
    return fail('no client authentication');
  };
}

export type ClientAuthenticator = ReturnType<typeof createClientAuthenticator>;
