import { request } from 'undici';
import type { Dispatcher } from 'undici';
import type { ArtifactFetchResult, EvidenceReader } from './artifact-fetch.ts';
import { hashStream } from './stream-hash.ts';
import type { TokenSource } from './token-source.ts';

export interface HttpEvidenceReaderOptions {
  /** Base URL of the attestor's private listener, e.g. `https://attestor.internal:8443`. */
  readonly attestorUrl: string;
  /** Presents the signer's `spiffe://…/svc/signer` client certificate (mTLS both ways). */
  readonly dispatcher: Dispatcher;
  readonly tokens: TokenSource;
  readonly timeoutMs: number;
}

/**
 * Reads `GET {attestorUrl}/api/v1/evidence/sha256:<hex>` with the signer's own token for the
 * request's tenant (audience `attestor`, scope `evidence:read`). The evidence store namespaces by
 * the token's tenant, so another tenant's object answers 404 and is reported as `not_found`.
 */
export function createHttpEvidenceReader(options: HttpEvidenceReaderOptions): EvidenceReader {
  return {
    async read({ tenant, hex, maxBytes, correlationId }): Promise<ArtifactFetchResult> {
      let token: string;
      try {
        token = await options.tokens.getToken({
          tenant,
          audience: 'attestor',
          scope: 'evidence:read',
        });
      } catch {
        return { ok: false, reason: 'unavailable' };
      }
      const url = new URL(`/api/v1/evidence/sha256:${hex}`, options.attestorUrl);
      try {
        const res = await request(url, {
          method: 'GET',
          dispatcher: options.dispatcher,
          headers: {
            authorization: `Bearer ${token}`,
            accept: 'application/octet-stream',
            'x-correlation-id': correlationId,
          },
          headersTimeout: options.timeoutMs,
          bodyTimeout: options.timeoutMs,
        });
        if (res.statusCode !== 200) {
          await res.body.dump();
          return { ok: false, reason: res.statusCode === 404 ? 'not_found' : 'unavailable' };
        }
        const declared = Number(res.headers['content-length'] ?? NaN);
        if (Number.isFinite(declared) && declared > maxBytes) {
          await res.body.dump();
          return { ok: false, reason: 'too_large' };
        }
        const hashed = await hashStream(res.body, maxBytes);
        if (!hashed.ok) {
          res.body.destroy();
          return { ok: false, reason: 'too_large' };
        }
        return hashed;
      } catch {
        return { ok: false, reason: 'unavailable' };
      }
    },
  };
}
