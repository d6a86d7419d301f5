// What the fake remembers between invocations: each GPU's power limit and persistence mode, in one JSON file
// replaced atomically, so a `-pl` in one process shows in the next `--query-gpu` and in a running `-lms` loop.

import { closeSync, fsyncSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import type { FakeGpu } from './scenarios.js';

/** One GPU's settable state. */
export interface GpuState {
  powerLimitW: number;
  persistence: boolean;
}

/** The file's shape: per bus id, only what differs from the scenario's defaults needs to be there. */
export interface FakeStateFile {
  version: 1;
  scenario: string;
  gpus: Record<string, Partial<GpuState>>;
}

const LOCK_STALE_MS = 5000;
const LOCK_WAIT_MS = 10_000;

/** `FAKE_NVIDIA_SMI_STATE`, else a file in the temp dir keyed by scenario and user. */
export function statePath(scenario: string, env: NodeJS.ProcessEnv = process.env): string {
  return env.FAKE_NVIDIA_SMI_STATE || join(tmpdir(), `fake-nvidia-smi-${scenario}-${userInfo().uid}.json`);
}

/** The stored state; a missing or unreadable file, or one written for another scenario, means all defaults. */
export function readState(path: string, scenario: string): FakeStateFile {
  try {
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as FakeStateFile;
    if (parsed.version === 1 && parsed.scenario === scenario && typeof parsed.gpus === 'object') return parsed;
  } catch {
    // Absent or half-written by hand: start from the defaults.
  }
  return { version: 1, scenario, gpus: {} };
}

/** A GPU's effective state: the stored values over the scenario's. */
export function gpuState(state: FakeStateFile, gpu: FakeGpu): GpuState {
  const stored = state.gpus[gpu.busId] ?? {};
  return { powerLimitW: stored.powerLimitW ?? gpu.defaultW, persistence: stored.persistence ?? gpu.persistence };
}

/** Read-modify-write under a lock file, then an atomic replace (temp file, fsync, rename). */
export function updateState<T>(path: string, scenario: string, change: (state: FakeStateFile) => T): T {
  const unlock = lock(`${path}.lock`);
  try {
    const state = readState(path, scenario);
    const result = change(state);
    writeAtomically(path, `${JSON.stringify(state, null, 2)}\n`);
    return result;
  } finally {
    unlock();
  }
}

function writeAtomically(path: string, text: string): void {
  const temp = `${path}.${process.pid}.tmp`;
  const fd = openSync(temp, 'w', 0o644);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temp, path);
}

function lock(path: string): () => void {
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      closeSync(openSync(path, 'wx'));
      return () => unlinkSync(path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || Date.now() > deadline) throw err;
      breakIfStale(path);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
    }
  }
}

/** A lock left by a killed process would block every later `-pl`. */
function breakIfStale(path: string): void {
  try {
    if (Date.now() - statSync(path).mtimeMs > LOCK_STALE_MS) unlinkSync(path);
  } catch {
    // Released meanwhile.
  }
}
