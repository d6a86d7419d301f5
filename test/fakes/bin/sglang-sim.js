#!/usr/bin/env node
// Executable SGLang simulator (a fake `python -m sglang.launch_server`): runs the compiled simulator,
// out/node/sglang-sim.js (scripts/build-node.mjs; vitest's global setup builds it before the tests).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const bundle = new URL('../../../out/node/sglang-sim.js', import.meta.url);
if (!existsSync(bundle)) {
  console.error(`sglang-sim: ${fileURLToPath(bundle)} is missing: run npm run build first`);
  process.exit(1);
}
await import(bundle.href);
