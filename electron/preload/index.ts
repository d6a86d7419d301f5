import { contextBridge } from 'electron';

// The typed engine contract is bridged here by a generic loop over shared/'s method list (desktop-app issue).
contextBridge.exposeInMainWorld('switchboard', { transport: 'ipc' as const });
