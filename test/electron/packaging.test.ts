import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// electron-builder.yml through electron-builder itself, as far as this machine allows: the
// Electron binary and fpm are downloads, so Electron is a stub and the deb stops where fpm would
// start (effectiveOptionComputed hands us its arguments). What is checked: the unpacked app's
// layout (built JavaScript only: no TypeScript, no tsx), the CLI, the helper and the demo's fakes
// running from it through the app's "Electron" as Node, the deb's metadata, desktop entry, icons
// and its scripts with electron-builder's macros filled in (what the scripts do is
// deb-scripts.test.ts).

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

  it('lays out the app: built bundles (the CLI, helper and demo fakes compiled), runtime deps, units, wrappers', () => {
    for (const path of [
      'sglang-switchboard',
      'resources/app/out/main/index.js',
      'resources/app/out/preload/index.cjs',
      'resources/app/out/node/switchboard.js',
      'resources/app/out/node/switchboard-helper.js',
      'resources/app/out/node/sglang-sim.js',
      'resources/app/out/node/nvidia-smi.js',
      'resources/app/bin/switchboard.js',
      'resources/app/bin/switchboard-helper.js',
      'resources/app/test/fixtures/nvidia-smi/help-query-gpu-driver595.txt',
      'resources/app/test/fixtures/nvidia-smi/q-rtx3090x2-driver560.txt',
      'resources/app/resources/icons/32x32.png',
      'resources/app/node_modules/node-pty/package.json',
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
    for (const path of [
      'resources/app/node_modules/react',
      'resources/app/node_modules/electron',
      'resources/app/node_modules/tsx',
      'resources/app/node_modules/esbuild',
      'resources/app/electron',
      'resources/app/shared',
      'resources/app/test/fakes',
      'resources/linux/after-install.sh',
    ]) {
      expect(existsSync(join(appDir, path)), path).toBe(false);
    }
    expect(JSON.parse(readFileSync(join(appDir, 'resources/app/package.json'), 'utf8'))).toMatchObject({ desktopName: 'sglang-switchboard.desktop', main: 'out/main/index.js' });
  });

  it('ships no TypeScript: not one .ts file, and no TypeScript runtime among the modules', () => {
    const typescript: string[] = [];
    const walk = (dir: string): void => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) walk(path);
        else if (/\.(ts|tsx|mts|cts)$/.test(entry.name)) typescript.push(relative(appDir, path));
      }
    };
    walk(join(appDir, 'resources'));
    expect(typescript).toEqual([]);
    const modules = readdirSync(join(appDir, 'resources/app/node_modules'));
    expect(modules.filter((name) => ['tsx', 'esbuild', 'typescript', '@esbuild', 'get-tsconfig'].includes(name))).toEqual([]);
  });

  it('runs the packaged CLI and helper through their wrappers (the stub Electron as Node)', () => {
    const out = execFileSync(join(appDir, 'resources/linux/switchboard'), ['--help'], { encoding: 'utf8', cwd: tmpdir() });
    expect(out).toMatch(/^usage: switchboard COMMAND/);
    const helper = execFileSync(join(appDir, 'resources/linux/switchboard-helper'), ['--help'], { encoding: 'utf8', cwd: tmpdir() });
    expect(helper).toMatch(/^usage: switchboard-helper/);
  });

  it("runs the demo's packaged fakes: nvidia-smi answers from the shipped captures, the simulator starts", () => {
    const asNode = (file: string, args: string[]) =>
      execFileSync(join(appDir, 'sglang-switchboard'), [join(appDir, 'resources/app/out/node', file), ...args], {
        encoding: 'utf8',
        cwd: tmpdir(),
        env: { ...process.env, ELECTRON_RUN_AS_NODE: '1', FAKE_NVIDIA_SMI_STATE: join(work, 'fake-nvidia-smi-state.json') },
      });
    expect(asNode('nvidia-smi.js', ['--query-gpu=index,name,power.limit', '--format=csv,noheader,nounits']).trim().split('\n')).toHaveLength(6);
    expect(asNode('nvidia-smi.js', ['--help-query-gpu'])).toContain('power.limit');
    expect(asNode('sglang-sim.js', ['--help'])).toMatch(/^usage: launch_server\.py/);
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
    const entry = Object.fromEntries(
      fpm.desktop
        .trim()
        .split('\n')
        .slice(1)
        .map((line) => line.split(/=(.*)/s).slice(0, 2)),
    );
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
