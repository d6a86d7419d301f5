import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// electron-builder.yml through electron-builder itself, as far as this machine allows: the
// Electron binary and fpm are downloads, so Electron is a stub and the deb stops where fpm would
// start (effectiveOptionComputed hands us its arguments). What is checked: the unpacked app's
// layout, the CLI running from it through resources/linux/switchboard, the deb's metadata,
// desktop entry, icons and its scripts with electron-builder's macros filled in (what the scripts
// do is deb-scripts.test.ts).

const ROOT = join(import.meta.dirname, '..', '..');
const SCRIPTS = ['after-install.sh', 'after-remove.sh'];
const reason = existsSync(join(ROOT, 'out', 'main', 'index.js')) ? null : 'the app is not built (npm run build makes out/)';
if (reason) console.warn(`packaging skipped: ${reason}`);

describe.skipIf(reason !== null)('electron-builder --linux (stub Electron, no fpm)', () => {
  let work: string;
  let fpm: { args: string[]; desktop: string; scripts: Record<string, string> };
  let appDir: string;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'sb-packaging-'));
    const electronDist = join(work, 'electron-dist');
    mkdirSync(electronDist);
    // Stands in for Electron as plain Node (ELECTRON_RUN_AS_NODE=1), the way the CLI wrappers use it.
    writeFileSync(join(electronDist, 'electron'), `#!/bin/sh\n[ "$ELECTRON_RUN_AS_NODE" = 1 ] || exit 3\nexec "${process.execPath}" "$@"\n`);
    chmodSync(join(electronDist, 'electron'), 0o755);
    for (const file of ['chrome-sandbox', 'LICENSE', 'LICENSES.chromium.html']) writeFileSync(join(electronDist, file), '');
    const { build, Platform, Arch } = await import('electron-builder');
    await build({
      projectDir: ROOT,
      targets: Platform.LINUX.createTarget(['deb'], Arch.x64),
      publish: 'never',
      config: { electronDist, npmRebuild: false, directories: { output: join(work, 'dist') } },
      effectiveOptionComputed: async (options: unknown) => {
        if (!Array.isArray(options) || !Array.isArray(options[0])) return false;
        const [args, desktopFile] = options as [string[], string];
        const scripts = Object.fromEntries(SCRIPTS.map((name, i) => [name, readFileSync(args[args.indexOf(i === 0 ? '--after-install' : '--after-remove') + 1]!, 'utf8')]));
        fpm = { args, desktop: readFileSync(desktopFile, 'utf8'), scripts };
        return true; // stop here: fpm is a download
      },
    });
    appDir = join(work, 'dist', 'linux-unpacked');
  }, 180_000);
  afterAll(async () => {
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('lays out the app: built bundles, the CLI and helper sources, runtime deps, units, wrappers', () => {
    for (const path of [
      'sglang-switchboard',
      'resources/app/out/main/index.js',
      'resources/app/out/preload/index.cjs',
      'resources/app/bin/switchboard.js',
      'resources/app/bin/switchboard-helper.js',
      'resources/app/electron/helper/main.ts',
      'resources/app/electron/cli/main.ts',
      'resources/app/shared/switchboard-api.ts',
      'resources/app/resources/icons/32x32.png',
      'resources/app/node_modules/node-pty/package.json',
      'resources/app/node_modules/tsx/package.json',
      'resources/app/node_modules/ws/package.json',
      'resources/linux/switchboard',
      'resources/linux/switchboard-helper',
      'resources/systemd/sglang-switchboard-helper.service',
      'resources/systemd/sglang-switchboard.sysusers.conf',
      'resources/systemd/sglang.service',
      'resources/switchboard.example.yaml',
    ]) {
      expect(existsSync(join(appDir, path)), path).toBe(true);
    }
    for (const path of ['resources/app/node_modules/react', 'resources/app/node_modules/electron', 'resources/linux/after-install.sh', 'resources/app/electron/main/tray-menu.test.ts']) {
      expect(existsSync(join(appDir, path)), path).toBe(false);
    }
    expect(JSON.parse(readFileSync(join(appDir, 'resources/app/package.json'), 'utf8'))).toMatchObject({ desktopName: 'sglang-switchboard.desktop', main: 'out/main/index.js' });
  });

  it('runs the packaged CLI through its wrapper (the stub Electron as Node)', () => {
    const out = execFileSync(join(appDir, 'resources/linux/switchboard'), ['--help'], { encoding: 'utf8', cwd: tmpdir() });
    expect(out).toMatch(/^usage: switchboard COMMAND/);
    const helper = execFileSync(join(appDir, 'resources/linux/switchboard-helper'), ['--help'], { encoding: 'utf8', cwd: tmpdir() });
    expect(helper).toMatch(/^usage: switchboard-helper/);
  });

  it('gives the deb its metadata, install path and icons', () => {
    const value = (flag: string) => fpm.args[fpm.args.indexOf(flag) + 1];
    expect(value('--name')).toBe('sglang-switchboard');
    expect(value('--url')).toMatch(/^https:\/\//);
    expect(fpm.args.some((a) => a.endsWith('=/opt/SGLang Switchboard'))).toBe(true);
    const icons = fpm.args.filter((a) => a.includes('/usr/share/icons/hicolor/')).map((a) => a.split('/usr/share/icons/hicolor/')[1]);
    expect(icons).toEqual(['16x16', '32x32', '48x48', '64x64', '128x128', '256x256', '512x512'].map((s) => `${s}/apps/sglang-switchboard.png`));
    expect(fpm.args.at(-1)).toMatch(/=\/usr\/share\/applications\/sglang-switchboard\.desktop$/);
  });

  it('writes the desktop entry', () => {
    const entry = Object.fromEntries(fpm.desktop.trim().split('\n').slice(1).map((line) => line.split(/=(.*)/s).slice(0, 2)));
    expect(entry).toMatchObject({
      Name: 'SGLang Switchboard',
      Exec: '"/opt/SGLang Switchboard/sglang-switchboard" %U',
      Icon: 'sglang-switchboard',
      StartupWMClass: 'sglang-switchboard',
      Categories: 'Development;System;Monitor;',
      Comment: 'Switch, watch and tune the SGLang models of this GPU host',
      Keywords: 'SGLang;LLM;GPU;CUDA;model;router;OpenAI;inference;',
    });
  });

  it('fills the install scripts with the install path', () => {
    for (const name of SCRIPTS) {
      expect(fpm.scripts[name]).toContain("APP_DIR='/opt/SGLang Switchboard'");
      expect(fpm.scripts[name]).toContain("EXECUTABLE='sglang-switchboard'");
    }
  });
});
