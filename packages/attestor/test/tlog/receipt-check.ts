// Verifies a receipt the way an offline verifier would: checkpoint signature with the tenant's
// log key, then the inclusion proof of the recomputed leaf hash against the checkpoint root.
import assert from 'node:assert/strict';
import { createPublicKey } from 'node:crypto';
import {
  createNoteVerifier,
  decodeBase64Standard,
  openCheckpoint,
  rfc6962Hasher,
  verifyInclusion,
} from '@stella/crypto';
import type { Receipt } from '../../src/receipt.ts';
import { logKey, logSigner } from '../helpers/fixtures.ts';

export function checkReceipt(tenant: string, receipt: Receipt): void {
  const verifier = createNoteVerifier(logSigner.origin(tenant), createPublicKey(logKey));
  const { checkpoint } = openCheckpoint(receipt.checkpoint, [verifier], {
    expectedOrigin: logSigner.origin(tenant),
  });
  assert.equal(checkpoint.size, receipt.inclusionProof.treeSize);
  const leaf = rfc6962Hasher.hashLeaf(decodeBase64Standard(receipt.leafData, 'invalid_proof'));
  const proof = receipt.inclusionProof.hashes.map((h) => decodeBase64Standard(h, 'invalid_proof'));
  verifyInclusion(rfc6962Hasher, receipt.index, checkpoint.size, leaf, proof, checkpoint.rootHash);
}
