import type { PublicJwk, SigningKey } from '@stella/crypto';

/** One signing key with its validity window (PLATFORM.md §5, ms since the epoch). */
export interface SignerKeyEntry {
  readonly key: SigningKey;
  readonly notBefore: number;
  readonly notAfter?: number;
  readonly revokedAt?: number;
}

/** Port: the current key history. A file-backed source re-reads on change (rotation, no restart). */
export interface SignerKeySource {
  current(): Promise<readonly SignerKeyEntry[]>;
}

/** Published form of one key: `GET /api/v1/signer/keys`. */
export interface PublishedSignerKey {
  readonly keyid: string;
  readonly alg: string;
  readonly publicKey: PublicJwk;
  readonly notBefore: string;
  readonly notAfter?: string;
  readonly revokedAt?: string;
}

/** True when `entry` may sign (or may be trusted for a signature made) at time `at`. */
export function isKeyValidAt(entry: SignerKeyEntry, at: number): boolean {
  if (at < entry.notBefore) return false;
  if (entry.notAfter !== undefined && at >= entry.notAfter) return false;
  return entry.revokedAt === undefined || at < entry.revokedAt;
}

/**
 * The key that signs at `now`: among keys valid at `now`, the one with the latest `notBefore`
 * (ties broken by keyid, so every replica picks the same key). Undefined → fail closed.
 */
export function selectSigningKey(
  entries: readonly SignerKeyEntry[],
  now: number,
): SignerKeyEntry | undefined {
  let best: SignerKeyEntry | undefined;
  for (const entry of entries) {
    if (!isKeyValidAt(entry, now)) continue;
    if (
      best === undefined ||
      entry.notBefore > best.notBefore ||
      (entry.notBefore === best.notBefore && entry.key.keyid > best.key.keyid)
    ) {
      best = entry;
    }
  }
  return best;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** Every key in the history (revoked and expired too: old envelopes must stay verifiable). */
export function publishSignerKeys(entries: readonly SignerKeyEntry[]): {
  keys: PublishedSignerKey[];
} {
  const keys = [...entries]
    .sort((a, b) => a.notBefore - b.notBefore || (a.key.keyid < b.key.keyid ? -1 : 1))
    .map((e) => ({
      keyid: e.key.keyid,
      alg: e.key.alg,
      publicKey: e.key.publicJwk,
      notBefore: iso(e.notBefore),
      ...(e.notAfter === undefined ? {} : { notAfter: iso(e.notAfter) }),
      ...(e.revokedAt === undefined ? {} : { revokedAt: iso(e.revokedAt) }),
    }));
  return { keys };
}

export function staticKeySource(entries: readonly SignerKeyEntry[]): SignerKeySource {
  const frozen = Object.freeze([...entries]);
  return { current: () => Promise.resolve(frozen) };
}
