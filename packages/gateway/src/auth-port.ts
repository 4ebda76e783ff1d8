/**
 * What the gateway needs from authentication: one call that verifies the access token and its
 * sender constraint (DPoP / mTLS) for a route's audience against the configured external URL,
 * and one that signs the `X-StellaOps-Identity` envelope. `auth-adapter.ts` builds it from
 * `@stella/auth`; verification itself is never reimplemented here.
 */
export interface GatewayPrincipal {
  readonly tenant: string | undefined;
  readonly clientId: string;
  readonly subject: string;
  readonly scopes: readonly string[];
  readonly audience: string;
  readonly cnf: { readonly jkt?: string; readonly 'x5t#S256'?: string };
  readonly tokenId: string;
}

export interface AuthenticateInput {
  /** Token audience the route requires (also selects the verifier). */
  readonly audience: string;
  readonly nonceRequired: boolean;
  readonly method: string;
  /**
   * Vetted origin-form path + query; the verifier joins it to the CONFIGURED external URL for
   * the DPoP `htu` comparison (RFC 9449 §4.3), never to `Host`.
   */
  readonly url: string;
  /** Lowercase names; every repeated field kept (two `Authorization` / `DPoP` are refused). */
  readonly headers: Readonly<Record<string, readonly string[]>>;
  /** DER of the verified client certificate (RFC 8705 binding), when one was presented. */
  readonly peerCertificate: Uint8Array | undefined;
}

export interface GatewayAuthenticator {
  /** Resolves the principal or rejects with an error exposing `toChallenge()`. */
  authenticate(input: AuthenticateInput): Promise<GatewayPrincipal>;
  /** The signed identity envelope for `audience` (≤ 30 s, bound to the token `jti`). */
  signIdentity(principal: GatewayPrincipal, audience: string, correlationId: string): string;
  /**
   * The 403 `insufficient_scope` challenge naming `required` (RFC 6750 §3.1) when the principal
   * lacks any of them; undefined when it holds them all.
   */
  scopeRefusal(required: readonly string[], principal: GatewayPrincipal): Error | undefined;
  /** A fresh DPoP nonce for responses on nonce routes (RFC 9449 §8.2), if nonces are on. */
  currentNonce(): string | undefined;
  /** Readiness: verification keys loaded. */
  ready(): Promise<boolean>;
}

export interface Challenge {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly body: unknown;
}

/** An error that renders as an RFC 6750 / RFC 9449 challenge (`AuthError` from `@stella/auth`). */
export interface ChallengeError extends Error {
  readonly code: string;
  toChallenge(options: { correlationId: string }): Challenge;
}

export function isChallengeError(error: unknown): error is ChallengeError {
  return (
    error instanceof Error &&
    typeof (error as Partial<ChallengeError>).toChallenge === 'function' &&
    typeof (error as Partial<ChallengeError>).code === 'string'
  );
}
