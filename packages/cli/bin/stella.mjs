#!/usr/bin/env node
// The `stella` binary: registers the TypeScript loader and hands over to the CLI entry.
import { availableParallelism } from 'node:os';

// libuv's thread pool runs the per-request signature work (signer, identity envelopes, DPoP
// proofs): one thread per CPU, not Node's fixed 4, which on a 2-vCPU host only adds context
// switches (docs/performance.md). Set before anything can start the pool; an operator's
// UV_THREADPOOL_SIZE wins.
process.env.UV_THREADPOOL_SIZE ??= String(Math.max(2, availableParallelism()));
const { register } = await import('tsx/esm/api');

register();
// `stella … | head` closes stdout early: that is the reader's choice, not an error to report.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
}
const { main } = await import('../src/main.ts');
process.exitCode = await main(process.argv.slice(2));
