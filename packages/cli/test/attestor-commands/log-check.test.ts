// `stella log check` (issue 6 consistency monitoring): what an external witness does against a
// real tenant log — first checkpoint saved, later ones proven consistent (RFC 9162 §2.1.4) —
// and a lying operator (fork, shrink, rewritten root, foreign key) is caught with the saved
// checkpoint left untouched.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { KeyObject } from 'node:crypto';
import { writeProfile } from '../workflows/helpers.ts';
import { startLogGateway } from './log-gateway.ts';
import type { LogGateway } from './log-gateway.ts';
import {
  newLogKey,
  newSignerKey,
  openTestLog,
  publishedKey,
  trustFor,
  workDir,
} from './log-fixture.ts';
import type { TestLog } from './log-fixture.ts';
import { stella } from './run-cli.ts';

const TENANT = 'acme';
let logKey: KeyObject;
let honest: TestLog;
let gateway: LogGateway;
let dir: string;
let profile: string;
let trustFile: string;
const opened: TestLog[] = [];

before(async () => {
  logKey = newLogKey();
  honest = await openTestLog(TENANT, logKey);
  opened.push(honest);
  gateway = await startLogGateway(honest);
  dir = await workDir();
  profile = await writeProfile(dir, gateway.base, gateway.clientJwk);
  trustFile = path.join(dir, 'trust.json');
  await writeFile(trustFile, JSON.stringify(trustFor(honest, [publishedKey(newSignerKey())])));
});
after(async () => {
  await gateway.close();
  for (const log of opened) await log.close();
});

const check = (state: string, trust = trustFile) =>
  stella(
    'log',
    'check',
    '--tenant',
    TENANT,
    '--state',
    state,
    '--trust',
    trust,
    '--profile',
    profile,
  );

/** Another log for the same tenant signed with the SAME key: a dishonest operator's fork. */
async function forkWith(size: number): Promise<TestLog> {
  const fork = await openTestLog(TENANT, logKey);
  opened.push(fork);
  if (size > 0) await fork.append(size);
  return fork;
}

test('first run saves the checkpoint; growth is proven consistent; no growth is fine', async () => {
  const state = path.join(dir, 'honest.checkpoint.json');
  await honest.append(3);
  const first = await check(state);
  assert.equal(first.code, 0, first.err.join('\n'));
  assert.deepEqual(first.out, [`${honest.signer.origin(TENANT)}: size 3 (first checkpoint saved)`]);
  const saved = JSON.parse(await readFile(state, 'utf8')) as Record<string, unknown>;
  assert.equal(saved['size'], 3);
  assert.equal(saved['origin'], honest.signer.origin(TENANT));
  assert.equal(saved['note'], (await honest.reader.checkpoint(TENANT)).note);

  for (const grow of [1, 4, 9]) {
    const before = JSON.parse(await readFile(state, 'utf8')) as { size: number };
    await honest.append(grow);
    const run = await check(state);
    assert.equal(run.code, 0, run.err.join('\n'));
    const size = before.size + grow;
    assert.deepEqual(run.out, [
      `${honest.signer.origin(TENANT)}: size ${size} consistent with ${before.size}`,
    ]);
    assert.equal((JSON.parse(await readFile(state, 'utf8')) as { size: number }).size, size);
  }
  const same = await check(state);
  assert.equal(same.code, 0);
});

test('a forked, shrunk or rewritten log is reported and the saved checkpoint is kept', async () => {
  const state = path.join(dir, 'watched.checkpoint.json');
  gateway.serve(honest);
  await honest.append(2);
  assert.equal((await check(state)).code, 0);
  const savedText = await readFile(state, 'utf8');
  const savedSize = (JSON.parse(savedText) as { size: number }).size;

  const cases: [string, TestLog, number, RegExp][] = [
    ['fork that grew', await forkWith(savedSize + 5), 1, /root_mismatch/],
    ['same size, other root', await forkWith(savedSize), 2, /forked at size/],
    ['shrunk', await forkWith(savedSize - 1), 2, /shrank/],
  ];
  for (const [name, log, code, message] of cases) {
    gateway.serve(log);
    const run = await check(state);
    assert.equal(run.code, code, `${name}: ${run.err.join('\n')}`);
    assert.match(run.err.join('\n'), message, name);
    assert.equal(await readFile(state, 'utf8'), savedText, `${name}: saved checkpoint kept`);
  }

  // Same tenant and origin, but signed by a key the trust file does not hold.
  const impostor = await openTestLog(TENANT, newLogKey());
  opened.push(impostor);
  await impostor.append(savedSize + 2);
  gateway.serve(impostor);
  const run = await check(state);
  assert.notEqual(run.code, 0);
  assert.equal(await readFile(state, 'utf8'), savedText);

  // Back to the honest log: still consistent with what was saved before the lies.
  gateway.serve(honest);
  await honest.append(1);
  const ok = await check(state);
  assert.equal(ok.code, 0, ok.err.join('\n'));
});

test('a trust file without the tenant log is a usage error; the vkey never comes from the server', async () => {
  const other = path.join(dir, 'other-trust.json');
  const otherLog = await openTestLog('globex', logKey);
  opened.push(otherLog);
  await writeFile(other, JSON.stringify(trustFor(otherLog, [])));
  const run = await check(path.join(dir, 'none.json'), other);
  assert.equal(run.code, 2);
  assert.match(run.err.join('\n'), /no log for acme/);
});
