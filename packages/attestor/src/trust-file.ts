/**
 * The trust file (issue 6): `{"signerKeys": [{keyid, alg, publicKey: <JWK>, notBefore,
 * notAfter?, revokedAt?}], "logs": [{tenant, origin, vkey}]}`. Times are RFC 3339 strings.
 * Parsed strictly because `stella verify` reads it from disk (operator-supplied input).
 */
import { attestorError } from './errors.ts';

export interface TrustedSignerKey {
  readonly keyid: string;
  readonly alg: string;
  readonly publicKey: Readonly<Record<string, unknown>>;
  readonly notBefore: string;
  readonly notAfter?: string;
  readonly revokedAt?: string;
}

export interface TrustedLog {
  readonly tenant: string;
  readonly origin: string;
  readonly vkey: string;
}

export interface TrustFile {
  readonly signerKeys: readonly TrustedSignerKey[];
  readonly logs: readonly TrustedLog[];
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const fail = (detail: string) =>
  attestorError('invalid_request', { detail: `trust file: ${detail}` });
const isTime = (v: unknown): v is string => typeof v === 'string' && !Number.isNaN(Date.parse(v));

export function parseTrustFile(value: unknown): TrustFile {
  if (!isRecord(value) || !Array.isArray(value['signerKeys']) || !Array.isArray(value['logs'])) {
    throw fail('shape');
  }
  const signerKeys = value['signerKeys'].map((k: unknown): TrustedSignerKey => {
    if (!isRecord(k) || typeof k['keyid'] !== 'string' || typeof k['alg'] !== 'string')
      throw fail('key');
    if (!isRecord(k['publicKey']) || !isTime(k['notBefore'])) throw fail('key');
    const key: { -readonly [P in keyof TrustedSignerKey]: TrustedSignerKey[P] } = {
      keyid: k['keyid'],
      alg: k['alg'],
      publicKey: k['publicKey'],
      notBefore: k['notBefore'],
    };
    for (const field of ['notAfter', 'revokedAt'] as const) {
      const t = k[field];
      if (t === undefined || t === null) continue;
      if (!isTime(t)) throw fail(field);
      key[field] = t;
    }
    return key;
  });
  const logs = value['logs'].map((l: unknown): TrustedLog => {
    if (!isRecord(l) || typeof l['tenant'] !== 'string' || typeof l['origin'] !== 'string')
      throw fail('log');
    if (typeof l['vkey'] !== 'string') throw fail('log');
    return { tenant: l['tenant'], origin: l['origin'], vkey: l['vkey'] };
  });
  return { signerKeys, logs };
}

/** Builds the trust file from the signer's published key set and the per-tenant log vkeys. */
export function buildTrustFile(input: {
  signerKeys: readonly TrustedSignerKey[];
  logs: readonly TrustedLog[];
}): TrustFile {
  const signerKeys = [...input.signerKeys].sort((a, b) => (a.keyid < b.keyid ? -1 : 1));
  const logs = [...input.logs].sort((a, b) => (a.tenant < b.tenant ? -1 : 1));
  return parseTrustFile(JSON.parse(JSON.stringify({ signerKeys, logs })));
}

/**
 * Key validity at signing time (issue 6): integratedTime (seconds) within [notBefore, notAfter)
 * and strictly before revokedAt.
 */
export function isKeyValidAt(key: TrustedSignerKey, epochSeconds: number): boolean {
  const t = epochSeconds * 1000;
  if (t < Date.parse(key.notBefore)) return false;
  if (key.notAfter !== undefined && t >= Date.parse(key.notAfter)) return false;
  if (key.revokedAt !== undefined && t >= Date.parse(key.revokedAt)) return false;
  return true;
}
