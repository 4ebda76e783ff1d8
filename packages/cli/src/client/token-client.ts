import type { Clock, IdGenerator } from '@stella/core';
import { cliClientError } from './errors.ts';
import type { ClientProfile } from './profile.ts';
import type { HttpClient, HttpResponse } from './https-client.ts';
import { headerOf } from './https-client.ts';
import { createDpopProof } from './dpop-proof.ts';
import type { DpopKey } from './dpop-proof.ts';
import { CLIENT_ASSERTION_TYPE, createClientAssertion } from './client-assertion.ts';
import type { ClientAssertionKey } from './client-assertion.ts';

/**
 * Client-credentials grant (RFC 6749 §4.4) for a DPoP-bound access token (RFC 9449 §5) at
 * `<issuer>/token`. A `400 use_dpop_nonce` with a `DPoP-Nonce` header (§8) is answered by one
 * retry with that nonce — a fresh proof and, for private_key_jwt, a fresh assertion (its `jti`
 * was consumed by the first attempt). A second nonce demand is an error, never a loop.
 */
export interface AccessToken {
  readonly accessToken: string;
  readonly tokenType: string;
  readonly expiresIn: number;
  readonly scope: string;
  /** The latest `DPoP-Nonce` the Authority sent; resource servers sharing it accept it. */
  readonly nonce?: string;
}

export interface TokenRequestOptions {
  readonly profile: ClientProfile;
  readonly audience: string;
  readonly scope: string;
  readonly http: HttpClient;
  readonly dpopKey: DpopKey;
  /** Required for `private_key_jwt`; unused for `tls_client_auth` (the TLS layer authenticates). */
  readonly clientKey?: ClientAssertionKey;
  readonly clock: Clock;
  readonly ids: IdGenerator;
}

const HINTS: Readonly<Record<string, string>> = {
  invalid_client: 'check clientId and the key in the profile, and that the client is registered',
  invalid_scope: 'the client is not allowed one of the requested scopes (`stella clients show`)',
  invalid_target: 'unknown audience; use signer, attestor or authority',
  invalid_request: 'check --audience, --scope and the tenant in the profile',
  invalid_dpop_proof: "the Authority refused the DPoP proof; check this machine's clock",
};

/** Server text shown to the operator: printable ASCII only, bounded. */
export function printable(value: unknown, max = 200): string {
  return typeof value === 'string' ? value.replace(/[^\x20-\x7e]/g, '?').slice(0, max) : '';
}

export function oauthErrorOf(res: HttpResponse): { error: string; description: string } {
  try {
    const body = JSON.parse(Buffer.from(res.body).toString('utf8')) as Record<string, unknown>;
    return {
      error: printable(body['error'], 64),
      description: printable(body['error_description']),
    };
  } catch {
    return { error: '', description: '' };
  }
}

export async function requestAccessToken(options: TokenRequestOptions): Promise<AccessToken> {
  const { profile } = options;
  if (profile.authMethod === 'private_key_jwt' && options.clientKey === undefined) {
    throw new TypeError('private_key_jwt needs clientKey');
  }
  const url = `${profile.issuer}/token`;
  let nonce: string | undefined;
  for (let attempt = 0; attempt < 2; attempt += 1) {
    const form = new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: profile.clientId,
    });
    if (options.clientKey !== undefined && profile.authMethod === 'private_key_jwt') {
      form.set('client_assertion_type', CLIENT_ASSERTION_TYPE);
      form.set(
        'client_assertion',
        await createClientAssertion(
          options.clientKey,
          { clientId: profile.clientId, issuer: profile.issuer },
          options.clock,
          options.ids,
        ),
      );
    }
    form.set('audience', options.audience);
    form.set('scope', options.scope);
    form.set('tenant', profile.tenant);
    const proof = createDpopProof(
      options.dpopKey,
      { htm: 'POST', url, ...(nonce === undefined ? {} : { nonce }) },
      options.clock,
      options.ids,
    );
    const res = await options.http.send({
      method: 'POST',
      url,
      headers: { 'content-type': 'application/x-www-form-urlencoded', dpop: proof },
      body: form.toString(),
    });
    const fresh = headerOf(res, 'dpop-nonce');
    if (res.status === 200) return parseTokenResponse(res, fresh);
    const { error, description } = oauthErrorOf(res);
    if (res.status === 400 && error === 'use_dpop_nonce' && fresh !== undefined) {
      if (attempt === 1)
        throw cliClientError('nonce_retry_exhausted', { detail: 'token endpoint' });
      nonce = fresh;
      continue;
    }
    const hint = HINTS[error];
    throw cliClientError('token_refused', {
      description: `the Authority refused the token request (${res.status} ${error || 'no error code'}${description ? `: ${description}` : ''})${hint ? `; ${hint}` : ''}`,
    });
  }
  throw cliClientError('nonce_retry_exhausted', { detail: 'token endpoint' });
}

function parseTokenResponse(res: HttpResponse, nonce: string | undefined): AccessToken {
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(Buffer.from(res.body).toString('utf8')) as Record<string, unknown>;
  } catch {
    throw cliClientError('unexpected_response', { detail: 'token response is not JSON' });
  }
  const { access_token: accessToken, token_type: tokenType, expires_in: expiresIn, scope } = body;
  if (
    typeof accessToken !== 'string' ||
    typeof tokenType !== 'string' ||
    typeof expiresIn !== 'number' ||
    typeof scope !== 'string'
  ) {
    throw cliClientError('unexpected_response', { detail: 'token response fields' });
  }
  // RFC 9449 §5: a DPoP-bound token is typed `DPoP`; anything else would be a bearer token the
  // CLI did not ask for and must not use with a proof.
  if (tokenType.toLowerCase() !== 'dpop') {
    throw cliClientError('unexpected_response', {
      detail: `token_type ${printable(tokenType, 16)}`,
    });
  }
  return {
    accessToken,
    tokenType: 'DPoP',
    expiresIn,
    scope,
    ...(nonce === undefined ? {} : { nonce }),
  };
}
