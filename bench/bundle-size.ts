/**
 * Size of the library as a browser application would ship it: `import { Room } from 'confer'`, the
 * whole package, and each other entry point (`confer/devices`) on its own, bundled with every
 * dependency, minified, gzipped.
 *
 *   npx tsx bench/bundle-size.ts            print the sizes and the largest inputs
 *   npx tsx bench/bundle-size.ts --check    also fail when `import { Room }` or an entry point exceeds its budget
 *   npx tsx bench/bundle-size.ts --report   also write bench/results/bundle-size.json
 */
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { workspaceAliases } from '../workspaceAliases.js';
import { report } from './lib/report.js';

/**
 * The budget of `import { Room } from 'confer'`, min+gzip: issue 12's 30 KB. Simulcast, the
 * reachability probe, `prepare()` and the native clients' conventions had pushed it to 34.7 KB and the
 * budget to 35 KB; dropping webrtc-adapter (9.2 KB of it, every shim a no-op on the supported
 * browsers) brought it back to 25.5 KB.
 */
export const ROOM_BUDGET_BYTES = 30 * 1024;

/**
 * Each other entry point and its budget, min+gzip, measured alone: what an application adds when it
 * imports it (the code it shares with `Room` included, so the number stands on its own).
 */
export const ENTRY_BUDGETS: Record<string, { code: string; budget: number }> = {
  'confer/devices': { code: "export * from 'confer/devices';", budget: 1.5 * 1024 },
};

const alias = Object.fromEntries(Object.entries(workspaceAliases).filter(([name]) => name === 'confer' || name.startsWith('confer/')));

/** One measured bundle: its minified and gzipped size, and the minified bytes each package contributes. */
export interface BundleSize {
  minified: number;
  gzip: number;
  byPackage: Record<string, number>;
}

/** Bundles `code` (which may import 'confer') for browsers, minified, and measures it. */
export async function measureBundle(code: string): Promise<BundleSize> {
  const result = await build({
    stdin: { contents: code, resolveDir: fileURLToPath(new URL('..', import.meta.url)), loader: 'ts' },
    alias,
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  const output = result.outputFiles[0]!.contents;
  const byPackage: Record<string, number> = {};
  for (const out of Object.values(result.metafile.outputs)) {
    for (const [path, { bytesInOutput }] of Object.entries(out.inputs)) {
      const name = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path)?.[1] ?? (path.startsWith('src/') ? 'confer (src/)' : path);
      byPackage[name] = (byPackage[name] ?? 0) + bytesInOutput;
    }
  }
  return { minified: output.byteLength, gzip: gzipSync(output, { level: 9 }).byteLength, byPackage };
}

const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;

async function main(): Promise<void> {
  const check = process.argv.includes('--check');
  const room = await measureBundle("export { Room } from 'confer';");
  const whole = await measureBundle("export * from 'confer';");
  const entries = await Promise.all(Object.entries(ENTRY_BUDGETS).map(async ([name, { code, budget }]) => ({ name, budget, size: await measureBundle(code) })));
  console.log(`import { Room } from 'confer'   ${kb(room.minified)} min, ${kb(room.gzip)} min+gzip (budget ${kb(ROOM_BUDGET_BYTES)})`);
  console.log(`import * from 'confer'          ${kb(whole.minified)} min, ${kb(whole.gzip)} min+gzip`);
  for (const { name, budget, size } of entries) console.log(`import * from '${name}'`.padEnd(32) + ` ${kb(size.minified)} min, ${kb(size.gzip)} min+gzip (budget ${kb(budget)})`);
  console.log('minified bytes by package (import { Room }):');
  for (const [name, bytes] of Object.entries(room.byPackage).sort((a, b) => b[1] - a[1])) console.log(`  ${name.padEnd(20)} ${kb(bytes)}`);
  if (process.argv.includes('--report')) {
    report('bundle-size', [
      { metric: "import { Room } from 'confer' (min+gzip)", unit: 'bytes', value: room.gzip, target: `<= ${ROOM_BUDGET_BYTES}` },
      { metric: "import * from 'confer' (min+gzip)", unit: 'bytes', value: whole.gzip },
      ...entries.map(({ name, budget, size }) => ({ metric: `import * from '${name}' (min+gzip)`, unit: 'bytes', value: size.gzip, target: `<= ${budget}` })),
    ], { byPackage: room.byPackage });
  }
  if (check && room.gzip > ROOM_BUDGET_BYTES) {
    console.error(`bundle-size: import { Room } is ${kb(room.gzip)} min+gzip, over the ${kb(ROOM_BUDGET_BYTES)} budget`);
    process.exitCode = 1;
  }
  for (const { name, budget, size } of entries) {
    if (!check || size.gzip <= budget) continue;
    console.error(`bundle-size: import * from '${name}' is ${kb(size.gzip)} min+gzip, over its ${kb(budget)} budget`);
    process.exitCode = 1;
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
