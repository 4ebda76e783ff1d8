/**
 * C2SP tlog-checkpoint: the note text `<origin>\n<size>\n<base64 root>\n[extension lines\n]`,
 * signed as a C2SP signed note. `parseCheckpoint` reads attacker-controlled text.
 */
import { decodeBase64Standard, encodeBase64 } from './base64.ts';
import { cryptoError } from './errors.ts';
import type { NoteVerifier } from './note-keys.ts';
import { verifyNote } from './signed-note.ts';
import type { NoteLimits, NoteSignature } from './signed-note.ts';

export interface Checkpoint {
  readonly origin: string;
  readonly size: number;
  readonly rootHash: Uint8Array;
  readonly extensions: readonly string[];
}

const SIZE = /^(?:0|[1-9][0-9]{0,15})$/;
const BAD_LINE = /[\p{Cc}\uFFFD]/u;
const ROOT_BYTES = 32;
const MAX_EXTENSIONS = 32;

function assertLine(line: string | undefined, what: string): asserts line is string {
  if (line === undefined || line.length === 0 || line.length > 1024 || BAD_LINE.test(line)) {
    throw cryptoError('invalid_checkpoint', { detail: what });
  }
}

/** The checkpoint body (note text); it always ends in a newline. */
export function formatCheckpoint(checkpoint: {
  readonly origin: string;
  readonly size: number;
  readonly rootHash: Uint8Array;
  readonly extensions?: readonly string[];
}): string {
  const { origin, size, rootHash, extensions = [] } = checkpoint;
  assertLine(origin, 'origin');
  if (!Number.isSafeInteger(size) || size < 0)
    throw cryptoError('invalid_checkpoint', { detail: 'size' });
  if (rootHash.length !== ROOT_BYTES) throw cryptoError('invalid_checkpoint', { detail: 'root' });
  extensions.forEach((line) => assertLine(line, 'extension'));
  return [origin, String(size), encodeBase64(rootHash), ...extensions].join('\n') + '\n';
}

/** Parses checkpoint text: size decimal without leading zeros, root exactly 32 bytes (std b64). */
export function parseCheckpoint(text: string): Checkpoint {
  if (typeof text !== 'string' || !text.endsWith('\n') || text.length > 64 * 1024) {
    throw cryptoError('invalid_checkpoint', { detail: 'must end with a newline' });
  }
  const lines = text.slice(0, -1).split('\n');
  const [origin, sizeText, rootText, ...extensions] = lines;
  assertLine(origin, 'origin');
  if (sizeText === undefined || !SIZE.test(sizeText) || !Number.isSafeInteger(Number(sizeText))) {
    throw cryptoError('invalid_checkpoint', { detail: 'size' });
  }
  if (rootText === undefined) throw cryptoError('invalid_checkpoint', { detail: 'root' });
  const rootHash = decodeBase64Standard(rootText, 'invalid_checkpoint');
  if (rootHash.length !== ROOT_BYTES) throw cryptoError('invalid_checkpoint', { detail: 'root' });
  if (extensions.length > MAX_EXTENSIONS)
    throw cryptoError('invalid_checkpoint', { detail: 'extensions' });
  extensions.forEach((line) => assertLine(line, 'extension'));
  return { origin, size: Number(sizeText), rootHash, extensions };
}

/**
 * Verifies a signed checkpoint note and parses its body; when `expectedOrigin` is given the
 * origin must match exactly (a checkpoint of another log or tenant is refused).
 */
export function openCheckpoint(
  note: string,
  verifiers: readonly NoteVerifier[],
  options: NoteLimits & { readonly expectedOrigin?: string } = {},
): { checkpoint: Checkpoint; signatures: readonly NoteSignature[] } {
  const verified = verifyNote(note, verifiers, options);
  const checkpoint = parseCheckpoint(verified.text);
  if (options.expectedOrigin !== undefined && checkpoint.origin !== options.expectedOrigin) {
    throw cryptoError('invalid_checkpoint', { detail: 'origin mismatch' });
  }
  return { checkpoint, signatures: verified.signatures };
}
