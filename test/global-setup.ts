import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';

const BUILD_NODE = fileURLToPath(new URL('../scripts/build-node.mjs', import.meta.url));

/** out/node (scripts/build-node.mjs, esbuild: about a second); unchanged bundles are left as they are. */
function buildNode(): void {
  execFileSync(process.execPath, [BUILD_NODE, '--quiet'], { stdio: 'inherit' });
}

/**
 * Vitest's global setup: the tests run the compiled CLI, helper, SGLang simulator and fake nvidia-smi
 * (bin/*.js and test/fakes/bin/* start out/node/*.js), so they are built from the current sources
 * before any test starts — `npx vitest run` works on a fresh clone — and again before each rerun in
 * watch mode.
 */
export default function setup(project: TestProject): void {
  buildNode();
  project.onTestsRerun(() => buildNode());
}
