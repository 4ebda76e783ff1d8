/**
 * The access token (OpTok) of PLATFORM.md §2: an RFC 9068 JWT, header `typ: at+jwt`, claims
 * exactly `iss sub client_id aud iat nbf exp jti scope tid inst cnf service_identity?`.
 */
import type { Clock, IdGenerator } from '@stella/core';
import { epochSeconds } from '@stella/core';
import { signCompactJwsOffThread } from '../compact-jws.ts';
import type { SigningKey } from '../compact-jws.ts';

/** RFC 7800 §3.1 confirmation: DPoP (RFC 9449 §6.1) or mTLS (RFC 8705 §3.1), never both. */
export type TokenConfirmation = { readonly jkt: string } | { readonly 'x5t#S256': string };

export interface AccessTokenRequest {
  readonly issuer: string;
  readonly installationId: string;
  readonly clientId: string;
  readonly audience: string;
  readonly scopes: readonly string[];
  readonly tenant: string | undefined;
  readonly cnf: TokenConfirmation;
  readonly serviceIdentity: string | undefined;
  readonly lifetimeSeconds: number;
}

export interface IssuedAccessToken {
  readonly token: string;
  readonly jti: string;
  readonly iat: number;
  readonly exp: number;
}

export async function issueAccessToken(
  request: AccessTokenRequest,
  key: SigningKey,
  clock: Clock,
  ids: IdGenerator,
): Promise<IssuedAccessToken> {
  const iat = epochSeconds(clock);
  const exp = iat + request.lifetimeSeconds;
  const jti = ids.random(16); // 128 random bits (PLATFORM.md §2: ≥ 128 bits)
  const claims: Record<string, unknown> = {
    iss: request.issuer,
    sub: request.clientId,
    client_id: request.clientId,
    aud: request.audience,
    iat,
    nbf: iat,
    exp,
    jti,
    scope: [...request.scopes].sort().join(' '),
    ...(request.tenant === undefined ? {} : { tid: request.tenant }),
    inst: request.installationId,
    cnf: request.cnf,
    ...(request.serviceIdentity === undefined ? {} : { service_identity: request.serviceIdentity }),
  };
  // RFC 9068 §2.1: explicit typing so an access token is never mistaken for an ID token.
  const token = await signCompactJwsOffThread(key, { typ: 'at+jwt' }, JSON.stringify(claims));
  return { token, jti, iat, exp };
}
