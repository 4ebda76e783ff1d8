// `stella trust export` offline (`--signer-keys` + `--log-vkey`): writes the trust file that
// `stella verify` then accepts; malformed inputs are refused and leave no file behind.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { access, readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import fc from 'fast-check';
import { parseTrustFile } from '@stella/attestor';
import { parseJsonStrict } from '@stella/core';
import {
  newLogKey,
  newSignerKey,
  openTestLog,
  publishedKey,
  signedEntry,
  workDir,
} from './log-fixture.ts';
import type { TestLog } from './log-fixture.ts';
import { stella } from './run-cli.ts';

const current = newSignerKey();
const retired = newSignerKey();
const keySet = {
  keys: [
    publishedKey(current, { notBefore: '2024-01-01T00:00:00Z' }),
    publishedKey(retired, { notAfter: '2024-01-01T00:00:00Z' }),
  ],
};
let acme: TestLog;
let globex: TestLog;
let dir: string;
let keysFile: string;

before(async () => {
  const logKey = newLogKey();
  acme = await openTestLog('acme', logKey);
  globex = await openTestLog('globex', logKey);
  dir = await workDir();
  keysFile = path.join(dir, 'keys.json');
  await writeFile(keysFile, JSON.stringify(keySet));
});
after(async () => {
  await acme.close();
  await globex.close();
});

const exists = (file: string) =>
  access(file).then(
    () => true,
    () => false,
  );

test('offline export: signer keys with windows and one vkey per tenant; verify accepts it', async () => {
  const output = path.join(dir, 'trust.json');
  const run = await stella(
    'trust',
    'export',
    '--signer-keys',
    keysFile,
    '--log-vkey',
    `acme=${acme.signer.vkey('acme')}`,
    '--log-vkey',
    `globex=${globex.signer.vkey('globex')}`,
    '-o',
    output,
  );
  assert.equal(run.code, 0, run.err.join('\n'));
  assert.deepEqual(run.out, [`wrote ${output}: 2 signer keys, 2 logs`]);
  const trust = parseTrustFile(parseJsonStrict(await readFile(output, 'utf8')));
  // The trust file lists keys in a canonical order (by keyid), whatever order the set had.
  const byKeyid = (a: { keyid: string }, b: { keyid: string }) => (a.keyid < b.keyid ? -1 : 1);
  assert.deepEqual([...trust.signerKeys].sort(byKeyid), [...keySet.keys].sort(byKeyid));
  assert.deepEqual(trust.logs, [
    { tenant: 'acme', origin: acme.signer.origin('acme'), vkey: acme.signer.vkey('acme') },
    {
      tenant: 'globex',
      origin: globex.signer.origin('globex'),
      vkey: globex.signer.vkey('globex'),
    },
  ]);
  assert.deepEqual(
    (await readdir(dir)).filter((f) => f.includes('.partial')),
    [],
    'no partial file left behind',
  );

  // The exported file is exactly what offline verification needs.
  const artifact = Buffer.from('exported trust artifact');
  const { envelope, entry } = await signedEntry(current, artifact);
  const receipt = await acme.sequencer.submit('acme', entry);
  const artifactFile = path.join(dir, 'artifact.bin');
  const bundleFile = path.join(dir, 'bundle.json');
  await writeFile(artifactFile, artifact);
  await writeFile(bundleFile, JSON.stringify({ envelope, receipt }));
  const ok = await stella('verify', artifactFile, '--bundle', bundleFile, '--trust', output);
  assert.equal(ok.code, 0, ok.out.join('\n'));

  // A key whose window closed before the entry was integrated does not verify it.
  const { envelope: oldEnv, entry: oldEntry } = await signedEntry(retired, artifact);
  const oldReceipt = await acme.sequencer.submit('acme', oldEntry);
  await writeFile(bundleFile, JSON.stringify({ envelope: oldEnv, receipt: oldReceipt }));
  const old = await stella('verify', artifactFile, '--bundle', bundleFile, '--trust', output);
  assert.equal(old.code, 1);
  assert.equal(old.out.at(-1), 'verification failed at step signature');
});

test('malformed --log-vkey or signer key set is refused and writes nothing', async () => {
  const badKeys = path.join(dir, 'bad-keys.json');
  await writeFile(badKeys, JSON.stringify({ keys: [{ keyid: 'k' }] }));
  const notJson = path.join(dir, 'not-json.json');
  await writeFile(notJson, '{"keys": [');
  const vkey = acme.signer.vkey('acme');
  const cases: [string, string[], number][] = [
    ['vkey without tenant', ['--signer-keys', keysFile, '--log-vkey', vkey], 2],
    ['empty tenant', ['--signer-keys', keysFile, '--log-vkey', `=${vkey}`], 2],
    ['vkey garbage', ['--signer-keys', keysFile, '--log-vkey', 'acme=not+a+vkey'], 1],
    ['vkey truncated', ['--signer-keys', keysFile, '--log-vkey', `acme=${vkey.slice(0, -4)}`], 1],
    ['key set wrong shape', ['--signer-keys', badKeys, '--log-vkey', `acme=${vkey}`], 1],
    ['key set not JSON', ['--signer-keys', notJson, '--log-vkey', `acme=${vkey}`], 1],
  ];
  for (const [name, args, code] of cases) {
    const output = path.join(dir, `refused-${name.replace(/\W+/g, '-')}.json`);
    const run = await stella('trust', 'export', ...args, '-o', output);
    assert.equal(run.code, code, `${name}: ${run.err.join('\n')}`);
    assert.equal(await exists(output), false, `${name}: no trust file written`);
  }
});

test('property: arbitrary --log-vkey values never produce a trust file with a foreign origin', async () => {
  await fc.assert(
    fc.asyncProperty(fc.string({ maxLength: 80 }), async (value) => {
      const output = path.join(dir, 'prop-trust.json');
      const run = await stella(
        'trust',
        'export',
        '--signer-keys',
        keysFile,
        '--log-vkey',
        `acme=${value}`,
        '-o',
        output,
      );
      if (run.code === 0) {
        // Only a real vkey is accepted, and the origin is always the vkey's own key name.
        const trust = parseTrustFile(parseJsonStrict(await readFile(output, 'utf8')));
        assert.equal(trust.logs[0]!.vkey, value);
        assert.equal(value.split('+')[0], trust.logs[0]!.origin);
      } else {
        assert.ok(run.code === 1 || run.code === 2);
      }
    }),
    { numRuns: 60 },
  );
});
