import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

/** The demo's Vite config: the page lives in demo/, `confer` resolves to the library's entry. */
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  resolve: { alias: { confer: fileURLToPath(new URL('../src/index.ts', import.meta.url)) } },
  server: { host: '127.0.0.1', port: 5173 },
  build: { outDir: 'dist', emptyOutDir: true },
});
