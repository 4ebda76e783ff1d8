import type { Readable } from 'node:stream';
import type { Clock, IdGenerator } from '@stella/core';
import { cliClientError } from './errors.ts';
import type { HttpClient, HttpResponse } from './https-client.ts';
import { headerOf } from './https-client.ts';
import { createDpopProof } from './dpop-proof.ts';
import type { DpopKey } from './dpop-proof.ts';
import type { AccessToken } from './token-client.ts';

/**
 * Resource requests with a DPoP-bound token (RFC 9449 §7): `Authorization: DPoP <token>` and a
 * fresh proof per request with `htm`, `htu` (the request URL without query), `ath` and the
 * latest server nonce. A `401` whose `WWW-Authenticate` says `error="use_dpop_nonce"` with a
 * `DPoP-Nonce` header (§9) is retried once; the body is produced by a factory so a streamed
 * file can be re-opened for the retry.
 */
export interface ResourceRequest {
  readonly method: string;
  readonly url: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: () => string | Uint8Array | Readable;
}

export interface DpopSession {
  send(req: ResourceRequest): Promise<HttpResponse>;
}

export interface DpopSessionOptions {
  readonly http: HttpClient;
  readonly token: AccessToken;
  readonly dpopKey: DpopKey;
  readonly clock: Clock;
  readonly ids: IdGenerator;
}

/** True for an RS nonce challenge (RFC 9449 §9): 401 + `DPoP … error="use_dpop_nonce"`. */
export function isNonceChallenge(res: HttpResponse): boolean {
  if (res.status !== 401) return false;
  const challenge = headerOf(res, 'www-authenticate') ?? '';
  return /^\s*DPoP\b/i.test(challenge) && /\berror\s*=\s*"use_dpop_nonce"/.test(challenge);
}

export function createDpopSession(options: DpopSessionOptions): DpopSession {
  let nonce = options.token.nonce;
  return {
    async send(req) {
      for (let attempt = 0; attempt < 2; attempt += 1) {
        const proof = createDpopProof(
          options.dpopKey,
          {
            htm: req.method,
            url: req.url,
            accessToken: options.token.accessToken,
            ...(nonce === undefined ? {} : { nonce }),
          },
          options.clock,
          options.ids,
        );
        const res = await options.http.send({
          method: req.method,
          url: req.url,
          headers: {
            ...req.headers,
            authorization: `DPoP ${options.token.accessToken}`,
            dpop: proof,
          },
          ...(req.body === undefined ? {} : { body: req.body() }),
        });
        const fresh = headerOf(res, 'dpop-nonce');
        const challenged = isNonceChallenge(res);
        if (fresh !== undefined) nonce = fresh;
        if (!challenged) return res;
        if (fresh === undefined || attempt === 1) {
          throw cliClientError('nonce_retry_exhausted', { detail: new URL(req.url).pathname });
        }
      }
      throw cliClientError('nonce_retry_exhausted', { detail: new URL(req.url).pathname });
    },
  };
}
