import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { build, stop } from 'esbuild';
import type * as Confer from 'confer';
import { workspaceAliases } from '../../workspaceAliases.js';
import { onCleanup } from './cleanup.js';

type Library = typeof Confer;


/**
 * The package entry bundled by esbuild for Node, as an application's bundler would ship it, written
 * to a temporary file (removed at cleanup) that child processes can import too: Node participants
 * run the same code a browser page ships, not src/ through Node's own loader.
 */
export async function bundleLibrary(): Promise<string> {
  const dir = mkdtempSync(path.join(tmpdir(), 'confer-bench-lib-'));
  onCleanup('library bundle', () => rmSync(dir, { recursive: true, force: true }));
  // esbuild keeps a service process alive after a build; stop it with the benchmark.
  onCleanup('esbuild service', () => stop());
  const result = await build({
    entryPoints: [workspaceAliases.confer!],
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    mainFields: ['module', 'main'],
    write: false,
    logLevel: 'warning',
  });
  const file = path.join(dir, 'confer.mjs');
  writeFileSync(file, result.outputFiles[0]!.contents);
  return file;
}

/** The bundled library, imported into this process. */
export async function loadLibrary(): Promise<Library> {
  return (await import(pathToFileURL(await bundleLibrary()).href)) as Library;
}
