/**
 * Verifies the Authority's own access tokens (introspection, admin API) with the same verifier
 * every resource server uses (`@stella/auth` createAccessTokenVerifier), against this replica's
 * published keys (active + retired within grace) — no network hop.
 */
import { decodeJwt } from 'jose';
import type { Clock } from '@stella/core';
import { createAccessTokenVerifier, importJwks } from '@stella/auth';
import type {
  AccessTokenClaims,
  AccessTokenVerifier,
  JwksSource,
  VerificationKey,
} from '@stella/auth';
import type { SigningKeyStore } from '../signing-keys.ts';

function localJwks(keys: SigningKeyStore): JwksSource {
  let cached: { text: string; keys: Map<string, VerificationKey> } | undefined;
  return {
    async getKey(kid) {
      const document = await keys.publicJwks();
      const text = JSON.stringify(document);
      if (cached?.text !== text) cached = { text, keys: importJwks(document) };
      return cached.keys.get(kid);
    },
  };
}

export interface LocalTokenVerifierOptions {
  readonly issuer: string;
  readonly audiences: readonly string[];
  readonly keys: SigningKeyStore;
  readonly clock: Clock;
  readonly skewSeconds: number;
}

export function createLocalTokenVerifier(options: LocalTokenVerifierOptions) {
  const jwks = localJwks(options.keys);
  const verifiers = new Map<string, AccessTokenVerifier>(
    options.audiences.map((audience) => [
      audience,
      createAccessTokenVerifier({
        issuer: options.issuer,
        audience,
        jwks,
        clock: options.clock,
        skewSeconds: options.skewSeconds,
      }),
    ]),
  );
  return {
    /** Verified claims, or undefined for anything not a currently valid token of ours. */
    async verify(token: string, audience?: string): Promise<AccessTokenClaims | undefined> {
      let aud = audience;
      if (aud === undefined) {
        try {
          const claimed = decodeJwt(token).aud; // only selects the verifier; verified below
          aud = typeof claimed === 'string' ? claimed : undefined;
        } catch {
          return undefined;
        }
      }
      const verifier = aud === undefined ? undefined : verifiers.get(aud);
      if (verifier === undefined) return undefined;
      try {
        return await verifier.verify(token);
      } catch {
        return undefined;
      }
    },
  };
}

export type LocalTokenVerifier = ReturnType<typeof createLocalTokenVerifier>;
