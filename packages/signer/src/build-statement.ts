import { canonicalize } from '@stella/core';
import { buildStatement } from '@stella/crypto';
import type { SignRequest } from './sign-request.ts';

/**
 * The in-toto Statement v1 for a verified request, as its RFC 8785 payload bytes. Subjects carry
 * only `name` and `digest` (`content`/`source` are verification inputs and never enter the
 * statement); crypto's builder sorts them by digest, and nothing time- or randomness-dependent is
 * added, so the same request and key always give a byte-identical envelope (issue 5).
 *
 * `buildStatement` already validates the statement it returns, so its RFC 8785 bytes are taken
 * directly: `statementBytes` would re-validate the same object a second time on the hot path.
 */
export function buildStatementPayload(request: SignRequest): Uint8Array {
  return canonicalize(
    buildStatement({
      subject: request.subjects.map((s) => ({ name: s.name, digest: { sha256: s.sha256 } })),
      predicateType: request.predicateType,
      predicate: request.predicate,
    }),
  );
}
