import { resolve } from 'node:path';
import { defineConfig } from 'electron-vite';
import react from '@vitejs/plugin-react';

export default defineConfig({
  main: {
    build: { rollupOptions: { input: { index: resolve('electron/main/index.ts') } } },
  },
  preload: {
    // A CJS preload keeps `sandbox: true` possible (an ESM preload needs sandbox: false).
    build: { rollupOptions: { input: { index: resolve('electron/preload/index.ts') }, output: { format: 'cjs', entryFileNames: '[name].cjs' } } },
  },
  renderer: {
    root: 'renderer',
    plugins: [react()],
    build: {
      minify: true,
      // out/renderer/.vite/manifest.json: which chunks each entry and screen needs (the bundle-size test reads it).
      manifest: true,
      rollupOptions: { input: { index: resolve('renderer/index.html') } },
    },
  },
});
