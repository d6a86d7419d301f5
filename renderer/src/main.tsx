import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { EngineStatus } from './engine-status.js';

const engineUrl = new URLSearchParams(location.search).get('engine') ?? location.origin;
createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <EngineStatus engineUrl={engineUrl} />
  </StrictMode>,
);
