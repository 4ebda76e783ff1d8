/**
 * @stella/auth — resource-server enforcement for the StellaOps security boundary (PLATFORM.md
 * §2–§4). Pure verification plus thin adapters; the only network I/O is the JWKS and revocation
 * fetchers, which take an injectable `fetch`. Clocks are always injected.
 *
 * - Errors: `AuthError` (closed `authErrorCodes`), `toChallenge` (RFC 6750 §3 / RFC 9449 §7.1
 *   `WWW-Authenticate` + platform body), `toTokenEndpointError` (RFC 9449 §5 at the AS).
 * - DPoP (RFC 9449): `verifyDpopProof` (the twelve §4.3 checks), `createNonceIssuer` (stateless
 *   HMAC window nonces), `createReplayCache` (KV set-if-absent per (jti, htu)), `normalizeHtu`.
 * - Access tokens (RFC 9068): `createAccessTokenVerifier`, `createRemoteJwks` (storm-safe
 *   refresh), `createStaticJwks`, `importJwks`.
 * - Revocation: `RevocationBundle` wire format, `verifyRevocationBundle`, `createRevocationPoller`
 *   (fail-closed staleness, no sequence rollback).
 * - mTLS (RFC 8705 / RFC 9440): `x5tS256`, `parseClientCertHeader`, `spiffeIdOf`,
 *   `assertPeerIdentity`.
 * - Gateway → upstream: `signIdentityEnvelope` / `verifyIdentityEnvelope` (X-StellaOps-Identity).
 * - JWS: `parseCompactJws` (the one strict parser of attacker-controlled compact JWS text),
 *   `verifyJwsSignature` / `verifyJwsSignatureOffThread` (ES256 / EdDSA only), `signCompactJws`.
 * - Requests: `createRequestVerifier` → `verifyRequest(...) → Principal`; guards `requireScopes`,
 *   `requireTenant`; `authPlugin` for fastify (per-route `config.auth`).
 */
export { AuthError, authError, authErrorCodes, isAuthError } from './errors.ts';
export type { AuthErrorCode, AuthErrorOptions, ChallengeScheme } from './errors.ts';
export { DPOP_ALGS, toChallenge, toTokenEndpointError } from './challenge.ts';
export type { Challenge, ChallengeOptions, TokenEndpointError } from './challenge.ts';
export {
  createDpopHeaderCache,
  verifyDpopProof,
  verifyDpopProofOffThread,
} from './validate-dpop.ts';
export type {
  DpopHeaderCache,
  DpopNonceCheck,
  DpopProof,
  DpopProofHeader,
  VerifyDpopProofOptions,
} from './validate-dpop.ts';
export { normalizeHtu, requestHtu } from './htu.ts';
export { createKeyCache, jwkThumbprint, parsePublicJwk } from './public-jwk.ts';
export type { KeyCache, PublicJwk } from './public-jwk.ts';
export { createReplayCache } from './replay-cache.ts';
export type { ReplayCache, ReplayCacheOptions } from './replay-cache.ts';
export { createNonceIssuer } from './nonce.ts';
export type { NonceIssuer, NonceIssuerOptions } from './nonce.ts';
export { createAccessTokenVerifier, TENANT_ID } from './access-token.ts';
export type {
  AccessTokenClaims,
  AccessTokenVerifier,
  AccessTokenVerifierOptions,
  Confirmation,
} from './access-token.ts';
export { createRemoteJwks, createStaticJwks, importJwks } from './jwks.ts';
export type { FetchLike, JwksSource, RemoteJwksOptions, VerificationKey } from './jwks.ts';
export { createRevocationPoller, indexRevocations, verifyRevocationBundle } from './revocations.ts';
export type {
  RevocableClaims,
  RevocationBundle,
  RevocationChecker,
  RevocationPoller,
  RevocationPollerOptions,
  RevokedClient,
  RevokedTenant,
  RevokedToken,
  VerifyRevocationBundleOptions,
} from './revocations.ts';
export { assertPeerIdentity, parseClientCertHeader, spiffeIdOf, x5tS256 } from './mtls.ts';
export type { PeerCertificateLike } from './mtls.ts';
export {
  IDENTITY_ENVELOPE_MAX_LIFETIME_SECONDS,
  IDENTITY_ENVELOPE_TYP,
  signIdentityEnvelope,
  verifyIdentityEnvelope,
  verifyIdentityEnvelopeOffThread,
} from './identity-envelope.ts';
export type { IdentityEnvelopeClaims, VerifyIdentityEnvelopeOptions } from './identity-envelope.ts';
export {
  JwsFormatError,
  parseCompactJws,
  signCompactJws,
  verifyJwsSignature,
  verifyJwsSignatureOffThread,
} from './jws.ts';
export type { JwsAlgorithm, ParsedJws } from './jws.ts';
export { requireScopes, requireTenant } from './principal.ts';
export type { Principal } from './principal.ts';
export { createRequestVerifier, headerValues } from './verify-request.ts';
export type {
  RequestHeaders,
  RequestVerifier,
  RequestVerifierOptions,
  VerifyRequestInput,
} from './verify-request.ts';
export { authPlugin } from './fastify-plugin.ts';
export type { AuthDeniedEvent, AuthPluginOptions, RouteAuth } from './fastify-plugin.ts';
