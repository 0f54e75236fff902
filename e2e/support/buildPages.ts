import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, preview } from 'vite';
import { workspaceAliases } from '../../workspaceAliases.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** The built demo and e2e pages, served over HTTP on 127.0.0.1. */
export interface ServedPages {
  /** Origin of the static server, e.g. http://127.0.0.1:41234 (no trailing slash). */
  url: string;
  /** The built pages on disk, for servers that browsers elsewhere can reach (e2e/lab serves them inside its network). */
  dir: string;
  close(): Promise<void>;
}

/**
 * Builds the demo (`/demo/`) and the e2e harness (`/e2e/fixtures/harness.html`) with Vite, both
 * bundling the package entry `confer`, and serves the result with `vite preview` on a free port.
 * `serverUrl` is built in as the pages' default server; without it, each page is told its server
 * with `?server=` (every test worker has its own).
 * A production build rather than the dev server: no on-demand transforms or dependency
 * re-optimisation reloads while several browser contexts open the pages at once.
 */
export async function buildAndServePages(serverUrl = ''): Promise<ServedPages> {
  const outDir = await mkdtemp(path.join(tmpdir(), 'confer-e2e-pages-'));
  const shared = {
    configFile: false as const,
    root,
    logLevel: 'warn' as const,
    resolve: { alias: workspaceAliases },
    define: serverUrl ? { 'import.meta.env.VITE_CONFER_SERVER': JSON.stringify(serverUrl) } : {},
  };
  await build({
    ...shared,
    build: {
      outDir,
      emptyOutDir: true,
      sourcemap: true,
      minify: false,
      rolldownOptions: {
        input: {
          demo: path.join(root, 'demo/index.html'),
          harness: path.join(root, 'e2e/fixtures/harness.html'),
        },
      },
    },
  });
  const server = await preview({
    ...shared,
    build: { outDir },
    preview: { host: '127.0.0.1', port: 0, strictPort: false, open: false },
  });
  const address = server.httpServer.address();
  if (address === null || typeof address === 'string') throw new Error('vite preview has no TCP address');
  return {
    url: `http://127.0.0.1:${address.port}`,
    dir: outDir,
    async close() {
      await server.close();
      await rm(outDir, { recursive: true, force: true });
    },
  };
}
