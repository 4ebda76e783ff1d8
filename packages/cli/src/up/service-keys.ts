import { readFile, writeFile } from 'node:fs/promises';
import { createPrivateKey, createPublicKey } from 'node:crypto';
import {
  algorithmOf,
  calculateJwkThumbprint,
  createSigningKey,
  exportPublicJwk,
  importPrivateKey,
} from '@stella/crypto';
import { formatKeyState, parseKeyState, type KeyState } from '@stella/signer';
import type { VerificationKey } from '@stella/auth';
import type { SecretResolver } from '@stella/runtime';
import { exists } from './data-dir.ts';

/** The gateway's identity-envelope key and the kid upstreams look it up by (RFC 7638). */
export async function loadEnvelopeKeys(
  secrets: SecretResolver,
  ref: string,
): Promise<{ kid: string; verification: ReadonlyMap<string, VerificationKey> }> {
  const privateKey = createPrivateKey((await secrets.resolveSecret(ref)).revealText());
  const kid = calculateJwkThumbprint(exportPublicJwk(privateKey));
  const alg = algorithmOf(privateKey);
  return { kid, verification: new Map([[kid, { kid, alg, key: createPublicKey(privateKey) }]]) };
}

/**
 * The signer's key history file (`<data-dir>/keys/signer-keys.json`): created on first run with
 * the generated Ed25519 key (referenced, never inlined); rotation rewrites it.
 */
export async function ensureSignerKeyState(
  file: string,
  secrets: SecretResolver,
  keyRef: string,
  now: Date,
): Promise<KeyState> {
  if (await exists(file)) return parseKeyState(await readFile(file, 'utf8'));
  const key = createSigningKey(importPrivateKey((await secrets.resolveSecret(keyRef)).reveal()));
  const state: KeyState = {
    version: 1,
    // Whole seconds, like every key boundary: validity is judged at an entry's integratedTime,
    // which has one-second resolution (the first key may start at the current second).
    keys: [
      {
        keyid: key.keyid,
        alg: key.alg,
        privateKey: keyRef,
        notBefore: new Date(Math.floor(now.getTime() / 1000) * 1000).toISOString(),
      },
    ],
  };
  await writeFile(file, formatKeyState(state), { mode: 0o600, flag: 'wx' });
  return state;
}
