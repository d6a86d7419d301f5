#!/usr/bin/env -S node --max-semi-space-size=4
// --max-semi-space-size=4 (MiB): the young generation's default 16 MiB semi-spaces cost ~30 MiB of RSS
// under 256 streams and buy no CPU here (bench/README.md, "Memory"). `npm run` scripts pass it too.
// Runs the TypeScript CLI through tsx's loader, resolved from this package (not from the cwd).
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../electron/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
