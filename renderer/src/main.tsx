import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { PRELOAD_GLOBAL, type ApiTransport } from '../../shared/switchboard-api.js';
import { createWebSocketTransport } from '../../shared/transports/websocket-transport.js';
import { ApiHub, setApiHub } from './api/api-hub.js';
import { pageIpcTransport } from './api/page-ipc-transport.js';
import { App } from './app.js';
import './styles.css';

/** IPC when the Electron preload gave us one; otherwise the engine's WebSocket on the page's own origin. */
function pickTransport(): ApiTransport {
  const ipc = (window as unknown as Record<string, ApiTransport | undefined>)[PRELOAD_GLOBAL];
  if (ipc) return pageIpcTransport(ipc);
  const wsUrl = new URL('/api/ws', location.href);
  wsUrl.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return createWebSocketTransport({ url: wsUrl.href, apiKey: () => localStorage.getItem('switchboard.apiKey') ?? undefined });
}

setApiHub(new ApiHub(pickTransport()));
createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
