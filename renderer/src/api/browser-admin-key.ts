import type { StoreApi } from 'zustand';
import type { AdminKeyStorage } from '../settings/admin-key-storage.js';
import { useBrowserAccess, type BrowserAccessState, type BrowserAccessStatus } from './browser-access-store.js';

export interface BrowserAdminKeyOptions {
  /** Absolute URL of the engine's `GET /api/session`, on the page's own origin. */
  sessionUrl: string;
  /** The admin key saved in this browser (Settings). */
  keys: AdminKeyStorage;
  /** Where the verdict goes (the app-wide store by default). */
  access?: StoreApi<BrowserAccessState>;
  fetch?: typeof fetch;
  /** While the engine refuses this browser: how often it is asked again (router.adminKeys may change). Default 10 s. */
  recheckMs?: number;
}

interface Verdict {
  status: BrowserAccessStatus;
  key: string | undefined;
  message: string | null;
}

/** Answers after which connecting is pointless until something changes (a key is saved, the catalog is edited). */
const WAITING: ReadonlySet<BrowserAccessStatus> = new Set(['needs-key', 'key-refused', 'forbidden']);

/**
 * The WebSocket transport's `adminKey` source for the browser view, asked at each (re)connect: the
 * engine's admin token when `/api/session` hands it over (the engine's own user on its machine),
 * else the key saved in this browser, sent along so the engine says whether it is right. While
 * there is no usable key it does not answer (the transport keeps calls queued, nothing hammers the
 * engine with doomed handshakes) until a key is saved or `recheckMs` passes.
 */
export function createBrowserAdminKey(opts: BrowserAdminKeyOptions): () => Promise<string | undefined> {
  const access = opts.access ?? useBrowserAccess;
  const fetchImpl = opts.fetch ?? ((input, init) => fetch(input, init));
  const recheckMs = opts.recheckMs ?? 10_000;
  return async () => {
    access.setState({ status: 'checking', message: null });
    for (;;) {
      const { key: saved, revision } = opts.keys.getState();
      const verdict = await askSession(fetchImpl, opts.sessionUrl, saved);
      access.setState({ status: verdict.status, message: verdict.message });
      if (!WAITING.has(verdict.status)) return verdict.key;
      // A save shows as 'checking' at once, so Settings does not call a fresh key refused.
      await nextSaveOrTimeout(opts.keys, revision, recheckMs, () => access.setState({ status: 'checking', message: null }));
    }
  };
}

async function askSession(fetchImpl: typeof fetch, url: string, saved: string): Promise<Verdict> {
  const savedKey = saved || undefined;
  let res: Response;
  try {
    res = await fetchImpl(url, { credentials: 'omit', cache: 'no-store', headers: savedKey ? { authorization: `Bearer ${savedKey}` } : {} });
  } catch {
    return { status: 'engine-down', key: savedKey, message: null };
  }
  const body: unknown = await res.json().catch(() => null);
  if (res.ok) {
    const token = (body as { adminToken?: unknown } | null)?.adminToken;
    if (typeof token === 'string' && token !== '') return { status: 'local-user', key: token, message: null };
    if (savedKey && (body as { via?: unknown } | null)?.via === 'admin-key') return { status: 'admin-key', key: savedKey, message: null };
  }
  if (res.status === 401) return { status: savedKey ? 'key-refused' : 'needs-key', key: undefined, message: null };
  const message = errorMessageOf(body) ?? `the engine answered ${url} with HTTP ${res.status}`;
  if (res.status === 403) return { status: 'forbidden', key: undefined, message };
  return { status: 'unknown', key: savedKey, message };
}

function errorMessageOf(body: unknown): string | null {
  const message = (body as { error?: { message?: unknown } } | null)?.error?.message;
  return typeof message === 'string' ? message : null;
}

/** Resolves when a key is saved (even the same one again: the user wants another try) or after `ms`. */
function nextSaveOrTimeout(keys: AdminKeyStorage, revision: number, ms: number, onSave: () => void): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      off();
      resolve();
    };
    const timer = setTimeout(done, ms);
    const off = keys.subscribe((state) => {
      if (state.revision === revision) return;
      onSave();
      done();
    });
  });
}
