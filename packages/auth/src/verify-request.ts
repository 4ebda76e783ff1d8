/**
 * Resource-server request authentication, as ordered steps: authorization header → access token
 * → sender constraint (DPoP proof + replay, or mTLS certificate binding) → [behind the gateway:
 * identity envelope]. Returns the `Principal`; every refusal is an `AuthError` whose challenge
 * scheme matches what the client presented (RFC 9449 §7.1).
 */
import type { Clock } from '@stella/core';
import { digestsEqual } from '@stella/core';
import type { AccessTokenClaims, AccessTokenVerifier } from './access-token.ts';
import { AuthError, isAuthError } from './errors.ts';
import type { ChallengeScheme } from './errors.ts';
import { requestHtu } from './htu.ts';
import { verifyIdentityEnvelopeOffThread } from './identity-envelope.ts';
import type { VerificationKey } from './jwks.ts';
import { assertPeerIdentity, parseClientCertHeader, x5tS256 } from './mtls.ts';
import type { PeerCertificateLike } from './mtls.ts';
import type { NonceIssuer } from './nonce.ts';
import type { Principal } from './principal.ts';
import { createKeyCache } from './public-jwk.ts';
import type { ReplayCache } from './replay-cache.ts';
import { createDpopHeaderCache, verifyDpopProofOffThread } from './validate-dpop.ts';

export type RequestHeaders = Readonly<Record<string, string | readonly string[] | undefined>>;

export interface VerifyRequestInput {
  readonly method: string;
  /** The request target as received: origin-form path + query. */
  readonly url: string;
  /** Lowercase names; repeated fields as arrays (from `rawHeaders`: node drops duplicates). */
  readonly headers: RequestHeaders;
  /** The TLS peer certificate, already chain-verified by the TLS server (`authorized`). */
  readonly peerCertificate?: PeerCertificateLike;
  /** Per-route override of `requireNonce`. */
  readonly requireNonce?: boolean;
}

export interface RequestVerifierOptions {
  /** This service's audience (`aud` of the tokens it accepts). */
  readonly audience: string;
  /** Configured external base URL, e.g. `https://gw.example:8443` (DPoP `htu`). */
  readonly externalUrl: string;
  readonly accessTokens: AccessTokenVerifier;
  readonly replayCache: ReplayCache;
  readonly nonceIssuer?: NonceIssuer;
  readonly requireNonce: boolean;
  readonly clock: Clock;
  readonly mode: 'direct' | 'behind-gateway';
  readonly gateway?: {
    /** SPIFFE ids of the gateway replicas. */
    readonly identities: readonly string[];
    /** Gateway envelope verification keys by kid. */
    readonly envelopeKeys: ReadonlyMap<string, VerificationKey>;
  };
}

export interface RequestVerifier {
  verifyRequest(input: VerifyRequestInput): Promise<Principal>;
}

// RFC 9110 §11.4 credentials = auth-scheme [ 1*SP token68 ].
const CREDENTIALS = /^([A-Za-z][A-Za-z0-9!#$%&'*+.^_`|~-]*) +([A-Za-z0-9\-._~+/]+=*)$/;

export function headerValues(headers: RequestHeaders, name: string): string[] {
  const value = headers[name];
  if (value === undefined) return [];
  return typeof value === 'string' ? [value] : [...value];
}

export function createRequestVerifier(options: RequestVerifierOptions): RequestVerifier {
  if (options.requireNonce && options.nonceIssuer === undefined) {
    throw new TypeError('requireNonce needs a nonceIssuer');
  }
  if (options.mode === 'behind-gateway' && options.gateway === undefined) {
    throw new TypeError('behind-gateway mode needs gateway identities and envelope keys');
  }
  const keyCache = createKeyCache();
  const headerCache = createDpopHeaderCache();
  const issuer = options.nonceIssuer;

  function parseAuthorization(headers: RequestHeaders): {
    scheme: 'Bearer' | 'DPoP';
    token: string;
  } {
    const values = headerValues(headers, 'authorization');
    if (values.length === 0) {
      throw new AuthError('authentication_required', { scheme: 'DPoP Bearer' });
    }
    if (values.length > 1) {
      throw new AuthError('invalid_request', {
        detail: 'two authorization headers',
        scheme: 'DPoP Bearer',
      });
    }
    const match = CREDENTIALS.exec(values[0] ?? '');
    const scheme = match?.[1]?.toLowerCase();
    if (match === null || match[2] === undefined || (scheme !== 'bearer' && scheme !== 'dpop')) {
      throw new AuthError('invalid_request', {
        detail: 'authorization syntax or scheme',
        scheme: 'DPoP Bearer',
      });
    }
    return { scheme: scheme === 'dpop' ? 'DPoP' : 'Bearer', token: match[2] };
  }

  async function checkDpop(input: VerifyRequestInput, token: string, jkt: string): Promise<void> {
    const htu = requestHtu(options.externalUrl, input.url);
    if (htu === undefined) {
      throw new AuthError('invalid_request', { detail: 'request target', scheme: 'DPoP' });
    }
    const required = input.requireNonce ?? options.requireNonce;
    if (required && issuer === undefined) throw new TypeError('requireNonce needs a nonceIssuer');
    let proof;
    try {
      // Per request: the proof's signature is verified on the thread pool, off the event loop.
      proof = await verifyDpopProofOffThread({
        proofs: headerValues(input.headers, 'dpop'),
        method: input.method,
        url: htu,
        accessToken: token,
        expectedJkt: jkt,
        ...(issuer === undefined ? {} : { nonce: { required, isValid: issuer.isValid } }),
        clock: options.clock,
        keyCache,
        headerCache,
      });
    } catch (error) {
      // RFC 9449 §9: a nonce challenge carries the nonce to use.
      if (isAuthError(error) && error.code === 'use_dpop_nonce' && issuer !== undefined) {
        throw error.withChallenge('DPoP', issuer.current());
      }
      throw error;
    }
    // RFC 9449 §11.1: a (jti, htu) pair is accepted once; a KV failure rejects (fail closed).
    if (!(await options.replayCache.checkAndRemember(proof.jti, proof.htu))) {
      throw new AuthError('invalid_dpop_proof', { detail: 'replayed proof', scheme: 'DPoP' });
    }
  }

  function presentedCertificate(input: VerifyRequestInput): Uint8Array | undefined {
    if (options.mode === 'direct') return input.peerCertificate?.raw;
    // RFC 9440 header: trusted only because the peer was verified as the gateway (checked first).
    const values = headerValues(input.headers, 'client-cert');
    if (values.length > 1) throw new AuthError('invalid_request', { detail: 'two client-cert' });
    return values[0] === undefined ? undefined : parseClientCertHeader(values[0]);
  }

  async function checkEnvelope(
    input: VerifyRequestInput,
    claims: AccessTokenClaims,
  ): Promise<void> {
    const gateway = options.gateway;
    if (gateway === undefined) return;
    const values = headerValues(input.headers, 'x-stellaops-identity');
    if (values.length !== 1 || values[0] === undefined) {
      throw new AuthError('untrusted_peer', { detail: `identity envelope count ${values.length}` });
    }
    // Per request on every upstream service: verified on the thread pool, off the event loop.
    const envelope = await verifyIdentityEnvelopeOffThread(values[0], {
      keys: gateway.envelopeKeys,
      audience: options.audience,
      clock: options.clock,
      expectedTokenJti: claims.jti,
    });
    if (envelope.tid !== claims.tid || envelope.client_id !== claims.client_id) {
      throw new AuthError('invalid_identity_envelope', { detail: 'envelope differs from token' });
    }
  }

  async function authenticate(input: VerifyRequestInput): Promise<Principal> {
    if (options.mode === 'behind-gateway') {
      assertPeerIdentity(input.peerCertificate, options.gateway?.identities ?? []);
    }
    const { scheme, token } = parseAuthorization(input.headers);
    const challenge: ChallengeScheme = scheme;
    let claims: AccessTokenClaims;
    try {
      claims = await options.accessTokens.verify(token);
    } catch (error) {
      throw isAuthError(error) ? error.withChallenge(challenge) : error;
    }
    if (claims.aud !== options.audience) {
      throw new AuthError('invalid_token', { detail: 'aud', scheme: challenge });
    }
    const jkt = claims.cnf?.jkt;
    const x5t = claims.cnf?.['x5t#S256'];
    if (jkt !== undefined) {
      // RFC 9449 §7.2: a DPoP-bound token sent as Bearer is a downgrade.
      if (scheme !== 'DPoP') {
        throw new AuthError('invalid_token', {
          detail: 'dpop-bound token as bearer',
          scheme: 'DPoP',
        });
      }
      await checkDpop(input, token, jkt);
    } else if (x5t !== undefined) {
      if (scheme !== 'Bearer') {
        throw new AuthError('invalid_token', {
          detail: 'mtls-bound token as dpop',
          scheme: 'Bearer',
        });
      }
      const der = presentedCertificate(input);
      // RFC 8705 §3: the presented certificate's thumbprint must equal cnf.x5t#S256.
      if (der === undefined || !digestsEqual(x5tS256(der), x5t)) {
        throw new AuthError('invalid_token', { detail: 'certificate binding', scheme: 'Bearer' });
      }
    } else {
      // Every platform token is sender-constrained (PLATFORM.md §3): fail closed.
      throw new AuthError('invalid_token', {
        detail: 'token not sender-constrained',
        scheme: challenge,
      });
    }
    await checkEnvelope(input, claims);
    return {
      ...(claims.tid === undefined ? {} : { tenant: claims.tid }),
      clientId: claims.client_id,
      subject: claims.sub,
      scopes: claims.scope,
      audience: claims.aud,
      cnf: jkt === undefined ? { 'x5t#S256': x5t ?? '' } : { jkt },
      tokenId: claims.jti,
      ...(claims.service_identity === undefined
        ? {}
        : { serviceIdentity: claims.service_identity }),
    };
  }

  return { verifyRequest: authenticate };
}
