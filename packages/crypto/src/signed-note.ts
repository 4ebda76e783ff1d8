/**
 * C2SP signed-note (golang.org/x/mod/sumdb/note): `<text>` (ends in "\n"), a blank line, then
 * one or more lines `— <name> <base64(keyid4 ‖ signature)>\n` (U+2014 em dash). The signed
 * message is exactly the text, including its final newline. Parsing is of attacker input.
 */
import { decodeBase64Standard, encodeBase64 } from './base64.ts';
import { cryptoError } from './errors.ts';
import { isValidNoteName } from './note-keys.ts';
import type { NoteSigner, NoteVerifier } from './note-keys.ts';

export interface NoteSignature {
  readonly name: string;
  readonly keyHash: number;
  /** The whole signature-line value, base64(keyid4 ‖ signature), as sent. */
  readonly base64: string;
}

export interface VerifiedNote {
  readonly text: string;
  /** Signatures by known verifiers that verified, in note order (duplicates dropped). */
  readonly signatures: readonly NoteSignature[];
}

export interface NoteLimits {
  /** Maximum note size in UTF-8 bytes (default 64 KiB). */
  readonly maxBytes?: number;
}

const SIG_PREFIX = '\u2014 ';
const MAX_SIGNATURES = 100; // as Go's note.Open
const DEFAULT_MAX_BYTES = 64 * 1024;
// C2SP signed-note: text is UTF-8 without control characters other than newline.
const BAD_TEXT_CHARS = /[\p{Cc}\uFFFD]/u;
const encoder = new TextEncoder();

function assertText(text: string): void {
  if (text.length === 0 || !text.endsWith('\n')) {
    throw cryptoError('invalid_note', { detail: 'text must end with a newline' });
  }
  if (BAD_TEXT_CHARS.test(text.replaceAll('\n', ''))) {
    throw cryptoError('invalid_note', { detail: 'control character in text' });
  }
  if (Buffer.from(text, 'utf8').toString('utf8') !== text) {
    throw cryptoError('invalid_note', { detail: 'text is not well-formed Unicode' });
  }
}

/** Signs `text` with every signer, in order. */
export function signNote(text: string, signers: readonly NoteSigner[]): string {
  assertText(text);
  if (signers.length === 0) throw new TypeError('signNote needs at least one signer');
  const message = encoder.encode(text);
  const lines = signers.map((signer) => {
    const sig = signer.sign(message);
    const value = new Uint8Array(4 + sig.length);
    new DataView(value.buffer).setUint32(0, signer.keyHash >>> 0);
    value.set(sig, 4);
    return `${SIG_PREFIX}${signer.name} ${encodeBase64(value)}\n`;
  });
  return `${text}\n${lines.join('')}`;
}

interface ParsedLine {
  readonly name: string;
  readonly keyHash: number;
  readonly signature: Uint8Array;
  readonly base64: string;
}

function parseSignatureLine(line: string): ParsedLine {
  if (!line.startsWith(SIG_PREFIX)) throw cryptoError('invalid_note', { detail: 'signature line' });
  const rest = line.slice(SIG_PREFIX.length);
  const space = rest.indexOf(' ');
  const name = rest.slice(0, space);
  const base64 = rest.slice(space + 1);
  if (space < 0 || !isValidNoteName(name) || base64.length === 0) {
    throw cryptoError('invalid_note', { detail: 'signature line' });
  }
  const bytes = decodeBase64Standard(base64, 'invalid_note');
  if (bytes.length < 5) throw cryptoError('invalid_note', { detail: 'short signature' });
  const keyHash = new DataView(bytes.buffer, bytes.byteOffset).getUint32(0);
  return { name, keyHash, signature: bytes.subarray(4), base64 };
}

/** Splits a note into its text and parsed signature lines, without verifying anything. */
export function parseNote(
  note: string,
  limits: NoteLimits = {},
): { text: string; lines: ParsedLine[] } {
  if (
    typeof note !== 'string' ||
    Buffer.byteLength(note, 'utf8') > (limits.maxBytes ?? DEFAULT_MAX_BYTES)
  ) {
    throw cryptoError('invalid_note', { detail: 'not a string or too large' });
  }
  // The signature block follows the last blank line; it must itself end in a newline.
  const split = note.lastIndexOf('\n\n');
  if (split < 0 || !note.endsWith('\n'))
    throw cryptoError('invalid_note', { detail: 'no blank line' });
  const text = note.slice(0, split + 1);
  assertText(text);
  const block = note.slice(split + 2, -1);
  if (block.length === 0) throw cryptoError('invalid_note', { detail: 'no signatures' });
  const rawLines = block.split('\n');
  if (rawLines.length > MAX_SIGNATURES)
    throw cryptoError('invalid_note', { detail: 'too many signatures' });
  return { text, lines: rawLines.map(parseSignatureLine) };
}

/**
 * Verifies a note against known verifier keys. Signatures by unknown keys are ignored; a
 * signature by a known key that fails refuses the note (`invalid_signature`); at least one known
 * signature must verify (`note_unverified`). A verifier matches on name AND key id.
 */
export function verifyNote(
  note: string,
  verifiers: readonly NoteVerifier[],
  limits: NoteLimits = {},
): VerifiedNote {
  const { text, lines } = parseNote(note, limits);
  const message = encoder.encode(text);
  const seen = new Set<string>();
  const signatures: NoteSignature[] = [];
  for (const line of lines) {
    const verifier = verifiers.find((v) => v.name === line.name && v.keyHash === line.keyHash);
    if (verifier === undefined) continue;
    const id = `${line.name}+${line.keyHash}`;
    if (seen.has(id)) continue; // Go drops repeated signatures by one verifier.
    seen.add(id);
    if (!verifier.verify(message, line.signature)) {
      throw cryptoError('invalid_signature', { detail: `note key ${line.name}` });
    }
    signatures.push({ name: line.name, keyHash: line.keyHash, base64: line.base64 });
  }
  if (signatures.length === 0) throw cryptoError('note_unverified');
  return { text, signatures };
}
