import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, chown, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

/** Debian's Chromium (apt-get install chromium); never a browser Playwright downloads. */
export const CHROMIUM_PATH = process.env.SWITCHBOARD_CHROMIUM ?? '/usr/bin/chromium';

/** Why the browser tests cannot run here, or null when they can. */
export function chromiumMissingReason(): string | null {
  return existsSync(CHROMIUM_PATH) ? null : `${CHROMIUM_PATH} not found (apt-get install -y chromium; .ci/run does)`;
}

/** Another local user for "someone else's browser on this machine": nobody. */
export const OTHER_USER = { uid: 65534, gid: 65534 };

/** Why Chromium cannot be started as OTHER_USER here (needs root and setpriv), or null when it can. */
export function otherUserChromiumMissingReason(): string | null {
  if (process.getuid?.() !== 0) return 'not root, so Chromium cannot be started as another user';
  try {
    execFileSync('setpriv', ['--version'], { stdio: 'ignore' });
  } catch {
    return 'setpriv (util-linux) is not installed';
  }
  return chromiumMissingReason();
}

export interface Browser {
  context: BrowserContext;
  page: Page;
  /** Console errors and page errors seen so far, for assertions. */
  errors: string[];
  close(): Promise<void>;
}

export interface LaunchOptions {
  /** More Chromium flags, e.g. `--host-resolver-rules=MAP evil.test 127.0.0.1`. */
  args?: string[];
  /** Run Chromium as this user (through setpriv; only as root): its profile and HOME belong to that user. */
  asUser?: { uid: number; gid: number };
}

const BASE_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** A headless Chromium with a throwaway profile, as the toolchain reference checked it. */
export async function launchChromium(viewport = { width: 1280, height: 800 }, opts: LaunchOptions = {}): Promise<Browser> {
  const home = await mkdtemp(join(tmpdir(), 'switchboard-chromium-'));
  const userDataDir = join(home, 'profile');
  await mkdir(userDataDir);
  let executablePath = CHROMIUM_PATH;
  let env: Record<string, string | undefined> | undefined;
  if (opts.asUser) {
    const { uid, gid } = opts.asUser;
    // Playwright talks to Chromium over inherited pipes (fds 3 and 4), which survive the exec.
    executablePath = join(home, 'chromium-as-user.sh');
    await writeFile(executablePath, `#!/bin/sh\nexec setpriv --reuid=${uid} --regid=${gid} --clear-groups -- ${CHROMIUM_PATH} "$@"\n`);
    await chmod(executablePath, 0o755);
    await chown(home, uid, gid);
    await chown(userDataDir, uid, gid);
    env = { ...process.env, HOME: home, XDG_CONFIG_HOME: join(home, '.config'), XDG_CACHE_HOME: join(home, '.cache') };
  }
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath,
    headless: true,
    args: [...BASE_ARGS, ...(opts.args ?? [])],
    viewport,
    ...(env ? { env } : {}),
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(`console: ${msg.text()}`);
  });
  return {
    context,
    page,
    errors,
    close: async () => {
      await context.close().catch(() => undefined);
      await rm(home, { recursive: true, force: true });
    },
  };
}
