import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  createNoteSigner,
  createNoteVerifier,
  formatCheckpoint,
  generateSigningKey,
  leafHash,
  openCheckpoint,
  parseCheckpoint,
  signNote,
} from '../src/index.ts';

const ROOT = leafHash(new Uint8Array());
const ROOT_B64 = Buffer.from(ROOT).toString('base64');

test('format and parse round-trip, with extension lines', () => {
  const text = formatCheckpoint({ origin: 'stella.example/log/acme', size: 42, rootHash: ROOT });
  assert.equal(text, `stella.example/log/acme\n42\n${ROOT_B64}\n`);
  assert.deepEqual(parseCheckpoint(text), {
    origin: 'stella.example/log/acme',
    size: 42,
    rootHash: ROOT,
    extensions: [],
  });
  const ext = formatCheckpoint({ origin: 'o', size: 0, rootHash: ROOT, extensions: ['— ext 1'] });
  assert.deepEqual(parseCheckpoint(ext).extensions, ['— ext 1']);
});

test('negative checkpoints', async (t) => {
  const cases: [string, string][] = [
    ['size-leading-zero', `o\n042\n${ROOT_B64}\n`],
    ['size-negative', `o\n-1\n${ROOT_B64}\n`],
    ['size-plus', `o\n+1\n${ROOT_B64}\n`],
    ['size-too-large', `o\n99999999999999999\n${ROOT_B64}\n`],
    ['size-hex', `o\n0x10\n${ROOT_B64}\n`],
    ['root-31-bytes', `o\n1\n${Buffer.from(ROOT.subarray(1)).toString('base64')}\n`],
    ['root-url-safe', `o\n1\n${Buffer.from(ROOT).toString('base64url')}\n`],
    ['root-missing', 'o\n1\n'],
    ['origin-empty', `\n1\n${ROOT_B64}\n`],
    ['no-trailing-newline', `o\n1\n${ROOT_B64}`],
    ['empty-extension', `o\n1\n${ROOT_B64}\n\n`],
    ['control-in-origin', `o\u0000\n1\n${ROOT_B64}\n`],
    ['crlf', `o\r\n1\r\n${ROOT_B64}\r\n`],
  ];
  for (const [name, text] of cases) {
    await t.test(name, () =>
      assert.throws(() => parseCheckpoint(text), { code: 'invalid_checkpoint' }),
    );
  }
});

test('openCheckpoint verifies the note and binds the origin', () => {
  const { privateKey, publicKey } = generateSigningKey('EdDSA');
  const note = signNote(formatCheckpoint({ origin: 'log/acme', size: 7, rootHash: ROOT }), [
    createNoteSigner('log/acme', privateKey),
  ]);
  const verifiers = [createNoteVerifier('log/acme', publicKey)];
  assert.equal(openCheckpoint(note, verifiers, { expectedOrigin: 'log/acme' }).checkpoint.size, 7);
  assert.throws(() => openCheckpoint(note, verifiers, { expectedOrigin: 'log/other' }), {
    code: 'invalid_checkpoint',
  });
  assert.throws(() => openCheckpoint(note.replace('\n7\n', '\n8\n'), verifiers), {
    code: 'invalid_signature',
  });
});

test('property: parseCheckpoint refuses garbage with a StellaError only, and round-trips valid ones', () => {
  fc.assert(
    fc.property(fc.string(), fc.nat(), (origin, size) => {
      for (const text of [origin, `${origin}\n${size}\n${ROOT_B64}\n`]) {
        try {
          const parsed = parseCheckpoint(text);
          assert.equal(formatCheckpoint(parsed), text);
        } catch (error) {
          assert.equal((error as Error).name, 'StellaError');
        }
      }
    }),
  );
});
