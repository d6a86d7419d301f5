#!/usr/bin/env node
// Runs the compiled privileged helper, out/node/switchboard-helper.js (scripts/build-node.mjs;
// `npm run build` makes it). The systemd unit runs that file directly (resources/linux/switchboard-helper).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const bundle = new URL('../out/node/switchboard-helper.js', import.meta.url);
if (!existsSync(bundle)) {
  console.error(`switchboard-helper: ${fileURLToPath(bundle)} is missing: run npm run build first`);
  process.exit(1);
}
await import(bundle.href);
