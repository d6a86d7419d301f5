import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

/** The window's normal (not maximized) bounds and whether it was maximized, in screen pixels. */
export interface WindowState {
  x?: number;
  y?: number;
  width: number;
  height: number;
  maximized: boolean;
}

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** A saved state: the last one written, or null when there is none or the file is not usable. */
export function readWindowState(file: string): WindowState | null {
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return null; // missing or corrupt: the window opens at its default size
  }
  if (typeof value !== 'object' || value === null) return null;
  const v = value as Record<string, unknown>;
  if (!isPositiveInt(v.width) || !isPositiveInt(v.height)) return null;
  const hasPosition = Number.isInteger(v.x) && Number.isInteger(v.y);
  return {
    ...(hasPosition ? { x: v.x as number, y: v.y as number } : {}),
    width: v.width,
    height: v.height,
    maximized: v.maximized === true,
  };
}

/** Writes atomically (temp file, fsync, rename): a crash mid-write leaves the old file, never half a new one. */
export function writeWindowState(file: string, state: WindowState): void {
  mkdirSync(dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.tmp`;
  try {
    const fd = openSync(temp, 'w', 0o600);
    try {
      writeSync(fd, `${JSON.stringify(state)}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, file);
  } catch (err) {
    try {
      rmSync(temp, { force: true });
    } catch {
      // the write's own error is the one to report
    }
    throw err;
  }
}

/**
 * The saved state made safe for the screens there are now: size clamped to [min, work area],
 * position dropped (the window centres) when less than `visiblePx` of it would be on any display
 * (a monitor unplugged since, a resolution change).
 */
export function fitWindowState(saved: WindowState, workAreas: Rect[], min: { width: number; height: number }, visiblePx = 64): WindowState {
  const largest = workAreas.reduce<Rect | null>((best, a) => (!best || a.width * a.height > best.width * best.height ? a : best), null);
  const width = Math.max(min.width, largest ? Math.min(saved.width, largest.width) : saved.width);
  const height = Math.max(min.height, largest ? Math.min(saved.height, largest.height) : saved.height);
  const fitted: WindowState = { width, height, maximized: saved.maximized };
  if (saved.x === undefined || saved.y === undefined) return fitted;
  const rect = { x: saved.x, y: saved.y, width, height };
  const visible = workAreas.some((area) => overlap(rect.x, rect.width, area.x, area.width) >= visiblePx && overlap(rect.y, rect.height, area.y, area.height) >= visiblePx);
  return visible ? { ...fitted, x: saved.x, y: saved.y } : fitted;
}

function overlap(start: number, size: number, areaStart: number, areaSize: number): number {
  return Math.min(start + size, areaStart + areaSize) - Math.max(start, areaStart);
}

function isPositiveInt(value: unknown): value is number {
  return Number.isInteger(value) && (value as number) > 0;
}
