import { isSha256Hex } from '@stella/core';

/**
 * Where the bytes of one subject come from (PLATFORM.md §5). Parsed from attacker-controlled
 * request text; anything not matching exactly one form is refused by the caller.
 */
export type SubjectSource =
  | { readonly kind: 'inline'; readonly base64: string }
  | { readonly kind: 'evidence'; readonly hex: string }
  | {
      readonly kind: 'oci';
      readonly host: string;
      readonly repository: string;
      readonly hex: string;
    }
  | { readonly kind: 'none' };

// OCI distribution spec §"Pulling manifests": repository name components.
const OCI_REPOSITORY =
  /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*$/;
// A lowercase DNS name or IPv4 literal with an optional port; no userinfo, no IPv6 zone tricks.
const OCI_HOST =
  /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*(?::[0-9]{1,5})?$/;
const MAX_SOURCE_LENGTH = 512;

/**
 * Parses `evidence:sha256:<hex>` or `oci://<host>/<repo>@sha256:<hex>`; returns undefined for
 * anything else (uppercase hex, other algorithms, tags instead of digests, query strings…).
 */
export function parseSubjectSource(text: string): SubjectSource | undefined {
  if (text.length > MAX_SOURCE_LENGTH) return undefined;
  if (text.startsWith('evidence:sha256:')) {
    const hex = text.slice('evidence:sha256:'.length);
    return isSha256Hex(hex) ? { kind: 'evidence', hex } : undefined;
  }
  if (!text.startsWith('oci://')) return undefined;
  const rest = text.slice('oci://'.length);
  const at = rest.lastIndexOf('@sha256:');
  if (at < 0) return undefined;
  const hex = rest.slice(at + '@sha256:'.length);
  const slash = rest.indexOf('/');
  if (slash < 0 || slash > at || !isSha256Hex(hex)) return undefined;
  const host = rest.slice(0, slash);
  const repository = rest.slice(slash + 1, at);
  if (!OCI_HOST.test(host) || !OCI_REPOSITORY.test(repository) || repository.length > 255) {
    return undefined;
  }
  const port = host.includes(':') ? Number(host.slice(host.indexOf(':') + 1)) : 443;
  if (!Number.isInteger(port) || port < 1 || port > 65535) return undefined;
  return { kind: 'oci', host, repository, hex };
}

/** The canonical text form, used only in server logs and audit properties (no bytes). */
export function formatSubjectSource(source: SubjectSource): string {
  switch (source.kind) {
    case 'inline':
      return 'inline';
    case 'evidence':
      return `evidence:sha256:${source.hex}`;
    case 'oci':
      return `oci://${source.host}/${source.repository}@sha256:${source.hex}`;
    case 'none':
      return 'none';
  }
}
