/**
 * Bench runner. `npm run bench -- <name>` runs `bench/<name>.ts`; with no name it runs every
 * bench in sequence and writes `bench/results/latest.json` and `bench/results/latest.md`.
 * Each bench runs in its own process (no shared warm caches between benches); its stdout lines
 * are measurements (lib/emit.ts) and are passed through, its stderr is progress.
 */
import { spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { existsSync, readdirSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { log, parseMeasurement } from './lib/emit.ts';
import type { Measurement } from './lib/emit.ts';
import { renderMarkdown } from './lib/report.ts';

const benchDir = import.meta.dirname;
const BENCH_NAME = /^[a-z0-9][a-z0-9-]*$/;

function listBenches(): string[] {
  return readdirSync(benchDir)
    .filter((f) => f.endsWith('.ts') && f !== 'run.ts' && !f.endsWith('.d.ts'))
    .map((f) => f.slice(0, -3))
    .sort();
}

function threadPoolSize(): string {
  return process.env['UV_THREADPOOL_SIZE'] ?? String(Math.max(2, availableParallelism()));
}

function runBench(name: string): Promise<{ code: number; measurements: Measurement[] }> {
  const measurements: Measurement[] = [];
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(benchDir, `${name}.ts`)], {
    stdio: ['ignore', 'pipe', 'inherit'],
    // The thread pool sized as `stella` sizes it (packages/cli/bin/stella.mjs).
    env: { ...process.env, UV_THREADPOOL_SIZE: threadPoolSize() },
  });
  createInterface({ input: child.stdout }).on('line', (line) => {
    const m = parseMeasurement(line);
    if (m === undefined) {
      log(`${name}: ignoring non-measurement stdout line`);
      return;
    }
    measurements.push(m);
    process.stdout.write(`${line}\n`);
  });
  return new Promise((resolve) => {
    child.on('close', (code) => resolve({ code: code ?? 1, measurements }));
  });
}

async function main(): Promise<number> {
  const name = process.argv[2];
  if (name !== undefined) {
    if (
      !BENCH_NAME.test(name) ||
      name === 'run' ||
      !existsSync(path.join(benchDir, `${name}.ts`))
    ) {
      log(`unknown bench '${name}'; available: ${listBenches().join(', ')}`);
      return 2;
    }
    return (await runBench(name)).code;
  }
  const all: Measurement[] = [];
  const failed: string[] = [];
  for (const bench of listBenches()) {
    const { code, measurements } = await runBench(bench);
    all.push(...measurements);
    if (code !== 0) failed.push(bench);
  }
  const results = path.join(benchDir, 'results');
  await mkdir(results, { recursive: true });
  const report = {
    generatedAt: new Date().toISOString(),
    node: process.version,
    failed,
    measurements: all,
  };
  await writeFile(path.join(results, 'latest.json'), `${JSON.stringify(report, null, 2)}\n`);
  await writeFile(path.join(results, 'latest.md'), renderMarkdown(report));
  log(`wrote bench/results/latest.json and latest.md (${all.length} measurements)`);
  if (failed.length > 0) log(`failed benches: ${failed.join(', ')}`);
  return failed.length > 0 ? 1 : 0;
}

process.exitCode = await main();
