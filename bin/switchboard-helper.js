#!/usr/bin/env node
// Runs the privileged helper's TypeScript entry through tsx's loader, resolved from this package.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../electron/helper/main.ts');
process.exitCode = await main(process.argv.slice(2));
