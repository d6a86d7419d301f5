import { contextBridge, ipcRenderer } from 'electron';
import { PRELOAD_GLOBAL } from '../../shared/switchboard-api.js';
import { createIpcTransport } from './ipc-transport.js';

// Only the generic transport crosses the bridge (its functions are proxied); ipcRenderer stays here.
contextBridge.exposeInMainWorld(PRELOAD_GLOBAL, createIpcTransport(ipcRenderer));
