/**
 * C2SP signed-note keys (golang.org/x/mod/sumdb/note): Ed25519 only (algorithm byte 0x01).
 * - key id: first 4 bytes (big-endian uint32) of SHA-256(name ‖ "\n" ‖ 0x01 ‖ pubkey32)
 * - verifier key (`vkey`): `<name>+<8 hex key id>+<base64(0x01 ‖ pubkey32)>`
 * - signer key: `PRIVATE+KEY+<name>+<8 hex key id>+<base64(0x01 ‖ seed32)>` — a secret.
 */
import { createHash, createPrivateKey, createPublicKey, sign, verify } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { decodeBase64Standard, encodeBase64 } from './base64.ts';
import { cryptoError } from './errors.ts';

const ALG_ED25519 = 0x01;
const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_ED25519_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');
const KEY_HASH = /^[0-9a-f]{8}$/;

export interface NoteVerifier {
  readonly name: string;
  readonly keyHash: number;
  verify(message: Uint8Array, signature: Uint8Array): boolean;
}

export interface NoteSigner {
  readonly name: string;
  readonly keyHash: number;
  sign(message: Uint8Array): Uint8Array;
}

/** Go `isValidName`: non-empty, no Unicode whitespace, no `+`; we also refuse control chars. */
export function isValidNoteName(name: unknown): name is string {
  return (
    typeof name === 'string' &&
    name.length > 0 &&
    name.length <= 256 &&
    Buffer.from(name, 'utf8').toString('utf8') === name &&
    !/[\s\u0085+\p{Cc}]/u.test(name)
  );
}

function rawPublicKey(publicKey: KeyObject): Uint8Array {
  if (publicKey.asymmetricKeyType !== 'ed25519') {
    throw cryptoError('unsupported_algorithm', { detail: 'signed notes use Ed25519' });
  }
  const der = publicKey.export({ format: 'der', type: 'spki' });
  return new Uint8Array(der.subarray(SPKI_ED25519_PREFIX.length));
}

/** The 4-byte key id of a named Ed25519 public key, as a uint32. */
export function noteKeyHash(name: string, publicKey: KeyObject): number {
  const digest = createHash('sha256')
    .update(name, 'utf8')
    .update(Uint8Array.of(0x0a, ALG_ED25519))
    .update(rawPublicKey(publicKey))
    .digest();
  return digest.readUInt32BE(0);
}

const hex8 = (hash: number): string => hash.toString(16).padStart(8, '0');

function withAlg(raw: Uint8Array): string {
  const out = new Uint8Array(raw.length + 1);
  out[0] = ALG_ED25519;
  out.set(raw, 1);
  return encodeBase64(out);
}

export function createNoteVerifier(name: string, publicKey: KeyObject): NoteVerifier {
  if (!isValidNoteName(name)) throw cryptoError('invalid_note_key', { detail: 'name' });
  const key = publicKey.type === 'private' ? createPublicKey(publicKey) : publicKey;
  const keyHash = noteKeyHash(name, key);
  return Object.freeze({
    name,
    keyHash,
    verify: (message: Uint8Array, signature: Uint8Array) =>
      signature.length === 64 && verify(null, message, key, signature),
  });
}

export function createNoteSigner(name: string, privateKey: KeyObject): NoteSigner {
  if (!isValidNoteName(name)) throw cryptoError('invalid_note_key', { detail: 'name' });
  if (privateKey.type !== 'private') throw cryptoError('invalid_key', { detail: 'not private' });
  const keyHash = noteKeyHash(name, createPublicKey(privateKey));
  return Object.freeze({
    name,
    keyHash,
    sign: (message: Uint8Array) => new Uint8Array(sign(null, message, privateKey)),
  });
}

/** `<name>+<hex id>+<base64(0x01 ‖ pubkey)>` for publishing the log's verifier key. */
export function encodeVerifierKey(name: string, publicKey: KeyObject): string {
  const verifier = createNoteVerifier(name, publicKey);
  const key = publicKey.type === 'private' ? createPublicKey(publicKey) : publicKey;
  return `${name}+${hex8(verifier.keyHash)}+${withAlg(rawPublicKey(key))}`;
}

/** The secret signer-key string. Treat the result as a secret (never log it). */
export function encodeSignerKey(name: string, privateKey: KeyObject): string {
  const signer = createNoteSigner(name, privateKey);
  const jwk = privateKey.export({ format: 'jwk' });
  const seed = Buffer.from(String(jwk.d), 'base64url');
  return `PRIVATE+KEY+${name}+${hex8(signer.keyHash)}+${withAlg(seed)}`;
}

/** Splits `name+hash+key`, checks the algorithm byte and returns the raw 32-byte key. */
function splitKey(text: string): { name: string; hash: string; raw: Uint8Array } {
  // Split at the first two `+` only: the base64 key itself may contain `+`.
  const first = text.indexOf('+');
  const second = text.indexOf('+', first + 1);
  const name = text.slice(0, first);
  const hash = text.slice(first + 1, second);
  const b64 = text.slice(second + 1);
  if (first < 0 || second < 0 || !isValidNoteName(name)) {
    throw cryptoError('invalid_note_key', { detail: 'expected name+hash+key' });
  }
  if (!KEY_HASH.test(hash)) throw cryptoError('invalid_note_key', { detail: 'key hash' });
  const key = decodeBase64Standard(b64, 'invalid_note_key');
  if (key.length !== 33 || key[0] !== ALG_ED25519) {
    throw cryptoError('invalid_note_key', { detail: 'unsupported key algorithm or length' });
  }
  return { name, hash, raw: key.subarray(1) };
}

/** Parses a `vkey`; the embedded key id must match the one derived from name and key. */
export function parseVerifierKey(vkey: string): NoteVerifier {
  if (typeof vkey !== 'string' || vkey.length > 512) {
    throw cryptoError('invalid_note_key', { detail: 'vkey' });
  }
  const { name, hash, raw } = splitKey(vkey);
  let key: KeyObject;
  try {
    key = createPublicKey({
      key: Buffer.concat([SPKI_ED25519_PREFIX, raw]),
      format: 'der',
      type: 'spki',
    });
  } catch {
    throw cryptoError('invalid_note_key', { detail: 'public key' });
  }
  const verifier = createNoteVerifier(name, key);
  if (hex8(verifier.keyHash) !== hash) throw cryptoError('invalid_note_key', { detail: 'key id' });
  return verifier;
}

/** Parses a signer key string (a secret: errors never echo it) into the private key. */
export function parseSignerKey(text: string): { name: string; privateKey: KeyObject } {
  const prefix = 'PRIVATE+KEY+';
  if (typeof text !== 'string' || text.length > 512 || !text.startsWith(prefix)) {
    throw cryptoError('invalid_note_key', { detail: 'signer key prefix' });
  }
  const { name, hash, raw } = splitKey(text.slice(prefix.length));
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey({
      key: Buffer.concat([PKCS8_ED25519_PREFIX, raw]),
      format: 'der',
      type: 'pkcs8',
    });
  } catch {
    throw cryptoError('invalid_note_key', { detail: 'private key' });
  }
  if (hex8(createNoteSigner(name, privateKey).keyHash) !== hash) {
    throw cryptoError('invalid_note_key', { detail: 'key id' });
  }
  return { name, privateKey };
}
