import { encodeBase64 } from '@stella/crypto';

/**
 * What a submission returns and a bundle carries (issue 6 wire contract). Everything a verifier
 * needs offline besides the envelope and the trust file: `leafData` (standard base64 of the exact
 * leaf bytes), the leaf's index, an inclusion proof for `treeSize` and the signed checkpoint of
 * exactly that size.
 */
export interface Receipt {
  readonly uuid: string;
  readonly index: number;
  readonly leafData: string;
  readonly envelopeDigest: string;
  readonly inclusionProof: { readonly treeSize: number; readonly hashes: readonly string[] };
  readonly checkpoint: string;
}

export function createReceipt(input: {
  uuid: string;
  index: number;
  leafData: Uint8Array;
  envelopeSha256: string;
  treeSize: number;
  proof: readonly Uint8Array[];
  checkpoint: string;
}): Receipt {
  return {
    uuid: input.uuid,
    index: input.index,
    leafData: encodeBase64(input.leafData),
    envelopeDigest: `sha256:${input.envelopeSha256}`,
    inclusionProof: { treeSize: input.treeSize, hashes: input.proof.map(encodeBase64) },
    checkpoint: input.checkpoint,
  };
}
