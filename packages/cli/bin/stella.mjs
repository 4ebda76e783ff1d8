#!/usr/bin/env node
// The `stella` binary: registers the TypeScript loader and hands over to the CLI entry.
import { register } from 'tsx/esm/api';

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
