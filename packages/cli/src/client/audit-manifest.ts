import type { JSONWebKeySet } from 'jose';
import { formatSchemaIssue, parseJsonStrict, s, validateSchema } from '@stella/core';

/**
 * `manifest.json` of an audit export (issue 7): what was exported, the digest of
 * `events.ndjson`, and the Authority's attestation of the tenant's chain head with the JWKS to
 * check it. Parsed strictly: `stella audit verify` reads it from a directory someone handed us.
 */
export const AUDIT_HEAD_TYP = 'stella-audit-head+jwt';
export const TENANT_OR_PLATFORM = /^(?:_platform|[a-z0-9][a-z0-9-]{0,62})$/;
const HEX64 = /^[0-9a-f]{64}$/;

export const auditManifestSchema = s.object({
  tenant: s.string({ pattern: TENANT_OR_PLATFORM }),
  count: s.integer({ min: 0 }),
  firstSeq: s.integer({ min: 1 }),
  lastSeq: s.integer({ min: 0 }),
  headHash: s.string({ pattern: HEX64 }),
  eventsSha256: s.string({ pattern: /^sha256:[0-9a-f]{64}$/ }),
  attestation: s.string({ min: 1, max: 16384 }),
  since: s.optional(s.string({ max: 64 })),
  exportedAt: s.optional(s.string({ max: 64 })),
});

export interface AuditManifest {
  readonly tenant: string;
  readonly count: number;
  readonly firstSeq: number;
  readonly lastSeq: number;
  readonly headHash: string;
  readonly eventsSha256: string;
  readonly attestation: string;
  /** The Authority's JWKS at export time (RFC 7517 §5); keys are checked when used. */
  readonly jwks: JSONWebKeySet;
  readonly since?: string;
  readonly exportedAt?: string;
}

/** Returns the manifest or the reason it is not one (never throws on bad input). */
export function parseAuditManifest(text: string): AuditManifest | string {
  let value: unknown;
  try {
    value = parseJsonStrict(text, { maxBytes: 1024 * 1024 });
  } catch {
    return 'manifest.json is not strict JSON';
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return 'manifest.json is not an object';
  }
  // The JWKS is checked on its own: JWK members are not all strings (RFC 7517 §4.3 `key_ops`).
  const { jwks, ...rest } = value as Record<string, unknown>;
  const parsedJwks = parseJwks(jwks);
  if (parsedJwks === undefined) return 'manifest.json: jwks must be {"keys":[<JWK objects>]}';
  const result = validateSchema(auditManifestSchema, rest);
  if (!result.ok) return `manifest.json: ${result.issues.map(formatSchemaIssue).join('; ')}`;
  const m = result.value;
  if (m.lastSeq !== m.firstSeq + m.count - 1)
    return 'manifest.json: lastSeq ≠ firstSeq + count - 1';
  return { ...m, jwks: parsedJwks };
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** `{"keys": [...]}` with 1–64 JWK objects (no private members are needed or accepted). */
export function parseJwks(value: unknown): JSONWebKeySet | undefined {
  if (!isRecord(value) || !Array.isArray(value['keys'])) return undefined;
  const keys = value['keys'];
  if (keys.length === 0 || keys.length > 64) return undefined;
  for (const key of keys) {
    if (!isRecord(key) || typeof key['kty'] !== 'string') return undefined;
    if ('d' in key || 'p' in key || 'q' in key || 'k' in key) return undefined;
  }
  return { keys: keys as JSONWebKeySet['keys'] };
}
