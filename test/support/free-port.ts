// Free ports for tests and benchmarks that start servers (simulators, serve, nginx) on them.
import { createServer } from 'node:net';

/**
 * Ports handed out by freePort(): below Linux's ephemeral range (32768–60999 by default), so no
 * outgoing connection of a parallel test takes one as its source port between the pick and the bind,
 * and split between vitest's workers so two test files never pick the same one (outside vitest, as
 * the benchmarks run, the first worker's share).
 */
const PORT_REGION_START = 12_000;
const PORT_REGION_END = 32_000;
/** Each pick is the first port of a block this size, all free: a catalog's other slots take the ports after backend.port. */
const PORT_BLOCK = 32;
const WORKER_REGIONS = 4;

const region = (() => {
  const size = Math.floor((PORT_REGION_END - PORT_REGION_START) / WORKER_REGIONS);
  const worker = (Number(process.env.VITEST_POOL_ID ?? 1) - 1) % WORKER_REGIONS;
  const start = PORT_REGION_START + Math.max(0, worker) * size;
  return { start, blocks: Math.floor(size / PORT_BLOCK) };
})();
// A test file runs in a fresh process: start at a random block so files in a row do not reuse the last one's ports.
let nextBlock = Math.floor(Math.random() * region.blocks);

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/**
 * A port nothing listens on, with the PORT_BLOCK - 1 ports after it free as well (a backend.port
 * whose catalog has several slots). Throws when the worker's whole region is taken.
 */
export async function freePort(): Promise<number> {
  for (let tried = 0; tried < region.blocks; tried += 1) {
    const first = region.start + (nextBlock % region.blocks) * PORT_BLOCK;
    nextBlock += 1;
    const ports = Array.from({ length: PORT_BLOCK }, (_, i) => first + i);
    if ((await Promise.all(ports.map(canListen))).every(Boolean)) return first;
  }
  throw new Error(`freePort: no free block of ${PORT_BLOCK} ports in ${region.start}–${region.start + region.blocks * PORT_BLOCK - 1}`);
}
