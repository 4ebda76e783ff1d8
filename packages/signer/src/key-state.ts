import { parseJsonStrict } from '@stella/core';

/**
 * The signer key state file: the key history as data, holding secret REFERENCES only
 * (`file:`, `env:`, `vault:` … PLATFORM.md §7), never key material. Rotation and revocation are
 * pure functions over this state; the running signer re-reads the file when it changes.
 */
export interface KeyStateEntry {
  /** Key fingerprint (lowercase hex SHA-256 of the SPKI), the DSSE `keyid`. */
  readonly keyid: string;
  readonly alg: 'EdDSA' | 'ES256';
  /** Secret reference to the PKCS#8 PEM or private JWK. */
  readonly privateKey: string;
  readonly notBefore: string;
  readonly notAfter?: string;
  readonly revokedAt?: string;
}

export interface KeyState {
  readonly version: 1;
  readonly keys: readonly KeyStateEntry[];
}

const REF = /^(file|env|docker|k8s|vault):.+$/s;
const KEYID = /^[0-9a-f]{64}$/;
const ENTRY_KEYS = new Set(['keyid', 'alg', 'privateKey', 'notBefore', 'notAfter', 'revokedAt']);

function bad(detail: string): never {
  throw new TypeError(`invalid signer key state: ${detail}`);
}

function isoTime(value: unknown, field: string): string {
  if (typeof value !== 'string' || Number.isNaN(Date.parse(value)) || !value.endsWith('Z')) {
    bad(`${field} must be an RFC 3339 UTC time`);
  }
  return new Date(value).toISOString();
}

/** Parses and validates the state file text (operator input: strict, unknown keys refused). */
export function parseKeyState(text: string): KeyState {
  const value = parseJsonStrict(text);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) bad('not an object');
  if (Object.keys(value).some((k) => k !== 'version' && k !== 'keys')) bad('unknown field');
  if (value['version'] !== 1 || !Array.isArray(value['keys'])) bad('version/keys');
  const seen = new Set<string>();
  const keys = value['keys'].map((raw, i): KeyStateEntry => {
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) bad(`keys[${i}]`);
    if (Object.keys(raw).some((k) => !ENTRY_KEYS.has(k))) bad(`keys[${i}] unknown field`);
    const { keyid, alg, privateKey, notBefore, notAfter, revokedAt } = raw;
    if (typeof keyid !== 'string' || !KEYID.test(keyid) || seen.has(keyid)) bad(`keys[${i}].keyid`);
    seen.add(keyid);
    if (alg !== 'EdDSA' && alg !== 'ES256') bad(`keys[${i}].alg`);
    if (typeof privateKey !== 'string' || !REF.test(privateKey)) bad(`keys[${i}].privateKey`);
    return {
      keyid,
      alg,
      privateKey,
      notBefore: isoTime(notBefore, `keys[${i}].notBefore`),
      ...(notAfter === undefined ? {} : { notAfter: isoTime(notAfter, `keys[${i}].notAfter`) }),
      ...(revokedAt === undefined ? {} : { revokedAt: isoTime(revokedAt, `keys[${i}].revokedAt`) }),
    };
  });
  return { version: 1, keys };
}

export function formatKeyState(state: KeyState): string {
  return `${JSON.stringify(state, null, 2)}\n`;
}

export interface RotationInput {
  readonly keyid: string;
  readonly alg: 'EdDSA' | 'ES256';
  readonly privateKey: string;
  /** When the new key starts signing; later than now by at least the signers' reload interval. */
  readonly activateAt: number;
}

/**
 * Validity boundaries fall on whole seconds, rounded up: the attestor judges a key at the entry's
 * `integratedTime`, which has one-second resolution (PLATFORM.md §6), so a boundary inside a
 * second would let the signer use a key the attestor (and every offline verifier) still sees as
 * not yet valid.
 */
function wholeSecond(epochMs: number): string {
  return new Date(Math.ceil(epochMs / 1000) * 1000).toISOString();
}

/**
 * Adds a key without downtime: the new key signs from `activateAt`; every key still open-ended
 * gets `notAfter = activateAt`, so exactly one key signs at any instant and replicas that have not
 * re-read the file yet keep signing with the old key until the switch.
 */
export function rotateKeyState(state: KeyState, input: RotationInput): KeyState {
  if (state.keys.some((k) => k.keyid === input.keyid)) bad('keyid already present');
  if (!REF.test(input.privateKey)) bad('privateKey must be a secret reference');
  const at = wholeSecond(input.activateAt);
  const keys = state.keys.map((k) =>
    k.notAfter === undefined && k.revokedAt === undefined && k.notBefore < at
      ? { ...k, notAfter: at }
      : k,
  );
  return {
    version: 1,
    keys: [
      ...keys,
      { keyid: input.keyid, alg: input.alg, privateKey: input.privateKey, notBefore: at },
    ],
  };
}

/** Marks a key revoked from `at` on (it is still published so the revocation is visible). */
export function revokeKeyState(state: KeyState, keyid: string, at: number): KeyState {
  if (!state.keys.some((k) => k.keyid === keyid)) bad('unknown keyid');
  const when = wholeSecond(at);
  return {
    version: 1,
    keys: state.keys.map((k) =>
      k.keyid === keyid && k.revokedAt === undefined ? { ...k, revokedAt: when } : k,
    ),
  };
}
