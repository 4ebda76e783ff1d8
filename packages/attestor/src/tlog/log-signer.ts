import { createPublicKey } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { createNoteSigner, encodeVerifierKey, formatCheckpoint, signNote } from '@stella/crypto';

/**
 * Checkpoint signing (C2SP tlog-checkpoint + signed-note, Ed25519). One platform log key; each
 * tenant's log has origin `<logPrefix>/<tenant>` and the note key NAME is that origin, so each
 * tenant log has its own vkey (same public key, different name and therefore key id). A verifier
 * holding tenant A's vkey can never accept tenant B's checkpoint.
 */
export interface LogSigner {
  origin(tenant: string): string;
  /** Signed note text for the checkpoint `<origin>\n<size>\n<b64 root>\n`. */
  sign(tenant: string, size: number, root: Uint8Array): string;
  /** The C2SP `vkey` for the tenant's log (published in the trust file). */
  vkey(tenant: string): string;
}

export function createLogSigner(options: { logPrefix: string; privateKey: KeyObject }): LogSigner {
  const publicKey = createPublicKey(options.privateKey);
  const origin = (tenant: string) => `${options.logPrefix}/${tenant}`;
  return {
    origin,
    sign(tenant, size, root) {
      const name = origin(tenant);
      const body = formatCheckpoint({ origin: name, size, rootHash: root });
      return signNote(body, [createNoteSigner(name, options.privateKey)]);
    },
    vkey: (tenant) => encodeVerifierKey(origin(tenant), publicKey),
  };
}
