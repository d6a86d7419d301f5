import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { PRELOAD_GLOBAL, type ApiTransport } from '../../shared/switchboard-api.js';
import { createWebSocketTransport } from '../../shared/transports/websocket-transport.js';
import { ApiHub, setApiHub } from './api/api-hub.js';
import { createBrowserAdminKey } from './api/browser-admin-key.js';
import { pageIpcTransport } from './api/page-ipc-transport.js';
import { App } from './app.js';
import { appAdminKeyStorage } from './settings/admin-key-storage.js';
import './styles.css';

/**
 * IPC when the Electron preload gave us one; otherwise the engine's WebSocket on the page's own
 * origin, with the admin key from /api/session or Settings, asked again at each reconnect.
 */
function pickTransport(): ApiTransport {
  const ipc = (window as unknown as Record<string, ApiTransport | undefined>)[PRELOAD_GLOBAL];
  if (ipc) return pageIpcTransport(ipc);
  const wsUrl = new URL('/api/ws', location.href);
  wsUrl.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
  const adminKey = createBrowserAdminKey({ sessionUrl: new URL('/api/session', location.href).href, keys: appAdminKeyStorage() });
  return createWebSocketTransport({ url: wsUrl.href, adminKey });
}

setApiHub(new ApiHub(pickTransport()));
createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
