/**
 * Benchmark 5: min+gzip of `import { Room } from 'confer'` and of the whole package, beside the
 * same esbuild measurement (bench/bundle-size.ts `measureBundle`, the library's own budget check)
 * of livekit-client (`Room`), mediasoup-client (`Device`) and peerjs (`Peer`). Those three live in
 * bench/package.json, installed apart from the library (`npm run bench:install`).
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { measureBundle, ROOM_BUDGET_BYTES } from './bundle-size.js';
import type { BenchRow } from './lib/report.js';
import { report } from './lib/report.js';
import { runBenchmark, runConditions } from './support/cleanup.js';

const benchModules = fileURLToPath(new URL('./node_modules/', import.meta.url));

/** What each library's users import to start a call. */
const COMPETITORS = [
  { name: 'livekit-client', symbol: 'Room' },
  { name: 'mediasoup-client', symbol: 'Device' },
  { name: 'peerjs', symbol: 'Peer' },
] as const;

const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;

runBenchmark('bundle-size-comparison', 60_000, async () => {
  const room = await measureBundle("export { Room } from 'confer';");
  const whole = await measureBundle("export * from 'confer';");
  const rows: BenchRow[] = [
    { metric: "confer: import { Room }", unit: 'bytes', value: room.gzip, target: `<= ${ROOM_BUDGET_BYTES} (${kb(ROOM_BUDGET_BYTES)})`, note: `${room.minified} min` },
    { metric: 'confer: whole package', unit: 'bytes', value: whole.gzip, note: `${whole.minified} min` },
  ];
  const versions: Record<string, string> = {};
  for (const { name, symbol } of COMPETITORS) {
    const dir = `${benchModules}${name}`;
    if (!existsSync(dir)) {
      console.warn(`bundle-size-comparison: ${name} is not installed; run npm run bench:install (outside the network namespace)`);
      rows.push({ metric: `${name}: import { ${symbol} }`, unit: 'bytes', value: 'not installed' });
      continue;
    }
    versions[name] = (JSON.parse(readFileSync(`${dir}/package.json`, 'utf8')) as { version: string }).version;
    // Imported by path: the competitors are installed under bench/, which the library's bundler does not search.
    const size = await measureBundle(`export { ${symbol} } from '${dir}';`);
    rows.push({ metric: `${name} ${versions[name]}: import { ${symbol} }`, unit: 'bytes', value: size.gzip, note: `${size.minified} min` });
  }
  report('bundle-size-comparison', rows, {
    ...runConditions(),
    versions, measuredWith: 'esbuild bundle, minify, format esm, platform browser, es2022; gzip level 9', confer: { room, whole } });
  for (const row of rows) if (typeof row.value === 'number') console.log(`${row.metric.padEnd(40)} ${kb(row.value)} min+gzip (${row.note})`);
});
