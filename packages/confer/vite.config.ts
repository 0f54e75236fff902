import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const { dependencies } = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8')) as { dependencies: Record<string, string> };
const external = Object.keys(dependencies);

const entry = (path: string) => fileURLToPath(new URL(path, import.meta.url));

/**
 * The library build: one ES module per package entry (`confer`, `confer/devices`), the code they share
 * in a chunk both import; its dependencies stay imports, for the application's bundler to resolve once.
 */
export default defineConfig({
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    lib: { entry: { confer: entry('./src/index.ts'), devices: entry('./src/devices.ts') }, formats: ['es'], fileName: (_format, name) => `${name}.js` },
    rolldownOptions: { external: (id) => external.some((name) => id === name || id.startsWith(`${name}/`)) },
    sourcemap: true,
  },
});
