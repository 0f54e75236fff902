/**
 * Prints bench/results/*.json as the Markdown tables of bench/README.md, so the README is pasted
 * from a run rather than typed: `npx tsx bench/results-markdown.ts`.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { BenchRow } from './lib/report.js';

const dir = fileURLToPath(new URL('./results/', import.meta.url));
const fmt = (x: number | string | undefined) => (x === undefined ? '' : typeof x === 'string' ? x : Number.isInteger(x) ? String(x) : x.toFixed(1));

for (const file of readdirSync(dir).filter((f) => f.endsWith('.json')).sort()) {
  const result = JSON.parse(readFileSync(`${dir}${file}`, 'utf8')) as { name: string; date: string; rows: BenchRow[]; loadAverageAtStart?: number[] };
  const load = result.loadAverageAtStart ? `, load average at start ${result.loadAverageAtStart.map((l) => l.toFixed(1)).join(' / ')}` : '';
  console.log(`\n### ${result.name}\n\n_${result.date}${load}_\n`);
  console.log('| metric | unit | median | p95 | min | max | runs | target |');
  console.log('| --- | --- | ---: | ---: | ---: | ---: | ---: | --- |');
  for (const row of result.rows) {
    const s = row.summary;
    const cells = [row.metric.trim().replace(/^/, row.metric.startsWith('  ') ? '↳ ' : ''), row.unit, fmt(s?.median ?? row.value), fmt(s?.p95), fmt(s?.min), fmt(s?.max), fmt(s?.n), row.target ?? ''];
    console.log(`| ${cells.join(' | ')} |`);
  }
}
