import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { fitWindowState, readWindowState, writeWindowState, type WindowState } from '../../electron/main/window-state-store.js';

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'sb-window-state-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const saved: WindowState = { x: 100, y: 50, width: 1400, height: 900, maximized: false };

describe('window state file', () => {
  it('round-trips, creating the folder, leaving no temp file behind', () => {
    const file = join(tempDir(), 'nested', 'window-state.json');
    writeWindowState(file, saved);
    expect(readWindowState(file)).toEqual(saved);
    expect(readdirSync(join(file, '..'))).toEqual(['window-state.json']);
  });

  it('replaces the old file whole (rename), never writing into it', () => {
    const file = join(tempDir(), 'window-state.json');
    writeWindowState(file, saved);
    writeWindowState(file, { width: 800, height: 600, maximized: true });
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ width: 800, height: 600, maximized: true });
  });

  it('a failed write throws and leaves the old file as it was', () => {
    const dir = tempDir();
    const file = join(dir, 'window-state.json');
    writeWindowState(file, saved);
    // A directory where the temp file goes makes the write fail, even for root.
    mkdirSync(`${file}.${process.pid}.tmp`);
    expect(() => writeWindowState(file, { width: 1, height: 1, maximized: false })).toThrow();
    expect(readWindowState(file)).toEqual(saved);
  });

  it.each([
    ['missing', null],
    ['corrupt JSON', '{"width": 12'],
    ['not an object', '[1,2]'],
    ['no size', '{"x": 1, "y": 2}'],
    ['a negative width', '{"width": -5, "height": 600}'],
    ['a fractional height', '{"width": 800, "height": 600.5}'],
  ])('a %s file is ignored (the window opens at its default size)', (_name, text) => {
    const file = join(tempDir(), 'window-state.json');
    if (text !== null) writeFileSync(file, text);
    expect(readWindowState(file)).toBeNull();
  });

  it('keeps the size when the position is unusable', () => {
    const file = join(tempDir(), 'window-state.json');
    writeFileSync(file, '{"x": "left", "y": 2, "width": 900, "height": 700, "maximized": "yes"}');
    expect(readWindowState(file)).toEqual({ width: 900, height: 700, maximized: false });
  });
});

describe('fitWindowState', () => {
  const min = { width: 720, height: 480 };
  const laptop = { x: 0, y: 0, width: 1920, height: 1080 };
  const right = { x: 1920, y: 0, width: 2560, height: 1440 };

  it('keeps a window that is on a screen', () => {
    expect(fitWindowState(saved, [laptop], min)).toEqual(saved);
  });

  it('drops the position of a window on a monitor that is gone (it centres)', () => {
    expect(fitWindowState({ ...saved, x: 2500 }, [laptop], min)).toEqual({ width: 1400, height: 900, maximized: false });
  });

  it('keeps a window mostly on the second monitor', () => {
    expect(fitWindowState({ ...saved, x: 2500 }, [laptop, right], min)).toEqual({ ...saved, x: 2500 });
  });

  it('clamps the size to the largest screen and to the minimum', () => {
    expect(fitWindowState({ width: 5000, height: 3000, maximized: true }, [laptop], min)).toEqual({ width: 1920, height: 1080, maximized: true });
    expect(fitWindowState({ width: 100, height: 100, maximized: false }, [laptop], min)).toEqual({ width: 720, height: 480, maximized: false });
  });

  it('a window with only a sliver visible is moved', () => {
    expect(fitWindowState({ ...saved, x: 1900 }, [laptop], min).x).toBeUndefined();
  });
});
