/**
 * The closed error-code table of `@stella/crypto` (CONVENTIONS.md "Errors"). Parsers of
 * attacker-controlled input (JWKs, DSSE envelopes, in-toto statements, Merkle proofs, signed
 * notes, checkpoints) refuse with a 400-class code; a well-formed input that does not verify
 * refuses with a 422-class code. Key-loading failures are configuration problems (500).
 * Descriptions are public and never contain input data; `detail` carries ids/sizes only.
 */
import { defineErrorCodes } from '@stella/core';
import type { ErrorCodeTable } from '@stella/core';

export const cryptoErrorCodes = {
  invalid_jwk: { status: 400, description: 'the JWK is malformed or not a supported public key' },
  jwk_has_private_members: {
    status: 400,
    description: 'a public JWK was expected but private key members are present',
  },
  unsupported_algorithm: { status: 400, description: 'the key type or algorithm is not supported' },
  invalid_key: { status: 500, description: 'a signing or verification key could not be loaded' },
  invalid_envelope: { status: 400, description: 'the DSSE envelope is malformed' },
  unknown_key: { status: 422, description: 'no signature was made by a known key' },
  invalid_signature: { status: 422, description: 'a signature did not verify' },
  invalid_statement: { status: 400, description: 'the in-toto statement is malformed' },
  duplicate_subject: {
    status: 400,
    description: 'the in-toto statement lists the same sha256 digest more than once',
  },
  invalid_tree_size: { status: 400, description: 'the Merkle tree size or index is out of range' },
  invalid_proof: { status: 422, description: 'the Merkle proof is malformed for this tree shape' },
  root_mismatch: { status: 422, description: 'the Merkle proof does not match the expected root' },
  invalid_note: { status: 400, description: 'the signed note is malformed' },
  invalid_note_key: { status: 400, description: 'the note verifier or signer key is malformed' },
  note_unverified: { status: 422, description: 'the signed note has no valid known signature' },
  invalid_checkpoint: { status: 400, description: 'the checkpoint is malformed' },
} as const satisfies ErrorCodeTable;

export type CryptoErrorCode = keyof typeof cryptoErrorCodes;

export const cryptoError = defineErrorCodes(cryptoErrorCodes);
