import { createHash } from 'node:crypto';
import { digestsEqual } from '@stella/core';
import type { StellaError } from '@stella/core';
import type { ArtifactFetchResult, EvidenceReader, OciManifestFetcher } from './artifact-fetch.ts';
import { signerError } from './errors.ts';
import type { SignSubject } from './sign-request.ts';

export interface ArtifactLimits {
  /** Decoded bytes of one inline `content`. */
  readonly maxInlineBytes: number;
  readonly maxEvidenceBytes: number;
  readonly maxManifestBytes: number;
}

export interface ArtifactVerifierDeps {
  readonly evidence: EvidenceReader;
  readonly registries: OciManifestFetcher;
  readonly limits: ArtifactLimits;
}

/** What the audit event records per subject: digests and sizes only, never bytes. */
export interface VerifiedSubject {
  readonly name: string;
  readonly sha256: string;
  readonly source: 'inline' | 'evidence' | 'oci';
  readonly size: number;
}

/** Names the subject in the public message (index + name, name truncated, JSON-quoted). */
function subjectLabel(subject: SignSubject, index: number): string {
  const name = subject.name.length > 128 ? `${subject.name.slice(0, 128)}…` : subject.name;
  return `subject[${index}] ${JSON.stringify(name)}`;
}

function refuse(
  code: 'digest_mismatch' | 'artifact_unavailable' | 'artifact_unverified',
  subject: SignSubject,
  index: number,
  detail: string,
): StellaError {
  const label = subjectLabel(subject, index);
  const description = {
    digest_mismatch: `${label}: digest does not match the artifact bytes`,
    artifact_unavailable: `${label}: artifact could not be fetched or is too large`,
    artifact_unverified: `${label}: no content or source to verify the digest against`,
  }[code];
  return signerError(code, { description, detail: `${label} ${detail}` });
}

function inlineResult(base64: string, maxBytes: number): ArtifactFetchResult {
  // Size from the encoded length first (RFC 4648 §4: 4 chars → 3 bytes) so an oversized value is
  // refused before it is decoded.
  const padding = base64.endsWith('==') ? 2 : base64.endsWith('=') ? 1 : 0;
  const size = (base64.length / 4) * 3 - padding;
  if (size > maxBytes) return { ok: false, reason: 'too_large' };
  // The request schema already refused non-canonical base64 (validateSignRequest).
  const bytes = Buffer.from(base64, 'base64');
  return { ok: true, hex: createHash('sha256').update(bytes).digest('hex'), size };
}

async function fetchSubject(
  deps: ArtifactVerifierDeps,
  tenant: string,
  correlationId: string,
  subject: SignSubject,
): Promise<ArtifactFetchResult | undefined> {
  const { source } = subject;
  switch (source.kind) {
    case 'none':
      return undefined;
    case 'inline':
      return inlineResult(source.base64, deps.limits.maxInlineBytes);
    case 'evidence':
      return deps.evidence.read({
        tenant,
        hex: source.hex,
        maxBytes: deps.limits.maxEvidenceBytes,
        correlationId,
      });
    case 'oci':
      return deps.registries.fetchManifest({
        host: source.host,
        repository: source.repository,
        hex: source.hex,
        maxBytes: deps.limits.maxManifestBytes,
      });
  }
}

/**
 * The artifact verification gate (issue 5): every subject's SHA-256 is recomputed over real bytes
 * before anything is signed. Subjects are fetched concurrently; the first failing subject in
 * request order decides the error, so the answer does not depend on network timing.
 */
export async function verifyArtifacts(
  deps: ArtifactVerifierDeps,
  tenant: string,
  correlationId: string,
  subjects: readonly SignSubject[],
): Promise<VerifiedSubject[]> {
  const results = await Promise.all(
    subjects.map((s) =>
      fetchSubject(deps, tenant, correlationId, s).catch((): ArtifactFetchResult => ({
        ok: false,
        reason: 'unavailable',
      })),
    ),
  );
  return subjects.map((subject, index) => {
    const result = results[index];
    const { source } = subject;
    if (result === undefined || source.kind === 'none') {
      throw refuse('artifact_unverified', subject, index, 'no source');
    }
    if (!result.ok) {
      // A registry serving a Docker-Content-Digest other than the one asked for is serving
      // different bytes: that is a mismatch, not an outage.
      const code = result.reason === 'header_mismatch' ? 'digest_mismatch' : 'artifact_unavailable';
      throw refuse(code, subject, index, `${source.kind} ${result.reason}`);
    }
    const expected = [subject.sha256, ...(source.kind === 'inline' ? [] : [source.hex])];
    for (const hex of expected) {
      if (!digestsEqual(result.hex, hex)) {
        throw refuse('digest_mismatch', subject, index, `${source.kind} computed ${result.hex}`);
      }
    }
    return { name: subject.name, sha256: subject.sha256, source: source.kind, size: result.size };
  });
}
