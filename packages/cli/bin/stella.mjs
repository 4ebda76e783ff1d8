#!/usr/bin/env node
// The `stella` binary: registers the TypeScript loader and hands over to the CLI entry.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/main.ts');
process.exitCode = await main(process.argv.slice(2));
