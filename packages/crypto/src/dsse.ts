/**
 * DSSE v1 (secure-systems-lab/dsse, protocol.md + envelope.md): pre-authentication encoding,
 * signing, strict envelope parsing (attacker-controlled) and verification.
 */
import { encodeBase64, decodeBase64Either } from './base64.ts';
import { cryptoError } from './errors.ts';
import type { SigningKey, VerificationKey } from './keys.ts';
import { verifySignature } from './signing-key.ts';

export interface DsseSignature {
  readonly keyid: string;
  readonly sig: string;
}

/** The JSON envelope (envelope.md): `payload` and `sig` are standard base64 when we produce them. */
export interface DsseEnvelope {
  readonly payload: string;
  readonly payloadType: string;
  readonly signatures: readonly DsseSignature[];
}

export interface ParsedDsseEnvelope {
  readonly payloadType: string;
  readonly payload: Uint8Array;
  readonly signatures: readonly { readonly keyid: string; readonly sig: Uint8Array }[];
}

export interface VerifiedDsseEnvelope {
  readonly payloadType: string;
  readonly payload: Uint8Array;
  /** Keyids whose signatures verified, in envelope order. */
  readonly keyids: readonly string[];
}

export interface DsseLimits {
  /** Maximum decoded payload size in bytes (default 4 MiB). */
  readonly maxPayloadBytes?: number;
  /** Maximum number of signatures (default 16). */
  readonly maxSignatures?: number;
}

const DEFAULT_MAX_PAYLOAD = 4 * 1024 * 1024;
const DEFAULT_MAX_SIGNATURES = 16;
const MAX_SIG_BYTES = 1024;
const MAX_KEYID_LENGTH = 256;
const MAX_PAYLOAD_TYPE_LENGTH = 256;
const PRINTABLE = /^[\x21-\x7e]+$/;

const encoder = new TextEncoder();

/**
 * protocol.md: PAE(type, body) = "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body, where LEN is
 * the ASCII decimal byte length (of the UTF-8 type), with no leading zeros.
 */
export function pae(payloadType: string, payload: Uint8Array): Uint8Array {
  const type = encoder.encode(payloadType);
  const head = encoder.encode(`DSSEv1 ${type.length} `);
  const middle = encoder.encode(` ${payload.length} `);
  const out = new Uint8Array(head.length + type.length + middle.length + payload.length);
  out.set(head, 0);
  out.set(type, head.length);
  out.set(middle, head.length + type.length);
  out.set(payload, head.length + type.length + middle.length);
  return out;
}

function assertPayloadType(payloadType: unknown): asserts payloadType is string {
  if (
    typeof payloadType !== 'string' ||
    payloadType.length > MAX_PAYLOAD_TYPE_LENGTH ||
    !PRINTABLE.test(payloadType)
  ) {
    throw cryptoError('invalid_envelope', { detail: 'payloadType' });
  }
}

/** Signs with every key (in order); the same input and keys give a byte-identical envelope. */
export async function signEnvelope(
  payloadType: string,
  payload: Uint8Array,
  keys: readonly SigningKey[],
): Promise<DsseEnvelope> {
  assertPayloadType(payloadType);
  if (keys.length === 0) throw new TypeError('signEnvelope needs at least one key');
  const message = pae(payloadType, payload);
  const signatures: DsseSignature[] = [];
  for (const key of keys) {
    signatures.push({ keyid: key.keyid, sig: encodeBase64(await key.sign(message)) });
  }
  return { payload: encodeBase64(payload), payloadType, signatures };
}

function exactKeys(value: object, allowed: readonly string[], what: string): void {
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key))
      throw cryptoError('invalid_envelope', { detail: `${what}: ${key}` });
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Strictly parses an attacker-controlled envelope (already JSON-decoded): exactly the fields
 * `payload`, `payloadType`, `signatures`; each signature exactly `keyid` + `sig`; base64 in either
 * alphabet (never mixed), bounded sizes, at least one signature, no repeated keyid.
 */
export function parseEnvelope(value: unknown, limits: DsseLimits = {}): ParsedDsseEnvelope {
  const maxPayload = limits.maxPayloadBytes ?? DEFAULT_MAX_PAYLOAD;
  const maxSignatures = limits.maxSignatures ?? DEFAULT_MAX_SIGNATURES;
  if (!isRecord(value)) throw cryptoError('invalid_envelope', { detail: 'not an object' });
  exactKeys(value, ['payload', 'payloadType', 'signatures'], 'unknown field');
  const { payload, payloadType, signatures } = value;
  assertPayloadType(payloadType);
  // Bound the text before decoding: 4 base64 characters per 3 bytes, plus padding.
  if (typeof payload !== 'string' || payload.length > Math.ceil(maxPayload / 3) * 4) {
    throw cryptoError('invalid_envelope', { detail: 'payload missing or too large' });
  }
  const payloadBytes = decodeBase64Either(payload, 'invalid_envelope');
  if (!Array.isArray(signatures) || signatures.length === 0) {
    throw cryptoError('invalid_envelope', { detail: 'no signatures' });
  }
  if (signatures.length > maxSignatures) {
    throw cryptoError('invalid_envelope', { detail: 'too many signatures' });
  }
  const seen = new Set<string>();
  const parsed = signatures.map((entry: unknown) => {
    if (!isRecord(entry)) throw cryptoError('invalid_envelope', { detail: 'signature entry' });
    exactKeys(entry, ['keyid', 'sig'], 'unknown signature field');
    const { keyid, sig } = entry;
    if (typeof keyid !== 'string' || keyid.length > MAX_KEYID_LENGTH || seen.has(keyid)) {
      throw cryptoError('invalid_envelope', { detail: 'keyid missing, too long or repeated' });
    }
    seen.add(keyid);
    if (typeof sig !== 'string' || sig.length === 0 || sig.length > (MAX_SIG_BYTES / 3) * 4 + 4) {
      throw cryptoError('invalid_envelope', { detail: 'sig missing or too large' });
    }
    return { keyid, sig: decodeBase64Either(sig, 'invalid_envelope') };
  });
  return { payloadType, payload: payloadBytes, signatures: parsed };
}

/**
 * Verifies an envelope (parsed or raw). Signatures whose keyid does not resolve are ignored
 * (DSSE allows several signers); at least one must come from a known key (`unknown_key`), and a
 * known key whose signature fails refuses the whole envelope (`invalid_signature`): fail closed,
 * since that is tampering, not an unknown co-signer. The payload type is covered by the PAE.
 */
export function verifyEnvelope(
  envelope: unknown,
  resolveKey: (keyid: string) => VerificationKey | undefined,
  limits: DsseLimits = {},
): VerifiedDsseEnvelope {
  const parsed = parseEnvelope(envelope, limits);
  const message = pae(parsed.payloadType, parsed.payload);
  const keyids: string[] = [];
  for (const { keyid, sig } of parsed.signatures) {
    const key = resolveKey(keyid);
    if (key === undefined) continue;
    if (!verifySignature(key, message, sig)) {
      throw cryptoError('invalid_signature', { detail: `keyid ${keyid}` });
    }
    keyids.push(keyid);
  }
  if (keyids.length === 0) throw cryptoError('unknown_key');
  return { payloadType: parsed.payloadType, payload: parsed.payload, keyids };
}
