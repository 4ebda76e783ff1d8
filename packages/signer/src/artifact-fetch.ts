/**
 * The outcome of fetching and hashing one artifact from a remote source (evidence API or OCI
 * registry). Fetchers never return bytes: they stream-hash and report the digest they computed,
 * so the verification gate decides by comparing digests only.
 */
export type ArtifactFetchResult =
  | { readonly ok: true; readonly hex: string; readonly size: number }
  | {
      readonly ok: false;
      /**
       * `not_found`: absent (or belongs to another tenant: indistinguishable by design);
       * `too_large`: over the cap; `not_allowed`: host or redirect outside the allow-list;
       * `unavailable`: network/protocol failure; `header_mismatch`: the registry's
       * `Docker-Content-Digest` disagrees with the requested digest.
       */
      readonly reason:
        'not_found' | 'too_large' | 'not_allowed' | 'unavailable' | 'header_mismatch';
    };

/** Reads one object of the tenant's evidence store (PLATFORM.md §6) and hashes it. */
export interface EvidenceReader {
  read(request: {
    tenant: string;
    hex: string;
    maxBytes: number;
    correlationId: string;
  }): Promise<ArtifactFetchResult>;
}

/** Fetches one manifest by digest from an allow-listed OCI registry and hashes it. */
export interface OciManifestFetcher {
  fetchManifest(request: {
    host: string;
    repository: string;
    hex: string;
    maxBytes: number;
  }): Promise<ArtifactFetchResult>;
}
