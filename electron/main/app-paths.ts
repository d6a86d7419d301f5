import { join } from 'node:path';

/** Files the shell loads, relative to the built main bundle (out/main/index.js) — same in dev and packaged. */
export interface AppPaths {
  preload: string;
  indexHtml: string;
  /** A PNG icon of about `px` pixels (16…512) from resources/icons. */
  icon(px: 16 | 32 | 48 | 64 | 128 | 256 | 512): string;
}

export function appPaths(mainDir: string): AppPaths {
  const appRoot = join(mainDir, '..', '..');
  return {
    preload: join(mainDir, '..', 'preload', 'index.cjs'),
    indexHtml: join(mainDir, '..', 'renderer', 'index.html'),
    icon: (px) => join(appRoot, 'resources', 'icons', `${px}x${px}.png`),
  };
}

/**
 * `--disable-gpu` or SWITCHBOARD_SOFTWARE_RENDERING=1: render without the GPU (X forwarding, a
 * host whose GPUs are busy with models). The GPUs serve models, not our window.
 */
export function isSoftwareRenderingRequested(argv: readonly string[], env: Record<string, string | undefined>): boolean {
  return argv.includes('--disable-gpu') || env.SWITCHBOARD_SOFTWARE_RENDERING === '1';
}
