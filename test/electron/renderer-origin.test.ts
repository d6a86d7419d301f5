import { describe, expect, it } from 'vitest';
import { isExternalLink, isRendererUrl, isTrustedSender, rendererOrigin, type IpcSenderLike } from '../../electron/main/renderer-origin.js';

const INDEX = '/opt/SGLang Switchboard/resources/app/out/renderer/index.html';
const FILE_URL = 'file:///opt/SGLang%20Switchboard/resources/app/out/renderer/index.html';
const fileOrigin = rendererOrigin(INDEX, {});
const devOrigin = rendererOrigin(INDEX, { ELECTRON_RENDERER_URL: 'http://localhost:5173' });
const OUR_CONTENTS = 7;
const ours = (id: number) => id === OUR_CONTENTS;

function event(url: string | null, options: { contentsId?: number; iframe?: boolean } = {}): IpcSenderLike {
  return { sender: { id: options.contentsId ?? OUR_CONTENTS }, senderFrame: url === null ? null : { url, parent: options.iframe ? {} : null } };
}

describe('rendererOrigin', () => {
  it('is the built file, or the dev server when electron-vite set one', () => {
    expect(fileOrigin).toEqual({ kind: 'file', url: FILE_URL });
    expect(devOrigin).toEqual({ kind: 'dev', url: 'http://localhost:5173' });
  });
});

describe('isTrustedSender', () => {
  it.each([
    ['our page', event(FILE_URL), true],
    ['our page on another screen (hash) with a query', event(`${FILE_URL}?x=1#gpus`), true],
    ['an iframe inside our page', event(FILE_URL, { iframe: true }), false],
    ['our page in a webContents that is not our window', event(FILE_URL, { contentsId: 99 }), false],
    ['another local file', event('file:///tmp/evil.html'), false],
    ['a file named like ours elsewhere', event('file:///tmp/out/renderer/index.html'), false],
    ['a web page', event('https://example.com/'), false],
    ['devtools', event('devtools://devtools/bundled/devtools_app.html'), false],
    ['about:blank', event('about:blank'), false],
    ['a frame destroyed before the message was handled', event(null), false],
    ['an unparsable URL', event('not a url'), false],
  ])('%s → %s', (_name, ev, trusted) => {
    expect(isTrustedSender(ev, ours, fileOrigin)).toBe(trusted);
  });

  it('in dev, the dev server origin (any path) and nothing else', () => {
    expect(isTrustedSender(event('http://localhost:5173/index.html#models'), ours, devOrigin)).toBe(true);
    expect(isTrustedSender(event('http://localhost:5174/'), ours, devOrigin)).toBe(false);
    expect(isTrustedSender(event(FILE_URL), ours, devOrigin)).toBe(false);
  });
});

describe('navigation', () => {
  it('stays on our page', () => {
    expect(isRendererUrl(`${FILE_URL}#logs`, fileOrigin)).toBe(true);
    expect(isRendererUrl('https://github.com/sgl-project/sglang', fileOrigin)).toBe(false);
    expect(isRendererUrl(undefined, fileOrigin)).toBe(false);
  });

  it('opens only http(s) links externally', () => {
    expect(isExternalLink('https://github.com/sgl-project/sglang')).toBe(true);
    expect(isExternalLink('http://127.0.0.1:8002/v1/models')).toBe(true);
    expect(isExternalLink('file:///etc/passwd')).toBe(false);
    expect(isExternalLink('javascript:alert(1)')).toBe(false);
    expect(isExternalLink('smb://host/share')).toBe(false);
  });
});
