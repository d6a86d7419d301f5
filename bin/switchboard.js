#!/usr/bin/env node
// Runs the TypeScript CLI through tsx's loader, resolved from this package (not from the cwd).
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../electron/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
