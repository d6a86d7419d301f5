#!/usr/bin/env node
// Executable SGLang simulator (a fake `python -m sglang.launch_server`); runs the TypeScript
// entry through tsx's loader, resolved from this package (not from the cwd).
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../sglang-sim/main.ts');
await main(process.argv.slice(2));
