import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const entry = fileURLToPath(new URL('./src/index.ts', import.meta.url));

export default defineConfig({
  root: '.',
  resolve: { alias: { confer: entry } },
  build: {
    outDir: 'dist',
    lib: { entry, formats: ['es'], fileName: () => 'confer.js' },
    sourcemap: true,
  },
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    typecheck: { enabled: true, include: ['test/**/*.test-d.ts'] },
  },
});
