#!/usr/bin/env -S node --max-semi-space-size=4
// --max-semi-space-size=4 (MiB): the young generation's default 16 MiB semi-spaces cost ~30 MiB of RSS
// under 256 streams and buy no CPU here (bench/README.md, "Memory"). `npm run` scripts pass it too.
// Runs the compiled CLI, out/node/switchboard.js (scripts/build-node.mjs; `npm run build` makes it).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const bundle = new URL('../out/node/switchboard.js', import.meta.url);
if (!existsSync(bundle)) {
  console.error(`switchboard: ${fileURLToPath(bundle)} is missing: run npm run build first`);
  process.exit(1);
}
await import(bundle.href);
