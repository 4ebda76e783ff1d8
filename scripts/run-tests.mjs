#!/usr/bin/env node
// Runs every test file under packages/*/test, bench/test and deploy/test with node:test via tsx.
// Node 20's `--test` does not expand globs, so the files are collected here.
// Real-server suites read STELLA_TEST_DATABASE_URL / STELLA_TEST_VALKEY_URL; when those are unset
// the suites run embedded only, and this script says once which real-server suites were not run.
import { readdirSync, statSync, existsSync } from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';

const root = path.resolve(import.meta.dirname, '..');
const filter = process.argv.slice(2);

function walk(dir, out) {
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'testdata' || name === 'dist') continue;
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) walk(full, out);
    else if (name.endsWith('.test.ts')) out.push(full);
  }
  return out;
}

const files = [];
for (const pkg of readdirSync(path.join(root, 'packages')).sort()) {
  walk(path.join(root, 'packages', pkg, 'test'), files);
}
walk(path.join(root, 'bench', 'test'), files);
walk(path.join(root, 'deploy', 'test'), files);
const selected = files
  .map((f) => path.relative(root, f))
  .filter((f) => filter.length === 0 || filter.some((x) => f.includes(x)))
  .sort();

const missing = [];
if (!process.env.STELLA_TEST_DATABASE_URL)
  missing.push('PostgreSQL (set STELLA_TEST_DATABASE_URL)');
if (!process.env.STELLA_TEST_VALKEY_URL) missing.push('Valkey/Redis (set STELLA_TEST_VALKEY_URL)');
if (missing.length > 0) {
  console.log(`notice: real-server suites not run: ${missing.join(', ')}; embedded backends only`);
}

const concurrency = process.env.STELLA_TEST_CONCURRENCY ?? '2';
const child = spawn(
  process.execPath,
  ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, ...selected],
  { cwd: root, stdio: 'inherit', env: { ...process.env, NODE_ENV: 'test' } },
);
child.on('exit', (code, signal) => process.exit(signal ? 1 : (code ?? 1)));
