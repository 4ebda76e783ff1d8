// C2SP signed-note with the golang.org/x/mod/sumdb/note published example (PeterNeumann).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  createNoteSigner,
  createNoteVerifier,
  encodeSignerKey,
  encodeVerifierKey,
  generateSigningKey,
  parseNote,
  parseSignerKey,
  parseVerifierKey,
  signNote,
  verifyNote,
} from '../src/index.ts';

const VKEY = 'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW';
const SKEY = 'PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz';
const TEXT =
  "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
const SIG_LINE =
  '\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n';
const NOTE = `${TEXT}\n${SIG_LINE}`;
const verifier = parseVerifierKey(VKEY);

test('the published example note verifies', () => {
  const result = verifyNote(NOTE, [verifier]);
  assert.equal(result.text, TEXT);
  assert.deepEqual(result.signatures, [
    {
      name: 'PeterNeumann',
      keyHash: 0xc74f20a3,
      base64: SIG_LINE.slice(15, -1),
    },
  ]);
});

test('the published signer key derives the vkey and re-signs to the identical note', () => {
  const { name, privateKey } = parseSignerKey(SKEY);
  assert.equal(name, 'PeterNeumann');
  assert.equal(encodeVerifierKey(name, privateKey), VKEY);
  assert.equal(encodeSignerKey(name, privateKey), SKEY);
  assert.equal(signNote(TEXT, [createNoteSigner(name, privateKey)]), NOTE);
});

test('negative: wrong key, altered text or name, malformed structure', async (t) => {
  const other = generateSigningKey('EdDSA');
  const cases: [string, string, readonly ReturnType<typeof parseVerifierKey>[], string][] = [
    [
      'wrong key (same name)',
      NOTE,
      [createNoteVerifier('PeterNeumann', other.publicKey)],
      'note_unverified',
    ],
    ['no verifiers', NOTE, [], 'note_unverified'],
    ['altered text', NOTE.replace('cryptography', 'Cryptography'), [verifier], 'invalid_signature'],
    [
      'altered name',
      NOTE.replace('\u2014 PeterNeumann', '\u2014 PeterNeumanm'),
      [verifier],
      'note_unverified',
    ],
    ['truncated signature', NOTE.replace('JnAM=\n', 'Jn\n'), [verifier], 'invalid_note'],
    ['signature too short', `${TEXT}\n\u2014 PeterNeumann x08g\n`, [verifier], 'invalid_note'],
    ['missing blank line', `${TEXT}${SIG_LINE}`, [verifier], 'invalid_note'],
    ['no trailing newline', NOTE.slice(0, -1), [verifier], 'invalid_note'],
    ['ASCII hyphen', NOTE.replace('\u2014', '-'), [verifier], 'invalid_note'],
    [
      'double space',
      NOTE.replace('PeterNeumann x08', 'PeterNeumann  x08'),
      [verifier],
      'invalid_note',
    ],
    ['no signatures', `${TEXT}\n`, [verifier], 'invalid_note'],
    ['control character in text', `a\u0007b\n\n${SIG_LINE}`, [verifier], 'invalid_note'],
    ['url-safe base64', NOTE.replace('go/ZJ', 'go_ZJ'), [verifier], 'invalid_note'],
    ['blank line after signatures', `${NOTE}\n`, [verifier], 'invalid_note'],
    ['too large', `${'a'.repeat(70_000)}\n\n${SIG_LINE}`, [verifier], 'invalid_note'],
    [
      'too many signatures',
      `${TEXT}\n${'\u2014 x AAAAAAAA\n'.repeat(101)}`,
      [verifier],
      'invalid_note',
    ],
  ];
  for (const [name, note, verifiers, code] of cases) {
    await t.test(name, () => assert.throws(() => verifyNote(note, verifiers), { code }));
  }
});

test('unknown-key signatures are ignored and repeated signatures are dropped', () => {
  const { publicKey, privateKey } = generateSigningKey('EdDSA');
  const stranger = createNoteSigner('stranger', privateKey);
  const note = signNote(TEXT, [stranger, parseSignerKeySigner()]);
  const result = verifyNote(`${note}${SIG_LINE}`, [verifier]);
  assert.deepEqual(
    result.signatures.map((s) => s.name),
    ['PeterNeumann'],
  );
  const both = verifyNote(note, [verifier, createNoteVerifier('stranger', publicKey)]);
  assert.deepEqual(
    both.signatures.map((s) => s.name),
    ['stranger', 'PeterNeumann'],
  );
});

function parseSignerKeySigner() {
  const { name, privateKey } = parseSignerKey(SKEY);
  return createNoteSigner(name, privateKey);
}

test('key strings: malformed, mismatched id, and invalid names are refused', () => {
  for (const bad of [
    VKEY.replace('c74f20a3', 'c74f20a4'),
    VKEY.replace('c74f20a3', 'C74F20A3'),
    VKEY.replace('+ARpc', '+Apc'),
    VKEY.replace('+ARpc', '+AhpC'),
    `Peter Neumann+${VKEY.split('+').slice(1).join('+')}`,
    `${VKEY}+extra`,
    'PeterNeumann+c74f20a3',
  ]) {
    assert.throws(() => parseVerifierKey(bad), { code: 'invalid_note_key' }, bad);
  }
  assert.throws(() => parseSignerKey(SKEY.replace('c74f20a3', '00000000')), {
    code: 'invalid_note_key',
  });
  assert.throws(() => parseSignerKey(SKEY.slice('PRIVATE+KEY+'.length)), {
    code: 'invalid_note_key',
  });
  const { privateKey } = generateSigningKey('EdDSA');
  assert.throws(() => createNoteSigner('a+b', privateKey), { code: 'invalid_note_key' });
  assert.throws(() => createNoteSigner('a\u00a0b', privateKey), { code: 'invalid_note_key' });
  assert.throws(() => signNote('no newline', [createNoteSigner('ok', privateKey)]), {
    code: 'invalid_note',
  });
});

test('errors never echo the signer key', () => {
  const bad = SKEY.replace('c74f20a3', '00000000');
  try {
    parseSignerKey(bad);
    assert.fail('expected refusal');
  } catch (error) {
    const e = error as { message: string; detail?: string };
    assert.ok(!`${e.message} ${e.detail ?? ''}`.includes('AYEKFALV'));
  }
});

test('property: any single-bit flip of the note never verifies', () => {
  const bytes = Buffer.from(NOTE, 'utf8');
  fc.assert(
    fc.property(fc.nat({ max: bytes.length * 8 - 1 }), (bit) => {
      const flipped = Buffer.from(bytes);
      flipped[bit >> 3]! ^= 1 << (bit & 7);
      const text = flipped.toString('utf8');
      assert.throws(() => verifyNote(text, [verifier]), { name: 'StellaError' });
    }),
    { numRuns: 500 },
  );
});

test('property: parseNote never throws anything but a StellaError', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'grapheme-composite', maxLength: 200 }), (suffix) => {
      for (const note of [suffix, `${TEXT}\n${suffix}`, `${TEXT}\n\u2014 ${suffix}\n`]) {
        try {
          parseNote(note);
        } catch (error) {
          assert.equal((error as Error).name, 'StellaError');
        }
      }
    }),
  );
});
