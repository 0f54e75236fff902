import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const { dependencies } = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8')) as { dependencies: Record<string, string> };
const external = Object.keys(dependencies);

/** The library build: one ES module; its dependencies stay imports, for the application's bundler to resolve once. */
export default defineConfig({
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    lib: { entry: fileURLToPath(new URL('./src/index.ts', import.meta.url)), formats: ['es'], fileName: () => 'confer.js' },
    rolldownOptions: { external: (id) => external.some((name) => id === name || id.startsWith(`${name}/`)) },
    sourcemap: true,
  },
});
