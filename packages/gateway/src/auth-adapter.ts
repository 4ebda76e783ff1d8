/**
 * Builds the gateway's `GatewayAuthenticator` from `@stella/auth`: one request verifier per
 * upstream audience (direct mode: the client's TLS connection ends here), all sharing the JWKS,
 * the KV replay cache (one cache across replicas through Valkey) and the stateless nonce issuer.
 * The identity envelope is signed with the gateway key (PLATFORM.md §4).
 */
import type { KeyObject } from 'node:crypto';
import type { Clock, KeyValueStore } from '@stella/core';
import { epochSeconds } from '@stella/core';
import {
  AuthError,
  createAccessTokenVerifier,
  createReplayCache,
  createRequestVerifier,
  requireScopes,
  signIdentityEnvelope,
} from '@stella/auth';
import type {
  JwksSource,
  NonceIssuer,
  Principal,
  RequestVerifier,
  RevocationChecker,
} from '@stella/auth';
import type { GatewayAuthenticator, GatewayPrincipal } from './auth-port.ts';
import { sortedScopes } from './forward-headers.ts';

export interface AuthAdapterOptions {
  /** The Authority's issuer URL (`iss`, exactly). */
  readonly issuer: string;
  /** Configured external URL of the gateway (DPoP `htu`). */
  readonly externalUrl: string;
  /** Audiences of the routed upstreams (one verifier each). */
  readonly audiences: readonly string[];
  readonly jwks: JwksSource;
  readonly kv: KeyValueStore;
  /** Replay-cache key prefix shared by all gateway replicas (and only by them). */
  readonly replayPrefix?: string;
  /** Required when any route demands a nonce. */
  readonly nonceIssuer?: NonceIssuer;
  readonly revocations?: RevocationChecker;
  readonly clock: Clock;
  /** The gateway's envelope signing key (P-256 or Ed25519) and its kid. */
  readonly envelopeKey: KeyObject;
  readonly envelopeKid: string;
  /** Envelope lifetime, seconds (≤ 30, PLATFORM.md §4). Default 30. */
  readonly envelopeTtlSeconds?: number;
  /**
   * Verified access tokens remembered per audience (`@stella/auth` LRU; default 1024, 0 = off).
   * A hit skips only the JWS parse and signature: the signing key must still be the one the
   * JWKS serves for its kid, and time claims and revocation are re-checked on every request.
   */
  readonly verifiedTokenCacheEntries?: number;
  /** DPoP replay window, ms: ≥ 2 × the ±30 s `iat` acceptance (RFC 9449 §11.1). Default 120 s. */
  readonly replayWindowMs?: number;
}

function toPrincipal(p: Principal): GatewayPrincipal {
  return {
    tenant: p.tenant,
    clientId: p.clientId,
    subject: p.subject,
    scopes: p.scopes,
    audience: p.audience,
    cnf: p.cnf,
    tokenId: p.tokenId,
  };
}

export function createAuthAuthenticator(options: AuthAdapterOptions): GatewayAuthenticator {
  const ttl = options.envelopeTtlSeconds ?? 30;
  if (!Number.isInteger(ttl) || ttl < 1 || ttl > 30) throw new TypeError('envelopeTtlSeconds');
  const replayCache = createReplayCache(options.kv, {
    prefix: options.replayPrefix ?? 'stella:gw:dpop:',
    windowMs: options.replayWindowMs ?? 120_000,
  });
  const verifiers = new Map<string, RequestVerifier>();
  for (const audience of new Set(options.audiences)) {
    verifiers.set(
      audience,
      createRequestVerifier({
        audience,
        externalUrl: options.externalUrl,
        accessTokens: createAccessTokenVerifier({
          issuer: options.issuer,
          audience,
          jwks: options.jwks,
          clock: options.clock,
          ...(options.revocations === undefined ? {} : { revocations: options.revocations }),
          ...(options.verifiedTokenCacheEntries === undefined
            ? {}
            : { verifiedTokenCacheEntries: options.verifiedTokenCacheEntries }),
        }),
        replayCache,
        ...(options.nonceIssuer === undefined ? {} : { nonceIssuer: options.nonceIssuer }),
        requireNonce: false,
        clock: options.clock,
        mode: 'direct',
      }),
    );
  }
  return {
    async authenticate(input) {
      const verifier = verifiers.get(input.audience);
      // A route whose audience has no verifier is a wiring mistake: refuse, never pass.
      if (verifier === undefined) throw new TypeError(`no verifier for audience ${input.audience}`);
      if (input.nonceRequired && options.nonceIssuer === undefined) {
        throw new TypeError('a nonce route needs a nonce issuer');
      }
      const principal = await verifier.verifyRequest({
        method: input.method,
        url: input.url,
        headers: input.headers,
        ...(input.peerCertificate === undefined
          ? {}
          : { peerCertificate: { raw: input.peerCertificate } }),
        requireNonce: input.nonceRequired,
      });
      return toPrincipal(principal);
    },
    scopeRefusal(required, principal) {
      // The RFC 6750 §3.1 challenge (scheme from cnf, `scope` naming what the route needs).
      const { tenant, ...rest } = principal;
      try {
        requireScopes({ ...rest, ...(tenant === undefined ? {} : { tenant }) }, required);
        return undefined;
      } catch (error) {
        if (error instanceof AuthError) return error;
        throw error;
      }
    },
    signIdentity(principal, audience, correlationId) {
      const iat = epochSeconds(options.clock);
      return signIdentityEnvelope(
        {
          iss: 'gateway',
          aud: audience,
          iat,
          exp: iat + ttl,
          ...(principal.tenant === undefined ? {} : { tid: principal.tenant }),
          client_id: principal.clientId,
          scope: sortedScopes(principal.scopes),
          jti: principal.tokenId,
          cnf: principal.cnf,
          cid: correlationId,
        },
        options.envelopeKey,
        options.envelopeKid,
      );
    },
    currentNonce: () => options.nonceIssuer?.current(),
    // JWKS loaded/reachable: an unknown kid resolves (keys fetched) or rejects (unavailable);
    // the remote source rate-limits refreshes, so probing cannot storm the Authority.
    ready: () =>
      options.jwks.getKey('readiness-probe').then(
        () => true,
        () => false,
      ),
  };
}
