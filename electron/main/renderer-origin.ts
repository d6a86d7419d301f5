import { pathToFileURL } from 'node:url';

/** Where our renderer page lives: the built file, or the dev server electron-vite started. */
export type RendererOrigin = { kind: 'file'; url: string } | { kind: 'dev'; url: string };

/** ELECTRON_RENDERER_URL (electron-vite dev) wins; otherwise the built out/renderer/index.html. */
export function rendererOrigin(indexHtmlPath: string, env: Record<string, string | undefined> = process.env): RendererOrigin {
  const devUrl = env.ELECTRON_RENDERER_URL;
  if (devUrl) return { kind: 'dev', url: devUrl };
  return { kind: 'file', url: pathToFileURL(indexHtmlPath).href };
}

/**
 * True when `url` is our renderer page: for the file, that exact file (query and hash free, since
 * the app navigates by hash); for the dev server, its origin. Anything else (another file, a web
 * page, devtools://, about:blank) is not ours.
 */
export function isRendererUrl(url: string | null | undefined, origin: RendererOrigin): boolean {
  if (!url) return false;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  const ours = new URL(origin.url);
  if (origin.kind === 'dev') return parsed.origin === ours.origin;
  return parsed.protocol === 'file:' && parsed.host === ours.host && decodeURIComponent(parsed.pathname) === decodeURIComponent(ours.pathname);
}

/** The parts of an IPC event the sender check reads (IpcMainEvent / IpcMainInvokeEvent have them). */
export interface IpcSenderLike {
  sender: { id: number };
  /** Null when the frame navigated away or was destroyed before the message was handled. */
  senderFrame: { url: string; parent: unknown } | null;
}

/**
 * Whether an IPC message may reach the engine: it comes from the top frame (no parent: not an
 * iframe) of a webContents that is one of our windows, and that frame shows our renderer page.
 * A devtools page, a subframe, a webview or a page navigated elsewhere is refused.
 */
export function isTrustedSender(event: IpcSenderLike, isOurWebContents: (id: number) => boolean, origin: RendererOrigin): boolean {
  const frame = event.senderFrame;
  if (!frame || frame.parent !== null) return false;
  if (!isOurWebContents(event.sender.id)) return false;
  return isRendererUrl(frame.url, origin);
}

/** Links the page opens in a new window go to the system browser, but only http(s) ones. */
export function isExternalLink(url: string): boolean {
  try {
    const { protocol } = new URL(url);
    return protocol === 'https:' || protocol === 'http:';
  } catch {
    return false;
  }
}
