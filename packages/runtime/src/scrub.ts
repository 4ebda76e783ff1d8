/**
 * Recursive key-based redaction for log objects. pino's `redact` needs explicit paths, so this
 * scrubber catches the rest: any key (any depth, headers included) that names a credential is
 * replaced by `[redacted]`. Keys that only *identify* a credential (`tokenId`, `token_id`,
 * `secretDigest`, `secretRef`) are kept: ids and digests are what logs are allowed to carry.
 */
export const REDACTED = '[redacted]';

const SENSITIVE =
  /secret|password|passwd|token|authorization|dpop|cookie|client-cert|private|credential|api[-_]?key/i;
const IDENTIFIER_SUFFIX =
  /(?:Id|_id|-id|Ids|Digest|_digest|Ref|_ref|Sha256|Count|_count|Type|_type)$/;

export function isSensitiveKey(key: string): boolean {
  return SENSITIVE.test(key) && !IDENTIFIER_SUFFIX.test(key);
}

const MAX_DEPTH = 12;

/** A scrubbed copy (the input is not modified); cycles and very deep values are cut. */
export function scrubSensitive(value: unknown): unknown {
  return scrub(value, 0, new WeakSet<object>());
}

function scrub(value: unknown, depth: number, seen: WeakSet<object>): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (value instanceof Error || ArrayBuffer.isView(value) || value instanceof Date) return value;
  if (seen.has(value)) return '[circular]';
  if (depth >= MAX_DEPTH) return '[truncated]';
  seen.add(value);
  try {
    if (Array.isArray(value)) return value.map((item) => scrub(item, depth + 1, seen));
    // Objects with their own toJSON (Secret, URL, …) serialize themselves; Secret redacts.
    if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return value;
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      const cleaned = isSensitiveKey(key) ? REDACTED : scrub(item, depth + 1, seen);
      Object.defineProperty(out, key, {
        value: cleaned,
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return out;
  } finally {
    seen.delete(value);
  }
}
